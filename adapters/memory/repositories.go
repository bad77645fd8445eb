package memory

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// WorkspaceRepository stores workspaces in a Store.
type WorkspaceRepository struct{ s *Store }

// Create stores a new workspace.
func (r *WorkspaceRepository) Create(ctx context.Context, w *domain.Workspace) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := w.State()
	for _, o := range r.s.workspaces {
		if o.ID == st.ID || o.Slug == st.Slug {
			return conflict("workspace %q exists", st.Slug)
		}
	}
	r.s.workspaces.put(t, st.ID, st)
	return nil
}

// Get finds a workspace by id or slug.
func (r *WorkspaceRepository) Get(ctx context.Context, idOrSlug string) (*domain.Workspace, error) {
	_, end := r.s.begin(ctx)
	defer end()
	if st, ok := r.s.workspaces[idOrSlug]; ok {
		return domain.RehydrateWorkspace(st), nil
	}
	for _, st := range r.s.workspaces {
		if st.Slug == idOrSlug {
			return domain.RehydrateWorkspace(st), nil
		}
	}
	return nil, notFound("workspace", idOrSlug)
}

// List returns workspaces newest first.
func (r *WorkspaceRepository) List(ctx context.Context, p ports.Page) ([]*domain.Workspace, error) {
	_, end := r.s.begin(ctx)
	defer end()
	return query(r.s.workspaces, func(domain.WorkspaceState) bool { return true }, p,
		func(a, b domain.WorkspaceState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) },
		domain.RehydrateWorkspace), nil
}

// DocumentRepository stores documents in a Store.
type DocumentRepository struct{ s *Store }

// Create stores a new document.
func (r *DocumentRepository) Create(ctx context.Context, d *domain.Document) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := d.State()
	if _, ok := r.s.documents[st.ID]; ok {
		return conflict("document %q exists", st.ID)
	}
	r.s.documents.put(t, st.ID, st)
	return nil
}

// Get returns a document of the workspace, deleted or not.
func (r *DocumentRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Document, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.documents[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("document", id)
	}
	return domain.RehydrateDocument(st), nil
}

// List returns the workspace's documents matching f, newest first.
func (r *DocumentRepository) List(ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page) ([]*domain.Document, error) {
	return listDocuments(r.s, ctx, workspaceID, f, p, domain.RehydrateDocument), nil
}

// ListIDs returns the ids List returns, in its order.
func (r *DocumentRepository) ListIDs(ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page) ([]string, error) {
	return listDocuments(r.s, ctx, workspaceID, f, p, func(st domain.DocumentState) string { return st.ID }), nil
}

func listDocuments[A any](s *Store, ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page, out func(domain.DocumentState) A) []A {
	_, end := s.begin(ctx)
	defer end()
	keep := func(st domain.DocumentState) bool {
		return st.WorkspaceID == workspaceID && (f.IncludeDeleted || st.DeletedAt == nil) &&
			(f.ProducedByJobID == "" || st.ProducedByJobID == f.ProducedByJobID) &&
			(f.ExpiresBefore.IsZero() || st.ExpiresAt.Before(f.ExpiresBefore)) &&
			(f.NameContains == "" || strings.Contains(ports.FoldASCII(st.OriginalFilename), ports.FoldASCII(f.NameContains))) &&
			(f.Origin == "" || (f.Origin == ports.OriginOutput) == (st.ProducedByJobID != ""))
	}
	return query(s.documents, keep, p,
		func(a, b domain.DocumentState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }, out)
}

// Update changes a document through fn, storing the result when fn
// succeeds.
func (r *DocumentRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Document) error) (*domain.Document, error) {
	t, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.documents[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("document", id)
	}
	d := domain.RehydrateDocument(st)
	if err := fn(d); err != nil {
		return nil, err
	}
	r.s.documents.put(t, id, d.State())
	return domain.RehydrateDocument(d.State()), nil
}

// ConfigurationRepository stores configurations in a Store.
type ConfigurationRepository struct{ s *Store }

