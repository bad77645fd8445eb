package bunstore

import (
	"context"
	"math"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.WorkspaceRepository = (*WorkspaceRepository)(nil)

// WorkspaceRepository stores workspaces in the workspaces table.
type WorkspaceRepository struct {
	db *DB
}

type workspaceRow struct {
	bun.BaseModel `bun:"table:workspaces"`

	ID        string `bun:"id,pk"`
	Slug      string `bun:"slug"`
	Name      string `bun:"name"`
	CreatedAt dbTime `bun:"created_at"`
	UpdatedAt dbTime `bun:"updated_at"`
}

func (r *workspaceRow) domain() *domain.Workspace {
	return domain.RehydrateWorkspace(domain.WorkspaceState{
		ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
	})
}

// Create stores a new workspace; a taken id or slug fails with
// domain.ErrConflict.
func (r *WorkspaceRepository) Create(ctx context.Context, w *domain.Workspace) error {
	s := w.State()
	row := &workspaceRow{ID: s.ID, Slug: s.Slug, Name: s.Name,
		CreatedAt: newDBTime(s.CreatedAt), UpdatedAt: newDBTime(s.UpdatedAt)}
	_, err := r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("create workspace", err)
}

// Get finds a workspace by id or slug.
func (r *WorkspaceRepository) Get(ctx context.Context, idOrSlug string) (*domain.Workspace, error) {
	row := new(workspaceRow)
	err := r.db.conn(ctx).NewSelect().Model(row).
		Where("id = ?", idOrSlug).WhereOr("slug = ?", idOrSlug).
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, translate("get workspace", err)
	}
	return row.domain(), nil
}

// List returns workspaces newest first.
func (r *WorkspaceRepository) List(ctx context.Context, p ports.Page) ([]*domain.Workspace, error) {
	var rows []workspaceRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).OrderExpr("created_at DESC, id DESC")
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list workspaces", err)
	}
	out := make([]*domain.Workspace, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// paginate applies a page: Limit <= 0 means no limit.
func paginate(q *bun.SelectQuery, p ports.Page) *bun.SelectQuery {
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit))
	} else if p.Offset > 0 {
		// SQLite accepts OFFSET only after a LIMIT.
		q = q.Limit(math.MaxInt64)
	}
	if p.Offset > 0 {
		q = q.Offset(int64(p.Offset))
	}
	return q
}
