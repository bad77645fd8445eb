package app

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Bounds of the hand-off of submissions to this process's workers.
const (
	// handoffMaxAge is how long a submission's job and inputs stay usable
	// by a worker: a worker that takes the job later reads it back, so a
	// document deleted meanwhile is seen as it is when the job is read.
	handoffMaxAge = time.Second
	// handoffMaxEntries bounds what waits for a worker (jobs submitted
	// here but run by another process are dropped once too old or too
	// many).
	handoffMaxEntries = 4096
)

// handoff passes a job a submission just stored, with the document and
// configuration the submission read for it, to the worker of the same
// process that runs the job's first delivery, so that the worker need not
// read them back (runDeferred). What it hands over is what is stored: a
// pending job changes only by leaving pending, which the worker's write
// requires not to have happened (it is guarded by the pending job), and a
// document or configuration is not changed in place; a document deleted
// within handoffMaxAge of the submission is seen as a job that had
// already started when it was deleted sees it.
//
// A process stores hand-offs only once it has run a job (an API-only
// process never does).
type handoff struct {
	active  atomic.Bool
	mu      sync.Mutex
	entries map[string]handed
	order   []string // job ids, oldest first
}

// handed is one submission waiting for its worker.
type handed struct {
	run ports.JobRun
	at  time.Time
}

// put hands over job (pending, as stored) with its inputs.
func (h *handoff) put(job *domain.Job, doc *domain.Document, cfg *domain.Configuration) {
	if !h.active.Load() {
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.entries == nil {
		h.entries = map[string]handed{}
	}
	// Drop what is too old or too many, oldest first; ids already taken
	// are only skipped.
	drop := 0
	for _, id := range h.order {
		e, ok := h.entries[id]
		if ok && now.Sub(e.at) < handoffMaxAge && len(h.order)-drop < handoffMaxEntries {
			break
		}
		delete(h.entries, id)
		drop++
	}
	h.order = append(h.order[drop:], job.ID())
	h.entries[job.ID()] = handed{run: ports.JobRun{Job: domain.RehydrateJob(job.State()),
		JobInputs: ports.JobInputs{Document: doc, Configuration: cfg}}, at: now}
}

// take returns, once, what a submission of this process handed over for
// the job, if it is recent enough.
func (h *handoff) take(workspaceID, jobID string) (ports.JobRun, bool) {
	h.active.Store(true)
	h.mu.Lock()
	e, ok := h.entries[jobID]
	delete(h.entries, jobID)
	h.mu.Unlock()
	if !ok || time.Since(e.at) >= handoffMaxAge || e.run.Job.WorkspaceID() != workspaceID {
		return ports.JobRun{}, false
	}
	return e.run, true
}

// forget drops a hand-off whose submission was not stored.
func (h *handoff) forget(jobID string) {
	h.mu.Lock()
	delete(h.entries, jobID)
	h.mu.Unlock()
}
