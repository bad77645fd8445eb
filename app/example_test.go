package app_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
)

// Example shows another service embedding ADE: in-memory repositories and
// job queue, an in-memory blob store and the stub extractor; upload a CSV,
// configure its document type, submit a job and read the table it
// produced.
func Example() {
	ctx := context.Background()

	blobs, err := blobstore.Open(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer blobs.Close()
	extractors, err := app.NewExtractors(stub.Extractor{})
	if err != nil {
		log.Fatal(err)
	}
	store := memory.New()
	// Two workers run the queued jobs in this process.
	queue := memory.NewQueue(store, memory.QueueOptions{Workers: 2})
	ade, err := app.New(app.Deps{
		Repos:      store.Repositories(),
		Queue:      queue,
		Blobs:      blobs,
		Extractors: extractors,
		Clock:      system.Clock{},
		IDs:        system.NewULIDs(),
	})
	if err != nil {
		log.Fatal(err)
	}
	queue.Start(ade.Tasks)
	defer queue.Stop(ctx)

	ws, err := ade.Workspaces.EnsureDefault(ctx)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := ade.Documents.Upload(ctx, app.UploadRequest{
		WorkspaceID: ws.ID(),
		Filename:    "roster.csv",
		Body:        strings.NewReader("first name,email\nAvery,avery@example.com\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := ade.Configurations.Create(ctx, app.CreateConfigurationRequest{
		WorkspaceID: ws.ID(), DocumentType: "member_roster", Title: "Member roster",
		Payload: map[string]any{"extractor": "stub"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ade.Configurations.Activate(ctx, ws.ID(), cfg.ID()); err != nil {
		log.Fatal(err)
	}

	job, err := ade.Jobs.Submit(ctx, app.SubmitJobRequest{
		WorkspaceID: ws.ID(), DocumentID: doc.ID(), DocumentType: "member_roster",
	})
	if err != nil {
		log.Fatal(err)
	}
	results, err := ade.Jobs.Results(ctx, ws.ID(), job.ID(), app.PageRequest{})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("document:", doc.Filename(), doc.ByteSize(), "bytes")
	fmt.Println("job:", job.Status())
	for _, t := range results.Tables.Items {
		st := t.State()
		fmt.Println("table:", st.Title, st.Columns, st.RowCount, "rows")
		fmt.Println("version row:", st.SampleRows[2]["field"], st.SampleRows[2]["value"])
	}
	// Output:
	// document: roster.csv 41 bytes
	// job: succeeded
	// table: Member Roster summary [field value] 3 rows
	// version row: configuration_version 1
}