func (r *ConfigurationRepository) checkUnique(st domain.ConfigurationState, isNew bool) error {
	for _, o := range r.s.configurations {
		if o.ID == st.ID {
			if isNew {
				return conflict("configuration %q exists", st.ID)
			}
			continue
		}
		if o.WorkspaceID != st.WorkspaceID || o.DocumentType != st.DocumentType {
			continue
		}
		if o.Version == st.Version {
			return conflict("version %d of %q exists", st.Version, st.DocumentType)
		}
		if o.IsActive && st.IsActive {
			return conflict("another configuration of %q is active", st.DocumentType)
		}
	}
	return nil
}

// Create stores a new configuration.
func (r *ConfigurationRepository) Create(ctx context.Context, c *domain.Configuration) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := c.State()
	if err := r.checkUnique(st, true); err != nil {
		return err
	}
	r.s.configurations.put(t, st.ID, st)
	return nil
}

// Get returns a configuration of the workspace.
func (r *ConfigurationRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Configuration, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.configurations[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("configuration", id)
	}
	return domain.RehydrateConfiguration(st), nil
}

// GetActive returns the active configuration of a document type.
func (r *ConfigurationRepository) GetActive(ctx context.Context, workspaceID, documentType string) (*domain.Configuration, error) {
	_, end := r.s.begin(ctx)
	defer end()
	for _, st := range r.s.configurations {
		if st.WorkspaceID == workspaceID && st.DocumentType == documentType && st.IsActive {
			return domain.RehydrateConfiguration(st), nil
		}
	}
	return nil, notFound("active configuration of document type", documentType)
}

// MaxVersion returns the highest version of a document type, or 0.
func (r *ConfigurationRepository) MaxVersion(ctx context.Context, workspaceID, documentType string) (int, error) {
	_, end := r.s.begin(ctx)
	defer end()
	v := 0
	for _, st := range r.s.configurations {
		if st.WorkspaceID == workspaceID && st.DocumentType == documentType {
			v = max(v, st.Version)
		}
	}
	return v, nil
}

// LockDocumentType needs no lock of its own: a transaction holds the
// store's one lock from start to end. Outside a transaction it fails, as
// the port requires.
func (r *ConfigurationRepository) LockDocumentType(ctx context.Context, _, _ string) error {
	if t, ok := ctx.Value(txKey{}).(*tx); !ok || t.store != r.s {
		return errors.New("lock document type: not in a transaction")
	}
	return nil
}

// List returns the workspace's configurations matching f, newest first.
func (r *ConfigurationRepository) List(ctx context.Context, workspaceID string, f ports.ConfigurationFilter, p ports.Page) ([]*domain.Configuration, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(st domain.ConfigurationState) bool {
		return st.WorkspaceID == workspaceID && (f.DocumentType == "" || st.DocumentType == f.DocumentType) &&
			(f.IsActive == nil || st.IsActive == *f.IsActive)
	}
	return query(r.s.configurations, keep, p,
		func(a, b domain.ConfigurationState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) },
		domain.RehydrateConfiguration), nil
}

// Update changes a configuration through fn, refusing a second active
// version of one type.
func (r *ConfigurationRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Configuration) error) (*domain.Configuration, error) {
	t, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.configurations[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("configuration", id)
	}
	c := domain.RehydrateConfiguration(st)
	if err := fn(c); err != nil {
		return nil, err
	}
	next := c.State()
	if err := r.checkUnique(next, false); err != nil {
		return nil, err
	}
	r.s.configurations.put(t, id, next)
	return domain.RehydrateConfiguration(next), nil
}

// JobRepository stores jobs in a Store.
type JobRepository struct{ s *Store }

// Create stores a new job.
func (r *JobRepository) Create(ctx context.Context, j *domain.Job) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := j.State()
	if _, ok := r.s.jobs[st.ID]; ok {
		return conflict("job %q exists", st.ID)
	}
	r.s.jobs.put(t, st.ID, st)
	return nil
}

// Get returns a job of the workspace.
func (r *JobRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Job, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.jobs[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("job", id)
	}
	return domain.RehydrateJob(st), nil
}

// List returns the workspace's jobs matching f, newest first.
func (r *JobRepository) List(ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page) ([]*domain.Job, error) {
	return listJobs(r.s, ctx, workspaceID, f, p, domain.RehydrateJob), nil
}

