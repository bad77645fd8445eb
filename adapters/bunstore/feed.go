package bunstore

import (
	"context"
	"crypto/rand"
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
// payload is "<origin> <workspace id>/<entity id>", or "<origin> *" to ask
// for a re-read of everything. The origin names the sending Feed, which
// ignores its own notifications (it signalled its subscribers already).
const notifyChannel = "ade_events"

// Feed tells subscribers when events commit (ports.EventFeed).
//
//   - PostgreSQL: once an event's transaction commits, the process signals
//     its own subscribers and sends a notification; every process LISTENs
//     on one connection and fans out in process. Idle subscribers cost the
//     database nothing. Notifications go out after the commit, batched (what
//     commits within notifyLinger goes in one statement), in a statement
//     of their own, not inside the event's transaction:
//     PostgreSQL serialises the commits of every transaction that
//     notifies, and with each job's start and end notifying, that halved
//     the job throughput. The price: a process that dies between a commit
//     and its notification loses that signal; the queue's lease keeper
//     broadcasts a re-read to every subscriber when it finds a dead
//     process (Broadcast), and subscribers that wait long re-read on a
//     slow timer of their own.
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

	// The PostgreSQL notifier: keys to announce, batched by one goroutine.
	notifyOnce sync.Once
	outbox     chan string
	// overflow is set when the outbox was full: the next batch asks every
	// process to re-read everything.
	overflow    atomic.Bool
	stopNotify  chan struct{}
	notifierEnd chan struct{}
	// origin tags this feed's notifications.
	origin string
}

// broadcastPayload asks every subscriber of every process to re-read.
const broadcastPayload = "*"

// Notifier bounds.
const (
	// outboxSize is how many keys may wait for the notifier.
	outboxSize = 8192
	// notifyBatch is the most keys one notifying statement sends.
	notifyBatch = 500
	// notifyLinger is how long the notifier gathers keys after the first
	// before it sends them: under load it sends at most one statement
	// per linger (each an implicit transaction, which PostgreSQL commits
	// one notifier at a time) instead of one per event or two; other
	// processes hear of an event that much later.
	notifyLinger = 25 * time.Millisecond
)

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
	return &Feed{db: db, hub: eventhub.New(), ready: make(chan struct{}), done: make(chan struct{}),
		outbox: make(chan string, outboxSize), stopNotify: make(chan struct{}), notifierEnd: make(chan struct{}),
		origin: rand.Text()[:12]}
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

// close sends the notifications still waiting and stops the listener or
// the tail.
func (f *Feed) close() {
	f.notifyOnce.Do(func() { close(f.notifierEnd) }) // never started
	select {
	case <-f.stopNotify:
	default:
		close(f.stopNotify)
	}
	<-f.notifierEnd
	f.once.Do(func() { close(f.done) }) // never started
	if f.cancel != nil {
		f.cancel()
	}
	<-f.done
}

// published announces events about entities once ctx's transaction
// commits (at once outside a transaction): this process's subscribers
// hear at once; on PostgreSQL the other processes' from the notifier.
func (f *Feed) published(ctx context.Context, keys [][2]string) {
	f.db.onCommit(ctx, func() {
		for _, k := range keys {
			f.hub.Publish(k[0], k[1])
			if f.db.isPostgres() {
				f.send(k[0] + "/" + k[1])
			}
		}
	})
}

// Broadcast asks every subscriber of every process sharing the database to
// re-read what it follows: the queue calls it when it finds a process
// dead, whose last notifications may never have been sent.
func (f *Feed) Broadcast() {
	f.hub.PublishAll()
	if f.db.isPostgres() {
		f.send(broadcastPayload)
	}
}

// send queues a notification payload for the notifier; when the outbox
// is full, the next batch broadcasts instead.
func (f *Feed) send(payload string) {
	f.notifyOnce.Do(func() { go f.notifier() })
	select {
	case f.outbox <- payload:
	default:
		f.overflow.Store(true)
	}
}

// notifier sends the queued payloads in batches, each batch one statement
// outside any transaction of the events'. A batch that fails (the database
// does not answer) becomes a broadcast, sent once it answers again.
func (f *Feed) notifier() {
	defer close(f.notifierEnd)
	batch := make([]string, 0, notifyBatch)
	for {
		select {
		case p := <-f.outbox:
			batch = append(batch, p)
			select {
			case <-time.After(notifyLinger):
			case <-f.stopNotify:
			}
		case <-f.stopNotify:
			// Send what is left, once.
			for len(f.outbox) > 0 && len(batch) < notifyBatch {
				batch = append(batch, <-f.outbox)
			}
			if len(batch) > 0 || f.overflow.Load() {
				_ = f.notify(context.Background(), batch)
			}
			return
		}
		for len(batch) < notifyBatch && len(f.outbox) > 0 {
			batch = append(batch, <-f.outbox)
		}
		if err := f.notify(context.Background(), batch); err != nil {
			f.overflow.Store(true)
			sleep(context.Background(), reconnectDelay)
		}
		batch = batch[:0]
	}
}

func (f *Feed) notify(ctx context.Context, batch []string) error {
	if f.overflow.Swap(false) {
		batch = []string{broadcastPayload}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := f.db.bun.DB.ExecContext(ctx, "SELECT pg_notify($1, $2 || ' ' || p) FROM unnest($3::text[]) AS p", notifyChannel, f.origin, batch)
	return err
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
			origin, payload, _ := strings.Cut(n.Payload, " ")
			switch {
			case origin == f.origin:
			case payload == broadcastPayload:
				f.hub.PublishAll()
			default:
				if ws, entity, ok := strings.Cut(payload, "/"); ok {
					f.hub.Publish(ws, entity)
				}
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
