// Package stub is ADE's lightweight demonstration extractor: it reads
// nothing of the document and reports one summary table, or fails on
// request. Tests and demos use it to drive the job lifecycle.
package stub

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Name is the extractor name configurations use.
const Name = "stub"

var _ ports.Extractor = Extractor{}

// Extractor is the stub extractor. Payload: {"extractor":"stub"} succeeds;
// {"extractor":"stub","fail":"reason"} fails with that reason.
type Extractor struct{}

// Name returns "stub".
func (Extractor) Name() string { return Name }

// ValidatePayload accepts the keys "extractor" and "fail" (a string).
func (Extractor) ValidatePayload(payload map[string]any) error {
	var fields []domain.FieldError
	keys := make([]string, 0, len(payload))
	for k := range payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "extractor":
			if payload[k] != Name {
				fields = append(fields, domain.FieldError{Field: k, Message: "must be \"stub\""})
			}
		case "fail":
			if _, ok := payload[k].(string); !ok {
				fields = append(fields, domain.FieldError{Field: k, Message: "must be a string"})
			}
		default:
			fields = append(fields, domain.FieldError{Field: k, Message: "is not a known key"})
		}
	}
	if len(fields) > 0 {
		return domain.NewUnprocessable("invalid stub configuration", fields...)
	}
	return nil
}

// Extract returns the "<Document Type> summary" table with rows job_id,
// document_id and configuration_version, or fails with the payload's
// reason.
func (Extractor) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	if err := ctx.Err(); err != nil {
		return ports.ExtractionResult{}, err
	}
	if reason, ok := req.Payload["fail"].(string); ok && reason != "" {
		return ports.ExtractionResult{}, &ports.ExtractionError{Code: "stub_failure", Message: reason}
	}
	rows := []map[string]any{
		{"field": "job_id", "value": req.JobID},
		{"field": "document_id", "value": req.Document.ID},
		{"field": "configuration_version", "value": float64(req.ConfigurationVersion)},
	}
	return ports.ExtractionResult{
		Tables: []ports.ExtractedTable{{
			Title:      titleCase(req.DocumentType) + " summary",
			Sheet:      "summary",
			RowCount:   len(rows),
			Columns:    []string{"field", "value"},
			SampleRows: rows,
			Metadata:   map[string]any{"extractor": Name},
		}},
		Metrics: map[string]any{
			"document_type":   req.DocumentType,
			"tables_detected": float64(1),
			"pages_processed": float64(1),
			"rows_extracted":  float64(len(rows)),
		},
		Logs: []domain.LogEntry{{Level: domain.LogInfo, Message: "stub extractor produced a summary table",
			Details: map[string]any{"document_id": req.Document.ID}}},
	}, nil
}

// titleCase upper-cases the first letter of each word of a document type
// ("invoice_batch" -> "Invoice Batch").
func titleCase(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' })
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	return strings.Join(words, " ")
}
