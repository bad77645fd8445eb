package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// JobStatus is where a job is in its lifecycle.
type JobStatus string

// Job statuses. Succeeded, failed and cancelled are terminal.
const (
	// JobPending: created, waiting to run.
	JobPending JobStatus = "pending"
	// JobRunning: an extractor is working on it.
	JobRunning JobStatus = "running"
	// JobSucceeded: finished with results.
	JobSucceeded JobStatus = "succeeded"
	// JobFailed: finished with an error recorded.
	JobFailed JobStatus = "failed"
	// JobCancelled: stopped on request before finishing.
	JobCancelled JobStatus = "cancelled"
)

// jobTransitions is the one table every status change consults.
var jobTransitions = map[JobStatus][]JobStatus{
	JobPending:   {JobRunning, JobCancelled},
	JobRunning:   {JobSucceeded, JobFailed, JobCancelled},
	JobSucceeded: nil,
	JobFailed:    nil,
	JobCancelled: nil,
}

// JobStatuses lists every status, in lifecycle order.
func JobStatuses() []JobStatus {
	return []JobStatus{JobPending, JobRunning, JobSucceeded, JobFailed, JobCancelled}
}

// Valid reports whether s is a known status.
func (s JobStatus) Valid() bool {
	_, ok := jobTransitions[s]
	return ok
}

// CanTransitionTo reports whether the table allows s -> to.
func (s JobStatus) CanTransitionTo(to JobStatus) bool {
	return slices.Contains(jobTransitions[s], to)
}

// IsTerminal reports whether no transition leaves s.
func (s JobStatus) IsTerminal() bool {
	return s.Valid() && len(jobTransitions[s]) == 0
}

// AllowedFrom lists the statuses that may move to s, for adapters that
// guard status changes in SQL as well.
func (s JobStatus) AllowedFrom() []JobStatus {
	var out []JobStatus
	for _, from := range JobStatuses() {
		if from.CanTransitionTo(s) {
			out = append(out, from)
		}
	}
	return out
}

// Bounds on what a job row may hold, so a chatty extractor cannot bloat it.
const (
	// MaxJobLogEntries is the most log entries a job keeps; later ones are
	// counted and summarised in one final entry.
	MaxJobLogEntries = 500
	// MaxLogMessageBytes bounds one log message; longer ones are cut.
	MaxLogMessageBytes = 2048
	// MaxLogDetailsBytes bounds one log entry's details as JSON; larger
	// details are replaced by a note.
	MaxLogDetailsBytes = 4096
	// MaxErrorMessageBytes bounds a job's error message.
	MaxErrorMessageBytes = 4096
)

// Log levels.
const (
	LogDebug = "debug"
	LogInfo  = "info"
	LogWarn  = "warn"
	LogError = "error"
)

