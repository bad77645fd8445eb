package bunstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ade-go/ade/ports"
)

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

// JobChangeStatement is the statement Apply runs for c on PostgreSQL, and
// its arguments (c carries no tasks).
func JobChangeStatement(c ports.JobChange) (string, []any, error) {
	row, events, tables, err := changeRows(c)
	if err != nil {
		return "", nil, err
	}
	return applyStatement(c, row, events, tables, nil)
}

// The fixed statements that read one job, or its inputs, by id
// (PostgreSQL's placeholders).
const (
	GetJobSQL     = getJobPostgresSQL
	GetRunSQL     = getRunSQL
	InputsByIDSQL = inputsByIDSQL
)

// WithPgxConn runs fn on one of db's PostgreSQL connections.
func WithPgxConn(ctx context.Context, db *DB, fn func(*pgx.Conn) error) error {
	conn, err := db.bun.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error { return fn(driverConn.(*stdlib.Conn).Conn()) })
}
