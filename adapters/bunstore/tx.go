package bunstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.Transactor = (*Transactor)(nil)

// txKey carries the open transaction in a context.
type txKey struct{}

// txState is the transaction in a context and the database it belongs to,
// so a second DB (another test database, say) never joins it by mistake.
type txState struct {
	db *DB
	tx bun.Tx
	// after runs once the transaction commits (SQLite event signals).
	after []func()
}

// Transactor runs functions in a database transaction carried by the
// context.
type Transactor struct {
	db *DB
}

// WithinTx runs fn in a transaction, or in the caller's transaction when
// ctx already carries one of this database. It commits when fn returns nil
// and rolls back when fn returns an error or panics (the panic continues
// after the rollback).
func (t *Transactor) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return t.db.withinTx(ctx, fn)
}

func (db *DB) withinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		return fn(ctx)
	}
	defer db.enterWriter(ctx)()
	tx, err := db.bun.BeginTx(ctx, nil)
	if err != nil {
		return translate("begin transaction", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Runs on error and on panic; a panic keeps unwinding.
			_ = tx.Rollback()
		}
	}()
	st := &txState{db: db, tx: tx}
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return translate("commit transaction", err)
	}
	for _, f := range st.after {
		f()
	}
	return nil
}

// writerWait bounds how long a transaction waits at SQLite's write gate
// before it goes on to SQLite's own busy wait anyway: the gate orders the
// process's writers, and must never be what keeps one from running.
const writerWait = 30 * time.Second

// enterWriter waits for SQLite's write gate and returns its release (a
// no-op on PostgreSQL). Every SQLite transaction takes the database's one
// write lock (BEGIN IMMEDIATE); left to SQLite, the waiting writers poll
// it with growing sleeps, so under load one can lose again and again
// until its busy timeout ends it with "database is locked". Waiting here
// first queues the process's transactions in arrival order, each holding
// no connection while it waits. A wait past writerWait, or a cancelled
// ctx, goes on without the gate (BEGIN then fails or waits as before).
func (db *DB) enterWriter(ctx context.Context) (release func()) {
	if db.writers == nil {
		return func() {}
	}
	release = func() { <-db.writers }
	select {
	case db.writers <- struct{}{}: // free: no timer for the common case
		return release
	default:
	}
	timer := time.NewTimer(writerWait)
	defer timer.Stop()
	select {
	case db.writers <- struct{}{}:
		return release
	case <-ctx.Done():
	case <-timer.C:
	}
	return func() {}
}

// onCommit runs f once ctx's transaction of this database commits, or at
// once outside a transaction. f must not block.
func (db *DB) onCommit(ctx context.Context, f func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		st.after = append(st.after, f)
		return
	}
	f()
}

// SQLTx returns the database/sql transaction ctx carries for db, so that
// an adapter sharing the database (the River queue) can write in it.
func SQLTx(ctx context.Context, db *DB) (*sql.Tx, bool) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		return st.tx.Tx, true
	}
	return nil, false
}

// conn returns the transaction ctx carries for this database, or the pool.
func (db *DB) conn(ctx context.Context) bun.IDB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		return st.tx
	}
	return db.bun
}

// inTx reports whether ctx carries a transaction of this database.
func (db *DB) inTx(ctx context.Context) bool {
	st, ok := ctx.Value(txKey{}).(*txState)
	return ok && st.db == db
}

// queryRow runs a fixed statement written with the dialect's own
// placeholders ($n or ?) and bound arguments, in the transaction ctx
// carries or on the pool. Bun's query builder writes arguments into the
// SQL text, so its statements differ on every call and PostgreSQL parses
// and plans each one; a fixed text with bound arguments is prepared once
// per connection through pgx's statement cache, like any database/sql
// program's. Only for statements whose text never varies: each distinct
// text takes a slot in the per-connection cache.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if db.isPostgres() {
		args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	}
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		return st.tx.Tx.QueryRowContext(ctx, query, args...)
	}
	return db.bun.DB.QueryRowContext(ctx, query, args...)
}

// lockForUpdate adds the row lock of a read-modify-write. This is the one
// place row locking branches: PostgreSQL locks the row with FOR UPDATE;
// SQLite has no row locks, and needs none, because every transaction is
// opened with BEGIN IMMEDIATE (_txlock=immediate) and so holds the
// database's single write lock from its first statement.
func (db *DB) lockForUpdate(q *bun.SelectQuery) *bun.SelectQuery {
	if db.isPostgres() {
		return q.For("UPDATE")
	}
	return q
}

// errorf wraps err with an operation prefix without translating it.
func errorf(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// checkUpdated translates an UPDATE's outcome: no row affected means the
// row changed (or went) between the read and the write.
func checkUpdated(op string, res sql.Result, err error) error {
	if err != nil {
		return translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w: the row changed meanwhile", op, domain.ErrConflict)
	}
	return nil
}