// ListIDs returns the ids List returns, in its order.
func (r *JobRepository) ListIDs(ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page) ([]string, error) {
	return listJobs(r.s, ctx, workspaceID, f, p, func(st domain.JobState) string { return st.ID }), nil
}

func listJobs[A any](s *Store, ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page, out func(domain.JobState) A) []A {
	_, end := s.begin(ctx)
	defer end()
	keep := func(st domain.JobState) bool {
		return st.WorkspaceID == workspaceID && (f.Status == "" || st.Status == f.Status) &&
			(f.DocumentID == "" || st.InputDocumentID == f.DocumentID) &&
			(f.ConfigurationID == "" || st.ConfigurationID == f.ConfigurationID)
	}
	return query(s.jobs, keep, p,
		func(a, b domain.JobState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }, out)
}

// LatestByDocument returns the newest job of each listed document.
func (r *JobRepository) LatestByDocument(ctx context.Context, workspaceID string, documentIDs []string) (map[string]*domain.Job, error) {
	_, end := r.s.begin(ctx)
	defer end()
	want := make(map[string]bool, len(documentIDs))
	for _, id := range documentIDs {
		want[id] = true
	}
	newest := map[string]domain.JobState{}
	for _, st := range r.s.jobs {
		if st.WorkspaceID != workspaceID || !want[st.InputDocumentID] {
			continue
		}
		if cur, ok := newest[st.InputDocumentID]; !ok || newestFirst(st.CreatedAt, cur.CreatedAt, st.ID, cur.ID) < 0 {
			newest[st.InputDocumentID] = st
		}
	}
	out := make(map[string]*domain.Job, len(newest))
	for id, st := range newest {
		out[id] = domain.RehydrateJob(st)
	}
	return out, nil
}

// Update changes a job through fn. The store's lock makes the read and the
// write one step, so the status guard holds by construction.
func (r *JobRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Job) error) (*domain.Job, error) {
	t, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.jobs[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("job", id)
	}
	j := domain.RehydrateJob(st)
	if err := fn(j); err != nil {
		return nil, err
	}
	r.s.jobs.put(t, id, j.State())
	return domain.RehydrateJob(j.State()), nil
}

// Apply stores a job's change with its events and tables, while the
// stored job still has the status and attempts the change was made from.
func (r *JobRepository) Apply(ctx context.Context, c ports.JobChange) error {
	return r.s.WithinTx(ctx, func(ctx context.Context) error {
		t, end := r.s.begin(ctx)
		defer end()
		st := c.Job.State()
		cur, ok := r.s.jobs[st.ID]
		switch {
		case c.From == "" && ok:
			return conflict("job %q exists", st.ID)
		case c.From == "":
		case !ok || cur.WorkspaceID != st.WorkspaceID:
			return notFound("job", st.ID)
		case cur.Status != c.From || cur.Attempts != c.Attempts:
			return conflict("job %q moved on", st.ID)
		}
		queue := r.s.queue.Load()
		if len(c.Tasks) > 0 && queue == nil {
			return errNoQueue
		}
		if c.NoWebhooks {
			for _, w := range r.s.webhooks {
				if w.WorkspaceID == st.WorkspaceID && w.DeletedAt == nil {
					return ports.ErrWebhooksExist
				}
			}
		}
		r.s.jobs.put(t, st.ID, st)
		if err := (&EventRepository{r.s}).Append(ctx, c.Events...); err != nil {
			return err
		}
		if len(c.Tables) > 0 {
			if err := (&TableRepository{r.s}).CreateMany(ctx, c.Tables); err != nil {
				return err
			}
		}
		if len(c.Tasks) > 0 {
			// Queued when the transaction commits, never when it rolls back.
			if err := queue.Enqueue(ctx, c.Tasks...); err != nil {
				return err
			}
		}
		if c.Inputs != nil {
			*c.Inputs = r.inputs(st.WorkspaceID, st.InputDocumentID, st.ConfigurationID, "")
		}
		return nil
	})
}

// errNoQueue refuses a job change carrying tasks on a store with no
// queue attached.
var errNoQueue = errors.New("apply job change: the change carries tasks and the store has no queue")

