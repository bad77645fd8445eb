package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ade-go/ade/adapters/eventhub"
	"github.com/ade-go/ade/ports"
)

var _ ports.EventFeed = (*Feed)(nil)

// notifyChannel is the PostgreSQL channel events are announced on; the
// payload is "<workspace id>/<entity id>".
const notifyChannel = "ade_events"

// Feed tells subscribers when events commit (ports.EventFeed).
//
//   - PostgreSQL: EventSink sends pg_notify in the event's transaction, so
//     the notification goes out when (and only if) it commits; every
//     process LISTENs on one connection and fans out in process. Idle
//     subscribers cost the database nothing.
//   - SQLite: EventSink signals subscribers of this process after the
//     commit; for events committed by other processes on the same file,
//     one tail query per process and tailInterval (once anything
//     subscribed) reads the events table past the last row seen. SQLite
//     serialises writers, so row ids grow in commit order and the tail
//     misses nothing.
type Feed struct {
	db  *DB
	hub *eventhub.Hub

	once   sync.Once
	ready  chan struct{} // closed when the listener first listens
	cancel context.CancelFunc
	done   chan struct{}
	// early is set when a subscriber stopped waiting for the listener:
	// its first connection then signals everyone.
	early atomic.Bool
	// last is the SQLite tail's position: the highest events rowid seen.
	last int64
}

// Feed timings.
const (
	// tailInterval paces the SQLite tail (one query per interval).
	tailInterval = time.Second
	// listenWait bounds how long a first Subscribe waits for the
	// PostgreSQL listener; past it the listener's first connection
	// signals every subscriber, so nothing committed meanwhile is lost.
	listenWait = 2 * time.Second
	// reconnectDelay paces reconnection attempts of the listener.
	reconnectDelay = time.Second
)

func newFeed(db *DB) *Feed {
	return &Feed{db: db, hub: eventhub.New(), ready: make(chan struct{}), done: make(chan struct{})}
}

// Subscribe implements ports.EventFeed. The first call starts the
// listener (PostgreSQL) or the tail (SQLite).
func (f *Feed) Subscribe(workspaceID, entityID string) (<-chan struct{}, func()) {
	ch, cancel := f.hub.Subscribe(workspaceID, entityID)
	f.once.Do(f.start)
	select {
	case <-f.ready:
	case <-time.After(listenWait):
		f.early.Store(true)
	}
	return ch, cancel
}

// Subscribers returns how many subscriptions are open in this process.
func (f *Feed) Subscribers() int { return f.hub.Subscribers() }

func (f *Feed) start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	if !f.db.isPostgres() {
		// The tail starts at the end: everything before is read by the
		// subscribers themselves.
		var max sql.NullInt64
		if err := f.db.bun.DB.QueryRowContext(ctx, "SELECT max(rowid) FROM events").Scan(&max); err != nil {
			f.early.Store(true)
		}
		f.last = max.Int64
		close(f.ready)
	}
	go func() {
		defer close(f.done)
		if f.db.isPostgres() {
			f.listen(ctx)
		} else {
			f.tail(ctx)
		}
	}()
}

// close stops the listener or the tail.
func (f *Feed) close() {
	f.once.Do(func() { close(f.done) }) // never started
	if f.cancel != nil {
		f.cancel()
	}
	<-f.done
}

// published announces events about entities of ctx's transaction: a
// notification sent at commit on PostgreSQL, a local signal after commit
// on SQLite.
func (f *Feed) published(ctx context.Context, keys [][2]string) error {
	if f.db.isPostgres() {
		for _, k := range keys {
			if _, err := f.db.conn(ctx).ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, k[0]+"/"+k[1]); err != nil {
				return translate("notify event", err)
			}
		}
		return nil
	}
	f.db.onCommit(ctx, func() {
		for _, k := range keys {
			f.hub.Publish(k[0], k[1])
		}
	})
	return nil
}

// listen keeps one LISTEN connection open, reconnecting after failures;
// every (re)connection signals all subscribers, who re-read what they may
// have missed.
func (f *Feed) listen(ctx context.Context) {
	readyOnce := sync.OnceFunc(func() { close(f.ready) })
	defer readyOnce()
	cfg, err := pgx.ParseConfig(f.db.dsn)
	if err != nil {
		return
	}
	connected := false
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+notifyChannel)
		}
		if err != nil {
			if conn != nil {
				_ = conn.Close(context.Background())
			}
			sleep(ctx, reconnectDelay)
			continue
		}
		if connected || f.early.Swap(false) {
			// Anything may have committed while nobody listened.
			f.hub.PublishAll()
		}
		connected = true
		readyOnce()
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			if ws, entity, ok := strings.Cut(n.Payload, "/"); ok {
				f.hub.Publish(ws, entity)
			}
		}
		_ = conn.Close(context.Background())
	}
}

// tail reads events committed by other processes (SQLite), from the
// position start read, once per tailInterval. It also signals this
// process's own events a second time: a subscriber then reads once more,
// which costs a query but misses nothing.
func (f *Feed) tail(ctx context.Context) {
	t := time.NewTicker(tailInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if f.early.Swap(false) {
			f.hub.PublishAll()
		}
		rows, err := f.db.bun.DB.QueryContext(ctx, "SELECT rowid, workspace_id, entity_id FROM events WHERE rowid > ? ORDER BY rowid LIMIT 1000", f.last)
		if err != nil {
			f.early.Store(true)
			continue
		}
		for rows.Next() {
			var ws, entity string
			if rows.Scan(&f.last, &ws, &entity) == nil {
				f.hub.Publish(ws, entity)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			f.early.Store(true)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
