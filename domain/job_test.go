package domain_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newJob() *domain.Job {
	j, err := domain.NewJob(domain.NewJobParams{
		ID: "01JOB", WorkspaceID: "01WS", DocumentType: "roster", ConfigurationID: "01CFG",
		ConfigurationVersion: 1, InputDocumentID: "01DOC", CreatedBy: "tester", Now: t0,
	})
	Expect(err).NotTo(HaveOccurred())
	return j
}

// jobIn returns a job driven into status s through the public methods.
func jobIn(s domain.JobStatus) *domain.Job {
	j := newJob()
	switch s {
	case domain.JobRunning:
		Expect(j.Start(t0)).To(Succeed())
	case domain.JobSucceeded:
		Expect(j.Start(t0)).To(Succeed())
		Expect(j.Succeed(t0, domain.Outcome{})).To(Succeed())
	case domain.JobFailed:
		Expect(j.Start(t0)).To(Succeed())
		Expect(j.Fail(t0, domain.JobError{Code: "x", Message: "y"}, domain.Outcome{})).To(Succeed())
	case domain.JobCancelled:
		Expect(j.Cancel(t0)).To(Succeed())
	}
	Expect(j.Status()).To(Equal(s))
	return j
}

// move drives j to status to with the method that makes that transition.
func move(j *domain.Job, to domain.JobStatus) error {
	now := t0.Add(time.Minute)
	switch to {
	case domain.JobRunning:
		return j.Start(now)
	case domain.JobSucceeded:
		return j.Succeed(now, domain.Outcome{})
	case domain.JobFailed:
		return j.Fail(now, domain.JobError{Message: "boom"}, domain.Outcome{})
	case domain.JobCancelled:
		return j.Cancel(now)
	}
	// No method moves a job back to pending.
	return &domain.TransitionError{From: j.Status(), To: to}
}

var allowed = map[[2]domain.JobStatus]bool{
	{domain.JobPending, domain.JobRunning}:   true,
	{domain.JobPending, domain.JobCancelled}: true,
	{domain.JobRunning, domain.JobSucceeded}: true,
	{domain.JobRunning, domain.JobFailed}:    true,
	{domain.JobRunning, domain.JobCancelled}: true,
}

func transitionEntries() []TableEntry {
	var entries []TableEntry
	for _, from := range domain.JobStatuses() {
		for _, to := range domain.JobStatuses() {
			entries = append(entries, Entry(fmt.Sprintf("%s -> %s", from, to), from, to, allowed[[2]domain.JobStatus{from, to}]))
		}
	}
	return entries
}

