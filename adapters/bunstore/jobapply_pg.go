package bunstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// pgArgs collects a statement's bound arguments and writes their $n
// placeholders.
type pgArgs []any

// add binds v and returns its placeholder, with cast appended when set
// (a value selected rather than inserted has no target column to type it).
func (a *pgArgs) add(v any, cast string) string {
	*a = append(*a, v)
	p := "$" + strconv.Itoa(len(*a))
	if cast != "" {
		p += "::" + cast
	}
	return p
}

// jobSetColumns are the columns a change of a job writes (all but its id,
// workspace and creation time), in jobRow's field order.
var jobSetColumns = []string{"status", "document_type", "configuration_id", "configuration_version", "input_document_id",
	"created_by", "updated_at", "started_at", "finished_at", "attempts", "metrics", "logs", "error_code", "error_message",
	"output_document_ids"}

// setValues are row's values for jobSetColumns.
func (r *jobRow) setValues() []any {
	return []any{r.Status, r.DocumentType, r.ConfigurationID, r.ConfigurationVersion, r.InputDocumentID, r.CreatedBy,
		r.UpdatedAt.Time, pgTime(r.StartedAt), pgTime(r.FinishedAt), r.Attempts, r.Metrics, r.Logs, r.ErrorCode,
		r.ErrorMessage, r.OutputDocumentIDs}
}

// pgTime is a nullable timestamp as a bound argument.
func pgTime(t *dbTime) any {
	if t == nil {
		return nil
	}
	return t.Time
}

// eventColumns are the events table's columns in eventRow's field order,
// with the types an unnest of their arrays needs.
var eventColumns = []struct{ name, typ string }{
	{"id", "text"}, {"workspace_id", "text"}, {"event_type", "text"}, {"entity_type", "text"}, {"entity_id", "text"},
	{"occurred_at", "timestamptz"}, {"actor_type", "text"}, {"actor_id", "text"}, {"actor_label", "text"},
	{"source", "text"}, {"request_id", "text"}, {"payload", "jsonb"},
}

// tableColumns are the extracted_tables columns in tableRow's field order.
var tableColumns = []struct{ name, typ string }{
	{"id", "text"}, {"workspace_id", "text"}, {"job_id", "text"}, {"document_id", "text"}, {"sequence_index", "int"},
	{"title", "text"}, {"sheet", "text"}, {"row_count", "int"}, {"columns", "jsonb"}, {"sample_rows", "jsonb"},
	{"metadata", "jsonb"}, {"created_at", "timestamptz"},
}

// eventArrays are events as one array per column (eventColumns' order).
func eventArrays(events []*eventRow) []any {
	id, ws, typ, ent, entID := make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	at := make([]time.Time, len(events))
	aType, aID, aLabel, src, req, payload := make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	for i, e := range events {
		id[i], ws[i], typ[i], ent[i], entID[i] = e.ID, e.WorkspaceID, e.EventType, e.EntityType, e.EntityID
		at[i] = e.OccurredAt.Time
		aType[i], aID[i], aLabel[i], src[i], req[i], payload[i] = e.ActorType, e.ActorID, e.ActorLabel, e.Source, e.RequestID, e.Payload
	}
	return []any{id, ws, typ, ent, entID, at, aType, aID, aLabel, src, req, payload}
}

// tableArrays are tables as one array per column (tableColumns' order).
func tableArrays(tables []*tableRow) []any {
	n := len(tables)
	id, ws, job, doc, title, sheet := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seq, rows := make([]int32, n), make([]int32, n)
	cols, sample, meta := make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	for i, t := range tables {
		id[i], ws[i], job[i], doc[i], title[i], sheet[i] = t.ID, t.WorkspaceID, t.JobID, t.DocumentID, t.Title, t.Sheet
		seq[i], rows[i] = int32(t.SequenceIndex), int32(t.RowCount)
		cols[i], sample[i], meta[i] = t.Columns, t.SampleRows, t.Metadata
		at[i] = t.CreatedAt.Time
	}
	return []any{id, ws, job, doc, seq, title, sheet, rows, cols, sample, meta, at}
}

// insertUnnest appends ", name AS (INSERT INTO table (columns) SELECT
// the columns FROM u, unnest(one array per column))": every row is
// bound as arrays, so the statement's text is the same whatever the
// number of rows.
func insertUnnest(b *strings.Builder, args *pgArgs, name, table string, cols []struct{ name, typ string }, arrays []any) {
	names := make([]string, len(cols))
	sel := make([]string, len(cols))
	arr := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		sel[i] = "x." + c.name
		// jsonb travels as text: an array of jsonb would need each element
		// encoded as such; the cast is per element in the select list.
		typ := c.typ
		if typ == "jsonb" {
			typ, sel[i] = "text", "x."+c.name+"::jsonb"
		}
		arr[i] = args.add(arrays[i], typ+"[]")
	}
	fmt.Fprintf(b, ", %s AS (INSERT INTO %s (%s) SELECT %s FROM u, unnest(%s) AS x(%s))", name, table,
		strings.Join(names, ", "), strings.Join(sel, ", "), strings.Join(arr, ", "), strings.Join(names, ", "))
}

