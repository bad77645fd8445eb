package app_test

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("Configurations", func() {
	var e *env
	BeforeEach(func() { e = newEnv(app.Config{}, probe{}) })

	create := func(docType string, payload map[string]any) (*domain.Configuration, error) {
		return e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{
			WorkspaceID: e.ws, DocumentType: docType, Title: "Roster " + docType, Payload: payload})
	}

	It("numbers versions per document type and starts them inactive", func() {
		for want := 1; want <= 3; want++ {
			c, err := create("roster", map[string]any{"extractor": "stub"})
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Version()).To(Equal(want))
			Expect(c.IsActive()).To(BeFalse())
		}
		c, err := create("invoice", map[string]any{"extractor": "stub"})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Version()).To(Equal(1))
	})

	It("switches the active version atomically", func() {
		v1, _ := create("roster", map[string]any{"extractor": "stub"})
		v2, _ := create("roster", map[string]any{"extractor": "stub"})
		other, _ := create("invoice", map[string]any{"extractor": "stub"})
		_, err := e.app.Configurations.Activate(e.ctx, e.ws, other.ID())
		Expect(err).NotTo(HaveOccurred())
		_, err = e.app.Configurations.Activate(e.ctx, e.ws, v1.ID())
		Expect(err).NotTo(HaveOccurred())
		got, err := e.app.Configurations.Activate(e.ctx, e.ws, v2.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.IsActive()).To(BeTrue())

		active := true
		page, err := e.app.Configurations.List(e.ctx, e.ws, ports.ConfigurationFilter{DocumentType: "roster", IsActive: &active}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Items).To(HaveLen(1))
		Expect(page.Items[0].ID()).To(Equal(v2.ID()))
		stillActive, _ := e.app.Configurations.Get(e.ctx, e.ws, other.ID())
		Expect(stillActive.IsActive()).To(BeTrue(), "another type's active version is untouched")

		timeline, err := e.app.Configurations.Events(e.ctx, e.ws, v2.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(types(timeline.Items)).To(Equal([]string{domain.EventConfigurationCreated, domain.EventConfigurationActivated}))
		Expect(timeline.Items[1].State().Payload["previous_configuration_id"]).To(Equal(v1.ID()))
	})

	DescribeTable("refuses payloads with the path of the fault",
		func(payload map[string]any, field string) {
			_, err := create("roster", payload)
			Expect(err).To(MatchError(domain.ErrUnprocessable))
			Expect(fieldsOf(err)).To(ContainElement(field))
			page, _ := e.app.Configurations.List(e.ctx, e.ws, ports.ConfigurationFilter{}, app.PageRequest{})
			Expect(page.Items).To(BeEmpty())
		},
		Entry("unknown extractor", map[string]any{"extractor": "ocr"}, "payload.extractor"),
		Entry("unknown key for stub", map[string]any{"extractor": "stub", "colour": "red"}, "payload.colour"),
		Entry("extractor's own refusal", map[string]any{"extractor": "probe", "mode": "dance"}, "payload.mode"),
	)

	It("refuses a configuration without a payload as invalid input, like any missing member", func() {
		_, err := create("roster", nil)
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		Expect(fieldsOf(err)).To(ConsistOf("payload"))
	})
})

func types(events []*domain.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type()
	}
	return out
}

