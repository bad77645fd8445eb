package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// maxBatchedChanges caps how many job changes one batch carries.
const maxBatchedChanges = 32

// staleResultType is PostgreSQL's "cached plan must not change result
// type" (feature_not_supported): a prepared statement's result columns
// changed under it.
const staleResultType = "0A000"

// changeBatcher sends the job changes a process makes at the same time to
// PostgreSQL together (see applyPostgres), as River's completer does with
// its job completions: the submissions of concurrent API requests, the
// reads of their inputs that precede them (Inputs), and the starts and
// ends of concurrent workers.
//
// A change that finds a batch slot free goes at once, alone, exactly as
// an unbatched change would: batching never adds a wait. While every slot
// is busy, changes queue, and the next free slot takes all of them (up to
// maxBatchedChanges) as one batch: one round trip and one transaction,
// each change still its own guarded statement with its own result. A
// job's three changes cost PostgreSQL more in per-statement and
// per-transaction work (a commit and its WAL flush, the protocol's
// messages, waking the backend) than in writing rows (profiled with
// test/bench/queue), and that is the work a batch shares out.
//
// A batch is all or nothing. When PostgreSQL refuses a statement of it (a
// violated constraint, a deadlock), nothing of the batch was written and
// every change is sent again alone, so a change's result never depends on
// the changes it happened to travel with. When the connection fails or
// every waiting caller has given up, each change gets that error, as a
// single statement's caller would.
type changeBatcher struct {
	db       *DB
	slots    int
	mu       sync.Mutex
	waiting  []*batchedChange
	inFlight int

	// held, in tests only, holds batches back until it is closed.
	held chan struct{}
	// sizes, in tests only, receives the size of every batch sent.
	sizes chan int
}

// newChangeBatcher sizes the batcher by the process's parallelism: one
// slot per two cores, at least one. A batch runs its statements one after
// another on one connection, so a machine with more cores gets more
// batches in flight; but every slot added lets more changes go alone, each
// a transaction of its own. On two cores (test/bench/queue), one slot
// instead of two cut the machine's CPU time per job by 15 to 20% and ran
// more jobs per second.
func newChangeBatcher(db *DB) *changeBatcher {
	return &changeBatcher{db: db, slots: max(1, runtime.GOMAXPROCS(0)/2)}
}

// batchedChange is one change's statement, its result's destinations and
// its outcome.
type batchedChange struct {
	ctx   context.Context
	query string
	args  []any
	dest  []any
	err   error
	done  chan struct{}
}

// queryRow runs query with args, scanning its one row into dest, in the
// next batch. It returns once the batch ended; query must be a fixed text
// (each connection prepares it once).
func (b *changeBatcher) queryRow(ctx context.Context, query string, args, dest []any) error {
	c := &batchedChange{ctx: ctx, query: query, args: args, dest: dest, done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, c)
	start := b.inFlight < b.slots
	if start {
		b.inFlight++
	}
	b.mu.Unlock()
	if start {
		go b.run()
	}
	<-c.done
	return c.err
}

// batchedRow runs a fixed statement (query with args), scanning its one
// row into dest: on PostgreSQL outside ctx's transaction in the next batch,
// otherwise in ctx's transaction or on the pool (db.queryRow).
func (db *DB) batchedRow(ctx context.Context, query string, args, dest []any) error {
	if db.isPostgres() && !db.inTx(ctx) {
		return db.batch.queryRow(ctx, query, args, dest)
	}
	return db.queryRow(ctx, query, args...).Scan(dest...)
}

// run sends batches until nothing waits, then frees its slot.
func (b *changeBatcher) run() {
	for {
		b.mu.Lock()
		for b.held != nil {
			// A test holds every batch, not only a slot's first.
			held := b.held
			b.mu.Unlock()
			<-held
			b.mu.Lock()
		}
		n := min(len(b.waiting), maxBatchedChanges)
		if n == 0 {
			b.inFlight--
			b.mu.Unlock()
			return
		}
		batch := make([]*batchedChange, 0, n)
		for _, c := range b.waiting[:n] {
			if c.ctx.Err() != nil {
				// Given up before it was sent: nothing of it is written.
				c.err = c.ctx.Err()
				close(c.done)
				continue
			}
			batch = append(batch, c)
		}
		b.waiting = append(b.waiting[:0:0], b.waiting[n:]...)
		b.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		if b.sizes != nil {
			b.sizes <- len(batch)
		}
		b.send(batch)
	}
}

// send runs batch and reports each change's outcome.
func (b *changeBatcher) send(batch []*batchedChange) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	if len(batch) == 1 {
		batch[0].alone(b.db)
		return
	}
	ctx, cancel := eachDone(batch)
	defer cancel()
	err := b.sendTogether(ctx, batch)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
	case errors.As(err, &pgErr):
		// Refused by PostgreSQL: the batch's transaction rolled back.
		for _, c := range batch {
			c.alone(b.db)
		}
	default:
		for _, c := range batch {
			c.err = err
		}
	}
}

// sendTogether sends batch on one connection as one pipeline: one round
// trip, and, with a single Sync at its end, one implicit transaction.
func (b *changeBatcher) sendTogether(ctx context.Context, batch []*batchedChange) error {
	conn, err := b.db.bun.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		var pb pgx.Batch
		for _, c := range batch {
			// Prepared under its own text, once per connection (a no-op
			// after the first); the batch then binds and executes it.
			if _, err := pc.Prepare(ctx, c.query, c.query); err != nil {
				return err
			}
			pb.Queue(c.query, c.args...)
		}
		results := pc.SendBatch(ctx, &pb)
		var first error
		for _, c := range batch {
			err := results.QueryRow().Scan(c.dest...)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				// That statement's own answer (a read of a row that does
				// not exist): the batch goes on.
				c.err = sql.ErrNoRows
			case err != nil && first == nil:
				first = err
			}
		}
		if err := results.Close(); err != nil && first == nil {
			first = err
		}
		var pgErr *pgconn.PgError
		if errors.As(first, &pgErr) && pgErr.Code == staleResultType {
			// A statement whose result type a migration changed fails on
			// this connection until it is prepared afresh. Any other
			// refusal leaves the prepared statements as good as they were.
			for _, c := range batch {
				_ = pc.Deallocate(ctx, c.query)
			}
		}
		return first
	})
}

// alone runs c as a statement of its own, as an unbatched change runs.
func (c *batchedChange) alone(db *DB) {
	c.err = db.queryRow(c.ctx, c.query, c.args...).Scan(c.dest...)
}

// eachDone returns a context that ends once every change's own context
// has: a batch is abandoned only when no one waits for it any more.
func eachDone(batch []*batchedChange) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	var left atomic.Int64
	left.Store(int64(len(batch)))
	stops := make([]func() bool, 0, len(batch))
	for _, c := range batch {
		stops = append(stops, context.AfterFunc(c.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