// applyPostgres runs Apply's one PostgreSQL statement: WITH u AS (the
// guarded UPDATE, or the INSERT, of the job ... RETURNING 1), an INSERT of
// the events, one of the tables and the queue's insert of the tasks, each
// selecting from u (so they go in only when u matched), and a final SELECT that counts u, so that no match reads
// as a conflict, says whether the workspace has live webhooks when the
// change required none, and, when c.Inputs is set, reads the job's
// configuration and input document (a worker's start then needs no read of
// its own). Every value is a bound argument and the text depends only on
// the change's shape, so each connection prepares and plans it once
// instead of parsing and planning a new text on every call. Outside a
// caller's transaction the statement goes in a batch with the changes
// other goroutines make at the same time (changeBatcher); inside one, on
// the transaction's connection.
func (r *JobRepository) applyPostgres(ctx context.Context, c ports.JobChange, row *jobRow, events []*eventRow, tables []*tableRow, tasks TaskWriter) error {
	query, args, err := applyStatement(c, row, events, tables, tasks)
	if err != nil {
		return err
	}
	var in inputScan
	dest := []any{new(int), new(bool)}
	if c.Inputs != nil {
		dest = append(dest, in.dest()...)
	}
	if r.db.inTx(ctx) {
		err = r.db.queryRow(ctx, query, args...).Scan(dest...)
	} else {
		// Outside a caller's transaction, concurrent changes share
		// batches (see changeBatcher).
		err = r.db.batch.queryRow(ctx, query, args, dest)
	}
	if err != nil {
		return translate("apply job change", err)
	}
	n, exist := *dest[0].(*int), *dest[1].(*bool)
	if n > 0 && len(dest) > 2 {
		found, err := in.inputs(row.WorkspaceID)
		if err != nil {
			return errorf("apply job change", err)
		}
		*c.Inputs = found
	}
	switch {
	case n == 0 && exist:
		return ports.ErrWebhooksExist
	case n == 0:
		return fmt.Errorf("apply job change: %w: the job moved on", domain.ErrConflict)
	}
	return nil
}

// applyStatement is applyPostgres's statement for c and its arguments:
// it returns the count of rows changed, whether the workspace has live
// webhooks, and, when c.Inputs is set, inputColumns.
func applyStatement(c ports.JobChange, row *jobRow, events []*eventRow, tables []*tableRow, tasks TaskWriter) (string, pgArgs, error) {
	var b strings.Builder
	var args pgArgs
	ws := args.add(row.WorkspaceID, "")
	id := args.add(row.ID, "")
	set := row.setValues()
	// The workspace's live webhooks, for the guard and the final SELECT.
	hooksSQL := strings.Replace(liveWebhooksSQL, "?", ws, 1)
	if c.From == "" {
		vals := []string{id, ws, args.add(row.CreatedAt.Time, "")}
		for _, v := range set {
			vals = append(vals, args.add(v, ""))
		}
		fmt.Fprintf(&b, "WITH u AS (INSERT INTO jobs (id, workspace_id, created_at, %s) VALUES (%s) RETURNING 1)",
			strings.Join(jobSetColumns, ", "), strings.Join(vals, ", "))
	} else {
		assign := make([]string, len(set))
		for i, v := range set {
			assign[i] = jobSetColumns[i] + " = " + args.add(v, "")
		}
		job := strings.Replace(strings.Replace(byID, "?", ws, 1), "?", id, 1)
		fmt.Fprintf(&b, "WITH u AS (UPDATE jobs SET %s WHERE %s AND status = %s AND attempts = %s",
			strings.Join(assign, ", "), job, args.add(string(c.From), ""), args.add(c.Attempts, ""))
		if c.NoWebhooks {
			b.WriteString(" AND NOT EXISTS (" + hooksSQL + ")")
		}
		b.WriteString(" RETURNING 1)")
	}
	if len(events) > 0 {
		insertUnnest(&b, &args, "e", "events", eventColumns, eventArrays(events))
	}
	if len(tables) > 0 {
		insertUnnest(&b, &args, "t", "extracted_tables", tableColumns, tableArrays(tables))
	}
	if tasks != nil {
		q, err := tasks.InsertFromU(c.Tasks, args.add)
		if err != nil {
			return "", nil, errorf("apply job change", err)
		}
		b.WriteString(", q AS (" + q + ")")
	}
	b.WriteString(" SELECT (SELECT count(*) FROM u), ")
	if c.From != "" && c.NoWebhooks {
		b.WriteString("EXISTS (" + hooksSQL + ")")
	} else {
		b.WriteString("false")
	}
	if c.Inputs != nil {
		// Inputs' own statement by id, its placeholders bound here.
		doc, cfg := args.add(row.InputDocumentID, ""), args.add(row.ConfigurationID, "")
		b.WriteString(", " + strings.NewReplacer("$1", ws, "$2", doc, "$3", ws, "$4", cfg).Replace(strings.TrimPrefix(inputsByIDSQL, "SELECT ")))
	}
	return b.String(), args, nil
}