// LogEntry is one line of a job's log.
type LogEntry struct {
	At      time.Time      `json:"at"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// JobError is why a job failed: a stable code and a human message.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Job runs one extractor on one document with one configuration version.
type Job struct {
	s JobState
}

// JobState is a job's stored form, used by adapters.
type JobState struct {
	ID                   string
	WorkspaceID          string
	Status               JobStatus
	DocumentType         string
	ConfigurationID      string
	ConfigurationVersion int
	InputDocumentID      string
	CreatedBy            string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	StartedAt            *time.Time
	FinishedAt           *time.Time
	Attempts             int
	Metrics              map[string]any
	Logs                 []LogEntry
	Error                *JobError
	OutputDocumentIDs    []string
}

// NewJobParams are the inputs of NewJob.
type NewJobParams struct {
	ID                   string
	WorkspaceID          string
	DocumentType         string
	ConfigurationID      string
	ConfigurationVersion int
	InputDocumentID      string
	CreatedBy            string
	Now                  time.Time
}

// NewJob validates and creates a pending job.
func NewJob(p NewJobParams) (*Job, error) {
	var fields []FieldError
	for _, f := range []struct{ name, v string }{
		{"job_id", p.ID}, {"workspace_id", p.WorkspaceID}, {"document_type", p.DocumentType},
		{"configuration_id", p.ConfigurationID}, {"document_id", p.InputDocumentID},
	} {
		if f.v == "" {
			fields = append(fields, FieldError{f.name, "is required"})
		}
	}
	if p.ConfigurationVersion < 1 {
		fields = append(fields, FieldError{"configuration_version", "must be at least 1"})
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid job", fields...)
	}
	now := p.Now.UTC()
	return &Job{s: JobState{
		ID: p.ID, WorkspaceID: p.WorkspaceID, Status: JobPending, DocumentType: p.DocumentType,
		ConfigurationID: p.ConfigurationID, ConfigurationVersion: p.ConfigurationVersion,
		InputDocumentID: p.InputDocumentID, CreatedBy: p.CreatedBy,
		CreatedAt: now, UpdatedAt: now, Metrics: map[string]any{}, Logs: []LogEntry{},
		OutputDocumentIDs: []string{},
	}}, nil
}

// RehydrateJob rebuilds a stored job. It is not a constructor: it trusts
// its input.
func RehydrateJob(s JobState) *Job {
	return &Job{s: copyJobState(s)}
}

// State returns a deep copy of the job's stored form.
func (j *Job) State() JobState { return copyJobState(j.s) }

func copyJobState(s JobState) JobState {
	s.Metrics = CloneMap(s.Metrics)
	if s.Metrics == nil {
		s.Metrics = map[string]any{}
	}
	logs := make([]LogEntry, len(s.Logs))
	for i, l := range s.Logs {
		l.Details = CloneMap(l.Details)
		logs[i] = l
	}
	s.Logs = logs
	s.OutputDocumentIDs = append([]string{}, s.OutputDocumentIDs...)
	if s.Error != nil {
		e := *s.Error
		s.Error = &e
	}
	if s.StartedAt != nil {
		t := *s.StartedAt
		s.StartedAt = &t
	}
	if s.FinishedAt != nil {
		t := *s.FinishedAt
		s.FinishedAt = &t
	}
	return s
}

// ID returns the job id.
func (j *Job) ID() string { return j.s.ID }

// WorkspaceID returns the owning workspace's id.
func (j *Job) WorkspaceID() string { return j.s.WorkspaceID }

// Status returns the current status.
func (j *Job) Status() JobStatus { return j.s.Status }

// InputDocumentID returns the document the job reads.
func (j *Job) InputDocumentID() string { return j.s.InputDocumentID }

// ConfigurationID returns the configuration version the job uses.
func (j *Job) ConfigurationID() string { return j.s.ConfigurationID }

// Attempts returns how many times the job was started.
func (j *Job) Attempts() int { return j.s.Attempts }

// Error returns why the job failed, or nil.
func (j *Job) Error() *JobError {
	if j.s.Error == nil {
		return nil
	}
	e := *j.s.Error
	return &e
}

func (j *Job) transition(to JobStatus, now time.Time) error {
	if !j.s.Status.CanTransitionTo(to) {
		return &TransitionError{From: j.s.Status, To: to}
	}
	j.s.Status = to
	j.s.UpdatedAt = now.UTC()
	return nil
}

// Start moves a pending job to running and counts the attempt.
func (j *Job) Start(now time.Time) error {
	if err := j.transition(JobRunning, now); err != nil {
		return err
	}
	t := now.UTC()
	j.s.StartedAt = &t
	j.s.Attempts++
	return nil
}

// Restart begins another attempt of a running job whose previous attempt
// was lost with the process running it (the queue hands the job out
// again). The job stays running: attempts counts the new attempt, the
// start time is the new attempt's, and a log entry records the loss.
// Nothing else of the lost attempt was stored (results are stored with the
// terminal state, in one transaction), so the new attempt starts clean.
func (j *Job) Restart(now time.Time) error {
	if j.s.Status != JobRunning {
		return &TransitionError{From: j.s.Status, To: JobRunning}
	}
	t := now.UTC()
	j.s.UpdatedAt = t
	j.s.StartedAt = &t
	j.s.Attempts++
	j.AppendLog(LogEntry{At: t, Level: LogWarn,
		Message: fmt.Sprintf("attempt %d was interrupted (its worker stopped); starting attempt %d", j.s.Attempts-1, j.s.Attempts),
		Details: map[string]any{"attempt": float64(j.s.Attempts)}})
	return nil
}

// Outcome is what a finished run leaves on the job.
type Outcome struct {
	Metrics           map[string]any
	Logs              []LogEntry
	OutputDocumentIDs []string
}

// Succeed moves a running job to succeeded with its outcome.
func (j *Job) Succeed(now time.Time, o Outcome) error {
	if err := j.transition(JobSucceeded, now); err != nil {
		return err
	}
	j.finish(now, o)
	j.s.OutputDocumentIDs = append([]string{}, o.OutputDocumentIDs...)
	return nil
}

// Fail moves a running job to failed, recording why and whatever metrics
// and logs the run left. The code defaults to "extraction_failed"; the
// message is cut to MaxErrorMessageBytes. Both may come from an extractor,
// so they are scrubbed (ScrubText).
func (j *Job) Fail(now time.Time, cause JobError, o Outcome) error {
	if err := j.transition(JobFailed, now); err != nil {
		return err
	}
	cause.Code = ScrubText(cause.Code)
	if cause.Code == "" {
		cause.Code = "extraction_failed"
	}
	cause.Message = truncateUTF8(ScrubText(cause.Message), MaxErrorMessageBytes)
	j.s.Error = &cause
	j.finish(now, o)
	return nil
}

// Cancel moves a pending or running job to cancelled.
func (j *Job) Cancel(now time.Time) error {
	if err := j.transition(JobCancelled, now); err != nil {
		return err
	}
	t := now.UTC()
	j.s.FinishedAt = &t
	return nil
}

func (j *Job) finish(now time.Time, o Outcome) {
	t := now.UTC()
	j.s.FinishedAt = &t
	if o.Metrics != nil {
		if j.s.Metrics == nil {
			j.s.Metrics = map[string]any{}
		}
		// Normalised to JSON values so every store gives the same back.
		m, err := ScrubJSONObject(o.Metrics, MaxPayloadBytes)
		if err != nil {
			m = map[string]any{"metrics_dropped": err.Error()}
		}
		for k, v := range m {
			j.s.Metrics[k] = v
		}
	}
	for _, l := range o.Logs {
		j.AppendLog(l)
	}
}

// AppendLog adds a log entry within the bounds: its time is brought into
// [MinTime, MaxTime], its text scrubbed (ScrubText, ScrubJSONObject),
// messages are cut to MaxLogMessageBytes, oversized details are replaced
// by a note, and past MaxJobLogEntries entries the rest are counted in one
// final summary entry.
func (j *Job) AppendLog(e LogEntry) {
	e.At = clampTime(e.At.UTC())
	e.Level = ScrubText(e.Level)
	if e.Level == "" {
		e.Level = LogInfo
	}
	e.Message = truncateUTF8(ScrubText(e.Message), MaxLogMessageBytes)
	if e.Details != nil {
		d, err := ScrubJSONObject(e.Details, MaxLogDetailsBytes)
		if err != nil {
			d = map[string]any{"note": "details dropped: " + err.Error()}
		}
		e.Details = d
	}
	if len(j.s.Logs) < MaxJobLogEntries {
		j.s.Logs = append(j.s.Logs, e)
		return
	}
	// Full: the last slot becomes (or stays) a summary counting every entry
	// it stands for, the one it replaced included.
	last := &j.s.Logs[MaxJobLogEntries-1]
	n := 1
	if c, ok := last.Details[droppedKey].(json.Number); ok && last.Level == LogWarn {
		if v, err := strconv.Atoi(string(c)); err == nil {
			n = v
		}
	}
	n++
	*last = LogEntry{At: e.At, Level: LogWarn,
		Message: fmt.Sprintf("%d log entries dropped: the log is limited to %d entries", n, MaxJobLogEntries),
		Details: map[string]any{droppedKey: json.Number(strconv.Itoa(n))}}
}

const droppedKey = "dropped_entries"

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
