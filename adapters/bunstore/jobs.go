package bunstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.JobRepository = (*JobRepository)(nil)

// JobRepository stores jobs in the jobs table. Status changes are guarded
// in SQL as well as by the row lock: the UPDATE matches the status it read.
type JobRepository struct {
	db *DB
}

type jobRow struct {
	bun.BaseModel `bun:"table:jobs"`

	ID                   string  `bun:"id,pk"`
	WorkspaceID          string  `bun:"workspace_id"`
	Status               string  `bun:"status"`
	DocumentType         string  `bun:"document_type"`
	ConfigurationID      string  `bun:"configuration_id"`
	ConfigurationVersion int     `bun:"configuration_version"`
	InputDocumentID      string  `bun:"input_document_id"`
	CreatedBy            string  `bun:"created_by"`
	CreatedAt            dbTime  `bun:"created_at"`
	UpdatedAt            dbTime  `bun:"updated_at"`
	StartedAt            *dbTime `bun:"started_at"`
	FinishedAt           *dbTime `bun:"finished_at"`
	Attempts             int     `bun:"attempts"`
	Metrics              string  `bun:"metrics"`
	Logs                 string  `bun:"logs"`
	ErrorCode            *string `bun:"error_code"`
	ErrorMessage         *string `bun:"error_message"`
	OutputDocumentIDs    string  `bun:"output_document_ids"`
}

func newJobRow(j *domain.Job) (*jobRow, error) {
	s := j.State()
	metrics, err := toJSON(s.Metrics)
	if err != nil {
		return nil, err
	}
	logs, err := toJSON(s.Logs)
	if err != nil {
		return nil, err
	}
	outputs, err := toJSON(s.OutputDocumentIDs)
	if err != nil {
		return nil, err
	}
	row := &jobRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, Status: string(s.Status), DocumentType: s.DocumentType,
		ConfigurationID: s.ConfigurationID, ConfigurationVersion: s.ConfigurationVersion,
		InputDocumentID: s.InputDocumentID, CreatedBy: s.CreatedBy,
		CreatedAt: newDBTime(s.CreatedAt), UpdatedAt: newDBTime(s.UpdatedAt),
		StartedAt: newDBTimePtr(s.StartedAt), FinishedAt: newDBTimePtr(s.FinishedAt),
		Attempts: s.Attempts, Metrics: metrics, Logs: logs, OutputDocumentIDs: outputs,
	}
	if s.Error != nil {
		row.ErrorCode, row.ErrorMessage = &s.Error.Code, &s.Error.Message
	}
	return row, nil
}

func (r *jobRow) domain() (*domain.Job, error) {
	s := domain.JobState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Status: domain.JobStatus(r.Status), DocumentType: r.DocumentType,
		ConfigurationID: r.ConfigurationID, ConfigurationVersion: r.ConfigurationVersion,
		InputDocumentID: r.InputDocumentID, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
		StartedAt: r.StartedAt.ptr(), FinishedAt: r.FinishedAt.ptr(), Attempts: r.Attempts,
	}
	var err error
	if s.Metrics, err = jsonMap(r.Metrics); err != nil {
		return nil, err
	}
	if err := jsonSlice(r.Logs, &s.Logs); err != nil {
		return nil, err
	}
	if err := jsonSlice(r.OutputDocumentIDs, &s.OutputDocumentIDs); err != nil {
		return nil, err
	}
	if r.ErrorCode != nil {
		s.Error = &domain.JobError{Code: *r.ErrorCode}
		if r.ErrorMessage != nil {
			s.Error.Message = *r.ErrorMessage
		}
	}
	return domain.RehydrateJob(s), nil
}

// Create stores a new job; a taken id fails with domain.ErrConflict.
func (r *JobRepository) Create(ctx context.Context, j *domain.Job) error {
	row, err := newJobRow(j)
	if err != nil {
		return errorf("create job", err)
	}
	_, err = r.db.conn(ctx).NewInsert().Model(row).Exec(ctx)
	return translate("create job", err)
}

