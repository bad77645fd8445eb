package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.ConfigurationRepository = (*ConfigurationRepository)(nil)

// ConfigurationRepository stores configurations in the configurations
// table. A partial unique index keeps at most one active version per
// (workspace, document type).
type ConfigurationRepository struct {
	db *DB
}

type configurationRow struct {
	bun.BaseModel `bun:"table:configurations"`

	ID           string  `bun:"id,pk"`
	WorkspaceID  string  `bun:"workspace_id"`
	DocumentType string  `bun:"document_type"`
	Title        string  `bun:"title"`
	Version      int     `bun:"version"`
	IsActive     bool    `bun:"is_active"`
	ActivatedAt  *dbTime `bun:"activated_at"`
	Payload      string  `bun:"payload"`
	CreatedAt    dbTime  `bun:"created_at"`
	UpdatedAt    dbTime  `bun:"updated_at"`
}

func newConfigurationRow(c *domain.Configuration) (*configurationRow, error) {
	s := c.State()
	payload, err := toJSON(s.Payload)
	if err != nil {
		return nil, err
	}
	return &configurationRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, DocumentType: s.DocumentType, Title: s.Title,
		Version: s.Version, IsActive: s.IsActive, ActivatedAt: newDBTimePtr(s.ActivatedAt),
		Payload: payload, CreatedAt: newDBTime(s.CreatedAt), UpdatedAt: newDBTime(s.UpdatedAt),
	}, nil
}

func (r *configurationRow) domain() (*domain.Configuration, error) {
	payload, err := jsonMap(r.Payload)
	if err != nil {
		return nil, err
	}
	return domain.RehydrateConfiguration(domain.ConfigurationState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, DocumentType: r.DocumentType, Title: r.Title,
		Version: r.Version, IsActive: r.IsActive, ActivatedAt: r.ActivatedAt.ptr(),
		Payload: payload, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	}), nil
}

// Create stores a new configuration; a taken id, a taken (workspace,
// document type, version) or a second active version of the type fails
// with domain.ErrConflict.
func (r *ConfigurationRepository) Create(ctx context.Context, c *domain.Configuration) error {
	row, err := newConfigurationRow(c)
	if err != nil {
		return errorf("create configuration", err)
	}
	_, err = r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("create configuration", err)
}

// Get returns a configuration of the workspace.
func (r *ConfigurationRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Configuration, error) {
	return r.getWhere(ctx, r.db.conn(ctx).NewSelect(), "get configuration",
		byID, workspaceID, id)
}

// GetActive returns the active configuration of a document type.
func (r *ConfigurationRepository) GetActive(ctx context.Context, workspaceID, documentType string) (*domain.Configuration, error) {
	return r.getWhere(ctx, r.db.conn(ctx).NewSelect(), "get active configuration",
		"workspace_id = ? AND document_type = ? AND is_active", workspaceID, documentType)
}

func (r *ConfigurationRepository) getWhere(ctx context.Context, q *bun.SelectQuery, op, where string, args ...any) (*domain.Configuration, error) {
	row := new(configurationRow)
	if err := q.Model(row).Where(where, args...).Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	c, err := row.domain()
	return c, errorf(op, err)
}

// MaxVersion returns the highest version of a document type, or 0.
func (r *ConfigurationRepository) MaxVersion(ctx context.Context, workspaceID, documentType string) (int, error) {
	var v sql.NullInt64
	err := r.db.conn(ctx).NewSelect().Model((*configurationRow)(nil)).
		ColumnExpr("MAX(version)").
		Where("workspace_id = ? AND document_type = ?", workspaceID, documentType).
		Scan(ctx, &v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, translate("configuration max version", err)
	}
	return int(v.Int64), nil
}

// LockDocumentType serialises the transactions that lock one (workspace,
// document type). PostgreSQL takes a transaction-scoped advisory lock on a
// 64-bit hash of the pair (a collision only makes two types wait for each
// other); in READ COMMITTED every later statement then sees what the
// transactions it waited for committed. SQLite needs nothing: every
// transaction is BEGIN IMMEDIATE and so already holds the database's one
// write lock.
func (r *ConfigurationRepository) LockDocumentType(ctx context.Context, workspaceID, documentType string) error {
	if !r.db.inTx(ctx) {
		return errors.New("lock document type: not in a transaction")
	}
	if !r.db.isPostgres() {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(workspaceID))
	h.Write([]byte{0})
	h.Write([]byte(documentType))
	_, err := r.db.conn(ctx).ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(h.Sum64()))
	return translate("lock document type", err)
}

// List returns the workspace's configurations matching f, newest first.
func (r *ConfigurationRepository) List(ctx context.Context, workspaceID string, f ports.ConfigurationFilter, p ports.Page) ([]*domain.Configuration, error) {
	var rows []configurationRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("workspace_id = ?", workspaceID)
	if f.DocumentType != "" {
		q = q.Where("document_type = ?", f.DocumentType)
	}
	if f.IsActive != nil {
		q = q.Where("is_active = ?", *f.IsActive)
	}
	q = q.OrderExpr("created_at DESC, id DESC")
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list configurations", err)
	}
	out := make([]*domain.Configuration, len(rows))
	for i := range rows {
		c, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list configurations", err)
		}
		out[i] = c
	}
	return out, nil
}

// Update loads the configuration under a row lock, applies fn and stores
// the result when fn returns nil. A result that would leave two active
// versions of one type fails with domain.ErrConflict (the partial unique
// index refuses it).
func (r *ConfigurationRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Configuration) error) (*domain.Configuration, error) {
	var out *domain.Configuration
	err := r.db.withinTx(ctx, func(ctx context.Context) error {
		q := r.db.lockForUpdate(r.db.conn(ctx).NewSelect())
		c, err := r.getWhere(ctx, q, "update configuration", byID, workspaceID, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return errorf("update configuration", err)
		}
		row, err := newConfigurationRow(c)
		if err != nil {
			return errorf("update configuration", err)
		}
		row.ID, row.WorkspaceID = id, workspaceID
		res, err := r.db.conn(ctx).NewUpdate().Model(row).
			ExcludeColumn("id", "workspace_id", "created_at").
			Where(byID, workspaceID, id).Exec(ctx)
		if err := checkUpdated("update configuration", res, err); err != nil {
			return err
		}
		out, err = row.domain()
		return errorf("update configuration", err)
	})
	return out, err
}
