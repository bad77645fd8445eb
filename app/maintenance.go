package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// MaintenanceService runs the periodic sweeps: expired documents, jobs
// left running past any live attempt, expired idempotency keys and old
// webhook delivery logs. The queue runs Sweep as a periodic task (one
// runner across every process); `ade purge` runs it on demand. Every sweep
// is safe to run from several processes at once.
type MaintenanceService struct{ c *core }

// purgeBatch is how many rows one sweep query handles.
const purgeBatch = 100

// CodeInterrupted marks a job whose run was cut off and that no queue
// attempt ended: the stale-job sweep ended it.
const CodeInterrupted = "interrupted"

// staleGrace is how long past the job timeout and the terminal write's
// retries a running job may stay running before the sweep ends it. A live
// attempt ends within those, and a lost one is handed out again within
// seconds, so such a job has no attempt left that will end it.
const staleGrace = time.Minute

// SweepReport says what one sweep did, or in a dry run would do.
type SweepReport struct {
	// Documents are the expired documents purged (dry run: to purge).
	Documents []*domain.Document
	// StaleJobs counts jobs ended failed with code "interrupted".
	StaleJobs int
	// IdempotencyKeys counts expired keys deleted.
	IdempotencyKeys int
	// Deliveries counts webhook delivery log entries deleted (older than
	// the document retention).
	Deliveries int
}