// jobColumns are the jobs table's columns in jobRow's field order.
const jobColumns = `id, workspace_id, status, document_type, configuration_id, configuration_version,
	input_document_id, created_by, created_at, updated_at, started_at, finished_at, attempts, metrics, logs,
	error_code, error_message, output_document_ids`

// byID finds the row with id ? of workspace ?. The id, the primary key
// and unique across workspaces, is the index condition, and the workspace
// a filter on the row it finds: appending an empty string to the column
// keeps that comparison out of every index. Written plainly
// ("workspace_id = ? AND id = ?"), the condition also matches every index
// that leads with workspace_id, and while a table has no statistics yet (a
// new database, until autovacuum's first ANALYZE of it) PostgreSQL cannot
// tell those from the key. A prepared statement planned then keeps such a
// plan until the table is analyzed: the guarded start of a job, for one,
// scanned every pending job of its workspace, so each change cost more as
// the backlog grew (rounds of 4,000 jobs of test/bench/queue: 334 to 353
// jobs/s and about 20 s of the machine's CPU before, 410 to 454 jobs/s
// and 15 to 17 s after). Every lookup of one row by id in a workspace, in
// either dialect, is written this way, including the fixed statements
// that spell it out with $n placeholders. (The foreign keys' checks are
// PostgreSQL's own.)
const byID = "workspace_id || '' = ? AND id = ?"

// Get's statement in each dialect's placeholder syntax.
const (
	getJobPostgresSQL = "SELECT " + jobColumns + " FROM jobs WHERE workspace_id || '' = $1 AND id = $2" // byID
	getJobSQLiteSQL   = "SELECT " + jobColumns + " FROM jobs WHERE " + byID
)

// Get returns a job of the workspace. It is the API's hottest read, so it
// runs one fixed statement with bound parameters (a prepared statement
// that each PostgreSQL connection plans once) and scans the columns
// directly instead of building the query through the model.
func (r *JobRepository) Get(ctx context.Context, workspaceID, id string) (*domain.Job, error) {
	query := getJobSQLiteSQL
	if r.db.isPostgres() {
		query = getJobPostgresSQL
	}
	row := new(jobRow)
	err := r.db.queryRow(ctx, query, workspaceID, id).Scan(
		&row.ID, &row.WorkspaceID, &row.Status, &row.DocumentType, &row.ConfigurationID, &row.ConfigurationVersion,
		&row.InputDocumentID, &row.CreatedBy, &row.CreatedAt, &row.UpdatedAt, &row.StartedAt, &row.FinishedAt,
		&row.Attempts, &row.Metrics, &row.Logs, &row.ErrorCode, &row.ErrorMessage, &row.OutputDocumentIDs)
	if err != nil {
		return nil, translate("get job", err)
	}
	j, err := row.domain()
	return j, errorf("get job", err)
}

func (r *JobRepository) get(ctx context.Context, q *bun.SelectQuery, workspaceID, id, op string) (*domain.Job, *jobRow, error) {
	row := new(jobRow)
	if err := q.Model(row).Where(byID, workspaceID, id).Scan(ctx); err != nil {
		return nil, nil, translate(op, err)
	}
	j, err := row.domain()
	return j, row, errorf(op, err)
}

// List returns the workspace's jobs matching f, newest first.
func (r *JobRepository) List(ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page) ([]*domain.Job, error) {
	var rows []jobRow
	if err := r.query(ctx, workspaceID, f, p).Model(&rows).Scan(ctx); err != nil {
		return nil, translate("list jobs", err)
	}
	out := make([]*domain.Job, len(rows))
	for i := range rows {
		j, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list jobs", err)
		}
		out[i] = j
	}
	return out, nil
}