// GetRun returns a job with its configuration and input document.
func (r *JobRepository) GetRun(ctx context.Context, workspaceID, id string) (ports.JobRun, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.jobs[id]
	if !ok || st.WorkspaceID != workspaceID {
		return ports.JobRun{}, notFound("job", id)
	}
	return ports.JobRun{Job: domain.RehydrateJob(st), JobInputs: r.inputs(workspaceID, st.InputDocumentID, st.ConfigurationID, "")}, nil
}

// Inputs returns a document and a configuration (by id, or the active
// one of a document type).
func (r *JobRepository) Inputs(ctx context.Context, workspaceID, documentID, configurationID, documentType string) (ports.JobInputs, error) {
	_, end := r.s.begin(ctx)
	defer end()
	return r.inputs(workspaceID, documentID, configurationID, documentType), nil
}

func (r *JobRepository) inputs(workspaceID, documentID, configurationID, documentType string) ports.JobInputs {
	var in ports.JobInputs
	if d, ok := r.s.documents[documentID]; ok && d.WorkspaceID == workspaceID {
		in.Document = domain.RehydrateDocument(d)
	}
	for _, c := range r.s.configurations {
		if c.WorkspaceID == workspaceID && ((configurationID != "" && c.ID == configurationID) ||
			(configurationID == "" && documentType != "" && c.DocumentType == documentType && c.IsActive)) {
			in.Configuration = domain.RehydrateConfiguration(c)
			break
		}
	}
	return in
}

// TableRepository stores extracted tables in a Store.
type TableRepository struct{ s *Store }

// CreateMany stores all tables or none.
func (r *TableRepository) CreateMany(ctx context.Context, tables []*domain.Table) error {
	t, end := r.s.begin(ctx)
	defer end()
	seen := map[string]bool{}
	for _, tb := range tables {
		id := tb.ID()
		if _, ok := r.s.tables[id]; ok || seen[id] {
			return conflict("table %q exists", id)
		}
		seen[id] = true
	}
	for _, tb := range tables {
		r.s.tables.put(t, tb.ID(), tb.State())
	}
	return nil
}

// ListByJob returns a page of a job's tables by sequence index.
func (r *TableRepository) ListByJob(ctx context.Context, workspaceID, jobID string, p ports.Page) ([]*domain.Table, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(st domain.TableState) bool { return st.WorkspaceID == workspaceID && st.JobID == jobID }
	return query(r.s.tables, keep, p, func(a, b domain.TableState) int {
		return cmp.Or(cmp.Compare(a.SequenceIndex, b.SequenceIndex), strings.Compare(a.ID, b.ID))
	}, domain.RehydrateTable), nil
}

// EventRepository appends and lists events in a Store.
type EventRepository struct{ s *Store }

// Append stores events, in the caller's transaction when there is one.
func (r *EventRepository) Append(ctx context.Context, events ...*domain.Event) error {
	t, end := r.s.begin(ctx)
	defer end()
	seen := map[string]bool{}
	for _, e := range events {
		if _, ok := r.s.events[e.ID()]; ok || seen[e.ID()] {
			return conflict("event %q exists", e.ID())
		}
		seen[e.ID()] = true
	}
	for _, e := range events {
		st := e.State()
		r.s.events.put(t, st.ID, st)
		r.s.onCommit(t, func() { r.s.hub.Publish(st.WorkspaceID, st.EntityID) })
	}
	return nil
}

// List returns the workspace's events matching f, newest first unless
// f.Ascending.
func (r *EventRepository) List(ctx context.Context, workspaceID string, f ports.EventFilter, p ports.Page) ([]*domain.Event, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(st domain.EventState) bool {
		return st.WorkspaceID == workspaceID && (f.EntityType == "" || st.EntityType == f.EntityType) &&
			(f.EntityID == "" || st.EntityID == f.EntityID) && (f.EventType == "" || st.EventType == f.EventType) &&
			(f.AfterID == "" || st.ID > f.AfterID) && (f.ID == "" || st.ID == f.ID)
	}
	return query(r.s.events, keep, p, func(a, b domain.EventState) int {
		c := newestFirst(a.OccurredAt, b.OccurredAt, a.ID, b.ID)
		if f.Ascending {
			return -c
		}
		return c
	}, domain.RehydrateEvent), nil
}
