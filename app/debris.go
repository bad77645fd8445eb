package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// DefaultInstanceLease is how long a process's lease lasts unless renewed
// (Config.InstanceLease). A process renews it three times per lease.
const DefaultInstanceLease = 30 * time.Second

// intentStaleAfter is how old an intent of a live process may grow before
// the sweep takes it for lost: no upload or removal takes a day.
const intentStaleAfter = 24 * time.Hour

// reclaimBatch is how many intents one sweep query reads.
const reclaimBatch = 100

// DebrisService reclaims what a crash leaves behind: the bytes of an upload
// (or a job's output) stored before its document's row, with the partial
// write of one cut off mid-way, and the bytes of a document deleted or
// purged but not yet removed. Whoever stores or removes such bytes first
// records a blob intent (ports.BlobIntentRepository) and resolves it once
// the bytes are settled; this process holds a lease while it runs
// (RenewLease). Reclaim removes the bytes of every intent whose process is
// gone, so a restart (of this process or any other sharing the database
// and blob store) leaves no orphan, while the intents of processes at work
// are left alone.
type DebrisService struct{ c *core }

// Instance returns this process's instance id, the owner of its intents.
func (s *DebrisService) Instance() string { return s.c.instance }

// LeaseRenewal is how often a process renews its lease.
func (s *DebrisService) LeaseRenewal() time.Duration { return s.c.Config.InstanceLease / 3 }

// RenewLease extends this process's lease by Config.InstanceLease.
func (s *DebrisService) RenewLease(ctx context.Context) error {
	if err := s.c.Repos.Instances.Renew(ctx, s.c.instance, s.c.Clock.Now().Add(s.c.Config.InstanceLease)); err != nil {
		return fmt.Errorf("renew instance lease: %w", err)
	}
	return nil
}

// ReleaseLease ends this process's lease, at a clean stop: intents it left
// (a removal that failed) become reclaimable at once.
func (s *DebrisService) ReleaseLease(ctx context.Context) error {
	if err := s.c.Repos.Instances.Release(ctx, s.c.instance); err != nil {
		return fmt.Errorf("release instance lease: %w", err)
	}
	return nil
}

// Reclaim removes the blobs of abandoned intents (their process holds no
// live lease, or they are a day old) and returns how many it reclaimed.
// Each intent is claimed (deleted in a transaction of its own) before its
// blob is removed, so a process that was only slow, not gone, finds its
// intent missing when it tries to record its document, and fails that
// upload rather than record a document without bytes. A blob that cannot
// be removed gets an intent of no owner again, for the next sweep.
func (s *DebrisService) Reclaim(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.c.Clock.Now()
		batch, err := s.c.Repos.BlobIntents.Abandoned(ctx, now, now.Add(-intentStaleAfter), reclaimBatch)
		if err != nil {
			return n, fmt.Errorf("reclaim debris: %w", err)
		}
		progress := 0
		for _, in := range batch {
			err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error { return s.c.Repos.BlobIntents.Resolve(ctx, in.Key) })
			if errors.Is(err, domain.ErrNotFound) {
				continue // claimed by another process, or resolved by its owner
			}
			if err != nil {
				return n, fmt.Errorf("reclaim debris: %w", err)
			}
			progress++
			err = s.c.Blobs.Delete(ctx, in.Key)
			if pr, ok := s.c.Blobs.(ports.PartialBlobRemover); ok && err == nil {
				_, err = pr.RemovePartials(ctx, in.Key)
			}
			if err != nil {
				s.c.Logger.ErrorContext(ctx, "reclaim debris: remove blob", "key", in.Key, "error", err)
				in.Owner, in.CreatedAt = "", s.c.Clock.Now()
				if aerr := s.c.Repos.BlobIntents.Add(context.WithoutCancel(ctx), in); aerr != nil {
					s.c.Logger.ErrorContext(ctx, "reclaim debris: keep the intent of a blob not removed", "key", in.Key, "error", aerr)
				}
				continue
			}
			n++
			s.c.Logger.InfoContext(ctx, "reclaimed debris", "key", in.Key, "workspace_id", in.WorkspaceID, "owner", in.Owner)
		}
		if len(batch) < reclaimBatch || progress == 0 {
			return n, nil
		}
	}
}

// intend records that this process is about to settle key's blob (store
// it before its row, or remove it after its row says it is gone): if the
// process dies first, Reclaim removes the blob. It joins ctx's transaction
// when there is one.
func (c *core) intend(ctx context.Context, workspaceID, key string) error {
	err := c.Repos.BlobIntents.Add(ctx, ports.BlobIntent{Key: key, WorkspaceID: workspaceID, Owner: c.instance, CreatedAt: c.Clock.Now()})
	if err != nil {
		return fmt.Errorf("record blob intent: %w", err)
	}
	return nil
}

// settle resolves key's intent in ctx's transaction: the row that makes
// the blob a document's is written with it. A missing intent means the
// sweep reclaimed the blob (this process was taken for gone): the caller
// must not record the document.
func (c *core) settle(ctx context.Context, key string) error {
	err := c.Repos.BlobIntents.Resolve(ctx, key)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("the stored bytes were reclaimed before the document was recorded (this process's lease lapsed): %w",
			domain.ErrUnavailable)
	}
	return err
}

// forget resolves key's intent once its blob is settled outside a
// transaction (removed, or never written); a failure leaves the intent
// for Reclaim, which finds nothing left to remove.
func (c *core) forget(ctx context.Context, key string) {
	err := c.Repos.BlobIntents.Resolve(context.WithoutCancel(ctx), key)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		c.Logger.WarnContext(ctx, "resolve blob intent", "key", key, "error", err)
	}
}
