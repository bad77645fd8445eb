package bunstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/ade-go/ade/ports"
)

// inputColumns are a job's configuration (c) and input document (d), in
// inputScan's order.
const inputColumns = "c.id, c.document_type, c.title, c.version, c.is_active, c.activated_at, c.payload, c.created_at, c.updated_at, " +
	"d.id, d.original_filename, d.content_type, d.byte_size, d.sha256, d.metadata, d.blob_key, d.expires_at, d.created_at, " +
	"d.updated_at, d.produced_by_job_id, d.deleted_at, d.deleted_by, d.delete_reason"

// The fixed statements GetRun and Inputs run, written with $n
// placeholders (each used once, in order); sqliteSQL rewrites them.
const (
	getRunSQL = "SELECT j.id, j.workspace_id, j.status, j.document_type, j.configuration_id, j.configuration_version, " +
		"j.input_document_id, j.created_by, j.created_at, j.updated_at, j.started_at, j.finished_at, j.attempts, j.metrics, j.logs, " +
		"j.error_code, j.error_message, j.output_document_ids, " + inputColumns + " " +
		"FROM jobs AS j " +
		"LEFT JOIN configurations AS c ON c.workspace_id || '' = j.workspace_id AND c.id = j.configuration_id " +
		"LEFT JOIN documents AS d ON d.workspace_id || '' = j.workspace_id AND d.id = j.input_document_id " +
		"WHERE j.workspace_id || '' = $1 AND j.id = $2" // byID
	inputsByIDSQL = "SELECT " + inputColumns + " FROM (SELECT 1) AS one " +
		"LEFT JOIN documents AS d ON d.workspace_id || '' = $1 AND d.id = $2 " +
		"LEFT JOIN configurations AS c ON c.workspace_id || '' = $3 AND c.id = $4"
	inputsByTypeSQL = "SELECT " + inputColumns + " FROM (SELECT 1) AS one " +
		"LEFT JOIN documents AS d ON d.workspace_id || '' = $1 AND d.id = $2 " +
		"LEFT JOIN configurations AS c ON c.workspace_id = $3 AND c.document_type = $4 AND c.is_active"
)

var sqlitePlaceholders = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?", "$4", "?")

// fixed returns a fixed statement in the database's placeholder syntax.
func (db *DB) fixed(query string) string {
	if db.isPostgres() {
		return query
	}
	return sqlitePlaceholders.Replace(query)
}

// inputScan receives inputColumns, every one of which may be NULL.
type inputScan struct {
	cID, cType, cTitle, cPayload                       sql.NullString
	cVersion                                           sql.NullInt64
	cActive                                            sql.NullBool
	cActivated                                         *dbTime
	cCreated, cUpdated                                 dbTime
	dID, dName, dType, dSHA, dMeta, dKey, dBy, dReason sql.NullString
	dProducedBy                                        sql.NullString
	dSize                                              sql.NullInt64
	dExpires, dCreated, dUpdated                       dbTime
	dDeleted                                           *dbTime
}

func (s *inputScan) dest() []any {
	return []any{&s.cID, &s.cType, &s.cTitle, &s.cVersion, &s.cActive, &s.cActivated, &s.cPayload, &s.cCreated, &s.cUpdated,
		&s.dID, &s.dName, &s.dType, &s.dSize, &s.dSHA, &s.dMeta, &s.dKey, &s.dExpires, &s.dCreated,
		&s.dUpdated, &s.dProducedBy, &s.dDeleted, &s.dBy, &s.dReason}
}

// inputs builds what was found in workspaceID.
func (s *inputScan) inputs(workspaceID string) (ports.JobInputs, error) {
	var in ports.JobInputs
	var err error
	if s.cID.Valid {
		c := &configurationRow{ID: s.cID.String, WorkspaceID: workspaceID, DocumentType: s.cType.String, Title: s.cTitle.String,
			Version: int(s.cVersion.Int64), IsActive: s.cActive.Bool, ActivatedAt: s.cActivated, Payload: s.cPayload.String,
			CreatedAt: s.cCreated, UpdatedAt: s.cUpdated}
		if in.Configuration, err = c.domain(); err != nil {
			return ports.JobInputs{}, err
		}
	}
	if s.dID.Valid {
		d := &documentRow{ID: s.dID.String, WorkspaceID: workspaceID, OriginalFilename: s.dName.String, ContentType: s.dType.String,
			ByteSize: s.dSize.Int64, SHA256: s.dSHA.String, Metadata: s.dMeta.String, BlobKey: s.dKey.String, ExpiresAt: s.dExpires,
			CreatedAt: s.dCreated, UpdatedAt: s.dUpdated, ProducedByJobID: s.dProducedBy.String, DeletedAt: s.dDeleted,
			DeletedBy: s.dBy.String, DeleteReason: s.dReason.String}
		if in.Document, err = d.domain(); err != nil {
			return ports.JobInputs{}, err
		}
	}
	return in, nil
}

// GetRun returns a job with the configuration and input document it runs
// on, in one query (a fixed statement, prepared once per connection, like
// Get's). On PostgreSQL, outside a caller's transaction, the query goes in
// the next batch of job changes, as Inputs does: it is the read a worker
// makes before it runs a job.
func (r *JobRepository) GetRun(ctx context.Context, workspaceID, id string) (ports.JobRun, error) {
	j := new(jobRow)
	var in inputScan
	dest := append([]any{&j.ID, &j.WorkspaceID, &j.Status, &j.DocumentType, &j.ConfigurationID, &j.ConfigurationVersion,
		&j.InputDocumentID, &j.CreatedBy, &j.CreatedAt, &j.UpdatedAt, &j.StartedAt, &j.FinishedAt,
		&j.Attempts, &j.Metrics, &j.Logs, &j.ErrorCode, &j.ErrorMessage, &j.OutputDocumentIDs}, in.dest()...)
	if err := r.db.batchedRow(ctx, r.db.fixed(getRunSQL), []any{workspaceID, id}, dest); err != nil {
		return ports.JobRun{}, translate("get job run", err)
	}
	job, err := j.domain()
	if err != nil {
		return ports.JobRun{}, errorf("get job run", err)
	}
	inputs, err := in.inputs(workspaceID)
	if err != nil {
		return ports.JobRun{}, errorf("get job run", err)
	}
	return ports.JobRun{Job: job, JobInputs: inputs}, nil
}

// Inputs returns a document and a configuration (by id, or the active one
// of a document type) in one query. On PostgreSQL, outside a caller's
// transaction, the query goes in the next batch of job changes
// (changeBatcher): it is the read every submission makes just before its
// change, and a round trip and a transaction of its own per submission
// cost PostgreSQL more than the read itself.
func (r *JobRepository) Inputs(ctx context.Context, workspaceID, documentID, configurationID, documentType string) (ports.JobInputs, error) {
	query, key := inputsByIDSQL, configurationID
	if configurationID == "" {
		query, key = inputsByTypeSQL, documentType
	}
	var in inputScan
	if err := r.db.batchedRow(ctx, r.db.fixed(query), []any{workspaceID, documentID, workspaceID, key}, in.dest()); err != nil {
		return ports.JobInputs{}, translate("get job inputs", err)
	}
	out, err := in.inputs(workspaceID)
	return out, errorf("get job inputs", err)
}
