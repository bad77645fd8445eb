package tabular

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ade-go/ade/ports"
)

// Report is the JSON document `ade extract` prints: one entry per table,
// the metrics and the logs.
type Report struct {
	Tables  []ReportTable  `json:"tables"`
	Metrics map[string]any `json:"metrics"`
	Logs    []ReportLog    `json:"logs"`
}

// ReportTable summarises one detected table.
type ReportTable struct {
	Title      string         `json:"title"`
	Sheet      string         `json:"sheet"`
	Range      string         `json:"range"`
	HeaderRow  int            `json:"header_row"`
	HeaderRows []int          `json:"header_rows,omitempty"`
	RowCount   int            `json:"row_count"`
	Columns    []ReportColumn `json:"columns"`
	Output     string         `json:"output,omitempty"`
}

// ReportColumn is one source column: its header, the field it maps to
// (null when unmapped) and that field's type, and the type its values
// were inferred to hold (metadata.columns[].inferred has the shares).
type ReportColumn struct {
	Header   string  `json:"header"`
	Field    *string `json:"field"`
	Type     string  `json:"type,omitempty"`
	Inferred string  `json:"inferred_type,omitempty"`
}

// ReportLog is one log line without a timestamp.
type ReportLog struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// NewReport builds the report of a tabular extraction result.
func NewReport(res ports.ExtractionResult) Report {
	rep := Report{Tables: []ReportTable{}, Metrics: res.Metrics, Logs: []ReportLog{}}
	for _, t := range res.Tables {
		rt := ReportTable{Title: t.Title, Sheet: t.Sheet, RowCount: t.RowCount, Columns: []ReportColumn{}}
		rt.Range, _ = t.Metadata["range"].(string)
		rt.HeaderRow, _ = t.Metadata["header_row"].(int)
		rt.Output, _ = t.Metadata["output"].(string)
		if hr, ok := t.Metadata["header_rows"].([]any); ok {
			for _, h := range hr {
				if n, ok := h.(int); ok {
					rt.HeaderRows = append(rt.HeaderRows, n)
				}
			}
		}
		cols, _ := t.Metadata["columns"].([]any)
		for _, c := range cols {
			m, _ := c.(map[string]any)
			rc := ReportColumn{}
			rc.Header, _ = m["header"].(string)
			if f, ok := m["field"].(string); ok {
				rc.Field = &f
			}
			rc.Type, _ = m["type"].(string)
			if inf, ok := m["inferred"].(map[string]any); ok {
				rc.Inferred, _ = inf["type"].(string)
			}
			rt.Columns = append(rt.Columns, rc)
		}
		rep.Tables = append(rep.Tables, rt)
	}
	for _, l := range res.Logs {
		rep.Logs = append(rep.Logs, ReportLog{Level: l.Level, Message: l.Message, Details: l.Details})
	}
	return rep
}

// LoadPayload reads a JSON payload file.
func LoadPayload(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var payload map[string]any
	if err := dec.Decode(&payload); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s holds more than one JSON value", path)
	}
	if payload == nil {
		return nil, fmt.Errorf("%s is not a JSON object", path)
	}
	return payload, nil
}

// ExtractFile runs the extractor on a local file. sink may be nil.
func (e *Extractor) ExtractFile(ctx context.Context, path string, payload map[string]any, sink ports.OutputSink) (ports.ExtractionResult, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return ports.ExtractionResult{}, fmt.Errorf("input: %w", err)
	}
	if fi.IsDir() {
		return ports.ExtractionResult{}, fmt.Errorf("input: %s is a directory", path)
	}
	return e.Extract(ctx, ports.ExtractionRequest{
		Payload: payload,
		Document: ports.SourceDocument{
			Filename: filepath.Base(path),
			Size:     fi.Size(),
			Open:     func(context.Context) (io.ReadCloser, error) { return os.Open(path) },
		},
		Outputs: sink,
	})
}