var _ = Describe("Jobs", func() {
	var (
		e   *env
		doc *domain.Document
	)
	BeforeEach(func() {
		e = newEnv(app.Config{JobTimeout: 300 * time.Millisecond}, probe{})
		var err error
		doc, err = e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
	})

	configure := func(payload map[string]any) *domain.Configuration {
		c, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{
			WorkspaceID: e.ws, DocumentType: "roster", Title: "Roster", Payload: payload})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	submit := func(cfg *domain.Configuration) *domain.Job {
		j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		return j
	}
	jobEvents := func(j *domain.Job) []*domain.Event {
		p, err := e.app.Jobs.Events(e.ctx, e.ws, j.ID(), ports.EventFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		return p.Items
	}
	countJobs := func() int {
		p, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{}, app.PageRequest{Limit: 200})
		Expect(err).NotTo(HaveOccurred())
		return len(p.Items)
	}

	It("runs the stub synchronously and persists metrics, logs, tables and events in order", func() {
		cfg := configure(map[string]any{"extractor": "stub"})
		ctx := app.WithRequestID(app.WithActor(e.ctx, domain.Actor{Type: domain.ActorAPIKey, ID: "key-1", Label: "ci"}), "req-42")
		j, err := e.app.Jobs.Submit(ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(j.Status()).To(Equal(domain.JobSucceeded))

		stored, err := e.app.Jobs.Get(e.ctx, e.ws, j.ID())
		Expect(err).NotTo(HaveOccurred())
		st := stored.State()
		Expect(st.Status).To(Equal(domain.JobSucceeded))
		Expect(st.Attempts).To(Equal(1))
		Expect(st.CreatedBy).To(Equal("key-1"))
		Expect(st.ConfigurationVersion).To(Equal(1))
		Expect(st.StartedAt).NotTo(BeNil())
		Expect(st.FinishedAt).NotTo(BeNil())
		Expect(st.Metrics).To(HaveKey("duration_ms"))
		Expect(st.Metrics).To(HaveKeyWithValue("tables_detected", json.Number("1")))
		Expect(st.Metrics).To(HaveKeyWithValue("rows_extracted", json.Number("3")))
		Expect(st.Metrics).To(HaveKeyWithValue("document_type", "roster"))
		Expect(st.Metrics).To(HaveKeyWithValue("pages_processed", json.Number("1")))
		Expect(st.Logs).To(HaveLen(1))
		Expect(st.Logs[0].At).NotTo(BeZero())

		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Tables.Items).To(HaveLen(1))
		tb := res.Tables.Items[0].State()
		Expect(tb.Title).To(Equal("Roster summary"))
		Expect(tb.Columns).To(Equal([]string{"field", "value"}))
		Expect(tb.SampleRows).To(ContainElement(map[string]any{"field": "job_id", "value": j.ID()}))
		Expect(tb.SampleRows).To(ContainElement(map[string]any{"field": "document_id", "value": doc.ID()}))

		evs := jobEvents(j)
		Expect(types(evs)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
		for _, ev := range evs {
			Expect(ev.State().RequestID).To(Equal("req-42"))
			Expect(ev.State().ActorID).To(Equal("key-1"))
		}
	})

	It("uses the active configuration of a document type", func() {
		configure(map[string]any{"extractor": "stub"})
		v2 := configure(map[string]any{"extractor": "stub"})
		_, err := e.app.Configurations.Activate(e.ctx, e.ws, v2.ID())
		Expect(err).NotTo(HaveOccurred())
		j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), DocumentType: "roster"})
		Expect(err).NotTo(HaveOccurred())
		Expect(j.State().ConfigurationVersion).To(Equal(2))
	})

	DescribeTable("refuses references that do not resolve and creates no job",
		func(req func(cfg *domain.Configuration) app.SubmitJobRequest, field string) {
			cfg := configure(map[string]any{"extractor": "stub"})
			_, err := e.app.Jobs.Submit(e.ctx, req(cfg))
			Expect(err).To(MatchError(domain.ErrUnprocessable))
			Expect(fieldsOf(err)).To(ContainElement(field))
			Expect(countJobs()).To(Equal(0))
		},
		Entry("unknown document", func(c *domain.Configuration) app.SubmitJobRequest {
			return app.SubmitJobRequest{DocumentID: "01J00000000000000000000000", ConfigurationID: c.ID()}
		}, "document_id"),
		Entry("unknown configuration", func(c *domain.Configuration) app.SubmitJobRequest {
			return app.SubmitJobRequest{ConfigurationID: "01J00000000000000000000000"}
		}, "configuration_id"),
		Entry("no active configuration", func(c *domain.Configuration) app.SubmitJobRequest {
			return app.SubmitJobRequest{DocumentType: "roster"}
		}, "document_type"),
		Entry("neither configuration nor type", func(c *domain.Configuration) app.SubmitJobRequest {
			return app.SubmitJobRequest{}
		}, "configuration_id"),
	)

	It("refuses a deleted document", func() {
		cfg := configure(map[string]any{"extractor": "stub"})
		Expect(e.app.Documents.Delete(e.ctx, e.ws, doc.ID(), "")).To(Succeed())
		_, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
		Expect(fieldsOf(err)).To(ContainElement("document_id"))
		Expect(countJobs()).To(Equal(0))
	})

	DescribeTable("ends failed with the reason when the extractor does not succeed",
		func(payload map[string]any, code, message string) {
			j := submit(configure(payload))
			Expect(j.Status()).To(Equal(domain.JobFailed))
			Expect(j.Error()).NotTo(BeNil())
			Expect(j.Error().Code).To(Equal(code))
			Expect(j.Error().Message).To(ContainSubstring(message))
			stored, err := e.app.Jobs.Get(e.ctx, e.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(stored.Status()).To(Equal(domain.JobFailed))
			Expect(stored.State().FinishedAt).NotTo(BeNil())
			Expect(types(jobEvents(j))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobFailed}))
			res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Tables.Items).To(BeEmpty())
			Expect(res.OutputDocuments).To(BeEmpty())
		},
		Entry("stub asked to fail", map[string]any{"extractor": "stub", "fail": "no pages"}, "stub_failure", "no pages"),
		Entry("plain error", map[string]any{"extractor": "probe", "mode": "error"}, app.CodeExtractionFailed, "made no sense"),
		Entry("explained error", map[string]any{"extractor": "probe", "mode": "explained"}, "corrupt_input", "damaged"),
		Entry("panic", map[string]any{"extractor": "probe", "mode": "panic"}, app.CodeExtractorPanic, "crashed"),
		Entry("timeout", map[string]any{"extractor": "probe", "mode": "hang"}, app.CodeExtractorTimeout, "300ms"),
		Entry("output left open", map[string]any{"extractor": "probe", "mode": "unclosed"}, app.CodeExtractionFailed, "not closed"),
	)

	It("reports input bytes missing from the blob store in its own words, not the store's (which name server paths)", func() {
		Expect(e.blobs.Delete(e.ctx, doc.BlobKey())).To(Succeed())
		j := submit(configure(map[string]any{"extractor": "probe", "mode": "outputs"}))
		Expect(j.Status()).To(Equal(domain.JobFailed))
		Expect(*j.Error()).To(Equal(domain.JobError{Code: app.CodeInputUnavailable,
			Message: "the input document's stored bytes could not be read: missing from the blob store"}))
		Expect(e.logs).To(gbytes.Say("open job input"), "the store's own error is logged")
	})

	It("keeps the metrics a failed extractor reports beside its own", func() {
		j := submit(configure(map[string]any{"extractor": "probe", "mode": "explained"}))
		Expect(j.Status()).To(Equal(domain.JobFailed))
		m := j.State().Metrics
		Expect(m).To(HaveKeyWithValue("probe", true))
		Expect(m).To(HaveKeyWithValue("tables_detected", json.Number("0")))
		Expect(m).To(HaveKeyWithValue("rows_extracted", json.Number("0")))
		Expect(m).To(HaveKey("duration_ms"))
	})

	It("registers output documents produced by a successful job", func() {
		j := submit(configure(map[string]any{"extractor": "probe", "mode": "outputs"}))
		Expect(j.Status()).To(Equal(domain.JobSucceeded))
		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.OutputDocuments).To(HaveLen(2))
		Expect(j.State().OutputDocumentIDs).To(Equal([]string{res.OutputDocuments[0].ID(), res.OutputDocuments[1].ID()}))
		for i, d := range res.OutputDocuments {
			Expect(d.Filename()).To(Equal([]string{"out-0.csv", "out-1.csv"}[i]))
			Expect(d.ProducedByJobID()).To(Equal(j.ID()))
			Expect(d.SHA256()).To(Equal(sum(rosterCSV)))
			_, rc, err := e.app.Documents.Open(e.ctx, e.ws, d.ID(), 0, -1)
			Expect(err).NotTo(HaveOccurred())
			b, _ := io.ReadAll(rc)
			rc.Close()
			Expect(string(b)).To(Equal(rosterCSV))
		}
	})

	It("leaves a deleted output document out of the job's results", func() {
		j := submit(configure(map[string]any{"extractor": "probe", "mode": "outputs"}))
		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.OutputDocuments).To(HaveLen(2))
		Expect(e.app.Documents.Delete(e.ctx, e.ws, res.OutputDocuments[0].ID(), "wrong sheet")).To(Succeed())
		res, err = e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.OutputDocuments).To(HaveLen(1))
		Expect(res.OutputDocuments[0].Filename()).To(Equal("out-1.csv"))
	})

	It("removes the outputs of a job that fails after writing them", func() {
		before := len(e.blobs.putKeys())
		j := submit(configure(map[string]any{"extractor": "probe", "mode": "outputs-then-fail"}))
		Expect(j.Status()).To(Equal(domain.JobFailed))
		Expect(j.Error().Code).To(Equal("late_failure"))
		keys := e.blobs.putKeys()[before:]
		Expect(keys).To(HaveLen(1))
		_, err := e.blobs.Open(e.ctx, keys[0], 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound))
		page, _ := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{})
		Expect(page.Items).To(HaveLen(1), "only the input document")
	})

	It("cancels a pending job once and refuses to cancel a terminal one", func() {
		e = newIdleEnv(app.Config{JobTimeout: 300 * time.Millisecond}, probe{})
		var err error
		doc, err = e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
		cfg := configure(map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(j.Status()).To(Equal(domain.JobPending))
		c, err := e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Status()).To(Equal(domain.JobCancelled))
		_, err = e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
		Expect(err).To(MatchError(domain.ErrConflict))

		// Running a cancelled job does nothing.
		Expect(e.runPending()).To(Equal(1))
		r, err := e.app.Jobs.Get(e.ctx, e.ws, j.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Status()).To(Equal(domain.JobCancelled))
		Expect(types(jobEvents(j))).To(Equal([]string{domain.EventJobCreated, domain.EventJobCancelled}))

		done, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.runPending()).To(Equal(1))
		_, err = e.app.Jobs.Cancel(e.ctx, e.ws, done.ID())
		Expect(err).To(MatchError(domain.ErrConflict))
	})

	It("cancels a running job: the run ends cancelled and its outputs and tables are dropped", func() {
		cfg := configure(map[string]any{"extractor": "probe", "mode": "gated"})
		ran := make(chan *domain.Job, 1)
		go func() {
			defer GinkgoRecover()
			ran <- submit(cfg)
		}()
		// Cancel once the extraction holds at the gate with its output
		// written: a job listed running may not have reached its
		// extractor yet, and a cancel then ends it before the gate.
		var id string
		Eventually(probeGated).WithTimeout(30 * time.Second).Should(Receive(&id))
		// Its start is stored once it has run a while (JobStartDelay).
		Eventually(func() []string {
			p, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{Status: domain.JobRunning}, app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			return ids(p.Items)
		}).Should(Equal([]string{id}))
		c, err := e.app.Jobs.Cancel(e.ctx, e.ws, id)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Status()).To(Equal(domain.JobCancelled))
		probeGate <- struct{}{}
		var j *domain.Job
		Eventually(ran).Should(Receive(&j))
		Expect(j.Status()).To(Equal(domain.JobCancelled))
		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Tables.Items).To(BeEmpty())
		Expect(res.OutputDocuments).To(BeEmpty())
		docs, err := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(docs.Items).To(HaveLen(1), "only the input: the output was removed")
		Expect(e.blobs.putKeys()).To(HaveLen(2), "the input and the output were stored")
		Expect(types(jobEvents(j))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobCancelled}))
	})

	It("filters job lists by status, document and configuration", func() {
		ok := configure(map[string]any{"extractor": "stub"})
		bad := configure(map[string]any{"extractor": "stub", "fail": "x"})
		submit(ok)
		submit(bad)
		submit(ok)
		p, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{Status: domain.JobFailed}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Items).To(HaveLen(1))
		p, err = e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{ConfigurationID: ok.ID(), DocumentID: doc.ID()}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Items).To(HaveLen(2))
		_, err = e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{Status: "finished"}, app.PageRequest{})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
	})
})

