package fault_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var (
	errDown = fmt.Errorf("store does not answer: %w", domain.ErrUnavailable)
	// errRefused is a refusal that retrying cannot cure.
	errRefused = errors.New("check constraint violated")
)

// flakySink fails Append with the error fail returns.
type flakySink struct {
	ports.EventSink
	fail func(events []*domain.Event) error
}

func (f *flakySink) Append(ctx context.Context, events ...*domain.Event) error {
	if err := f.fail(events); err != nil {
		return err
	}
	return f.EventSink.Append(ctx, events...)
}

// trackedBlobs remembers every key written, and can break Puts.
type trackedBlobs struct {
	ports.BlobStore
	mu      sync.Mutex
	keys    []string
	breakAt atomic.Int64 // > 0: a Put fails after this many bytes
}

type breakingReader struct {
	r    io.Reader
	left int64
}

func (b *breakingReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("disk full")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (t *trackedBlobs) Put(ctx context.Context, key string, r io.Reader, opts ports.PutOptions) (ports.BlobInfo, error) {
	t.mu.Lock()
	t.keys = append(t.keys, key)
	t.mu.Unlock()
	if n := t.breakAt.Load(); n > 0 {
		r = &breakingReader{r: r, left: n}
	}
	return t.BlobStore.Put(ctx, key, r, opts)
}

// remaining lists the written keys that still hold an object.
func (t *trackedBlobs) remaining(ctx context.Context) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, k := range t.keys {
		if rc, err := t.BlobStore.Open(ctx, k, 0, -1); err == nil {
			rc.Close()
			out = append(out, k)
		}
	}
	return out
}

// writer is an extractor that writes one output file, then succeeds.
type writer struct{}

func (writer) Name() string                         { return "writer" }
func (writer) ValidatePayload(map[string]any) error { return nil }
func (writer) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	w, err := req.Outputs.Create(ctx, "out.csv", "text/csv")
	if err != nil {
		return ports.ExtractionResult{}, err
	}
	if _, err := io.WriteString(w, strings.Repeat("a,b\n", 4096)); err != nil {
		return ports.ExtractionResult{}, err
	}
	if err := w.Close(); err != nil {
		return ports.ExtractionResult{}, err
	}
	return ports.ExtractionResult{Tables: []ports.ExtractedTable{{Title: "t", RowCount: 4096, Columns: []string{"a", "b"}}}}, nil
}

type world struct {
	ctx    context.Context
	app    *app.App
	repos  ports.Repositories
	blobs  *trackedBlobs
	ws     string
	failOn atomic.Value // func([]*domain.Event) error
}

// retryFast: a terminal write is retried for 300 ms, and a job task the
// worker gave back is run again 50 ms later.
var retryFast = app.Config{TerminalRetry: 300 * time.Millisecond, SyncWait: 10 * time.Second}

