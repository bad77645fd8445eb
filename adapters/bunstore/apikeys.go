package bunstore

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.APIKeyRepository = (*APIKeyRepository)(nil)

// APIKeyRepository stores API keys in the api_keys table: the SHA-256 of
// each key's text, never the text or a piece of it.
type APIKeyRepository struct {
	db *DB
}

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID          string  `bun:"id,pk"`
	WorkspaceID string  `bun:"workspace_id,nullzero"`
	Role        string  `bun:"role"`
	Label       string  `bun:"label"`
	KeyHash     string  `bun:"key_hash"`
	CreatedAt   dbTime  `bun:"created_at"`
	RevokedAt   *dbTime `bun:"revoked_at"`
	LastUsedAt  *dbTime `bun:"last_used_at"`
}

func newAPIKeyRow(k *domain.APIKey) *apiKeyRow {
	s := k.State()
	return &apiKeyRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, Role: string(s.Role), Label: s.Label, KeyHash: s.Hash,
		CreatedAt: newDBTime(s.CreatedAt), RevokedAt: newDBTimePtr(s.RevokedAt), LastUsedAt: newDBTimePtr(s.LastUsedAt),
	}
}

func (r *apiKeyRow) domain() *domain.APIKey {
	return domain.RehydrateAPIKey(domain.APIKeyState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Role: domain.Role(r.Role), Label: r.Label, Hash: r.KeyHash,
		CreatedAt: r.CreatedAt.Time, RevokedAt: r.RevokedAt.ptr(), LastUsedAt: r.LastUsedAt.ptr(),
	})
}

// Create stores a new key; a taken id or hash fails with
// domain.ErrConflict, an unknown workspace with domain.ErrUnprocessable.
func (r *APIKeyRepository) Create(ctx context.Context, k *domain.APIKey) error {
	_, err := r.db.conn(ctx).NewInsert().Model(newAPIKeyRow(k)).Exec(ctx)
	return translate("create api key", err)
}

// Get finds a key by id.
func (r *APIKeyRepository) Get(ctx context.Context, id string) (*domain.APIKey, error) {
	return r.get(ctx, r.db.conn(ctx).NewSelect(), "id = ?", id, "get api key")
}

// GetByHash finds a key by the hash of its text (the unique index on
// key_hash makes this one index lookup).
func (r *APIKeyRepository) GetByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	return r.get(ctx, r.db.conn(ctx).NewSelect(), "key_hash = ?", hash, "get api key")
}

func (r *APIKeyRepository) get(ctx context.Context, q *bun.SelectQuery, where string, arg any, op string) (*domain.APIKey, error) {
	row := new(apiKeyRow)
	if err := q.Model(row).Where(where, arg).Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	return row.domain(), nil
}

// List returns the keys matching f, newest first.
func (r *APIKeyRepository) List(ctx context.Context, f ports.APIKeyFilter, p ports.Page) ([]*domain.APIKey, error) {
	var rows []apiKeyRow
	q := r.db.conn(ctx).NewSelect().Model(&rows)
	if f.WorkspaceID != "" {
		q = q.Where("workspace_id = ?", f.WorkspaceID)
	}
	if f.GlobalOnly {
		q = q.Where("workspace_id IS NULL")
	}
	q = q.OrderExpr("created_at DESC, id DESC")
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list api keys", err)
	}
	out := make([]*domain.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Update loads the key under a row lock, applies fn and stores the result
// when fn returns nil. Only the mutable columns are written.
func (r *APIKeyRepository) Update(ctx context.Context, id string, fn func(*domain.APIKey) error) (*domain.APIKey, error) {
	var out *domain.APIKey
	err := r.db.withinTx(ctx, func(ctx context.Context) error {
		k, err := r.get(ctx, r.db.lockForUpdate(r.db.conn(ctx).NewSelect()), "id = ?", id, "update api key")
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return errorf("update api key", err)
		}
		row := newAPIKeyRow(k)
		res, err := r.db.conn(ctx).NewUpdate().Model(row).
			Column("label", "revoked_at", "last_used_at").
			Where("id = ?", id).Exec(ctx)
		if err := checkUpdated("update api key", res, err); err != nil {
			return err
		}
		out = row.domain()
		return nil
	})
	return out, err
}

// TouchLastUsed moves each key's last_used_at forward, in one transaction;
// a stored later time is kept.
func (r *APIKeyRepository) TouchLastUsed(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return r.db.withinTx(ctx, func(ctx context.Context) error {
		// Sorted ids: concurrent flushes from several processes lock rows
		// in the same order and cannot deadlock.
		for _, id := range slices.Sorted(maps.Keys(used)) {
			at := newDBTime(used[id])
			_, err := r.db.conn(ctx).NewUpdate().Table("api_keys").
				Set("last_used_at = ?", at).
				Where("id = ?", id).
				Where("(last_used_at IS NULL OR last_used_at < ?)", at).
				Exec(ctx)
			if err != nil {
				return translate("touch api keys", err)
			}
		}
		return nil
	})
}