var _ = Describe("Stale jobs", func() {
	It("ends jobs whose process stopped mid-run, and only those", func() {
		e := newIdleEnv(app.Config{JobTimeout: time.Minute, TerminalRetry: time.Second})
		doc, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "r.csv", Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
		cfg, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{
			WorkspaceID: e.ws, DocumentType: "roster", Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
		Expect(err).NotTo(HaveOccurred())
		startJob := func() *domain.Job {
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			// A run whose process died: started, never finished.
			_, err = e.repos.Jobs.Update(e.ctx, e.ws, j.ID(), func(j *domain.Job) error { return j.Start(e.clock.Now()) })
			Expect(err).NotTo(HaveOccurred())
			return j
		}
		orphan := startJob()
		pending, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())

		n, err := e.app.Maintenance.FailStale(e.ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0), "within its timeout a running job is left alone")

		e.clock.jump(3 * time.Minute)
		fresh := startJob()
		n, err = e.app.Maintenance.FailStale(e.ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))

		got, err := e.app.Jobs.Get(e.ctx, e.ws, orphan.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status()).To(Equal(domain.JobFailed))
		Expect(got.Error().Code).To(Equal(app.CodeInterrupted))
		for _, j := range []*domain.Job{fresh, pending} {
			other, err := e.app.Jobs.Get(e.ctx, e.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(other.Status().IsTerminal()).To(BeFalse())
		}
		p, err := e.app.Jobs.Events(e.ctx, e.ws, orphan.ID(), ports.EventFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(types(p.Items)[len(p.Items)-1]).To(Equal(domain.EventJobFailed))
		Expect(p.Items[len(p.Items)-1].State().ActorID).To(Equal(domain.SystemActor.ID))
	})
})
