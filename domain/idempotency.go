package domain

import "time"

// IdempotencyKeyTTL is how long an Idempotency-Key is remembered: a
// request repeated with the same key within it is answered with the first
// outcome; afterwards the key is free again.
const IdempotencyKeyTTL = 24 * time.Hour

// MaxIdempotencyKeyBytes bounds an Idempotency-Key.
const MaxIdempotencyKeyBytes = 255

// IdempotencyRecord remembers the first successful outcome of a request
// made with an Idempotency-Key, per workspace.
type IdempotencyRecord struct {
	WorkspaceID string
	Key         string
	// RequestHash fingerprints the request (operation and body): the same
	// key with another fingerprint is a conflict.
	RequestHash string
	// ResourceID is what the request created (a job or a document).
	ResourceID string
	// StatusCode is the first response's HTTP status.
	StatusCode int
	CreatedAt  time.Time
}

// ValidateIdempotencyKey accepts 1 to MaxIdempotencyKeyBytes visible ASCII
// characters (no spaces or control characters), so a key is safe in logs
// and unambiguous.
func ValidateIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyBytes {
		return NewInvalid("invalid Idempotency-Key", FieldError{"Idempotency-Key", "must be 1-255 visible ASCII characters"})
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return NewInvalid("invalid Idempotency-Key", FieldError{"Idempotency-Key", "must be 1-255 visible ASCII characters"})
		}
	}
	return nil
}
