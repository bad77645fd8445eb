package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/ade-go/ade/client"
)

// TestResultsReadsEveryPage serves a job of 450 tables in the API's pages
// and checks that Results asks for each page once, in order, and returns
// every table with the output documents of the first answer.
func TestResultsReadsEveryPage(t *testing.T) {
	const total = 450
	var offsets []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/workspaces/default/jobs/J1/results" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		offsets = append(offsets, offset)
		if limit < 1 || limit > 200 {
			http.Error(w, "limit out of range", http.StatusBadRequest)
			return
		}
		var tables []map[string]any
		for i := offset; i < min(offset+limit, total); i++ {
			tables = append(tables, map[string]any{"table_id": fmt.Sprint("T", i), "title": fmt.Sprint("Table ", i)})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"job_id": "J1", "tables": tables, "limit": limit, "offset": offset, "has_more": offset+limit < total,
			"output_documents": []map[string]any{{"document_id": "D1", "original_filename": "out.csv"}},
		})
	}))
	defer srv.Close()

	c := &client.Client{BaseURL: srv.URL, Key: "k", Workspace: "default"}
	res, err := c.Results(context.Background(), "J1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(offsets) != "[0 200 400]" {
		t.Errorf("asked for offsets %v, want [0 200 400]", offsets)
	}
	if len(res.Tables) != total {
		t.Fatalf("got %d tables, want %d", len(res.Tables), total)
	}
	for i, tb := range res.Tables {
		if tb.ID != fmt.Sprint("T", i) {
			t.Fatalf("table %d is %s", i, tb.ID)
		}
	}
	if res.JobID != "J1" || len(res.OutputDocuments) != 1 || res.OutputDocuments[0].ID != "D1" {
		t.Errorf("job id %q and outputs %+v", res.JobID, res.OutputDocuments)
	}
}
