// Package testkit holds small helpers shared by the suites that drive
// real processes and servers (e2e, multi-process, browser, wiring).
package testkit

import (
	"bytes"
	"sync"
)

// SyncBuffer collects a process's or a server's output: a bytes.Buffer
// safe for the writing goroutines (exec.Cmd's pipes, a logger) and the
// reading spec at once.
type SyncBuffer struct {
	// Limit, when positive, is the size past which further writes are
	// dropped (and reported written), bounding a chatty server's log.
	Limit int

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p, or drops it once the buffer holds more than Limit.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Limit > 0 && b.buf.Len() > b.Limit {
		return len(p), nil
	}
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
