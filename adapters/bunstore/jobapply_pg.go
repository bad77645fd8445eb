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
// with the types their bound values are cast to.
var eventColumns = []struct{ name, typ string }{
	{"id", "text"}, {"workspace_id", "text"}, {"event_type", "text"}, {"entity_type", "text"}, {"entity_id", "text"},
	{"occurred_at", "timestamptz"}, {"actor_type", "text"}, {"actor_id", "text"}, {"actor_label", "text"},
	{"source", "text"}, {"request_id", "text"}, {"payload", "jsonb"},
}

// tableColumns are the extracted_tables columns in tableRow's field order,
// with the types their bound values are cast to.
var tableColumns = []struct{ name, typ string }{
	{"id", "text"}, {"workspace_id", "text"}, {"job_id", "text"}, {"document_id", "text"}, {"sequence_index", "int"},
	{"title", "text"}, {"sheet", "text"}, {"row_count", "int"}, {"columns", "jsonb"}, {"sample_rows", "jsonb"},
	{"metadata", "jsonb"}, {"created_at", "timestamptz"},
}

// eventValues is an event row's values in eventColumns' order.
func eventValues(e *eventRow) []any {
	return []any{e.ID, e.WorkspaceID, e.EventType, e.EntityType, e.EntityID, e.OccurredAt.Time, e.ActorType, e.ActorID,
		e.ActorLabel, e.Source, e.RequestID, e.Payload}
}

// tableValues is a table row's values in tableColumns' order.
func tableValues(t *tableRow) []any {
	return []any{t.ID, t.WorkspaceID, t.JobID, t.DocumentID, int32(t.SequenceIndex), t.Title, t.Sheet, int32(t.RowCount),
		t.Columns, t.SampleRows, t.Metadata, t.CreatedAt.Time}
}

// columnArrays turns rows (each its values in cols' order) into one typed
// array per column.
func columnArrays(cols []struct{ name, typ string }, rows [][]any) []any {
	arrays := make([]any, len(cols))
	for i, c := range cols {
		switch c.typ {
		case "int":
			a := make([]int32, len(rows))
			for r, row := range rows {
				a[r] = row[i].(int32)
			}
			arrays[i] = a
		case "timestamptz":
			a := make([]time.Time, len(rows))
			for r, row := range rows {
				a[r] = row[i].(time.Time)
			}
			arrays[i] = a
		default: // text, and jsonb as its text
			a := make([]string, len(rows))
			for r, row := range rows {
				a[r] = row[i].(string)
			}
			arrays[i] = a
		}
	}
	return arrays
}

// insertRows appends ", name AS (INSERT INTO table (columns) SELECT ...
// FROM u)" for rows (each its values in cols' order). One row, the usual
// case (a change's one event, a job's one table), is bound value by value;
// several are bound as one array per column and unnested, so the
// statement's text depends on the number of rows only as one or several.
// Binding arrays costs both sides more work per value (pgx encodes them by
// reflection, PostgreSQL decodes and unnests them).
func insertRows(b *strings.Builder, args *pgArgs, name, table string, cols []struct{ name, typ string }, rows [][]any) {
	names := make([]string, len(cols))
	sel := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	if len(rows) == 1 {
		for i, c := range cols {
			sel[i] = args.add(rows[0][i], c.typ)
		}
		fmt.Fprintf(b, ", %s AS (INSERT INTO %s (%s) SELECT %s FROM u)", name, table, strings.Join(names, ", "), strings.Join(sel, ", "))
		return
	}
	arrays := columnArrays(cols, rows)
	arr := make([]string, len(cols))
	for i, c := range cols {
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
	if err = r.db.batchedRow(ctx, query, args, dest); err != nil {
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
		rows := make([][]any, len(events))
		for i, e := range events {
			rows[i] = eventValues(e)
		}
		insertRows(&b, &args, "e", "events", eventColumns, rows)
	}
	if len(tables) > 0 {
		rows := make([][]any, len(tables))
		for i, t := range tables {
			rows[i] = tableValues(t)
		}
		insertRows(&b, &args, "t", "extracted_tables", tableColumns, rows)
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