var _ = Describe("Job", func() {
	DescribeTable("status transitions",
		func(from, to domain.JobStatus, ok bool) {
			Expect(from.CanTransitionTo(to)).To(Equal(ok))
			j := jobIn(from)
			before := j.State()
			err := move(j, to)
			if ok {
				Expect(err).NotTo(HaveOccurred())
				Expect(j.Status()).To(Equal(to))
				return
			}
			Expect(err).To(MatchError(domain.ErrConflict))
			var te *domain.TransitionError
			Expect(err).To(BeAssignableToTypeOf(te))
			Expect(j.State()).To(Equal(before), "a refused transition changes nothing")
		},
		transitionEntries(),
	)

	It("knows which statuses are terminal", func() {
		for _, s := range domain.JobStatuses() {
			terminal := s == domain.JobSucceeded || s == domain.JobFailed || s == domain.JobCancelled
			Expect(s.IsTerminal()).To(Equal(terminal), string(s))
		}
		Expect(domain.JobStatus("bogus").Valid()).To(BeFalse())
		Expect(domain.JobStatus("bogus").IsTerminal()).To(BeFalse())
		Expect(domain.JobSucceeded.AllowedFrom()).To(ConsistOf(domain.JobRunning))
		Expect(domain.JobCancelled.AllowedFrom()).To(ConsistOf(domain.JobPending, domain.JobRunning))
	})

	It("counts attempts and stamps start and finish", func() {
		j := newJob()
		Expect(j.Attempts()).To(Equal(0))
		Expect(j.Start(t0.Add(time.Second))).To(Succeed())
		Expect(j.Attempts()).To(Equal(1))
		Expect(j.Fail(t0.Add(2*time.Second), domain.JobError{Message: "bad"}, domain.Outcome{
			Metrics: map[string]any{"rows_extracted": 3},
		})).To(Succeed())
		st := j.State()
		Expect(*st.StartedAt).To(Equal(t0.Add(time.Second)))
		Expect(*st.FinishedAt).To(Equal(t0.Add(2 * time.Second)))
		Expect(st.Error).To(Equal(&domain.JobError{Code: "extraction_failed", Message: "bad"}))
		Expect(st.Metrics).To(HaveKeyWithValue("rows_extracted", json.Number("3")))
	})

	It("bounds its log in entries and message size", func() {
		j := newJob()
		for i := range domain.MaxJobLogEntries + 40 {
			j.AppendLog(domain.LogEntry{At: t0, Message: fmt.Sprintf("line %d", i)})
		}
		logs := j.State().Logs
		Expect(logs).To(HaveLen(domain.MaxJobLogEntries))
		last := logs[len(logs)-1]
		Expect(last.Level).To(Equal(domain.LogWarn))
		Expect(last.Message).To(HavePrefix("41 log entries dropped"))

		// The summary survives storage and keeps counting.
		k := domain.RehydrateJob(j.State())
		k.AppendLog(domain.LogEntry{At: t0, Message: "one more"})
		Expect(k.State().Logs[domain.MaxJobLogEntries-1].Message).To(HavePrefix("42 log entries dropped"))

		j2 := newJob()
		j2.AppendLog(domain.LogEntry{At: t0, Message: strings.Repeat("é", domain.MaxLogMessageBytes)})
		msg := j2.State().Logs[0].Message
		Expect(len(msg)).To(BeNumerically("<=", domain.MaxLogMessageBytes))
		Expect(msg).To(HavePrefix("éé"))
		Expect(strings.ToValidUTF8(msg, "?")).To(Equal(msg))

		j2.AppendLog(domain.LogEntry{At: t0, Message: "big", Details: map[string]any{"x": strings.Repeat("a", domain.MaxLogDetailsBytes)}})
		Expect(j2.State().Logs[1].Details).To(HaveKey("note"))
	})

	It("keeps an error message of exactly 4 KiB and cuts a longer one on a character boundary", func() {
		fail := func(msg string) string {
			GinkgoHelper()
			j := jobIn(domain.JobRunning)
			Expect(j.Fail(t0, domain.JobError{Code: "x", Message: msg}, domain.Outcome{})).To(Succeed())
			return j.State().Error.Message
		}
		exact := strings.Repeat("a", domain.MaxErrorMessageBytes)
		Expect(fail(exact)).To(Equal(exact))
		Expect(fail(exact + "b")).To(Equal(exact))
		// A two-byte character across the limit goes whole.
		straddling := strings.Repeat("a", domain.MaxErrorMessageBytes-1) + "é"
		Expect(fail(straddling)).To(Equal(strings.Repeat("a", domain.MaxErrorMessageBytes-1)))
	})

	It("keeps a log message of exactly 2 KiB and cuts a longer one on a character boundary", func() {
		j := newJob()
		exact := strings.Repeat("a", domain.MaxLogMessageBytes)
		j.AppendLog(domain.LogEntry{At: t0, Message: exact})
		j.AppendLog(domain.LogEntry{At: t0, Message: exact + "b"})
		j.AppendLog(domain.LogEntry{At: t0, Message: strings.Repeat("a", domain.MaxLogMessageBytes-1) + "é"})
		logs := j.State().Logs
		Expect(logs[0].Message).To(Equal(exact))
		Expect(logs[1].Message).To(Equal(exact))
		Expect(logs[2].Message).To(Equal(strings.Repeat("a", domain.MaxLogMessageBytes-1)))
	})

	It("hands out copies, never its own state", func() {
		j := jobIn(domain.JobRunning)
		Expect(j.Succeed(t0, domain.Outcome{Metrics: map[string]any{"a": 1.0}, OutputDocumentIDs: []string{"d1"}})).To(Succeed())
		st := j.State()
		st.Metrics["a"] = 2.0
		st.OutputDocumentIDs[0] = "changed"
		Expect(j.State().Metrics["a"]).To(Equal(json.Number("1")))
		Expect(j.State().OutputDocumentIDs).To(Equal([]string{"d1"}))
	})

	DescribeTable("NewJob refuses incomplete input",
		func(mutate func(*domain.NewJobParams), field string) {
			p := domain.NewJobParams{ID: "j", WorkspaceID: "w", DocumentType: "t", ConfigurationID: "c",
				ConfigurationVersion: 1, InputDocumentID: "d", Now: t0}
			mutate(&p)
			_, err := domain.NewJob(p)
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			var ve *domain.ValidationError
			Expect(err).To(BeAssignableToTypeOf(ve))
			Expect(err.(*domain.ValidationError).Fields).To(ContainElement(HaveField("Field", field)))
		},
		Entry("no id", func(p *domain.NewJobParams) { p.ID = "" }, "job_id"),
		Entry("no workspace", func(p *domain.NewJobParams) { p.WorkspaceID = "" }, "workspace_id"),
		Entry("no document", func(p *domain.NewJobParams) { p.InputDocumentID = "" }, "document_id"),
		Entry("no configuration", func(p *domain.NewJobParams) { p.ConfigurationID = "" }, "configuration_id"),
		Entry("version 0", func(p *domain.NewJobParams) { p.ConfigurationVersion = 0 }, "configuration_version"),
	)

	It("starts pending with empty metrics, logs and outputs", func() {
		st := newJob().State()
		Expect(st.Status).To(Equal(domain.JobPending))
		Expect(st.Metrics).To(BeEmpty())
		Expect(st.Logs).NotTo(BeNil())
		Expect(st.OutputDocumentIDs).NotTo(BeNil())
		Expect(st.CreatedAt).To(Equal(t0))
	})
})