// LatestByDocument returns the newest job of each listed document in one
// query: for each document, the job jobs_workspace_document_newest_idx
// lists first.
func (r *JobRepository) LatestByDocument(ctx context.Context, workspaceID string, documentIDs []string) (map[string]*domain.Job, error) {
	out := make(map[string]*domain.Job, len(documentIDs))
	if len(documentIDs) == 0 {
		return out, nil
	}
	var rows []jobRow
	err := r.db.conn(ctx).NewSelect().Model(&rows).
		Where("?TableAlias.workspace_id = ?", workspaceID).
		Where("?TableAlias.input_document_id IN (?)", bun.List(documentIDs)).
		Where("?TableAlias.id = (SELECT n.id FROM jobs AS n WHERE n.workspace_id = ?TableAlias.workspace_id " +
			"AND n.input_document_id = ?TableAlias.input_document_id ORDER BY n.created_at DESC, n.id DESC LIMIT 1)").
		Scan(ctx)
	if err != nil {
		return nil, translate("latest jobs", err)
	}
	for i := range rows {
		j, err := rows[i].domain()
		if err != nil {
			return nil, errorf("latest jobs", err)
		}
		out[j.InputDocumentID()] = j
	}
	return out, nil
}

// ListIDs returns the ids List returns, in its order, reading only the id
// column.
func (r *JobRepository) ListIDs(ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page) ([]string, error) {
	ids := []string{}
	if err := r.query(ctx, workspaceID, f, p).Model((*jobRow)(nil)).Column("id").Scan(ctx, &ids); err != nil {
		return nil, translate("list job ids", err)
	}
	return ids, nil
}

// query selects, orders and pages the jobs List returns.
func (r *JobRepository) query(ctx context.Context, workspaceID string, f ports.JobFilter, p ports.Page) *bun.SelectQuery {
	q := r.db.conn(ctx).NewSelect().Where("workspace_id = ?", workspaceID)
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.DocumentID != "" {
		q = q.Where("input_document_id = ?", f.DocumentID)
	}
	if f.ConfigurationID != "" {
		q = q.Where("configuration_id = ?", f.ConfigurationID)
	}
	return paginate(q.OrderExpr("created_at DESC, id DESC"), p)
}

// Update loads the job under a row lock, applies fn and stores the result
// when fn returns nil. The UPDATE also requires the status it read: when
// the stored status changed meanwhile nothing is stored and Update fails
// with domain.ErrConflict.
func (r *JobRepository) Update(ctx context.Context, workspaceID, id string, fn func(*domain.Job) error) (*domain.Job, error) {
	var out *domain.Job
	err := r.db.withinTx(ctx, func(ctx context.Context) error {
		q := r.db.lockForUpdate(r.db.conn(ctx).NewSelect())
		j, before, err := r.get(ctx, q, workspaceID, id, "update job")
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return errorf("update job", err)
		}
		row, err := newJobRow(j)
		if err != nil {
			return errorf("update job", err)
		}
		row.ID, row.WorkspaceID = id, workspaceID
		if !domain.JobStatus(row.Status).Valid() {
			return fmt.Errorf("update job: %w: unknown status %q", domain.ErrInvalidInput, row.Status)
		}
		res, err := r.db.conn(ctx).NewUpdate().Model(row).
			ExcludeColumn("id", "workspace_id", "created_at").
			Where(byID+" AND status = ?", workspaceID, id, before.Status).
			Exec(ctx)
		if err := checkUpdated("update job", res, err); err != nil {
			return err
		}
		out, err = row.domain()
		return errorf("update job", err)
	})
	return out, err
}

