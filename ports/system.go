package ports

import "time"

// Clock tells the time. Use cases take every timestamp from it.
type Clock interface {
	// Now MUST return the current time; adapters return it in UTC.
	Now() time.Time
}

// IDGenerator makes entity ids.
type IDGenerator interface {
	// NewID MUST return a new unique ULID (26 characters, Crockford base32)
	// that sorts after every id it returned before.
	NewID() string
}
