package app_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

func TestApp(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Use Case Suite")
}

// Drops the PostgreSQL schema the specs on every store share.
var _ = AfterSuite(storetest.Cleanup)

// stepClock starts at a fixed time and moves one millisecond per reading,
// so timestamps are deterministic and strictly increasing.
type stepClock struct{ n atomic.Int64 }

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func (c *stepClock) Now() time.Time { return epoch.Add(time.Duration(c.n.Add(1)) * time.Millisecond) }

// jump moves the clock forward by d.
func (c *stepClock) jump(d time.Duration) { c.n.Add(d.Milliseconds()) }

// recordingBlobs remembers every key a Put was asked to write, so specs can
// check that failed uploads left nothing behind.
type recordingBlobs struct {
	ports.BlobStore
	mu   sync.Mutex
	keys []string
}

func (r *recordingBlobs) Put(ctx context.Context, key string, body io.Reader, opts ports.PutOptions) (ports.BlobInfo, error) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	return r.BlobStore.Put(ctx, key, body, opts)
}

func (r *recordingBlobs) putKeys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

// env is one fully wired application over one storage backend.
type env struct {
	app   *app.App
	store storetest.Store
	repos ports.Repositories
	blobs *recordingBlobs
	clock *stepClock
	ws    string
	ctx   context.Context
	logs  *gbytes.Buffer
}

// newEnv wires the application over the in-memory store.
func newEnv(cfg app.Config, extra ...ports.Extractor) *env {
	return newEnvOn(storetest.Memory, cfg, extra...)
}

// newEnvOn wires the application over a fresh store of backend b.
func newEnvOn(b storetest.Backend, cfg app.Config, extra ...ports.Extractor) *env {
	ctx := context.Background()
	bs, err := blobstore.Open(ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	rec := &recordingBlobs{BlobStore: bs}
	exs, err := app.NewExtractors(append([]ports.Extractor{stub.Extractor{}}, extra...)...)
	Expect(err).NotTo(HaveOccurred())
	store := b.Open()
	clock := &stepClock{}
	logs := gbytes.NewBuffer()
	a, err := app.New(app.Deps{
		Repos: store.Repos, Blobs: rec, Extractors: exs,
		Clock: clock, IDs: system.NewULIDs(), Config: cfg,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	Expect(err).NotTo(HaveOccurred())
	ws, err := a.Workspaces.EnsureDefault(ctx)
	Expect(err).NotTo(HaveOccurred())
	return &env{app: a, store: store, repos: store.Repos, blobs: rec, clock: clock, ws: ws.ID(), ctx: ctx, logs: logs}
}
