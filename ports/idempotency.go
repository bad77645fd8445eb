package ports

import (
	"context"
	"time"

	"github.com/ade-go/ade/domain"
)

// IdempotencyRepository remembers the first outcome of requests made with
// an Idempotency-Key.
type IdempotencyRepository interface {
	// Claim MUST, in the transaction ctx carries, store rec unless the
	// workspace holds a record of the same key created at or after
	// notBefore, and then return nil; otherwise it MUST store nothing and
	// return that record. A record older than notBefore MUST be replaced.
	// Two concurrent claims of one key MUST NOT both succeed: the second
	// waits for the first's transaction, or fails with
	// domain.ErrConflict or domain.ErrUnavailable.
	Claim(ctx context.Context, rec domain.IdempotencyRecord, notBefore time.Time) (*domain.IdempotencyRecord, error)
	// Get MUST return the workspace's record of key created at or after
	// notBefore, and fail with domain.ErrNotFound when there is none.
	Get(ctx context.Context, workspaceID, key string, notBefore time.Time) (*domain.IdempotencyRecord, error)
	// DeleteBefore MUST delete the records created before t, in every
	// workspace, and return how many it deleted.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}
