package ports

import (
	"context"
	"errors"
	"time"

	"github.com/ade-go/ade/domain"
)

// Page selects a slice of a list: Limit items after skipping Offset; a
// Limit of 0 or less means no limit. Lists are ordered newest first (by
// creation time, then id, descending).
type Page struct {
	Limit  int
	Offset int
}

// Transactor is the transaction boundary. Repositories and the event sink
// called with the context passed to fn MUST take part in the transaction.
type Transactor interface {
	// WithinTx runs fn in a transaction. It MUST commit when fn returns nil
	// and roll back every change made through the transaction's context
	// when fn returns an error or panics (re-panicking after rollback).
	// A nested call MUST join the outer transaction.
	WithinTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// WorkspaceRepository stores workspaces.
type WorkspaceRepository interface {
	// Create MUST fail with domain.ErrConflict when the id or slug exists.
	Create(ctx context.Context, w *domain.Workspace) error
	// Get MUST find a workspace by id or by slug, and fail with
	// domain.ErrNotFound when neither matches.
	Get(ctx context.Context, idOrSlug string) (*domain.Workspace, error)
	// List MUST return workspaces newest first.
	List(ctx context.Context, p Page) ([]*domain.Workspace, error)
}

// DocumentFilter narrows a document list.
type DocumentFilter struct {
	// IncludeDeleted also lists deleted documents.
	IncludeDeleted bool
	// ProducedByJobID keeps only the documents a job produced.
	ProducedByJobID string
	// ExpiresBefore, when set, keeps only documents whose expiry is
	// strictly before it (the purge sweep).
	ExpiresBefore time.Time
	// NameContains, when set, keeps only documents whose filename contains
	// it, ignoring the case of the ASCII letters A-Z (other characters,
	// accented letters included, match exactly, so every store answers
	// alike). '%', '_' and '\\' are plain characters, never wildcards.
	NameContains string
	// Origin, when set, keeps only uploaded documents (OriginUpload) or
	// only the outputs of jobs (OriginOutput).
	Origin DocumentOrigin
}

// DocumentOrigin says where documents came from, for DocumentFilter.
type DocumentOrigin string

// Document origins.
const (
	// OriginUpload: documents uploaded by a client.
	OriginUpload DocumentOrigin = "upload"
	// OriginOutput: documents a job produced.
	OriginOutput DocumentOrigin = "output"
)

// FoldASCII lowers the ASCII letters A-Z of s and leaves every other
// character as it is: the case folding of DocumentFilter.NameContains.
func FoldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// DocumentRepository stores documents.
type DocumentRepository interface {
	// Create MUST fail with domain.ErrConflict when the id exists.
	Create(ctx context.Context, d *domain.Document) error
	// Get MUST return deleted documents too, and fail with
	// domain.ErrNotFound when the id does not exist in the workspace.
	Get(ctx context.Context, workspaceID, id string) (*domain.Document, error)
	// List MUST return the workspace's documents matching f, newest first.
	List(ctx context.Context, workspaceID string, f DocumentFilter, p Page) ([]*domain.Document, error)
	// ListIDs MUST return the ids List returns for the same filter and
	// page, in the same order, reading no other column: a row whose other
	// columns cannot be read is listed too, so a sweep can handle each row
	// on its own and step over one it cannot read.
	ListIDs(ctx context.Context, workspaceID string, f DocumentFilter, p Page) ([]string, error)
	// Update MUST load the document under a row lock (or the store's
	// equivalent), call fn, and store the result only when fn returns nil;
	// fn's error MUST be returned unchanged (wrapped at most).
	Update(ctx context.Context, workspaceID, id string, fn func(*domain.Document) error) (*domain.Document, error)
}

// ConfigurationFilter narrows a configuration list.
type ConfigurationFilter struct {
	DocumentType string
	IsActive     *bool
}

// ConfigurationRepository stores configurations.
type ConfigurationRepository interface {
	// Create MUST fail with domain.ErrConflict when the id or the
	// (workspace, document type, version) exists, or when the
	// configuration is active and another active one of its type exists.
	Create(ctx context.Context, c *domain.Configuration) error
	// Get MUST fail with domain.ErrNotFound when the id does not exist in
	// the workspace.
	Get(ctx context.Context, workspaceID, id string) (*domain.Configuration, error)
	// GetActive MUST return the active configuration of a document type and
	// fail with domain.ErrNotFound when there is none.
	GetActive(ctx context.Context, workspaceID, documentType string) (*domain.Configuration, error)
	// MaxVersion MUST return the highest version of a document type, or 0.
	MaxVersion(ctx context.Context, workspaceID, documentType string) (int, error)
	// LockDocumentType MUST be called in a transaction (it fails
	// otherwise) and MUST make every other transaction that locks the same
	// (workspace, document type) wait until this one ends; reads made after
	// it MUST see what the transactions it waited for committed. Version
	// allocation and activation take it, so concurrent ones serialise
	// instead of colliding.
	LockDocumentType(ctx context.Context, workspaceID, documentType string) error
	// List MUST return the workspace's configurations matching f, newest
	// first.
	List(ctx context.Context, workspaceID string, f ConfigurationFilter, p Page) ([]*domain.Configuration, error)
	// Update follows the DocumentRepository.Update contract, and MUST fail
	// with domain.ErrConflict when the result would leave two active
	// configurations of one type.
	Update(ctx context.Context, workspaceID, id string, fn func(*domain.Configuration) error) (*domain.Configuration, error)
}

// JobFilter narrows a job list.
type JobFilter struct {
	Status          domain.JobStatus
	DocumentID      string
	ConfigurationID string
}

// JobRepository stores jobs.
type JobRepository interface {
	// Create MUST fail with domain.ErrConflict when the id exists.
	Create(ctx context.Context, j *domain.Job) error
	// Get MUST fail with domain.ErrNotFound when the id does not exist in
	// the workspace.
	Get(ctx context.Context, workspaceID, id string) (*domain.Job, error)
	// List MUST return the workspace's jobs matching f, newest first.
	List(ctx context.Context, workspaceID string, f JobFilter, p Page) ([]*domain.Job, error)
	// LatestByDocument MUST return, for each of the workspace's documents
	// in documentIDs that some job read, the newest such job (by creation
	// time, then id), keyed by document id; documents without a job are
	// absent. It answers in one round trip to the store.
	LatestByDocument(ctx context.Context, workspaceID string, documentIDs []string) (map[string]*domain.Job, error)
	// ListIDs follows the DocumentRepository.ListIDs contract.
	ListIDs(ctx context.Context, workspaceID string, f JobFilter, p Page) ([]string, error)
	// Update follows the DocumentRepository.Update contract. Concurrent
	// Updates of one job MUST NOT lose a change. When fn changed the
	// status, the write MUST be guarded by the status read (an update
	// that finds the stored status changed meanwhile stores nothing and
	// fails with domain.ErrConflict).
	Update(ctx context.Context, workspaceID, id string, fn func(*domain.Job) error) (*domain.Job, error)
	// Apply MUST store c.Job, c.Events and c.Tables, and enqueue c.Tasks,
	// all together or none of them, and only while the stored job still has status c.From and
	// c.Attempts attempts (the state c.Job was derived from); when it has
	// not, Apply MUST store nothing and fail with domain.ErrConflict. An
	// empty c.From creates the job instead, failing with
	// domain.ErrConflict when its id exists. It MUST take part in the
	// transaction ctx carries, and announce the events on the feed as
	// EventSink.Append does. It is a job's submission and each status
	// change a worker makes: one round trip to the store where the store
	// allows, also when c.Inputs asks for the job's inputs (which Apply
	// MUST then fill only when it stored the change).
	Apply(ctx context.Context, c JobChange) error
	// GetRun MUST return the job as Get does, with its configuration and
	// input document (deleted or not) when they exist in the workspace,
	// nil when they do not. It is the worker's read before an attempt:
	// one round trip to the store where the store allows.
	GetRun(ctx context.Context, workspaceID, id string) (JobRun, error)
	// Inputs MUST return the workspace's document documentID (deleted or
	// not) and its configuration configurationID or, when that is empty,
	// the active configuration of documentType; either is nil when it
	// does not exist. It is a submission's read: one round trip to the
	// store where the store allows.
	Inputs(ctx context.Context, workspaceID, documentID, configurationID, documentType string) (JobInputs, error)
}

// JobInputs are the configuration and the input document a job runs on;
// either is nil when it does not exist.
type JobInputs struct {
	Configuration *domain.Configuration
	Document      *domain.Document
}

// JobRun is a job with its inputs.
type JobRun struct {
	Job *domain.Job
	JobInputs
}

// JobChange is a job's move stored in one step with what records it.
type JobChange struct {
	// Job is the job as it is to be stored.
	Job *domain.Job
	// From and Attempts are the stored status and attempt count Job was
	// derived from: the change applies only while they still hold. An
	// empty From makes Job a new job.
	From     domain.JobStatus
	Attempts int
	// Events are recorded with the change (its status event).
	Events []*domain.Event
	// Tables are the results stored with a move to succeeded.
	Tables []*domain.Table
	// Tasks are enqueued with the change, atomically, on the Queue that
	// shares the store: they exist if and only if the change is stored
	// (a submission is one write: the job, its event and its task). A
	// store with no queue attached MUST refuse a change carrying tasks.
	Tasks []Task
	// Inputs, when set, receives the job's configuration and input
	// document as Inputs reads them, once the change is stored: a worker
	// starting a job gets what it runs on with the start itself.
	Inputs *JobInputs
	// NoWebhooks makes the change apply only while the job's workspace
	// has no live webhook: otherwise Apply stores nothing and fails with
	// ErrWebhooksExist (the caller then enqueues the deliveries with the
	// change). A terminal change of a workspace without webhooks so
	// needs no read of them first.
	NoWebhooks bool
}

// ErrWebhooksExist is Apply's answer to a JobChange with NoWebhooks set
// whose workspace has a live webhook.
var ErrWebhooksExist = errors.New("the workspace has webhooks")

// TableRepository stores the tables jobs found.
type TableRepository interface {
	// CreateMany MUST store all tables or none; a duplicate id MUST fail
	// with domain.ErrConflict.
	CreateMany(ctx context.Context, tables []*domain.Table) error
	// ListByJob MUST return a page of a job's tables ordered by sequence
	// index (a zero Limit means all of them from Offset).
	ListByJob(ctx context.Context, workspaceID, jobID string, p Page) ([]*domain.Table, error)
}

// EventFilter narrows an event list.
type EventFilter struct {
	// ID keeps only the event with this id.
	ID         string
	EntityType string
	EntityID   string
	EventType  string
	// AfterID keeps only events with an id greater than this one (ids are
	// ULIDs, so this means "recorded later"); used to resume streams.
	AfterID string
	// Ascending lists oldest first (timelines, streams) instead of newest
	// first.
	Ascending bool
}

// EventSink records events.
type EventSink interface {
	// Append MUST write the events in the transaction carried by ctx when
	// there is one, so that a rolled-back change leaves no event; a
	// duplicate id MUST fail with domain.ErrConflict.
	Append(ctx context.Context, events ...*domain.Event) error
}

// EventRepository reads events back.
type EventRepository interface {
	// List MUST return the workspace's events matching f, newest first
	// unless f.Ascending, ordered by (occurred_at, id).
	List(ctx context.Context, workspaceID string, f EventFilter, p Page) ([]*domain.Event, error)
}

// APIKeyFilter narrows a key list.
type APIKeyFilter struct {
	// WorkspaceID keeps only the keys of one workspace; empty keeps every
	// key, global admin keys included.
	WorkspaceID string
	// GlobalOnly keeps only global admin keys (keys without a workspace).
	GlobalOnly bool
}

// APIKeyRepository stores API keys. It never sees a key's text, only its
// hash.
type APIKeyRepository interface {
	// Create MUST fail with domain.ErrConflict when the id or the hash
	// exists, and with domain.ErrUnprocessable or domain.ErrNotFound when
	// the key's workspace does not exist.
	Create(ctx context.Context, k *domain.APIKey) error
	// Get MUST find a key by id (revoked or not) and fail with
	// domain.ErrNotFound when there is none.
	Get(ctx context.Context, id string) (*domain.APIKey, error)
	// GetByHash MUST find the key whose hash is hash (revoked or not) and
	// fail with domain.ErrNotFound when there is none.
	GetByHash(ctx context.Context, hash string) (*domain.APIKey, error)
	// List MUST return the keys matching f, newest first.
	List(ctx context.Context, f APIKeyFilter, p Page) ([]*domain.APIKey, error)
	// Update follows the DocumentRepository.Update contract (without a
	// workspace: ids are unique across workspaces).
	Update(ctx context.Context, id string, fn func(*domain.APIKey) error) (*domain.APIKey, error)
	// TouchLastUsed MUST record, for every key id in used, its time as the
	// key's last use unless the stored one is later (it never moves back);
	// unknown ids MUST be ignored. It MUST NOT change anything else.
	TouchLastUsed(ctx context.Context, used map[string]time.Time) error
}

// Repositories bundles one storage backend's repositories, transaction
// boundary and event sink: every member MUST share the backend, so that
// they all take part in the transactions Tx starts.
type Repositories struct {
	Tx             Transactor
	Workspaces     WorkspaceRepository
	Documents      DocumentRepository
	Configurations ConfigurationRepository
	Jobs           JobRepository
	Tables         TableRepository
	EventSink      EventSink
	Events         EventRepository
	APIKeys        APIKeyRepository
	BlobIntents    BlobIntentRepository
	Instances      InstanceRepository
	// Feed wakes readers of the events this backend commits.
	Feed        EventFeed
	Idempotency IdempotencyRepository
	Webhooks    WebhookRepository
	Deliveries  WebhookDeliveryRepository
}
