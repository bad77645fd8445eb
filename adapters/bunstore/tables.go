package bunstore

import (
	"context"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/uptrace/bun"
)

var _ ports.TableRepository = (*TableRepository)(nil)

// TableRepository stores the tables jobs found in extracted_tables.
type TableRepository struct {
	db *DB
}

type tableRow struct {
	bun.BaseModel `bun:"table:extracted_tables"`

	ID            string `bun:"id,pk"`
	WorkspaceID   string `bun:"workspace_id"`
	JobID         string `bun:"job_id"`
	DocumentID    string `bun:"document_id"`
	SequenceIndex int    `bun:"sequence_index"`
	Title         string `bun:"title"`
	Sheet         string `bun:"sheet"`
	RowCount      int    `bun:"row_count"`
	Columns       string `bun:"columns"`
	SampleRows    string `bun:"sample_rows"`
	Metadata      string `bun:"metadata"`
	CreatedAt     dbTime `bun:"created_at"`
}

func newTableRow(t *domain.Table) (*tableRow, error) {
	s := t.State()
	row := &tableRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, JobID: s.JobID, DocumentID: s.DocumentID,
		SequenceIndex: s.SequenceIndex, Title: s.Title, Sheet: s.Sheet, RowCount: s.RowCount,
		CreatedAt: newDBTime(s.CreatedAt),
	}
	var err error
	if row.Columns, err = toJSON(s.Columns); err != nil {
		return nil, err
	}
	if row.SampleRows, err = toJSON(s.SampleRows); err != nil {
		return nil, err
	}
	if row.Metadata, err = toJSON(s.Metadata); err != nil {
		return nil, err
	}
	return row, nil
}

func (r *tableRow) domain() (*domain.Table, error) {
	s := domain.TableState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, JobID: r.JobID, DocumentID: r.DocumentID,
		SequenceIndex: r.SequenceIndex, Title: r.Title, Sheet: r.Sheet, RowCount: r.RowCount,
		CreatedAt: r.CreatedAt.Time,
	}
	if err := fromJSON(r.Columns, &s.Columns); err != nil {
		return nil, err
	}
	if err := fromJSON(r.SampleRows, &s.SampleRows); err != nil {
		return nil, err
	}
	var err error
	if s.Metadata, err = jsonMap(r.Metadata); err != nil {
		return nil, err
	}
	return domain.RehydrateTable(s), nil
}

// CreateMany stores all tables in one statement (so all or none); a taken
// id fails with domain.ErrConflict.
func (r *TableRepository) CreateMany(ctx context.Context, tables []*domain.Table) error {
	if len(tables) == 0 {
		return nil
	}
	rows := make([]*tableRow, len(tables))
	for i, t := range tables {
		row, err := newTableRow(t)
		if err != nil {
			return errorf("create tables", err)
		}
		rows[i] = row
	}
	_, err := r.db.conn(ctx).NewInsert().Model(&rows).Exec(ctx)
	return translate("create tables", err)
}

// ListByJob returns a page of a job's tables ordered by sequence index.
func (r *TableRepository) ListByJob(ctx context.Context, workspaceID, jobID string, p ports.Page) ([]*domain.Table, error) {
	var rows []tableRow
	err := paginate(r.db.conn(ctx).NewSelect().Model(&rows).
		Where("workspace_id = ? AND job_id = ?", workspaceID, jobID).
		OrderExpr("sequence_index, id"), p).Scan(ctx)
	if err != nil {
		return nil, translate("list tables", err)
	}
	out := make([]*domain.Table, len(rows))
	for i := range rows {
		t, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list tables", err)
		}
		out[i] = t
	}
	return out, nil
}
