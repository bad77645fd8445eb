package domain

import (
	"fmt"
	"time"
)

// MaxSampleRows is the most sample rows a table record keeps.
const MaxSampleRows = 20

// Table is one table an extractor found in a job's input document.
type Table struct {
	s TableState
}

// TableState is a table's stored form, used by adapters.
type TableState struct {
	ID            string
	WorkspaceID   string
	JobID         string
	DocumentID    string
	SequenceIndex int
	Title         string
	Sheet         string
	RowCount      int
	Columns       []string
	SampleRows    []map[string]any
	Metadata      map[string]any
	CreatedAt     time.Time
}

// NewTable validates and creates a table record. Its text comes from the
// document, so it is scrubbed rather than refused (ScrubText,
// ScrubJSONObject: NUL and invalid UTF-8 become U+FFFD); sample rows beyond
// MaxSampleRows are dropped.
func NewTable(s TableState) (*Table, error) {
	var fields []FieldError
	for _, f := range []struct{ name, v string }{
		{"table_id", s.ID}, {"workspace_id", s.WorkspaceID}, {"job_id", s.JobID}, {"document_id", s.DocumentID},
	} {
		if f.v == "" {
			fields = append(fields, FieldError{f.name, "is required"})
		}
	}
	if s.SequenceIndex < 0 {
		fields = append(fields, FieldError{"sequence_index", "must not be negative"})
	}
	if s.RowCount < 0 {
		fields = append(fields, FieldError{"row_count", "must not be negative"})
	}
	meta, err := ScrubJSONObject(s.Metadata, MaxPayloadBytes)
	if err != nil {
		fields = append(fields, jsonFieldError("metadata", err))
	}
	if len(s.SampleRows) > MaxSampleRows {
		s.SampleRows = s.SampleRows[:MaxSampleRows]
	}
	rows := make([]map[string]any, len(s.SampleRows))
	for i, r := range s.SampleRows {
		if rows[i], err = ScrubJSONObject(r, MaxPayloadBytes); err != nil {
			fields = append(fields, jsonFieldError(fmt.Sprintf("sample_rows[%d]", i), err))
		}
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid table", fields...)
	}
	s.Title, s.Sheet = ScrubText(s.Title), ScrubText(s.Sheet)
	cols := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		cols[i] = ScrubText(c)
	}
	s.Columns, s.SampleRows, s.Metadata = cols, rows, meta
	s.CreatedAt = s.CreatedAt.UTC()
	return RehydrateTable(s), nil
}

// RehydrateTable rebuilds a stored table. It is not a constructor: it
// trusts its input.
func RehydrateTable(s TableState) *Table {
	return &Table{s: copyTableState(s)}
}

func copyTableState(s TableState) TableState {
	s.Columns = append([]string{}, s.Columns...)
	s.SampleRows = cloneRows(s.SampleRows)
	if s.SampleRows == nil {
		s.SampleRows = []map[string]any{}
	}
	s.Metadata = CloneMap(s.Metadata)
	return s
}

// State returns a deep copy of the table's stored form.
func (t *Table) State() TableState { return copyTableState(t.s) }

// ID returns the table id.
func (t *Table) ID() string { return t.s.ID }

// JobID returns the job that found the table.
func (t *Table) JobID() string { return t.s.JobID }