func newWorld() *world {
	w := &world{ctx: context.Background()}
	w.failOn.Store(func([]*domain.Event) error { return nil })
	bs, err := blobstore.Open(w.ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	w.blobs = &trackedBlobs{BlobStore: bs}
	store := memory.New()
	repos := store.Repositories()
	sink := &flakySink{EventSink: repos.EventSink, fail: func(e []*domain.Event) error {
		return w.failOn.Load().(func([]*domain.Event) error)(e)
	}}
	repos.EventSink = sink
	w.repos = repos
	exs, err := app.NewExtractors(stub.Extractor{}, writer{})
	Expect(err).NotTo(HaveOccurred())
	queue := memory.NewQueue(store, memory.QueueOptions{Workers: 2, Policies: map[ports.TaskKind]ports.RetryPolicy{
		ports.TaskRunJob: {MaxAttempts: 10, FirstDelay: 50 * time.Millisecond, MaxDelay: 50 * time.Millisecond}}})
	w.app, err = app.New(app.Deps{Repos: repos, Queue: queue, Blobs: w.blobs, Extractors: exs, Clock: system.Clock{},
		IDs: system.NewULIDs(), Config: retryFast})
	Expect(err).NotTo(HaveOccurred())
	queue.Start(w.app.Tasks)
	DeferCleanup(queue.Stop)
	ws, err := w.app.Workspaces.EnsureDefault(w.ctx)
	Expect(err).NotTo(HaveOccurred())
	w.ws = ws.ID()
	return w
}

// failWhen makes Append fail with errDown (the store does not answer)
// for the events f picks.
func (w *world) failWhen(f func([]*domain.Event) bool) { w.failWith(f, errDown) }

// failWith makes Append fail with err for the events f picks.
func (w *world) failWith(f func([]*domain.Event) bool, err error) {
	w.failOn.Store(func(es []*domain.Event) error {
		if f(es) {
			return err
		}
		return nil
	})
}

func ofType(types ...string) func([]*domain.Event) bool {
	return func(es []*domain.Event) bool {
		for _, e := range es {
			if slices.Contains(types, e.Type()) {
				return true
			}
		}
		return false
	}
}

func (w *world) upload() *domain.Document {
	GinkgoHelper()
	d, err := w.app.Documents.Upload(w.ctx, app.UploadRequest{WorkspaceID: w.ws, Filename: "in.csv", Body: strings.NewReader("a,b\n1,2\n")})
	Expect(err).NotTo(HaveOccurred())
	return d
}

func (w *world) configure(extractor string) *domain.Configuration {
	GinkgoHelper()
	c, err := w.app.Configurations.Create(w.ctx, app.CreateConfigurationRequest{WorkspaceID: w.ws, DocumentType: "t", Title: "T",
		Payload: map[string]any{"extractor": extractor}})
	Expect(err).NotTo(HaveOccurred())
	return c
}

func (w *world) documents() []*domain.Document {
	GinkgoHelper()
	docs, err := w.repos.Documents.List(w.ctx, w.ws, ports.DocumentFilter{IncludeDeleted: true}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	return docs
}

func (w *world) jobs() []*domain.Job {
	GinkgoHelper()
	jobs, err := w.repos.Jobs.List(w.ctx, w.ws, ports.JobFilter{}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	return jobs
}

var _ = Describe("when the store stops answering", func() {
	var w *world
	BeforeEach(func() { w = newWorld() })

	It("an upload whose record cannot be written leaves no blob", func() {
		w.failWhen(ofType(domain.EventDocumentUploaded))
		_, err := w.app.Documents.Upload(w.ctx, app.UploadRequest{WorkspaceID: w.ws, Filename: "a.csv", Body: strings.NewReader("x")})
		Expect(err).To(MatchError(domain.ErrUnavailable))
		Expect(w.documents()).To(BeEmpty(), "the row rolled back with its event")
		Expect(w.blobs.remaining(w.ctx)).To(BeEmpty())
	})

	It("a job whose creation event fails leaves no job", func() {
		doc, cfg := w.upload(), w.configure("stub")
		w.failWhen(ofType(domain.EventJobCreated))
		_, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).To(MatchError(domain.ErrUnavailable))
		Expect(w.jobs()).To(BeEmpty())
	})

	It("results refused for good end the job failed and remove its outputs", func() {
		doc, cfg := w.upload(), w.configure("writer")
		before := len(w.blobs.remaining(w.ctx))
		w.failWith(ofType(domain.EventJobSucceeded), errRefused)
		job, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(job.Status()).To(Equal(domain.JobFailed))
		Expect(job.Error().Code).To(Equal(app.CodeInternal))
		Expect(job.Error().Message).NotTo(ContainSubstring("constraint"), "no internal detail in the job's error")
		Expect(w.blobs.remaining(w.ctx)).To(HaveLen(before), "the output blob is gone")
		Expect(w.documents()).To(HaveLen(1), "no output document row")
		tables, err := w.repos.Tables.ListByJob(w.ctx, w.ws, job.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(tables).To(BeEmpty())
	})

	It("an outage when a job ends delays its end: the terminal write is retried, nothing is mislabelled", func() {
		doc, cfg := w.upload(), w.configure("writer")
		// Down for 150 ms from the first terminal write, within the
		// retry window.
		var downSince atomic.Int64
		w.failOn.Store(func(es []*domain.Event) error {
			if !ofType(domain.EventJobSucceeded, domain.EventJobFailed)(es) {
				return nil
			}
			downSince.CompareAndSwap(0, time.Now().UnixNano())
			if time.Since(time.Unix(0, downSince.Load())) < 150*time.Millisecond {
				return errDown
			}
			return nil
		})
		job, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(job.Status()).To(Equal(domain.JobSucceeded), "the real outcome, not internal")
		Expect(job.Attempts()).To(Equal(1), "the same attempt wrote it")
		Expect(w.documents()).To(HaveLen(2), "the input and the one output")
	})

	It("a job whose end cannot be written for longer goes back to the queue, and its next attempt ends it once the store answers", func() {
		doc, cfg := w.upload(), w.configure("stub")
		w.failWhen(ofType(domain.EventJobSucceeded, domain.EventJobFailed))
		j, err := w.app.Jobs.Enqueue(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		status := func() domain.JobStatus {
			cur, err := w.repos.Jobs.Get(w.ctx, w.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			return cur.Status()
		}
		Eventually(status, 5*time.Second, 10*time.Millisecond).Should(Equal(domain.JobRunning))
		Consistently(status, time.Second, 50*time.Millisecond).Should(Equal(domain.JobRunning), "its end could not be written")
		w.failWith(func([]*domain.Event) bool { return false }, nil)
		Eventually(status, 5*time.Second, 20*time.Millisecond).Should(Equal(domain.JobSucceeded))
		cur, _ := w.repos.Jobs.Get(w.ctx, w.ws, j.ID())
		Expect(cur.Attempts()).To(BeNumerically(">=", 2), "a later attempt started the job over")
	})
})

var _ = Describe("when the blob store breaks mid-stream", func() {
	var w *world
	BeforeEach(func() { w = newWorld() })

	It("an upload keeps nothing", func() {
		w.blobs.breakAt.Store(100)
		_, err := w.app.Documents.Upload(w.ctx, app.UploadRequest{WorkspaceID: w.ws, Filename: "a.csv", Body: strings.NewReader(strings.Repeat("x", 4096))})
		Expect(err).To(HaveOccurred())
		Expect(w.documents()).To(BeEmpty())
		Expect(w.blobs.remaining(w.ctx)).To(BeEmpty())
		events, err := w.repos.Events.List(w.ctx, w.ws, ports.EventFilter{}, ports.Page{})
		Expect(err).NotTo(HaveOccurred())
		Expect(events).To(BeEmpty())
	})

	It("a job whose output cannot be written ends failed with nothing kept", func() {
		doc, cfg := w.upload(), w.configure("writer")
		before := w.blobs.remaining(w.ctx)
		w.blobs.breakAt.Store(1000)
		job, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(job.Status()).To(Equal(domain.JobFailed))
		Expect(w.blobs.remaining(w.ctx)).To(Equal(before))
		Expect(w.documents()).To(HaveLen(1))
	})
})
