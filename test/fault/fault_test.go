package fault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/adapters/webhooksender"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// injected records, per backend, the event types whose Append a spec made
// fail; after a full run every backend must have seen every type fail.
var injected = struct {
	sync.Mutex
	types map[string]map[string]bool
}{types: map[string]map[string]bool{}}

// tally is a directory the suite's parallel processes share: each leaves
// there the event types it made fail, and process 1 checks their union once
// every process is done.
var tally string

var _ = SynchronizedBeforeSuite(func() []byte {
	dir, err := os.MkdirTemp("", "ade-fault-")
	Expect(err).NotTo(HaveOccurred())
	return []byte(dir)
}, func(dir []byte) { tally = string(dir) })

var _ = SynchronizedAfterSuite(func() {
	storetest.Cleanup()
	injected.Lock()
	defer injected.Unlock()
	b, err := json.Marshal(injected.types)
	Expect(err).NotTo(HaveOccurred())
	name := filepath.Join(tally, fmt.Sprintf("process-%d.json", GinkgoParallelProcess()))
	Expect(os.WriteFile(name, b, 0o600)).To(Succeed())
}, func() {
	defer func() { _ = os.RemoveAll(tally) }()
	cfg, _ := GinkgoConfiguration()
	if len(cfg.FocusStrings)+len(cfg.SkipStrings)+len(cfg.FocusFiles)+len(cfg.SkipFiles) > 0 || cfg.LabelFilter != "" {
		return // a partial run
	}
	union := map[string]map[string]bool{}
	names, err := filepath.Glob(filepath.Join(tally, "process-*.json"))
	Expect(err).NotTo(HaveOccurred())
	for _, name := range names {
		b, err := os.ReadFile(name)
		Expect(err).NotTo(HaveOccurred())
		var types map[string]map[string]bool
		Expect(json.Unmarshal(b, &types)).To(Succeed())
		for backend, seen := range types {
			if union[backend] == nil {
				union[backend] = map[string]bool{}
			}
			maps.Copy(union[backend], seen)
		}
	}
	Expect(union).NotTo(BeEmpty())
	for backend, types := range union {
		var got []string
		for t := range types {
			got = append(got, t)
		}
		Expect(got).To(ConsistOf(domain.EventTypes()), "on %s, a failure was injected into every event type the code writes", backend)
	}
})

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

// flakyJobs fails Apply, which writes a job's change with its events,
// as flakySink fails Append.
type flakyJobs struct {
	ports.JobRepository
	fail func(events []*domain.Event) error
}

