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
// left running past any live attempt, expired idempotency keys, old
// webhook delivery logs and the blobs dead processes left (debris). The queue runs Sweep as a periodic task (one
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
	// Debris counts the blobs of dead processes' intents removed
	// (DebrisService.Reclaim).
	Debris int
}

// Sweep runs every sweep once, as the system actor. With dryRun it only
// lists the expired documents and changes nothing.
func (s *MaintenanceService) Sweep(ctx context.Context, dryRun bool) (SweepReport, error) {
	ctx = WithSource(WithActor(ctx, domain.SystemActor), "maintenance")
	var r SweepReport
	var err error
	if dryRun {
		_, err = s.c.sweepWorkspaces(ctx, "list expired documents", func(ctx context.Context, ws string) (int, error) {
			docs, err := s.c.Repos.Documents.List(ctx, ws, ports.DocumentFilter{ExpiresBefore: s.c.Clock.Now()}, ports.Page{})
			r.Documents = append(r.Documents, docs...)
			return len(docs), err
		})
		return r, err
	}
	_, err = s.c.sweepWorkspaces(ctx, "purge expired documents", func(ctx context.Context, ws string) (int, error) {
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
	if r.Debris, err = (&DebrisService{s.c}).Reclaim(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// stopsSweep reports whether err ends a whole sweep (the store does not
// answer, or the sweep was cancelled) rather than one row or workspace,
// which the sweep logs and steps over.
func stopsSweep(ctx context.Context, err error) bool {
	return errors.Is(err, domain.ErrUnavailable) || ctx.Err() != nil
}

// sweepWorkspaces runs sweep on every workspace, a page at a time, and
// adds up what it reports. A workspace whose sweep fails is logged and
// the walk goes on; only an error that stops the sweep (stopsSweep) ends
// it, and is returned.
func (c *core) sweepWorkspaces(ctx context.Context, name string, sweep func(ctx context.Context, workspaceID string) (int, error)) (int, error) {
	total := 0
	for offset := 0; ; offset += purgeBatch {
		workspaces, err := c.Repos.Workspaces.List(ctx, ports.Page{Limit: purgeBatch, Offset: offset})
		if err != nil {
			return total, err
		}
		for _, w := range workspaces {
			n, err := sweep(ctx, w.ID())
			total += n
			switch {
			case err == nil:
			case stopsSweep(ctx, err):
				return total, err
			default:
				c.Logger.ErrorContext(ctx, name+": workspace skipped", "workspace_id", w.ID(), "error", err)
			}
		}
		if len(workspaces) < purgeBatch {
			return total, nil
		}
	}
}

// sweepRows applies one sweep step to each id list returns, a page at a
// time, and counts the rows it handled. A row whose step fails for another
// reason than stopsSweep (a row that cannot be read, say) is logged and
// kept, and later pages start after the rows kept; ErrNotFound (the row
// went meanwhile) skips the row quietly; step reports whether it changed
// the row (a changed row leaves the list).
func (c *core) sweepRows(ctx context.Context, name, workspaceID string, list func(p ports.Page) ([]string, error),
	step func(id string) (changed bool, err error)) (int, error) {
	done, kept := 0, 0
	for {
		ids, err := list(ports.Page{Limit: purgeBatch, Offset: kept})
		if err != nil {
			return done, err
		}
		for _, id := range ids {
			changed, err := step(id)
			switch {
			case err == nil && changed:
				done++
			case err == nil:
				kept++
			case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict):
				// Gone or changed meanwhile (another process swept it).
			case stopsSweep(ctx, err):
				return done, err
			default:
				kept++
				c.Logger.ErrorContext(ctx, name+": row skipped", "workspace_id", workspaceID, "id", id, "error", err)
			}
		}
		if len(ids) < purgeBatch {
			return done, nil
		}
	}
}

// PurgeExpired deletes every document whose expiry has passed, in every
// workspace: the record is kept (deleted by "system", reason "expired")
// with a document.purged event, and the bytes are removed. It returns how
// many documents it purged. A document purged or deleted by another
// process meanwhile is skipped. A document it cannot purge (a row it
// cannot read) is logged and stepped over, so one bad row stops neither
// the rows after it nor other workspaces; only a store that does not
// answer ends the sweep with an error.
func (s *MaintenanceService) PurgeExpired(ctx context.Context) (int, error) {
	n, err := s.c.sweepWorkspaces(WithActor(ctx, domain.SystemActor), "purge expired documents", func(ctx context.Context, ws string) (int, error) {
		return s.purgeWorkspace(ctx, ws, nil)
	})
	if err != nil {
		return n, fmt.Errorf("purge expired documents: %w", err)
	}
	return n, nil
}

func (s *MaintenanceService) purgeWorkspace(ctx context.Context, workspaceID string, purged func(*domain.Document)) (int, error) {
	now := s.c.Clock.Now()
	return s.c.sweepRows(ctx, "purge expired documents", workspaceID,
		func(p ports.Page) ([]string, error) {
			return s.c.Repos.Documents.ListIDs(ctx, workspaceID, ports.DocumentFilter{ExpiresBefore: now}, p)
		},
		func(id string) (bool, error) {
			doc, err := inTx(ctx, s.c.Repos.Tx, func(ctx context.Context) (*domain.Document, error) {
				doc, err := s.c.Repos.Documents.Update(ctx, workspaceID, id, func(d *domain.Document) error {
					return d.Delete(domain.SystemActor.ID, "expired", s.c.Clock.Now())
				})
				if err != nil {
					return nil, err
				}
				if err := s.c.intend(ctx, workspaceID, doc.BlobKey()); err != nil {
					return nil, err
				}
				return doc, s.c.record(ctx, workspaceID, domain.EventDocumentPurged, domain.EntityDocument, id,
					map[string]any{"reason": "expired", "expires_at": doc.ExpiresAt().Format(time.RFC3339Nano)})
			})
			if err != nil {
				return false, err
			}
			s.c.removeBytes(ctx, doc)
			if purged != nil {
				purged(doc)
			}
			return true, nil
		})
}

// FailStale ends failed (code "interrupted") every job, in every
// workspace, that has been running longer than the job timeout plus a
// minute (and Config.TerminalRetry) with no attempt that will end it. It
// returns how many it ended. A job it cannot read is logged and stepped
// over, as PurgeExpired does.
func (s *MaintenanceService) FailStale(ctx context.Context) (int, error) {
	n, err := s.c.sweepWorkspaces(WithActor(ctx, domain.SystemActor), "fail stale jobs", s.failStaleIn)
	if err != nil {
		return n, fmt.Errorf("fail stale jobs: %w", err)
	}
	return n, nil
}

func (s *MaintenanceService) failStaleIn(ctx context.Context, workspaceID string) (int, error) {
	window := s.c.Config.JobTimeout + s.c.Config.TerminalRetry + staleGrace
	cutoff := s.c.Clock.Now().Add(-window)
	jobs := &JobService{s.c}
	cause := domain.JobError{Code: CodeInterrupted,
		Message: fmt.Sprintf("the job was still running %s after it started; the process running it stopped", window)}
	return s.c.sweepRows(ctx, "fail stale jobs", workspaceID,
		func(p ports.Page) ([]string, error) {
			return s.c.Repos.Jobs.ListIDs(ctx, workspaceID, ports.JobFilter{Status: domain.JobRunning}, p)
		},
		func(id string) (bool, error) {
			j, err := s.c.Repos.Jobs.Get(ctx, workspaceID, id)
			if err != nil {
				return false, err
			}
			if started := j.State().StartedAt; started == nil || started.After(cutoff) {
				return false, nil // still within its time
			}
			// Only while the attempt seen is still the job's: a job that
			// ended or restarted meanwhile is a conflict, skipped.
			_, err = jobs.transition(ctx, workspaceID, id, owned(j.Attempts(), func(j *domain.Job) error {
				return j.Fail(s.c.Clock.Now(), cause, domain.Outcome{Logs: []domain.LogEntry{failureLog(s.c.Clock.Now(), cause)}})
			}))
			return err == nil, err
		})
}