// Apply stores a job's change with its events and tables, guarded by the
// status and attempt count it was made from (or creates the job).
//
// On PostgreSQL it is one statement: the guarded UPDATE in a WITH clause,
// and each insert selecting from it, so the rows go in only when the
// UPDATE matched; a change made outside a transaction is then atomic
// without BEGIN and COMMIT. That takes the worker's start of a job, and
// its end, from five round trips (BEGIN, SELECT ... FOR UPDATE, UPDATE,
// INSERT, COMMIT) to one, and its text is fixed by the change's shape
// with every value bound, so each connection prepares it once
// (applyPostgres). On SQLite the same statements run one by one in a
// transaction.
func (r *JobRepository) Apply(ctx context.Context, c ports.JobChange) error {
	row, events, tables, err := changeRows(c)
	if err != nil {
		return err
	}
	tasks, err := r.db.taskWriter(c.Tasks)
	if err != nil {
		return err
	}
	update := func(db bun.IDB) *bun.UpdateQuery {
		q := db.NewUpdate().Model(row).ExcludeColumn("id", "workspace_id", "created_at").
			Where(byID+" AND status = ? AND attempts = ?", row.WorkspaceID, row.ID, string(c.From), c.Attempts)
		if c.NoWebhooks {
			q = q.Where("NOT EXISTS ("+liveWebhooksSQL+")", row.WorkspaceID)
		}
		return q
	}
	switch {
	case r.db.isPostgres():
		err = r.applyPostgres(ctx, c, row, events, tables, tasks)
	default:
		err = r.db.withinTx(ctx, func(ctx context.Context) error {
			conn := r.db.conn(ctx)
			if c.NoWebhooks {
				var exist bool
				if err := conn.NewRaw("SELECT EXISTS ("+liveWebhooksSQL+")", row.WorkspaceID).Scan(ctx, &exist); err != nil {
					return translate("apply job change", err)
				}
				if exist {
					return ports.ErrWebhooksExist
				}
			}
			if c.From == "" {
				if _, err := conn.NewInsert().Model(row).Exec(ctx); err != nil {
					return translate("apply job change", err)
				}
			} else {
				res, err := update(conn).Exec(ctx)
				if err := checkUpdated("apply job change", res, err); err != nil {
					return err
				}
			}
			for _, e := range events {
				if _, err := conn.NewInsert().Model(e).Exec(ctx); err != nil {
					return translate("apply job change", err)
				}
			}
			if len(tables) > 0 {
				if _, err := conn.NewInsert().Model(&tables).Exec(ctx); err != nil {
					return translate("apply job change", err)
				}
			}
			if tasks != nil {
				if err := tasks.Enqueue(ctx, c.Tasks...); err != nil {
					return err
				}
			}
			if c.Inputs != nil {
				in, err := r.Inputs(ctx, row.WorkspaceID, row.InputDocumentID, row.ConfigurationID, "")
				if err != nil {
					return err
				}
				*c.Inputs = in
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	var keys [][2]string
	for _, e := range events {
		if k := [2]string{e.WorkspaceID, e.EntityID}; !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	r.db.feed.published(ctx, keys)
	return nil
}

// liveWebhooksSQL selects the live webhooks of the workspace ? (for
// JobChange.NoWebhooks).
const liveWebhooksSQL = "SELECT 1 FROM webhooks WHERE workspace_id = ? AND deleted_at IS NULL"

// changeRows are c's job, events and tables as rows.
func changeRows(c ports.JobChange) (*jobRow, []*eventRow, []*tableRow, error) {
	row, err := newJobRow(c.Job)
	if err != nil {
		return nil, nil, nil, errorf("apply job change", err)
	}
	if !domain.JobStatus(row.Status).Valid() {
		return nil, nil, nil, fmt.Errorf("apply job change: %w: unknown status %q", domain.ErrInvalidInput, row.Status)
	}
	events := make([]*eventRow, len(c.Events))
	for i, e := range c.Events {
		if events[i], err = newEventRow(e); err != nil {
			return nil, nil, nil, errorf("apply job change", err)
		}
	}
	tables := make([]*tableRow, len(c.Tables))
	for i, t := range c.Tables {
		if tables[i], err = newTableRow(t); err != nil {
			return nil, nil, nil, errorf("apply job change", err)
		}
	}
	return row, events, tables, nil
}
