package bunstore

// HoldJobChanges gives db's job changes a single batch slot. After hold,
// the changes made wait until send, and then go together. waiting reports
// how many wait; sizes receives the size of every batch sent.
// PostgreSQL only.
func HoldJobChanges(db *DB) (hold func(), waiting func() int, send func(), sizes <-chan int) {
	b := db.batch
	b.slots = 1
	s := make(chan int, 64)
	b.sizes = s
	hold = func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.held = make(chan struct{})
	}
	waiting = func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiting)
	}
	send = func() {
		b.mu.Lock()
		h := b.held
		b.held = nil
		b.mu.Unlock()
		close(h)
	}
	return hold, waiting, send, s
}
