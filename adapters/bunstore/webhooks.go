package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var (
	_ ports.IdempotencyRepository     = (*IdempotencyRepository)(nil)
	_ ports.WebhookRepository         = (*WebhookRepository)(nil)
	_ ports.WebhookDeliveryRepository = (*DeliveryRepository)(nil)
)

// IdempotencyRepository keeps idempotency keys in the idempotency_keys
// table.
type IdempotencyRepository struct {
	db *DB
}

type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	WorkspaceID string `bun:"workspace_id,pk"`
	Key         string `bun:"key,pk"`
	RequestHash string `bun:"request_hash"`
	ResourceID  string `bun:"resource_id"`
	StatusCode  int    `bun:"status_code"`
	CreatedAt   dbTime `bun:"created_at"`
}

func (r *idempotencyRow) record() *domain.IdempotencyRecord {
	return &domain.IdempotencyRecord{WorkspaceID: r.WorkspaceID, Key: r.Key, RequestHash: r.RequestHash,
		ResourceID: r.ResourceID, StatusCode: r.StatusCode, CreatedAt: r.CreatedAt.Time}
}

// Claim inserts rec, or replaces a record of its key older than
// notBefore, in one statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE
// expired). When no row was written a live record holds the key, and it
// is returned. On PostgreSQL a concurrent claim of the same key waits for
// the first transaction to end, then finds its row.
func (r *IdempotencyRepository) Claim(ctx context.Context, rec domain.IdempotencyRecord, notBefore time.Time) (*domain.IdempotencyRecord, error) {
	row := &idempotencyRow{WorkspaceID: rec.WorkspaceID, Key: rec.Key, RequestHash: rec.RequestHash,
		ResourceID: rec.ResourceID, StatusCode: rec.StatusCode, CreatedAt: newDBTime(rec.CreatedAt)}
	res, err := r.db.conn(ctx).NewInsert().Model(row).
		On(`CONFLICT (workspace_id, "key") DO UPDATE`).
		Set("request_hash = EXCLUDED.request_hash, resource_id = EXCLUDED.resource_id, status_code = EXCLUDED.status_code, created_at = EXCLUDED.created_at").
		Where("?TableAlias.created_at < ?", newDBTime(notBefore)).
		Exec(ctx)
	if err != nil {
		return nil, translate("claim idempotency key", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, translate("claim idempotency key", err)
	} else if n > 0 {
		return nil, nil
	}
	first, err := r.Get(ctx, rec.WorkspaceID, rec.Key, notBefore)
	if err != nil {
		return nil, errorf("claim idempotency key", err)
	}
	return first, nil
}

// Get returns the live record of a key.
func (r *IdempotencyRepository) Get(ctx context.Context, workspaceID, key string, notBefore time.Time) (*domain.IdempotencyRecord, error) {
	row := new(idempotencyRow)
	err := r.db.conn(ctx).NewSelect().Model(row).
		Where(`workspace_id = ? AND "key" = ? AND created_at >= ?`, workspaceID, key, newDBTime(notBefore)).Scan(ctx)
	if err != nil {
		return nil, translate("get idempotency key", err)
	}
	return row.record(), nil
}

// DeleteBefore deletes the records created before t.
func (r *IdempotencyRepository) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := r.db.conn(ctx).NewDelete().Model((*idempotencyRow)(nil)).Where("created_at < ?", newDBTime(t)).Exec(ctx)
	return affected("delete idempotency keys", res, err)
}