func (f *flakyJobs) Apply(ctx context.Context, c ports.JobChange) error {
	if err := f.fail(c.Events); err != nil {
		return err
	}
	return f.JobRepository.Apply(ctx, c)
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
		if rc, err := t.Open(ctx, k, 0, -1); err == nil {
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

// stepClock moves one millisecond per reading; jump moves it further.
type stepClock struct{ n atomic.Int64 }

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func (c *stepClock) Now() time.Time       { return epoch.Add(time.Duration(c.n.Add(1)) * time.Millisecond) }
func (c *stepClock) jump(d time.Duration) { c.n.Add(d.Milliseconds()) }

type world struct {
	backend  string
	ctx      context.Context
	app      *app.App
	repos    ports.Repositories
	blobs    *trackedBlobs
	clock    *stepClock
	ws       string
	failOnFn atomic.Value // func([]*domain.Event) error
	// stop stops the queue's workers (waiting for the running tasks).
	stop func()
}

// retryFast: a terminal write is retried for 300 ms, a synchronous
// submission waits 10 s at most, and a job task the worker gave back is
// run again 50 ms later (for 5 s).
var retryFast = map[ports.TaskKind]ports.RetryPolicy{
	ports.TaskRunJob: {MaxAttempts: 100, FirstDelay: 50 * time.Millisecond, MaxDelay: 50 * time.Millisecond}}

func newWorld(b storetest.Backend) *world {
	w := &world{backend: b.Name, ctx: context.Background(), clock: &stepClock{}}
	w.heal()
	bs, err := blobstore.Open(w.ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	w.blobs = &trackedBlobs{BlobStore: bs}
	store := b.Open()
	repos := store.Repos
	fail := func(e []*domain.Event) error {
		return w.failOnFn.Load().(func([]*domain.Event) error)(e)
	}
	repos.EventSink = &flakySink{EventSink: repos.EventSink, fail: fail}
	repos.Jobs = &flakyJobs{JobRepository: repos.Jobs, fail: fail}
	w.repos = repos
	exs, err := app.NewExtractors(stub.Extractor{}, writer{})
	Expect(err).NotTo(HaveOccurred())
	queue, start, stop := storetest.Queue(store, 2, retryFast)
	w.stop = stop
	w.app, err = app.New(app.Deps{Repos: repos, Queue: queue, Blobs: w.blobs, Extractors: exs, Clock: w.clock, IDs: system.NewULIDs(),
		Webhooks: webhooksender.New(webhooksender.Options{AllowPrivate: true}),
		Config:   app.Config{DocumentRetention: time.Hour, TerminalRetry: 300 * time.Millisecond, SyncWait: 10 * time.Second}})
	Expect(err).NotTo(HaveOccurred())
	start(w.app.Tasks)
	ws, err := w.app.Workspaces.EnsureDefault(w.ctx)
	Expect(err).NotTo(HaveOccurred())
	w.ws = ws.ID()
	return w
}

// failOn makes Append fail as an outage (errDown) for a batch holding an
// event of eventType (that also passes every filter in also), and records
// the injection.
func (w *world) failOn(eventType string, also ...func(*domain.Event) bool) {
	w.failOnWith(errDown, []string{eventType}, also...)
}

// failOnWith makes Append fail with err for a batch holding an event of
// one of types (that also passes every filter in also), and records the
// injection.
func (w *world) failOnWith(err error, types []string, also ...func(*domain.Event) bool) {
	w.failOnFn.Store(func(es []*domain.Event) error {
		for _, e := range es {
			if !slices.Contains(types, e.Type()) || slices.ContainsFunc(also, func(f func(*domain.Event) bool) bool { return !f(e) }) {
				continue
			}
			injected.Lock()
			if injected.types[w.backend] == nil {
				injected.types[w.backend] = map[string]bool{}
			}
			injected.types[w.backend][e.Type()] = true
			injected.Unlock()
			return err
		}
		return nil
	})
}

// heal makes Append work again.
func (w *world) heal() { w.failOnFn.Store(func([]*domain.Event) error { return nil }) }

// status reads a job's status.
func (w *world) status(id string) func() domain.JobStatus {
	return func() domain.JobStatus {
		GinkgoHelper()
		j, err := w.repos.Jobs.Get(w.ctx, w.ws, id)
		Expect(err).NotTo(HaveOccurred())
		return j.Status()
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

func (w *world) configurations() []*domain.Configuration {
	GinkgoHelper()
	cfgs, err := w.repos.Configurations.List(w.ctx, w.ws, ports.ConfigurationFilter{}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	return cfgs
}

// events returns the event types recorded for one entity, oldest first.
func (w *world) events(entityType, id string) []string {
	GinkgoHelper()
	es, err := w.repos.Events.List(w.ctx, w.ws, ports.EventFilter{EntityType: entityType, EntityID: id, Ascending: true}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type()
	}
	return out
}

// consistent checks both directions of "an event is written in the same
// transaction as its change" over everything stored: every change has its
// event, and every event its change.
func (w *world) consistent() {
	GinkgoHelper()
	entities := map[string]bool{}
	for _, d := range w.documents() {
		entities[d.ID()] = true
		evs := slices.DeleteFunc(w.events(domain.EntityDocument, d.ID()), func(t string) bool { return t == domain.EventDocumentDownloaded })
		want := []string{domain.EventDocumentUploaded}
		if d.IsDeleted() {
			end := domain.EventDocumentDeleted
			if d.State().DeletedBy == domain.SystemActor.ID {
				end = domain.EventDocumentPurged
			}
			want = append(want, end)
		}
		Expect(evs).To(Equal(want), "document %s (deleted %v)", d.ID(), d.IsDeleted())
	}
	for _, c := range w.configurations() {
		entities[c.ID()] = true
		evs := w.events(domain.EntityConfiguration, c.ID())
		Expect(evs).NotTo(BeEmpty())
		Expect(evs[0]).To(Equal(domain.EventConfigurationCreated))
		activations := len(evs) - 1
		for _, t := range evs[1:] {
			Expect(t).To(Equal(domain.EventConfigurationActivated), "configuration %s", c.ID())
		}
		Expect(activations > 0).To(Equal(c.State().ActivatedAt != nil), "configuration %s: activated at %v with %d activation events",
			c.ID(), c.State().ActivatedAt, activations)
		if c.IsActive() {
			Expect(activations).To(BeNumerically(">", 0))
		}
	}
	for _, j := range w.jobs() {
		entities[j.ID()] = true
		want := map[domain.JobStatus][][]string{
			domain.JobPending:   {{domain.EventJobCreated}},
			domain.JobRunning:   {{domain.EventJobCreated, domain.EventJobRunning}},
			domain.JobSucceeded: {{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}},
			domain.JobFailed:    {{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobFailed}},
			domain.JobCancelled: {{domain.EventJobCreated, domain.EventJobCancelled}, {domain.EventJobCreated, domain.EventJobRunning, domain.EventJobCancelled}},
		}[j.Status()]
		// A restarted attempt (after a lost one) records running again.
		evs := slices.Compact(w.events(domain.EntityJob, j.ID()))
		Expect(want).To(ContainElement(evs), "job %s is %s", j.ID(), j.Status())
	}
	keys, err := w.repos.APIKeys.List(w.ctx, ports.APIKeyFilter{WorkspaceID: w.ws}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	for _, k := range keys {
		entities[k.ID()] = true
		want := []string{domain.EventAPIKeyCreated}
		if k.Revoked() {
			want = append(want, domain.EventAPIKeyRevoked)
		}
		Expect(w.events(domain.EntityAPIKey, k.ID())).To(Equal(want), "api key %s (revoked %v)", k.ID(), k.Revoked())
	}
	hooks, err := w.repos.Webhooks.List(w.ctx, w.ws, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	for _, h := range hooks {
		entities[h.ID()] = true
		Expect(w.events(domain.EntityWebhook, h.ID())).To(Equal([]string{domain.EventWebhookCreated}), "webhook %s", h.ID())
	}
	all, err := w.repos.Events.List(w.ctx, w.ws, ports.EventFilter{}, ports.Page{})
	Expect(err).NotTo(HaveOccurred())
	for _, e := range all {
		if e.State().EntityType == domain.EntityWorkspace {
			continue
		}
		Expect(entities).To(HaveKey(e.State().EntityID), "event %s of %s %s, which was never stored", e.Type(), e.State().EntityType, e.State().EntityID)
	}
}

var _ = Describe("when the store stops answering", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var w *world
			BeforeEach(func() { w = newWorld(b) })
			AfterEach(func() {
				w.heal()
				w.stop()
				w.consistent()
			})

			It("an upload whose "+domain.EventDocumentUploaded+" fails leaves no row and no blob", func() {
				w.failOn(domain.EventDocumentUploaded)
				_, err := w.app.Documents.Upload(w.ctx, app.UploadRequest{WorkspaceID: w.ws, Filename: "a.csv", Body: strings.NewReader("x")})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				Expect(w.documents()).To(BeEmpty(), "the row rolled back with its event")
				Expect(w.blobs.remaining(w.ctx)).To(BeEmpty())
			})

			It("a job output whose "+domain.EventDocumentUploaded+" is refused ends the job failed with no output kept", func() {
				doc, cfg := w.upload(), w.configure("writer")
				before := w.blobs.remaining(w.ctx)
				w.failOnWith(errRefused, []string{domain.EventDocumentUploaded}, func(e *domain.Event) bool { return e.State().Payload["produced_by_job_id"] != nil })
				job, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				Expect(job.Status()).To(Equal(domain.JobFailed))
				Expect(job.Error().Code).To(Equal(app.CodeInternal))
				Expect(w.blobs.remaining(w.ctx)).To(Equal(before))
				Expect(w.documents()).To(HaveLen(1), "no output document row")
			})

			It("a download whose "+domain.EventDocumentDownloaded+" fails serves nothing", func() {
				doc := w.upload()
				w.failOn(domain.EventDocumentDownloaded)
				_, rc, err := w.app.Documents.Open(w.ctx, w.ws, doc.ID(), 0, -1)
				Expect(err).To(MatchError(domain.ErrUnavailable))
				Expect(rc).To(BeNil())
				Expect(w.events(domain.EntityDocument, doc.ID())).To(Equal([]string{domain.EventDocumentUploaded}))
			})

			It("a delete whose "+domain.EventDocumentDeleted+" fails deletes nothing", func() {
				doc := w.upload()
				w.failOn(domain.EventDocumentDeleted)
				Expect(w.app.Documents.Delete(w.ctx, w.ws, doc.ID(), "dup")).To(MatchError(domain.ErrUnavailable))
				got, err := w.app.Documents.Get(w.ctx, w.ws, doc.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.IsDeleted()).To(BeFalse())
				Expect(w.blobs.remaining(w.ctx)).To(ContainElement(doc.BlobKey()), "the bytes stay with the row")
			})

			It("a purge whose "+domain.EventDocumentPurged+" fails purges nothing and ends the sweep", func() {
				doc := w.upload()
				w.clock.jump(2 * time.Hour)
				w.failOn(domain.EventDocumentPurged)
				n, err := w.app.Maintenance.PurgeExpired(w.ctx)
				Expect(err).To(MatchError(domain.ErrUnavailable))
				Expect(n).To(Equal(0))
				got, err := w.app.Documents.Get(w.ctx, w.ws, doc.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.IsDeleted()).To(BeFalse())
				Expect(w.blobs.remaining(w.ctx)).To(ContainElement(doc.BlobKey()))
			})

			It("a configuration whose "+domain.EventConfigurationCreated+" fails is not created", func() {
				w.failOn(domain.EventConfigurationCreated)
				_, err := w.app.Configurations.Create(w.ctx, app.CreateConfigurationRequest{WorkspaceID: w.ws, DocumentType: "t", Title: "T",
					Payload: map[string]any{"extractor": "stub"}})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				Expect(w.configurations()).To(BeEmpty())
			})

			It("an activation whose "+domain.EventConfigurationActivated+" fails changes no active version", func() {
				v1, v2 := w.configure("stub"), w.configure("stub")
				_, err := w.app.Configurations.Activate(w.ctx, w.ws, v1.ID())
				Expect(err).NotTo(HaveOccurred())
				w.failOn(domain.EventConfigurationActivated)
				_, err = w.app.Configurations.Activate(w.ctx, w.ws, v2.ID())
				Expect(err).To(MatchError(domain.ErrUnavailable))
				active, err := w.repos.Configurations.GetActive(w.ctx, w.ws, "t")
				Expect(err).NotTo(HaveOccurred())
				Expect(active.ID()).To(Equal(v1.ID()))
			})

			It("a job whose "+domain.EventJobCreated+" fails is not created", func() {
				doc, cfg := w.upload(), w.configure("stub")
				w.failOn(domain.EventJobCreated)
				_, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				_, err = w.app.Jobs.Enqueue(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				Expect(w.jobs()).To(BeEmpty())
			})

			It("a start whose "+domain.EventJobRunning+" fails leaves the job pending, and a later attempt runs it once the store answers", func() {
				doc, cfg := w.upload(), w.configure("stub")
				w.failOn(domain.EventJobRunning)
				j, err := w.app.Jobs.Enqueue(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				Consistently(w.status(j.ID()), 300*time.Millisecond, 20*time.Millisecond).Should(Equal(domain.JobPending))
				got, err := w.app.Jobs.Get(w.ctx, w.ws, j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Attempts()).To(Equal(0))
				w.heal()
				Eventually(w.status(j.ID()), 10*time.Second, 20*time.Millisecond).Should(Equal(domain.JobSucceeded))
			})

			It("results whose "+domain.EventJobSucceeded+" is refused end the job failed and remove its outputs", func() {
				doc, cfg := w.upload(), w.configure("writer")
				before := len(w.blobs.remaining(w.ctx))
				w.failOnWith(errRefused, []string{domain.EventJobSucceeded})
				job, err := w.app.Jobs.Submit(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				Expect(job.Status()).To(Equal(domain.JobFailed))
				Expect(job.Error().Code).To(Equal(app.CodeInternal))
				Expect(job.Error().Message).NotTo(ContainSubstring("constraint"), "no internal detail in the job's error")
				Expect(w.blobs.remaining(w.ctx)).To(HaveLen(before), "the output blob is gone")
				Expect(w.documents()).To(HaveLen(1), "no output document row")
				tables, err := w.repos.Tables.ListByJob(w.ctx, w.ws, job.ID(), ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(tables).To(BeEmpty())
			})

			It("an outage when a job ends ("+domain.EventJobSucceeded+") delays its end: the terminal write is retried, nothing is mislabelled", func() {
				doc, cfg := w.upload(), w.configure("writer")
				// Down for 150 ms from the first terminal write, within the
				// retry window.
				var downSince atomic.Int64
				w.failOnFn.Store(func(es []*domain.Event) error {
					if !slices.ContainsFunc(es, func(e *domain.Event) bool { return e.Type() == domain.EventJobSucceeded }) {
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

			It("a failure whose "+domain.EventJobFailed+" cannot be written for longer leaves the job running, and a later attempt ends it once the store answers", func() {
				doc := w.upload()
				cfg, err := w.app.Configurations.Create(w.ctx, app.CreateConfigurationRequest{WorkspaceID: w.ws, DocumentType: "t", Title: "T",
					Payload: map[string]any{"extractor": "stub", "fail": "no"}})
				Expect(err).NotTo(HaveOccurred())
				w.failOn(domain.EventJobFailed)
				j, err := w.app.Jobs.Enqueue(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				Eventually(w.status(j.ID()), 5*time.Second, 10*time.Millisecond).Should(Equal(domain.JobRunning))
				Consistently(w.status(j.ID()), time.Second, 50*time.Millisecond).Should(Equal(domain.JobRunning), "its end could not be written, and was not mislabelled")
				w.heal()
				Eventually(w.status(j.ID()), 10*time.Second, 20*time.Millisecond).Should(Equal(domain.JobFailed))
				got, err := w.app.Jobs.Get(w.ctx, w.ws, j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Attempts()).To(BeNumerically(">=", 2), "a later attempt started the job over")
				Expect(got.Error().Code).NotTo(Equal(app.CodeInternal), "the extractor's own failure")
			})

			It("a cancel whose "+domain.EventJobCancelled+" fails cancels nothing", func() {
				doc, cfg := w.upload(), w.configure("stub")
				// The start fails too, so the job stays pending.
				w.failOnWith(errDown, []string{domain.EventJobRunning, domain.EventJobCancelled})
				j, err := w.app.Jobs.Enqueue(w.ctx, app.SubmitJobRequest{WorkspaceID: w.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				_, err = w.app.Jobs.Cancel(w.ctx, w.ws, j.ID())
				Expect(err).To(MatchError(domain.ErrUnavailable))
				got, err := w.app.Jobs.Get(w.ctx, w.ws, j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Status()).To(Equal(domain.JobPending))
			})

			It("a webhook whose "+domain.EventWebhookCreated+" fails is not registered", func() {
				w.failOn(domain.EventWebhookCreated)
				_, err := w.app.Webhooks.Create(w.ctx, app.CreateWebhookRequest{WorkspaceID: w.ws, URL: "http://127.0.0.1:9/hook",
					Events: []string{domain.EventJobSucceeded}})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				hooks, err := w.repos.Webhooks.List(w.ctx, w.ws, ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(hooks).To(BeEmpty())
			})

			It("a deletion whose "+domain.EventWebhookDeleted+" fails deletes nothing", func() {
				h, err := w.app.Webhooks.Create(w.ctx, app.CreateWebhookRequest{WorkspaceID: w.ws, URL: "http://127.0.0.1:9/hook",
					Events: []string{domain.EventJobSucceeded}})
				Expect(err).NotTo(HaveOccurred())
				w.failOn(domain.EventWebhookDeleted)
				Expect(w.app.Webhooks.Delete(w.ctx, w.ws, h.ID())).To(MatchError(domain.ErrUnavailable))
				got, err := w.app.Webhooks.Get(w.ctx, w.ws, h.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.IsDeleted()).To(BeFalse())
			})

			It("a key whose "+domain.EventAPIKeyCreated+" fails is not stored", func() {
				w.failOn(domain.EventAPIKeyCreated)
				_, err := w.app.Keys.Create(w.ctx, app.CreateAPIKeyRequest{WorkspaceID: w.ws, Role: domain.RoleEditor, Label: "ci"})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				keys, err := w.repos.APIKeys.List(w.ctx, ports.APIKeyFilter{WorkspaceID: w.ws}, ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(keys).To(BeEmpty())
			})

			It("a revocation whose "+domain.EventAPIKeyRevoked+" fails revokes nothing", func() {
				k, err := w.app.Keys.Create(w.ctx, app.CreateAPIKeyRequest{WorkspaceID: w.ws, Role: domain.RoleEditor, Label: "ci"})
				Expect(err).NotTo(HaveOccurred())
				w.failOn(domain.EventAPIKeyRevoked)
				_, err = w.app.Keys.Revoke(w.ctx, w.ws, k.Key.ID())
				Expect(err).To(MatchError(domain.ErrUnavailable))
				got, err := w.app.Keys.Authenticate(w.ctx, k.Text)
				Expect(err).NotTo(HaveOccurred(), "the key still works")
				Expect(got.Revoked()).To(BeFalse())
			})
		})
	}
})

var _ = Describe("when the blob store breaks mid-stream", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var w *world
			BeforeEach(func() { w = newWorld(b) })
			AfterEach(func() {
				w.stop()
				w.consistent()
			})

			It("an upload keeps nothing", func() {
				w.blobs.breakAt.Store(100)
				_, err := w.app.Documents.Upload(w.ctx, app.UploadRequest{WorkspaceID: w.ws, Filename: "a.csv", Body: strings.NewReader(strings.Repeat("x", 4096))})
				Expect(err).To(HaveOccurred())
				Expect(w.documents()).To(BeEmpty())
				Expect(w.blobs.remaining(w.ctx)).To(BeEmpty())
				events, err := w.repos.Events.List(w.ctx, w.ws, ports.EventFilter{EntityType: domain.EntityDocument}, ports.Page{})
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
	}
})
