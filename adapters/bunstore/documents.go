package bunstore

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.DocumentRepository = (*DocumentRepository)(nil)

// DocumentRepository stores documents in the documents table.
type DocumentRepository struct {
	db *DB
}

type documentRow struct {
	bun.BaseModel `bun:"table:documents"`

	ID               string  `bun:"id,pk"`
	WorkspaceID      string  `bun:"workspace_id"`
	OriginalFilename string  `bun:"original_filename"`
	ContentType      string  `bun:"content_type"`
	ByteSize         int64   `bun:"byte_size"`
	SHA256           string  `bun:"sha256"`
	Metadata         string  `bun:"metadata"`
	BlobKey          string  `bun:"blob_key"`
	ExpiresAt        dbTime  `bun:"expires_at"`
	CreatedAt        dbTime  `bun:"created_at"`
	UpdatedAt        dbTime  `bun:"updated_at"`
	ProducedByJobID  string  `bun:"produced_by_job_id,nullzero"`
	DeletedAt        *dbTime `bun:"deleted_at"`
	DeletedBy        string  `bun:"deleted_by"`
	DeleteReason     string  `bun:"delete_reason"`
}

func newDocumentRow(d *domain.Document) (*documentRow, error) {
	s := d.State()
	meta, err := toJSON(s.Metadata)
	if err != nil {
		return nil, err
	}
	return &documentRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, OriginalFilename: s.OriginalFilename,
		ContentType: s.ContentType, ByteSize: s.ByteSize, SHA256: s.SHA256, Metadata: meta,
		BlobKey: s.BlobKey, ExpiresAt: newDBTime(s.ExpiresAt), CreatedAt: newDBTime(s.CreatedAt),
		UpdatedAt: newDBTime(s.UpdatedAt), ProducedByJobID: s.ProducedByJobID,
		DeletedAt: newDBTimePtr(s.DeletedAt), DeletedBy: s.DeletedBy, DeleteReason: s.DeleteReason,
	}, nil
}

func (r *documentRow) domain() (*domain.Document, error) {
	meta, err := jsonMap(r.Metadata)
	if err != nil {
		return nil, err
	}
	return domain.RehydrateDocument(domain.DocumentState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, OriginalFilename: r.OriginalFilename,
		ContentType: r.ContentType, ByteSize: r.ByteSize, SHA256: r.SHA256, Metadata: meta,
		BlobKey: r.BlobKey, ExpiresAt: r.ExpiresAt.Time, CreatedAt: r.CreatedAt.Time,
		UpdatedAt: r.UpdatedAt.Time, ProducedByJobID: r.ProducedByJobID,
		DeletedAt: r.DeletedAt.ptr(), DeletedBy: r.DeletedBy, DeleteReason: r.DeleteReason,
	}), nil
}

// Create stores a new document; a taken id fails with domain.ErrConflict.
func (r *DocumentRepository) Create(ctx context.Context, d *domain.Document) error {
	row, err := newDocumentRow(d)
	if err != nil {
		return errorf("create document", err)
	}
	_, err = r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("create document", err)
}

// Get returns a document of the workspace, deleted or not.
func (r *DocumentRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Document, error) {
	return r.get(ctx, r.db.conn(ctx).NewSelect(), workspaceID, id, "get document")
}

func (r *DocumentRepository) get(ctx context.Context, q *bun.SelectQuery, workspaceID, id, op string) (*domain.Document, error) {
	row := new(documentRow)
	if err := q.Model(row).Where(byID, workspaceID, id).Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	d, err := row.domain()
	return d, errorf(op, err)
}

// List returns the workspace's documents matching f, newest first.
func (r *DocumentRepository) List(ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page) ([]*domain.Document, error) {
	var rows []documentRow
	if err := r.query(ctx, workspaceID, f, p).Model(&rows).Scan(ctx); err != nil {
		return nil, translate("list documents", err)
	}
	out := make([]*domain.Document, len(rows))
	for i := range rows {
		d, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list documents", err)
		}
		out[i] = d
	}
	return out, nil
}

// ListIDs returns the ids List returns, in its order, reading only the id
// column.
func (r *DocumentRepository) ListIDs(ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page) ([]string, error) {
	ids := []string{}
	if err := r.query(ctx, workspaceID, f, p).Model((*documentRow)(nil)).Column("id").Scan(ctx, &ids); err != nil {
		return nil, translate("list document ids", err)
	}
	return ids, nil
}

// query selects, orders and pages the documents List returns.
func (r *DocumentRepository) query(ctx context.Context, workspaceID string, f ports.DocumentFilter, p ports.Page) *bun.SelectQuery {
	q := r.db.conn(ctx).NewSelect().Where("workspace_id = ?", workspaceID)
	if !f.IncludeDeleted {
		q = q.Where("deleted_at IS NULL")
	}
	if f.ProducedByJobID != "" {
		q = q.Where("produced_by_job_id = ?", f.ProducedByJobID)
	}
	if !f.ExpiresBefore.IsZero() {
		q = q.Where("expires_at < ?", newDBTime(f.ExpiresBefore))
	}
	if f.NameContains != "" {
		q = r.db.whereNameContains(q, "original_filename", f.NameContains)
	}
	switch f.Origin {
	case ports.OriginUpload:
		q = q.Where("produced_by_job_id IS NULL")
	case ports.OriginOutput:
		q = q.Where("produced_by_job_id IS NOT NULL")
	}
	return paginate(q.OrderExpr("created_at DESC, id DESC"), p)
}

// Update loads the document under a row lock, applies fn and stores the
// result when fn returns nil. fn's error is returned wrapped.
func (r *DocumentRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Document) error) (*domain.Document, error) {
	var out *domain.Document
	err := r.db.withinTx(ctx, func(ctx context.Context) error {
		q := r.db.lockForUpdate(r.db.conn(ctx).NewSelect())
		d, err := r.get(ctx, q, workspaceID, id, "update document")
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return errorf("update document", err)
		}
		row, err := newDocumentRow(d)
		if err != nil {
			return errorf("update document", err)
		}
		// Identity columns stay as stored whatever fn did.
		row.ID, row.WorkspaceID = id, workspaceID
		res, err := r.db.conn(ctx).NewUpdate().Model(row).
			ExcludeColumn("id", "workspace_id", "created_at").
			Where(byID, workspaceID, id).Exec(ctx)
		if err := checkUpdated("update document", res, err); err != nil {
			return err
		}
		// Return what was stored, as Get would.
		out, err = row.domain()
		return errorf("update document", err)
	})
	return out, err
}

// whereNameContains keeps rows whose column contains text, ignoring the
// case of ASCII letters only: SQLite's LIKE already folds exactly those;
// on PostgreSQL the column is lowered under the "C" collation, which folds
// A-Z and nothing else (lower() and ILIKE under the database's collation
// would fold other letters too, and answer differently from SQLite). The
// LIKE wildcards in text are escaped.
func (db *DB) whereNameContains(q *bun.SelectQuery, column, text string) *bun.SelectQuery {
	pattern := "%" + likeEscaper.Replace(ports.FoldASCII(text)) + "%"
	if db.isPostgres() {
		return q.Where(`lower(? COLLATE "C") LIKE ? ESCAPE '\'`, bun.Ident(column), pattern)
	}
	return q.Where("? LIKE ? ESCAPE '\\'", bun.Ident(column), pattern)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