func affected(op string, res interface{ RowsAffected() (int64, error) }, err error) (int, error) {
	if err != nil {
		return 0, translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// WebhookRepository stores webhooks in the webhooks table.
type WebhookRepository struct {
	db *DB
}

type webhookRow struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID          string  `bun:"id,pk"`
	WorkspaceID string  `bun:"workspace_id"`
	URL         string  `bun:"url"`
	Events      string  `bun:"events"`
	Secret      string  `bun:"secret"`
	CreatedBy   string  `bun:"created_by"`
	CreatedAt   dbTime  `bun:"created_at"`
	UpdatedAt   dbTime  `bun:"updated_at"`
	DeletedAt   *dbTime `bun:"deleted_at"`
}

func newWebhookRow(w *domain.Webhook) (*webhookRow, error) {
	s := w.State()
	events, err := toJSON(s.Events)
	if err != nil {
		return nil, err
	}
	return &webhookRow{ID: s.ID, WorkspaceID: s.WorkspaceID, URL: s.URL, Events: events, Secret: s.Secret,
		CreatedBy: s.CreatedBy, CreatedAt: newDBTime(s.CreatedAt), UpdatedAt: newDBTime(s.UpdatedAt),
		DeletedAt: newDBTimePtr(s.DeletedAt)}, nil
}

func (r *webhookRow) domain() (*domain.Webhook, error) {
	s := domain.WebhookState{ID: r.ID, WorkspaceID: r.WorkspaceID, URL: r.URL, Secret: r.Secret,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time, DeletedAt: r.DeletedAt.ptr()}
	if err := jsonSlice(r.Events, &s.Events); err != nil {
		return nil, err
	}
	return domain.RehydrateWebhook(s), nil
}

// Create stores a new webhook; a taken id fails with domain.ErrConflict.
func (r *WebhookRepository) Create(ctx context.Context, w *domain.Webhook) error {
	row, err := newWebhookRow(w)
	if err != nil {
		return errorf("create webhook", err)
	}
	_, err = r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("create webhook", err)
}

// Get returns a webhook of the workspace, deleted or not.
func (r *WebhookRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Webhook, error) {
	return r.get(ctx, r.db.conn(ctx).NewSelect(), workspaceID, id, "get webhook")
}

func (r *WebhookRepository) get(ctx context.Context, q *bun.SelectQuery, workspaceID, id, op string) (*domain.Webhook, error) {
	row := new(webhookRow)
	if err := q.Model(row).Where(byID, workspaceID, id).Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	w, err := row.domain()
	return w, errorf(op, err)
}

// List returns the workspace's live webhooks, newest first.
func (r *WebhookRepository) List(ctx context.Context, workspaceID string, p ports.Page) ([]*domain.Webhook, error) {
	var rows []webhookRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("workspace_id = ? AND deleted_at IS NULL", workspaceID).
		OrderExpr("created_at DESC, id DESC")
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list webhooks", err)
	}
	out := make([]*domain.Webhook, len(rows))
	for i := range rows {
		w, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list webhooks", err)
		}
		out[i] = w
	}
	return out, nil
}

// Update loads the webhook under a row lock, applies fn and stores the
// result when fn returns nil.
func (r *WebhookRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Webhook) error) (*domain.Webhook, error) {
	var out *domain.Webhook
	err := r.db.withinTx(ctx, func(ctx context.Context) error {
		w, err := r.get(ctx, r.db.lockForUpdate(r.db.conn(ctx).NewSelect()), workspaceID, id, "update webhook")
		if err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return errorf("update webhook", err)
		}
		row, err := newWebhookRow(w)
		if err != nil {
			return errorf("update webhook", err)
		}
		row.ID, row.WorkspaceID = id, workspaceID
		res, err := r.db.conn(ctx).NewUpdate().Model(row).ExcludeColumn("id", "workspace_id", "created_at", "secret").
			Where(byID, workspaceID, id).Exec(ctx)
		if err := checkUpdated("update webhook", res, err); err != nil {
			return err
		}
		out = w
		return nil
	})
	return out, err
}

// DeliveryRepository keeps the webhook delivery log in the
// webhook_deliveries table.
type DeliveryRepository struct {
	db *DB
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	ID          string `bun:"id,pk"`
	WorkspaceID string `bun:"workspace_id"`
	WebhookID   string `bun:"webhook_id"`
	EventID     string `bun:"event_id"`
	EventType   string `bun:"event_type"`
	Attempt     int    `bun:"attempt"`
	StatusCode  int    `bun:"status_code"`
	Error       string `bun:"error"`
	DeliveredAt dbTime `bun:"delivered_at"`
}

// Record stores one delivery attempt.
func (r *DeliveryRepository) Record(ctx context.Context, d domain.WebhookDelivery) error {
	row := &deliveryRow{ID: d.ID, WorkspaceID: d.WorkspaceID, WebhookID: d.WebhookID, EventID: d.EventID,
		EventType: d.EventType, Attempt: d.Attempt, StatusCode: d.StatusCode, Error: d.Error,
		DeliveredAt: newDBTime(d.DeliveredAt)}
	_, err := r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("record webhook delivery", err)
}

// List returns a webhook's deliveries, newest first.
func (r *DeliveryRepository) List(ctx context.Context, workspaceID, webhookID string, p ports.Page) ([]domain.WebhookDelivery, error) {
	var rows []deliveryRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("workspace_id = ? AND webhook_id = ?", workspaceID, webhookID).
		OrderExpr("delivered_at DESC, id DESC")
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list webhook deliveries", err)
	}
	out := make([]domain.WebhookDelivery, len(rows))
	for i, row := range rows {
		out[i] = domain.WebhookDelivery{ID: row.ID, WorkspaceID: row.WorkspaceID, WebhookID: row.WebhookID,
			EventID: row.EventID, EventType: row.EventType, Attempt: row.Attempt, StatusCode: row.StatusCode,
			Error: row.Error, DeliveredAt: row.DeliveredAt.Time}
	}
	return out, nil
}

// DeleteBefore deletes deliveries made before t.
func (r *DeliveryRepository) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := r.db.conn(ctx).NewDelete().Model((*deliveryRow)(nil)).Where("delivered_at < ?", newDBTime(t)).Exec(ctx)
	return affected("delete webhook deliveries", res, err)
}
