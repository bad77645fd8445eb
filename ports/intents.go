package ports

import (
	"context"
	"time"
)

// BlobIntent is a blob key whose fate a process has yet to settle: the
// bytes of an upload stored before the document's row, or the bytes of a
// document deleted but not yet removed. The process that records it
// resolves it in the transaction that settles the key (the row written),
// or after it removed the bytes. An intent still there when its owner is
// gone marks debris of a crash: its key's blob is to be removed.
type BlobIntent struct {
	// Key is the blob key.
	Key string
	// WorkspaceID is the workspace the blob belongs to.
	WorkspaceID string
	// Owner is the process instance that recorded it (InstanceRepository).
	Owner string
	// CreatedAt is when it was recorded.
	CreatedAt time.Time
}

// BlobIntentRepository keeps blob intents.
type BlobIntentRepository interface {
	// Add MUST record the intent, taking part in the caller's transaction
	// when there is one, and fail with domain.ErrConflict when its key
	// already has one.
	Add(ctx context.Context, intent BlobIntent) error
	// Resolve MUST remove the intent of key, taking part in the caller's
	// transaction when there is one, and fail with domain.ErrNotFound when
	// there is none: another process reclaimed it, and whoever resolves
	// must not act as if the blob were still there. Of two concurrent
	// Resolve calls for one key, exactly one MUST succeed.
	Resolve(ctx context.Context, key string) error
	// Abandoned MUST return up to limit intents, oldest first, whose
	// owner holds no lease that lasts past now, or that were recorded
	// before staleBefore (an owner alive that long has lost track of
	// them).
	Abandoned(ctx context.Context, now, staleBefore time.Time, limit int) ([]BlobIntent, error)
}

// InstanceRepository keeps the leases of running processes: a process
// holds a lease while it lives and renews it before it lapses, so that
// others can tell the intents of a process that died from those of one at
// work.
type InstanceRepository interface {
	// Renew MUST record (or extend) the lease of instance id until
	// expiresAt.
	Renew(ctx context.Context, id string, expiresAt time.Time) error
	// Release MUST end the lease of instance id; a missing lease is not an
	// error.
	Release(ctx context.Context, id string) error
}
