package memory

import (
	"cmp"
	"context"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var (
	_ ports.IdempotencyRepository     = (*IdempotencyRepository)(nil)
	_ ports.WebhookRepository         = (*WebhookRepository)(nil)
	_ ports.WebhookDeliveryRepository = (*DeliveryRepository)(nil)
)

// IdempotencyRepository keeps idempotency keys in a Store.
type IdempotencyRepository struct{ s *Store }

func idempotencyID(workspaceID, key string) string { return workspaceID + "\x00" + key }

// Claim stores rec unless a live record of its key exists, which it
// returns instead. The store's lock serialises concurrent claims.
func (r *IdempotencyRepository) Claim(ctx context.Context, rec domain.IdempotencyRecord, notBefore time.Time) (*domain.IdempotencyRecord, error) {
	t, end := r.s.begin(ctx)
	defer end()
	id := idempotencyID(rec.WorkspaceID, rec.Key)
	if old, ok := r.s.idempotency[id]; ok && !old.CreatedAt.Before(notBefore) {
		return &old, nil
	}
	r.s.idempotency.put(t, id, rec)
	return nil, nil
}

// Get returns the live record of a key.
func (r *IdempotencyRepository) Get(ctx context.Context, workspaceID, key string, notBefore time.Time) (*domain.IdempotencyRecord, error) {
	_, end := r.s.begin(ctx)
	defer end()
	rec, ok := r.s.idempotency[idempotencyID(workspaceID, key)]
	if !ok || rec.CreatedAt.Before(notBefore) {
		return nil, notFound("idempotency key", key)
	}
	return &rec, nil
}

// DeleteBefore deletes the records created before t.
func (r *IdempotencyRepository) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tx, end := r.s.begin(ctx)
	defer end()
	return r.s.idempotency.deleteWhere(tx, func(rec domain.IdempotencyRecord) bool { return rec.CreatedAt.Before(t) }), nil
}

// WebhookRepository stores webhooks in a Store.
type WebhookRepository struct{ s *Store }

// Create stores a new webhook.
func (r *WebhookRepository) Create(ctx context.Context, w *domain.Webhook) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := w.State()
	if _, ok := r.s.webhooks[st.ID]; ok {
		return conflict("webhook %q exists", st.ID)
	}
	if _, ok := r.s.workspaces[st.WorkspaceID]; !ok {
		return notFound("workspace", st.WorkspaceID)
	}
	r.s.webhooks.put(t, st.ID, st)
	return nil
}

// Get returns a webhook of the workspace, deleted or not.
func (r *WebhookRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Webhook, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.webhooks[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("webhook", id)
	}
	return domain.RehydrateWebhook(st), nil
}

// List returns the workspace's live webhooks, newest first.
func (r *WebhookRepository) List(ctx context.Context, workspaceID string, p ports.Page) ([]*domain.Webhook, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(st domain.WebhookState) bool { return st.WorkspaceID == workspaceID && st.DeletedAt == nil }
	return query(r.s.webhooks, keep, p,
		func(a, b domain.WebhookState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) },
		domain.RehydrateWebhook), nil
}

// Update changes a webhook through fn, storing the result when fn
// succeeds.
func (r *WebhookRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Webhook) error) (*domain.Webhook, error) {
	t, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.webhooks[id]
	if !ok || st.WorkspaceID != workspaceID {
		return nil, notFound("webhook", id)
	}
	w := domain.RehydrateWebhook(st)
	if err := fn(w); err != nil {
		return nil, err
	}
	r.s.webhooks.put(t, id, w.State())
	return domain.RehydrateWebhook(w.State()), nil
}

// DeliveryRepository keeps the webhook delivery log in a Store.
type DeliveryRepository struct{ s *Store }

// Record stores one delivery attempt.
func (r *DeliveryRepository) Record(ctx context.Context, d domain.WebhookDelivery) error {
	t, end := r.s.begin(ctx)
	defer end()
	if _, ok := r.s.deliveries[d.ID]; ok {
		return conflict("delivery %q exists", d.ID)
	}
	r.s.deliveries.put(t, d.ID, d)
	return nil
}

// List returns a webhook's deliveries, newest first.
func (r *DeliveryRepository) List(ctx context.Context, workspaceID, webhookID string, p ports.Page) ([]domain.WebhookDelivery, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(d domain.WebhookDelivery) bool { return d.WorkspaceID == workspaceID && d.WebhookID == webhookID }
	return query(r.s.deliveries, keep, p, func(a, b domain.WebhookDelivery) int {
		return cmp.Or(b.DeliveredAt.Compare(a.DeliveredAt), cmp.Compare(b.ID, a.ID))
	}, func(d domain.WebhookDelivery) domain.WebhookDelivery { return d }), nil
}

// DeleteBefore deletes deliveries made before t.
func (r *DeliveryRepository) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tx, end := r.s.begin(ctx)
	defer end()
	return r.s.deliveries.deleteWhere(tx, func(d domain.WebhookDelivery) bool { return d.DeliveredAt.Before(t) }), nil
}
