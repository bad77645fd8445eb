// Package system adapts the process's clock and a ULID source to the
// ports.Clock and ports.IDGenerator ports, and gives each process a
// directory of its own for temporary files (SpoolDir), swept when the
// process that owned it is gone.
package system

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ade-go/ade/ports"
)

var (
	_ ports.Clock       = Clock{}
	_ ports.IDGenerator = (*ULIDs)(nil)
)

// Clock is the wall clock, in UTC.
type Clock struct{}

// Now returns the current time in UTC.
func (Clock) Now() time.Time { return time.Now().UTC() }

// ULIDs makes monotonic ULIDs: within one millisecond later ids still sort
// after earlier ones, so ids order like creation.
type ULIDs struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
	now     func() time.Time
}

// NewULIDs returns a generator seeded from crypto/rand.
func NewULIDs() *ULIDs {
	return &ULIDs{entropy: ulid.Monotonic(rand.Reader, 0), now: time.Now}
}

// NewID returns a new ULID string.
func (g *ULIDs) NewID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return ulid.MustNew(ulid.Timestamp(g.now()), g.entropy).String()
}

// ValidID reports whether s is a well-formed ULID, so that callers can
// answer malformed ids as unknown without a lookup.
func ValidID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}
