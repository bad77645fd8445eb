package repocontract

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// clock hands out strictly increasing times at millisecond precision, the
// precision every adapter must keep.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 123_000_000, time.UTC)}
}

// Next returns a time 1.001 s after the previous one.
func (c *clock) Next() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second + time.Millisecond)
	return c.now
}

func newID() string { return ulid.Make().String() }

// world is the data a spec starts from: two workspaces, each with a
// document and a configuration (jobs and tables refer to both).
type world struct {
	ctx   context.Context
	repos ports.Repositories
	clock *clock

	ws, other         *domain.Workspace
	doc, otherDoc     *domain.Document
	config, otherConf *domain.Configuration
}

func newWorld(repos ports.Repositories) *world {
	w := &world{ctx: context.Background(), repos: repos, clock: newClock()}
	w.ws = w.createWorkspace("acme")
	w.other = w.createWorkspace("globex")
	w.doc = w.createDocument(w.ws.ID(), nil)
	w.otherDoc = w.createDocument(w.other.ID(), nil)
	w.config = w.createConfiguration(w.ws.ID(), "invoice", 1)
	w.otherConf = w.createConfiguration(w.other.ID(), "invoice", 1)
	return w
}

func (w *world) newWorkspace(slug string) *domain.Workspace {
	ws, err := domain.NewWorkspace(newID(), slug, "Workspace "+slug, w.clock.Next())
	Expect(err).NotTo(HaveOccurred())
	return ws
}

func (w *world) createWorkspace(slug string) *domain.Workspace {
	ws := w.newWorkspace(slug)
	Expect(w.repos.Workspaces.Create(w.ctx, ws)).To(Succeed())
	return ws
}

func (w *world) newDocument(workspaceID string, metadata map[string]any) *domain.Document {
	now := w.clock.Next()
	d, err := domain.NewDocument(domain.NewDocumentParams{
		ID: newID(), WorkspaceID: workspaceID, Filename: "report.xlsx",
		ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		ByteSize:    1234, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Metadata: metadata, BlobKey: "blobs/" + newID(), ExpiresAt: now.Add(30 * 24 * time.Hour), Now: now,
	})
	Expect(err).NotTo(HaveOccurred())
	return d
}

func (w *world) createDocument(workspaceID string, metadata map[string]any) *domain.Document {
	d := w.newDocument(workspaceID, metadata)
	Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())
	return d
}

func (w *world) newConfiguration(workspaceID, documentType string, version int) *domain.Configuration {
	c, err := domain.NewConfiguration(domain.NewConfigurationParams{
		ID: newID(), WorkspaceID: workspaceID, DocumentType: documentType, Title: fmt.Sprintf("Invoices v%d", version),
		Version: version, Now: w.clock.Next(),
		Payload: map[string]any{"extractor": "csv", "delimiter": ";", "columns": []any{"a", "b"}, "skip": 1.0},
	})
	Expect(err).NotTo(HaveOccurred())
	return c
}

func (w *world) createConfiguration(workspaceID, documentType string, version int) *domain.Configuration {
	c := w.newConfiguration(workspaceID, documentType, version)
	Expect(w.repos.Configurations.Create(w.ctx, c)).To(Succeed())
	return c
}

// newJob makes a pending job of the spec's main workspace.
func (w *world) newJob() *domain.Job {
	return w.newJobFor(w.ws.ID(), w.doc.ID(), w.config)
}

func (w *world) newJobFor(workspaceID, documentID string, c *domain.Configuration) *domain.Job {
	j, err := domain.NewJob(domain.NewJobParams{
		ID: newID(), WorkspaceID: workspaceID, DocumentType: c.DocumentType(),
		ConfigurationID: c.ID(), ConfigurationVersion: c.Version(), InputDocumentID: documentID,
		CreatedBy: "key-1", Now: w.clock.Next(),
	})
	Expect(err).NotTo(HaveOccurred())
	return j
}

func (w *world) createJob() *domain.Job {
	j := w.newJob()
	Expect(w.repos.Jobs.Create(w.ctx, j)).To(Succeed())
	return j
}

func (w *world) newEvent(workspaceID, eventType, entityType, entityID string) *domain.Event {
	e, err := domain.NewEvent(domain.EventState{
		ID: newID(), WorkspaceID: workspaceID, EventType: eventType, EntityType: entityType,
		EntityID: entityID, OccurredAt: w.clock.Next(), ActorType: domain.ActorAPIKey,
		ActorID: "key-1", ActorLabel: "ci key", Source: "api", RequestID: "req-" + newID(),
		Payload: map[string]any{"n": 1.0, "nested": map[string]any{"ok": true}},
	})
	Expect(err).NotTo(HaveOccurred())
	return e
}

func (w *world) newTable(job *domain.Job, index int) *domain.Table {
	t, err := domain.NewTable(domain.TableState{
		ID: newID(), WorkspaceID: job.WorkspaceID(), JobID: job.ID(), DocumentID: job.InputDocumentID(),
		SequenceIndex: index, Title: "Table", Sheet: "Sheet1", RowCount: 2,
		Columns:    []string{"name", "amount"},
		SampleRows: []map[string]any{{"name": "a", "amount": 1.5}, {"name": "b", "amount": nil}},
		Metadata:   map[string]any{"header_row": 0.0},
		CreatedAt:  w.clock.Next(),
	})
	Expect(err).NotTo(HaveOccurred())
	return t
}

func ids[T interface{ ID() string }](items []T) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID()
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// sameIDs checks that ListIDs lists the ids of listed, which List returned
// for the same filter and page, in the same order.
func (w *world) sameIDs(workspaceID string, f ports.DocumentFilter, p ports.Page, listed []*domain.Document) {
	GinkgoHelper()
	got, err := w.repos.Documents.ListIDs(w.ctx, workspaceID, f, p)
	Expect(err).NotTo(HaveOccurred())
	Expect(got).To(Equal(ids(listed)), "ListIDs lists what List lists, in its order")
}

// expectOneWinner runs attempts concurrently and expects exactly one to
// succeed and every other to fail with domain.ErrConflict.
func expectOneWinner(attempts []func() error) {
	var wg sync.WaitGroup
	errs := make(chan error, len(attempts))
	for _, attempt := range attempts {
		wg.Go(func() { errs <- attempt() })
	}
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		if err == nil {
			wins++
			continue
		}
		Expect(err).To(MatchError(domain.ErrConflict))
	}
	Expect(wins).To(Equal(1))
}