// Sweep runs every sweep once, as the system actor. With dryRun it only
// lists the expired documents and changes nothing.
func (s *MaintenanceService) Sweep(ctx context.Context, dryRun bool) (SweepReport, error) {
	ctx = WithSource(WithActor(ctx, domain.SystemActor), "maintenance")
	var r SweepReport
	var err error
	if dryRun {
		_, err = s.c.sweepWorkspaces(ctx, func(ctx context.Context, ws string) (int, error) {
			docs, err := s.c.Repos.Documents.List(ctx, ws, ports.DocumentFilter{ExpiresBefore: s.c.Clock.Now()}, ports.Page{})
			r.Documents = append(r.Documents, docs...)
			return len(docs), err
		})
		return r, err
	}
	_, err = s.c.sweepWorkspaces(ctx, func(ctx context.Context, ws string) (int, error) {
		return s.purgeWorkspace(ctx, ws, func(d *domain.Document) { r.Documents = append(r.Documents, d) })
	})
	if err != nil {
		return r, fmt.Errorf("purge expired documents: %w", err)
	}
	if r.StaleJobs, err = s.FailStale(ctx); err != nil {
		return r, err
	}
	now := s.c.Clock.Now()
	if r.IdempotencyKeys, err = s.c.Repos.Idempotency.DeleteBefore(ctx, now.Add(-domain.IdempotencyKeyTTL)); err != nil {
		return r, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	if r.Deliveries, err = s.c.Repos.Deliveries.DeleteBefore(ctx, now.Add(-s.c.Config.DocumentRetention)); err != nil {
		return r, fmt.Errorf("delete old webhook deliveries: %w", err)
	}
	return r, nil
}

// sweepWorkspaces runs sweep on every workspace, a page at a time, and
// adds up what it reports; it stops at the first error.
func (c *core) sweepWorkspaces(ctx context.Context, sweep func(ctx context.Context, workspaceID string) (int, error)) (int, error) {
	total := 0
	for offset := 0; ; offset += purgeBatch {
		workspaces, err := c.Repos.Workspaces.List(ctx, ports.Page{Limit: purgeBatch, Offset: offset})
		if err != nil {
			return total, err
		}
		for _, w := range workspaces {
			n, err := sweep(ctx, w.ID())
			total += n
			if err != nil {
				return total, err
			}
		}
		if len(workspaces) < purgeBatch {
			return total, nil
		}
	}
}

// PurgeExpired deletes every document whose expiry has passed, in every
// workspace: the record is kept (deleted by "system", reason "expired")
// with a document.purged event, and the bytes are removed. It returns how
// many documents it purged. A document purged or deleted by another
// process meanwhile is skipped.
func (s *MaintenanceService) PurgeExpired(ctx context.Context) (int, error) {
	n, err := s.c.sweepWorkspaces(WithActor(ctx, domain.SystemActor), func(ctx context.Context, ws string) (int, error) {
		return s.purgeWorkspace(ctx, ws, nil)
	})
	if err != nil {
		return n, fmt.Errorf("purge expired documents: %w", err)
	}
	return n, nil
}

func (s *MaintenanceService) purgeWorkspace(ctx context.Context, workspaceID string, purged func(*domain.Document)) (int, error) {
	n := 0
	for {
		now := s.c.Clock.Now()
		batch, err := s.c.Repos.Documents.List(ctx, workspaceID, ports.DocumentFilter{ExpiresBefore: now}, ports.Page{Limit: purgeBatch})
		if err != nil {
			return n, fmt.Errorf("list expired documents: %w", err)
		}
		for _, d := range batch {
			doc, err := inTx(ctx, s.c.Repos.Tx, func(ctx context.Context) (*domain.Document, error) {
				doc, err := s.c.Repos.Documents.Update(ctx, workspaceID, d.ID(), func(d *domain.Document) error {
					return d.Delete(domain.SystemActor.ID, "expired", s.c.Clock.Now())
				})
				if err != nil {
					return nil, err
				}
				return doc, s.c.record(ctx, workspaceID, domain.EventDocumentPurged, domain.EntityDocument, d.ID(),
					map[string]any{"reason": "expired", "expires_at": d.ExpiresAt().Format(time.RFC3339Nano)})
			})
			if errors.Is(err, domain.ErrNotFound) {
				continue // purged or deleted meanwhile
			}
			if err != nil {
				return n, fmt.Errorf("purge document %s: %w", d.ID(), err)
			}
			s.c.removeBytes(ctx, doc)
			if purged != nil {
				purged(doc)
			}
			n++
		}
		if len(batch) < purgeBatch {
			return n, nil
		}
	}
}

// FailStale ends failed (code "interrupted") every job, in every
// workspace, that has been running longer than the job timeout plus a
// minute (and Config.TerminalRetry) with no attempt that will end it. It returns how many it ended.
func (s *MaintenanceService) FailStale(ctx context.Context) (int, error) {
	n, err := s.c.sweepWorkspaces(WithActor(ctx, domain.SystemActor), s.failStaleIn)
	if err != nil {
		return n, fmt.Errorf("fail stale jobs: %w", err)
	}
	return n, nil
}

func (s *MaintenanceService) failStaleIn(ctx context.Context, workspaceID string) (int, error) {
	window := s.c.Config.JobTimeout + s.c.Config.TerminalRetry + staleGrace
	cutoff := s.c.Clock.Now().Add(-window)
	jobs := &JobService{s.c}
	ended := 0
	// Ended jobs leave the running list, so the next page starts after the
	// jobs this one kept.
	for offset := 0; ; {
		running, err := s.c.Repos.Jobs.List(ctx, workspaceID, ports.JobFilter{Status: domain.JobRunning}, ports.Page{Limit: purgeBatch, Offset: offset})
		if err != nil {
			return ended, fmt.Errorf("list running jobs: %w", err)
		}
		for _, j := range running {
			started := j.State().StartedAt
			if started == nil || started.After(cutoff) {
				continue
			}
			cause := domain.JobError{Code: CodeInterrupted,
				Message: fmt.Sprintf("the job was still running %s after it started; the process running it stopped", window)}
			_, err := jobs.transition(ctx, workspaceID, j.ID(), owned(j.Attempts(), func(j *domain.Job) error {
				return j.Fail(s.c.Clock.Now(), cause, domain.Outcome{Logs: []domain.LogEntry{failureLog(s.c.Clock.Now(), cause)}})
			}))
			if errors.Is(err, domain.ErrConflict) {
				continue // it ended or restarted meanwhile
			}
			if err != nil {
				return ended, fmt.Errorf("fail stale job %s: %w", j.ID(), err)
			}
			ended++
			offset--
		}
		if len(running) < purgeBatch {
			return ended, nil
		}
		offset += len(running)
	}
}
