package bunstore

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var (
	_ ports.BlobIntentRepository = (*BlobIntentRepository)(nil)
	_ ports.InstanceRepository   = (*InstanceRepository)(nil)
)

// BlobIntentRepository keeps blob intents in the blob_intents table.
type BlobIntentRepository struct{ db *DB }

type blobIntentRow struct {
	bun.BaseModel `bun:"table:blob_intents,alias:bi"`

	Key         string `bun:"blob_key,pk"`
	WorkspaceID string `bun:"workspace_id"`
	Owner       string `bun:"owner"`
	CreatedAt   dbTime `bun:"created_at"`
}

// Add records an intent; a key that has one fails with domain.ErrConflict.
func (r *BlobIntentRepository) Add(ctx context.Context, in ports.BlobIntent) error {
	row := &blobIntentRow{Key: in.Key, WorkspaceID: in.WorkspaceID, Owner: in.Owner, CreatedAt: newDBTime(in.CreatedAt)}
	_, err := r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("add blob intent", err)
}

// Resolve deletes the intent of key; none fails with domain.ErrNotFound.
// The DELETE itself decides between concurrent callers: one deletes the
// row, the other finds none.
func (r *BlobIntentRepository) Resolve(ctx context.Context, key string) error {
	res, err := r.db.conn(ctx).NewDelete().Model((*blobIntentRow)(nil)).Where("blob_key = ?", key).Exec(ctx)
	if err != nil {
		return translate("resolve blob intent", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return translate("resolve blob intent", err)
		}
		return fmt.Errorf("resolve blob intent %q: %w", key, domain.ErrNotFound)
	}
	return nil
}

// Abandoned returns the intents whose owner holds no lease past now, or
// recorded before staleBefore, oldest first.
func (r *BlobIntentRepository) Abandoned(ctx context.Context, now, staleBefore time.Time, limit int) ([]ports.BlobIntent, error) {
	var rows []blobIntentRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).
		Where("NOT EXISTS (SELECT 1 FROM instances AS i WHERE i.id = bi.owner AND i.expires_at > ?)", newDBTime(now)).
		WhereOr("bi.created_at < ?", newDBTime(staleBefore)).
		OrderExpr("bi.created_at ASC, bi.blob_key ASC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate("list abandoned blob intents", err)
	}
	out := make([]ports.BlobIntent, len(rows))
	for i, row := range rows {
		out[i] = ports.BlobIntent{Key: row.Key, WorkspaceID: row.WorkspaceID, Owner: row.Owner, CreatedAt: row.CreatedAt.Time}
	}
	return out, nil
}

// InstanceRepository keeps process leases in the instances table.
type InstanceRepository struct{ db *DB }

type instanceRow struct {
	bun.BaseModel `bun:"table:instances"`

	ID        string `bun:"id,pk"`
	ExpiresAt dbTime `bun:"expires_at"`
}

// Renew records or extends the lease of instance id.
func (r *InstanceRepository) Renew(ctx context.Context, id string, expiresAt time.Time) error {
	row := &instanceRow{ID: id, ExpiresAt: newDBTime(expiresAt)}
	_, err := r.db.conn(ctx).NewInsert().Model(row).On("CONFLICT (id) DO UPDATE").Set("expires_at = EXCLUDED.expires_at").Exec(ctx)
	return translate("renew instance lease", err)
}

// Release deletes the lease of instance id.
func (r *InstanceRepository) Release(ctx context.Context, id string) error {
	_, err := r.db.conn(ctx).NewDelete().Model((*instanceRow)(nil)).Where("id = ?", id).Exec(ctx)
	return translate("release instance lease", err)
}
