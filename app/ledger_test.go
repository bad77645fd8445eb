package app_test

import (
	"errors"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("The documents ledger (Documents.Find)", func() {
	var e *env
	// Idle: jobs stay pending until the spec runs them.
	BeforeEach(func() { e = newIdleEnv(app.Config{}) })

	upload := func(name string) *domain.Document {
		d, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: name, Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
		return d
	}
	names := func(p app.Page[app.LedgerEntry]) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Document.Filename())
		}
		return out
	}

	It("finds by name and origin, newest first, each document with its latest job", func() {
		march := upload("March roster.csv")
		upload("invoices.csv")
		cfg, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{WorkspaceID: e.ws, DocumentType: "roster", Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
		Expect(err).NotTo(HaveOccurred())
		first, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: march.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.runPending()).To(Equal(1))
		latest, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: march.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(latest.ID()).NotTo(Equal(first.ID()))

		p, err := e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{Name: "ROSTER"}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(p)).To(Equal([]string{"March roster.csv"}))
		Expect(p.Items[0].LatestJob).NotTo(BeNil())
		Expect(p.Items[0].LatestJob.ID()).To(Equal(latest.ID()))
		Expect(p.Items[0].LatestJob.Status()).To(Equal(domain.JobPending))

		all, err := e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(all)).To(Equal([]string{"invoices.csv", "March roster.csv"}))
		Expect(all.Items[0].LatestJob).To(BeNil(), "a document no job read")

		uploads, err := e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{Origin: ports.OriginUpload}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(uploads)).To(Equal([]string{"invoices.csv", "March roster.csv"}))
	})

	It("pages, and says whether there are more", func() {
		for i := range 5 {
			upload(strings.Repeat("x", i+1) + ".csv")
		}
		p, err := e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{}, app.PageRequest{Limit: 2, Offset: 2})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(p)).To(Equal([]string{"xxx.csv", "xx.csv"}))
		Expect(p.HasMore).To(BeTrue())
	})

	It("refuses a bad query with the field, and a bad page", func() {
		_, err := e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{Name: strings.Repeat("a", 256)}, app.PageRequest{})
		var ve *domain.ValidationError
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		Expect(errors.As(err, &ve)).To(BeTrue(), "a validation error: %v", err)
		Expect(ve.Fields[0].Field).To(Equal("name"))
		_, err = e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{Origin: "stolen"}, app.PageRequest{})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		_, err = e.app.Documents.Find(e.ctx, e.ws, app.DocumentQuery{}, app.PageRequest{Limit: app.MaxPageLimit + 1})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
	})
})

var _ = Describe("Trying a configuration draft (Configurations.Try)", func() {
	var (
		e   *env
		doc *domain.Document
	)
	BeforeEach(func() {
		e = newEnv(app.Config{JobTimeout: 200 * time.Millisecond}, probe{})
		var err error
		doc, err = e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
	})

	// nothingWritten: a trial leaves no job, no configuration, no event
	// beyond the upload's and no blob beyond the document's.
	nothingWritten := func() {
		jobs, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(jobs.Items).To(BeEmpty())
		cfgs, err := e.app.Configurations.List(e.ctx, e.ws, ports.ConfigurationFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(cfgs.Items).To(BeEmpty())
		events, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(events.Items).To(HaveLen(1), "the upload's event only")
		Expect(e.blobs.putKeys()).To(HaveLen(1), "the document's bytes only")
	}

	It("returns the tables, metrics and logs, counting outputs without storing them", func() {
		res, err := e.app.Configurations.Try(e.ctx, app.TrialRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), DocumentType: "roster",
			Payload: map[string]any{"extractor": "probe", "mode": "outputs"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Error).To(BeNil())
		Expect(res.Tables).To(HaveLen(1))
		Expect(res.Tables[0].RowCount).To(Equal(2))
		Expect(res.Metrics).To(HaveKeyWithValue("probe", true))
		Expect(res.Logs).To(HaveLen(1))
		Expect(res.Logs[0].At.IsZero()).To(BeFalse(), "logs are stamped")
		Expect(res.OutputFiles).To(Equal(2))
		Expect(res.OutputBytes).To(Equal(2 * int64(len(rosterCSV))))
		nothingWritten()
	})

	It("reports a failed, crashed or overrunning extraction as the job error it would record", func() {
		for mode, code := range map[string]string{"explained": "corrupt_input", "error": app.CodeExtractionFailed,
			"panic": app.CodeExtractorPanic, "hang": app.CodeExtractorTimeout} {
			res, err := e.app.Configurations.Try(e.ctx, app.TrialRequest{WorkspaceID: e.ws, DocumentID: doc.ID(),
				Payload: map[string]any{"extractor": "probe", "mode": mode}})
			Expect(err).NotTo(HaveOccurred(), mode)
			Expect(res.Error).NotTo(BeNil(), mode)
			Expect(res.Error.Code).To(Equal(code), mode)
		}
		nothingWritten()
	})

	It("validates the payload like Create, with payload-relative paths", func() {
		_, err := e.app.Configurations.Try(e.ctx, app.TrialRequest{WorkspaceID: e.ws, DocumentID: doc.ID(),
			Payload: map[string]any{"extractor": "stub", "fail": 3.0}})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
		var ve *domain.ValidationError
		Expect(errors.As(err, &ve)).To(BeTrue(), "a validation error: %v", err)
		Expect(ve.Fields[0].Field).To(Equal("payload.fail"))
		nothingWritten()
	})

	It("refuses a document that is not there, deleted ones included", func() {
		Expect(e.app.Documents.Delete(e.ctx, e.ws, doc.ID(), "")).To(Succeed())
		_, err := e.app.Configurations.Try(e.ctx, app.TrialRequest{WorkspaceID: e.ws, DocumentID: doc.ID(),
			Payload: map[string]any{"extractor": "stub"}})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
		_, err = e.app.Configurations.Try(e.ctx, app.TrialRequest{WorkspaceID: e.ws, DocumentID: "01NOPE",
			Payload: map[string]any{"extractor": "stub"}})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
	})
})
