// Package memory holds in-memory adapters for every repository, the
// transaction boundary and the event sink. They are safe for concurrent
// use, store copies (never pointers a caller can mutate) and roll back for
// real when a transaction function fails.
//
// A transaction holds the store's one lock from start to end, so
// transactions are serialisable; code inside WithinTx must use the context
// it was given (another goroutine using a context without the transaction
// waits until the transaction ends).
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ade-go/ade/adapters/eventhub"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Store is one in-memory database.
type Store struct {
	mu             sync.Mutex
	workspaces     collection[domain.WorkspaceState]
	documents      collection[domain.DocumentState]
	configurations collection[domain.ConfigurationState]
	jobs           collection[domain.JobState]
	tables         collection[domain.TableState]
	events         collection[domain.EventState]
	apiKeys        collection[domain.APIKeyState]
	intents        collection[ports.BlobIntent]
	instances      collection[time.Time]
	idempotency    collection[domain.IdempotencyRecord]
	webhooks       collection[domain.WebhookState]
	deliveries     collection[domain.WebhookDelivery]
	// hub signals event subscribers once the events commit.
	hub *eventhub.Hub
	// queue is the first queue NewQueue made for the store: job changes
	// enqueue their tasks on it.
	queue atomic.Pointer[Queue]
}

// attachQueue makes q the queue job changes enqueue their tasks on,
// unless the store has one already: a second queue (one that only
// enqueues, say) must not take the tasks away from the first one's
// workers.
func (s *Store) attachQueue(q *Queue) { s.queue.CompareAndSwap(nil, q) }

var (
	_ ports.Transactor              = (*Store)(nil)
	_ ports.WorkspaceRepository     = (*WorkspaceRepository)(nil)
	_ ports.DocumentRepository      = (*DocumentRepository)(nil)
	_ ports.ConfigurationRepository = (*ConfigurationRepository)(nil)
	_ ports.JobRepository           = (*JobRepository)(nil)
	_ ports.TableRepository         = (*TableRepository)(nil)
	_ ports.EventSink               = (*EventRepository)(nil)
	_ ports.EventRepository         = (*EventRepository)(nil)
	_ ports.EventFeed               = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		workspaces:     collection[domain.WorkspaceState]{},
		documents:      collection[domain.DocumentState]{},
		configurations: collection[domain.ConfigurationState]{},
		jobs:           collection[domain.JobState]{},
		tables:         collection[domain.TableState]{},
		events:         collection[domain.EventState]{},
		apiKeys:        collection[domain.APIKeyState]{},
		intents:        collection[ports.BlobIntent]{},
		instances:      collection[time.Time]{},
		idempotency:    collection[domain.IdempotencyRecord]{},
		webhooks:       collection[domain.WebhookState]{},
		deliveries:     collection[domain.WebhookDelivery]{},
		hub:            eventhub.New(),
	}
}

// Repositories returns the store's repositories as one bundle.
func (s *Store) Repositories() ports.Repositories {
	events := &EventRepository{s}
	return ports.Repositories{
		Tx:             s,
		Workspaces:     &WorkspaceRepository{s},
		Documents:      &DocumentRepository{s},
		Configurations: &ConfigurationRepository{s},
		Jobs:           &JobRepository{s},
		Tables:         &TableRepository{s},
		EventSink:      events,
		Events:         events,
		APIKeys:        &APIKeyRepository{s},
		BlobIntents:    &BlobIntentRepository{s},
		Instances:      &InstanceRepository{s},
		Feed:           s,
		Idempotency:    &IdempotencyRepository{s},
		Webhooks:       &WebhookRepository{s},
		Deliveries:     &DeliveryRepository{s},
	}
}

// Subscribe implements ports.EventFeed: the store signals subscribers
// when a transaction that appended events about their entity commits.
func (s *Store) Subscribe(workspaceID, entityID string) (<-chan struct{}, func()) {
	return s.hub.Subscribe(workspaceID, entityID)
}

// Ping always succeeds: the store lives in the process.
func (s *Store) Ping(context.Context) error { return nil }

type txKey struct{}

// tx is an open transaction: the undo steps of every write made in it,
// and what to do once it commits.
type tx struct {
	store *Store
	undo  []func()
	after []func()
}

// onCommit runs fn once t commits, or at once outside a transaction. fn
// must not block or use the store.
func (s *Store) onCommit(t *tx, fn func()) {
	if t == nil {
		fn()
		return
	}
	t.after = append(t.after, fn)
}

// WithinTx runs fn holding the store's lock; on error or panic every write
// made through fn's context is undone.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if t, ok := ctx.Value(txKey{}).(*tx); ok && t.store == s {
		return fn(ctx)
	}
	t := &tx{store: s}
	committed := false
	defer func() {
		// After the unlock below: the hooks run outside the transaction.
		if committed {
			for _, f := range t.after {
				f()
			}
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if !committed {
			for i := len(t.undo) - 1; i >= 0; i-- {
				t.undo[i]()
			}
		}
	}()
	if err = fn(context.WithValue(ctx, txKey{}, t)); err != nil {
		return err
	}
	committed = true
	return nil
}

// begin locks the store unless ctx carries one of its transactions, and
// returns the transaction to record undo steps in (nil outside one) and the
// function that ends the operation.
func (s *Store) begin(ctx context.Context) (*tx, func()) {
	if t, ok := ctx.Value(txKey{}).(*tx); ok && t.store == s {
		return t, func() {}
	}
	s.mu.Lock()
	return nil, s.mu.Unlock
}

// collection is one table: states by id.
type collection[T any] map[string]T

// put stores v at id, recording how to undo it in t.
func (c collection[T]) put(t *tx, id string, v T) {
	old, existed := c[id]
	c[id] = v
	if t != nil {
		t.undo = append(t.undo, func() {
			if existed {
				c[id] = old
			} else {
				delete(c, id)
			}
		})
	}
}

// remove deletes id, recording how to undo it in t.
func (c collection[T]) remove(t *tx, id string) {
	old, existed := c[id]
	if !existed {
		return
	}
	delete(c, id)
	if t != nil {
		t.undo = append(t.undo, func() { c[id] = old })
	}
}

// deleteWhere removes the states gone accepts, recording undo steps in t,
// and returns how many it removed.
func (c collection[T]) deleteWhere(t *tx, gone func(T) bool) int {
	n := 0
	for id, v := range c {
		if !gone(v) {
			continue
		}
		delete(c, id)
		n++
		if t != nil {
			t.undo = append(t.undo, func() { c[id] = v })
		}
	}
	return n
}

// query selects the states keep accepts, orders them with compare, cuts
// the page and rehydrates it.
func query[T, A any](c collection[T], keep func(T) bool, p ports.Page, compare func(a, b T) int, rehydrate func(T) A) []A {
	var items []T
	for _, st := range c {
		if keep(st) {
			items = append(items, st)
		}
	}
	slices.SortStableFunc(items, compare)
	if p.Offset >= len(items) {
		return nil
	}
	items = items[p.Offset:]
	if p.Limit > 0 && p.Limit < len(items) {
		items = items[:p.Limit]
	}
	out := make([]A, len(items))
	for i, st := range items {
		out[i] = rehydrate(st)
	}
	return out
}

// newestFirst orders by creation time, then id, descending.
func newestFirst(at1, at2 time.Time, id1, id2 string) int {
	if c := at2.Compare(at1); c != 0 {
		return c
	}
	return cmp.Compare(id2, id1)
}

func notFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, domain.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, domain.ErrConflict)...)
}
