package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// probeGate holds a probe in mode "gated" after it wrote an output, until
// a spec sends on it; probeGated reports the job id once it is held.
var (
	probeGate  = make(chan struct{})
	probeGated = make(chan string, 16)
)

// probeWaiting and probeStopped report the "wait" mode's progress: the
// job id when it starts waiting, and again when its context ends.
var probeWaiting, probeStopped = make(chan string, 16), make(chan string, 16)

// probe is an extractor whose behaviour the payload's "mode" picks, to
// drive every path of the job runner.
type probe struct{}

func (probe) Name() string { return "probe" }

func (probe) ValidatePayload(p map[string]any) error {
	switch p["mode"] {
	case "ok", "error", "explained", "panic", "hang", "outputs", "outputs-then-fail", "unclosed", "gated", "wait":
		return nil
	}
	return domain.NewUnprocessable("bad probe payload", domain.FieldError{Field: "mode", Message: "unknown mode"})
}

func (probe) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	res := ports.ExtractionResult{
		Tables:  []ports.ExtractedTable{{Title: "t", Sheet: "s", RowCount: 2, Columns: []string{"a"}, SampleRows: []map[string]any{{"a": "1"}, {"a": "2"}}}},
		Metrics: map[string]any{"probe": true},
		Logs:    []domain.LogEntry{{Level: domain.LogInfo, Message: "probe ran"}},
	}
	writeOutput := func(name string) error {
		w, err := req.Outputs.Create(ctx, name, "text/csv")
		if err != nil {
			return err
		}
		rc, err := req.Document.Open(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(w, rc); err != nil {
			return err
		}
		return w.Close()
	}
	switch req.Payload["mode"] {
	case "error":
		return res, errors.New("the input made no sense")
	case "explained":
		return res, &ports.ExtractionError{Code: "corrupt_input", Message: "the workbook is damaged"}
	case "panic":
		var m map[string]int
		m["boom"]++ //nolint:staticcheck // a nil-map write: a real runtime panic
	case "hang":
		<-make(chan struct{}) // ignores its context on purpose
	case "wait":
		// Writes an output, then waits for its context to end (a
		// cancellation), and says so.
		if err := writeOutput("waiting.csv"); err != nil {
			return res, err
		}
		probeWaiting <- req.JobID
		<-ctx.Done()
		probeStopped <- req.JobID
		return res, ctx.Err()
	case "outputs":
		for i := range 2 {
			if err := writeOutput(fmt.Sprintf("out-%d.csv", i)); err != nil {
				return res, err
			}
		}
	case "outputs-then-fail":
		if err := writeOutput("partial.csv"); err != nil {
			return res, err
		}
		return res, &ports.ExtractionError{Code: "late_failure", Message: "failed after writing"}
	case "gated":
		if err := writeOutput("gated.csv"); err != nil {
			return res, err
		}
		probeGated <- req.JobID
		<-probeGate
	case "unclosed":
		w, err := req.Outputs.Create(ctx, "never-closed.csv", "text/csv")
		if err != nil {
			return res, err
		}
		_, _ = w.Write([]byte("half"))
	}
	return res, nil
}
