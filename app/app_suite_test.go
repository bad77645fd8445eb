package app_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/memory"
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

// env is one fully wired application over one storage backend and a
// queue on it: the in-memory store with the in-memory queue, or a SQL
// store with River.
type env struct {
	app   *app.App
	store storetest.Store
	repos ports.Repositories
	// mem and queue are the in-memory store and queue (nil on SQL
	// backends).
	mem   *memory.Store
	queue *memory.Queue
	blobs *recordingBlobs
	clock *stepClock
	ws    string
	ctx   context.Context
	logs  *gbytes.Buffer
}

// fastRetries retry every task kind quickly, so specs of retries stay
// short.
var fastRetries = map[ports.TaskKind]ports.RetryPolicy{
	ports.TaskRunJob:         {MaxAttempts: 5, FirstDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	ports.TaskDeliverWebhook: {MaxAttempts: 3, FirstDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
}

// newEnv wires the application over the in-memory store with four queue
// workers.
func newEnv(cfg app.Config, extra ...ports.Extractor) *env {
	return newEnvWith(4, nil, cfg, extra...)
}

// newIdleEnv wires the application with a queue that runs nothing: jobs
// stay pending, and specs run tasks by hand.
func newIdleEnv(cfg app.Config, extra ...ports.Extractor) *env {
	return newEnvWith(0, nil, cfg, extra...)
}

// newEnvWithRepos wires the application with four queue workers over the
// repositories wrap returns (to inject faults).
func newEnvWithRepos(wrap func(ports.Repositories) ports.Repositories, cfg app.Config, extra ...ports.Extractor) *env {
	return build(storetest.Memory, 4, nil, wrap, cfg, extra...)
}

func newEnvWith(workers int, sender ports.WebhookSender, cfg app.Config, extra ...ports.Extractor) *env {
	return build(storetest.Memory, workers, sender, nil, cfg, extra...)
}

// newEnvOn wires the application over a fresh store of backend b, with
// four queue workers (River on the SQL backends).
func newEnvOn(b storetest.Backend, cfg app.Config, extra ...ports.Extractor) *env {
	return build(b, 4, nil, nil, cfg, extra...)
}

// newIdleEnvOn is newEnvOn with a queue that runs nothing.
func newIdleEnvOn(b storetest.Backend, cfg app.Config, extra ...ports.Extractor) *env {
	return build(b, 0, nil, nil, cfg, extra...)
}

func newULID() string { return ulid.Make().String() }

func build(b storetest.Backend, workers int, sender ports.WebhookSender, wrap func(ports.Repositories) ports.Repositories, cfg app.Config, extra ...ports.Extractor) *env {
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
	repos := store.Repos
	if wrap != nil {
		repos = wrap(repos)
	}
	// The in-memory queue is kept as such: idle specs take its tasks by
	// hand.
	var memQueue *memory.Queue
	queue, start, _ := storetest.Queue(store, workers, fastRetries)
	if mq, ok := queue.(*memory.Queue); ok {
		memQueue = mq
	}
	a, err := app.New(app.Deps{
		Repos: repos, Queue: queue, Blobs: rec, Extractors: exs,
		Clock: clock, IDs: system.NewULIDs(), Webhooks: sender, Config: cfg,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	Expect(err).NotTo(HaveOccurred())
	start(a.Tasks)
	ws, err := a.Workspaces.EnsureDefault(ctx)
	Expect(err).NotTo(HaveOccurred())
	return &env{app: a, store: store, repos: repos, mem: store.Mem, queue: memQueue, blobs: rec, clock: clock, ws: ws.ID(), ctx: ctx, logs: logs}
}

// runPending hands every pending task to the application, in this
// goroutine, and returns how many it ran.
func (e *env) runPending() int {
	GinkgoHelper()
	tasks := e.queue.Take()
	for _, t := range tasks {
		Expect(e.app.Tasks.HandleTask(e.ctx, t, ports.TaskAttempt{Number: 1, Max: 1})).To(Succeed())
	}
	return len(tasks)
}
