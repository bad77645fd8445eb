package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ade-go/ade/domain"
)

// errKeyReused: an Idempotency-Key came back with another request.
var errKeyReused = fmt.Errorf("%w: the Idempotency-Key was already used with another request", domain.ErrConflict)

// errReplay rolls back a transaction whose key another request claimed
// first; the caller answers with that request's outcome.
var errReplay = errors.New("idempotency key already claimed")

// idempotencyClaim validates key and builds the record a request claims:
// the fingerprint is the SHA-256 of the canonical JSON (sorted keys) of
// the operation's name and its fields.
func (c *core) idempotencyClaim(workspaceID, key string, status int, op string, fields map[string]any) (*domain.IdempotencyRecord, error) {
	if err := domain.ValidateIdempotencyKey(key); err != nil {
		return nil, err
	}
	b, err := json.Marshal(map[string]any{"operation": op, "fields": fields})
	if err != nil {
		return nil, fmt.Errorf("fingerprint request: %w", err)
	}
	sum := sha256.Sum256(b)
	return &domain.IdempotencyRecord{
		WorkspaceID: workspaceID, Key: key, RequestHash: hex.EncodeToString(sum[:]),
		StatusCode: status, CreatedAt: c.Clock.Now(),
	}, nil
}

// replayed returns the live record of the claim's key, nil when the key
// is free, or errKeyReused when it served another request.
func (c *core) replayed(ctx context.Context, claim domain.IdempotencyRecord) (*domain.IdempotencyRecord, error) {
	rec, err := c.Repos.Idempotency.Get(ctx, claim.WorkspaceID, claim.Key, claim.CreatedAt.Add(-domain.IdempotencyKeyTTL))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("idempotency key: %w", err)
	case rec.RequestHash != claim.RequestHash:
		return nil, errKeyReused
	}
	return rec, nil
}

// claim stores the claim in ctx's transaction, or returns the record of
// the request that claimed the key first (errKeyReused when that was
// another request).
func (c *core) claim(ctx context.Context, claim domain.IdempotencyRecord) (*domain.IdempotencyRecord, error) {
	first, err := c.Repos.Idempotency.Claim(ctx, claim, claim.CreatedAt.Add(-domain.IdempotencyKeyTTL))
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	if first != nil && first.RequestHash != claim.RequestHash {
		return nil, errKeyReused
	}
	return first, nil
}
