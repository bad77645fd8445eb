package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// runDeferred runs the first delivery of a task whose job is pending
// without storing its start first (Config.JobStartDelay): it takes the job
// with its inputs from the submission when this process made it a moment
// ago (handoff), or reads them, starts the job in memory and runs the
// extraction at once; the start is stored with the end, or on its own once
// the attempt has run for JobStartDelay. ran is false, with nothing done, when the job
// is running (its attempt was lost): beginAttempt then takes it.
func (s *JobService) runDeferred(ctx context.Context, t ports.Task) (ran bool, err error) {
	run, ok := s.c.handoff.take(t.WorkspaceID, t.JobID)
	if !ok {
		run, err = s.c.Repos.Jobs.GetRun(ctx, t.WorkspaceID, t.JobID)
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return true, nil
	case err != nil:
		return true, fmt.Errorf("read job: %w", err)
	case run.Job.Status() == domain.JobRunning:
		return false, nil
	case run.Job.Status() != domain.JobPending:
		return true, nil // cancelled while it waited, or ended by an earlier delivery
	}
	job := run.Job
	stored := job.Attempts()
	if err := job.Start(s.c.Clock.Now()); err != nil {
		return true, err
	}
	e, err := s.statusEvent(ctx, job, domain.JobPending)
	if err != nil {
		return true, err
	}
	at := &attempt{Job: job, start: &deferredStart{event: e, attempts: stored, done: make(chan struct{})}}
	return true, s.executeLogged(ctx, at, inputs{doc: run.Document, cfg: run.Configuration})
}

// attempt is a started attempt of a job: the job as the attempt made it
// (running), and its start while that is not stored yet.
type attempt struct {
	*domain.Job
	// start is nil when the start was stored before the extraction.
	start *deferredStart
}

// stored returns the status and attempt count the attempt's end is
// guarded by: running with this attempt, or pending when the start is
// stored with the end (then its job.running event goes first).
func (at *attempt) stored() (domain.JobStatus, int, []*domain.Event) {
	if at.start != nil && at.start.folded() {
		return domain.JobPending, at.start.attempts, []*domain.Event{at.start.event}
	}
	return domain.JobRunning, at.Attempts(), nil
}

// holds reports whether cur, the job as stored, is still this
// attempt's: running it, or pending while its start is deferred.
func (at *attempt) holds(cur *domain.Job) bool {
	if cur.Status() == domain.JobPending && at.start != nil {
		return true
	}
	return cur.Status() == domain.JobRunning && cur.Attempts() == at.Attempts()
}

// settleStart decides a deferred start once the extraction ended (see
// deferredStart.settle).
func (at *attempt) settleStart() error {
	if at.start == nil {
		return nil
	}
	return at.start.settle()
}

// dropStart abandons a deferred start of an attempt that stops without
// an end.
func (at *attempt) dropStart() {
	if at.start != nil {
		at.start.drop()
	}
}

// deferredStart is the start of an attempt whose extraction began before
// the start was stored. Exactly one of two things happens to it: a timer
// stores it after Config.JobStartDelay (written), or the attempt's end
// takes it first (folded) and stores it with itself; an attempt that
// stops without an end drops it.
type deferredStart struct {
	event    *domain.Event // the job.running event, made when the attempt began
	attempts int           // the attempts stored with the pending job
	mu       sync.Mutex
	state    startState
	timer    *time.Timer
	done     chan struct{} // closed once a write that began has ended
	err      error         // the write's error
}

type startState int

const (
	startWaiting startState = iota
	startWriting
	startFolded
	startDropped
)

// movedOn reports whether a write guarded by a pending job was refused
// because the job is no longer pending (cancelled, or started by another
// delivery of its task) or no longer exists.
func movedOn(err error) bool {
	return errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrNotFound)
}

// errStartNotStored is the cause of an attempt stopped because its
// deferred start could not be stored (the store did not answer).
var errStartNotStored = errors.New("the job's start could not be stored")

// arm starts the timer that stores the start on its own; a start refused
// because the job moved on (cancelled), or not stored, stops the run with
// cancel.
func (d *deferredStart) arm(ctx context.Context, s *JobService, job *domain.Job, cancel context.CancelCauseFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state != startWaiting {
		return
	}
	d.timer = time.AfterFunc(s.c.Config.JobStartDelay, func() {
		d.mu.Lock()
		if d.state != startWaiting {
			d.mu.Unlock()
			return
		}
		d.state = startWriting
		d.mu.Unlock()
		err := s.applyChange(ctx, ports.JobChange{Job: job, From: domain.JobPending, Attempts: d.attempts, Events: []*domain.Event{d.event}})
		d.err = err
		close(d.done)
		switch {
		case movedOn(err):
			cancel(errJobCancelled)
		case err != nil:
			cancel(fmt.Errorf("%w: %w", errStartNotStored, err))
		}
	})
}

// settle decides the start at the attempt's end: folded into the end
// when it was not written yet, else it waits for its write. It fails with
// errSuperseded when the write was refused because the job moved on, and
// with the write's error when the store did not answer.
func (d *deferredStart) settle() error {
	if d.decide(startFolded) != startWriting {
		return nil
	}
	switch {
	case movedOn(d.err):
		return errSuperseded
	case d.err != nil:
		return fmt.Errorf("start job: %w", d.err)
	}
	return nil
}

// drop abandons a start that was not written, for an attempt that stops
// without an end; a start being written is waited for, so the attempt
// returns only once its start is settled.
func (d *deferredStart) drop() { d.decide(startDropped) }

// decide moves a start still waiting to state to, stopping its timer, or
// waits for the write that began; it returns the state the start is in.
func (d *deferredStart) decide(to startState) startState {
	d.mu.Lock()
	if d.state == startWaiting {
		d.state = to
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	state := d.state
	d.mu.Unlock()
	if state == startWriting {
		<-d.done
	}
	return state
}

// folded reports whether the start goes with the attempt's end.
func (d *deferredStart) folded() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state == startFolded
}
