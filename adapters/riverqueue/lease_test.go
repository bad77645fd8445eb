package riverqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/ports"
)

// blockingHandler records tasks and, when block is set, holds each one
// until its context ends (a worker that hangs, or whose process is gone).
type blockingHandler struct {
	block bool
	mu    sync.Mutex
	got   []time.Time
	start chan struct{}
}

func (h *blockingHandler) HandleTask(ctx context.Context, _ ports.Task, _ ports.TaskAttempt) error {
	h.mu.Lock()
	h.got = append(h.got, time.Now())
	h.mu.Unlock()
	select {
	case h.start <- struct{}{}:
	default:
	}
	if h.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (h *blockingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

// TestLeaseRescue: a process that stops renewing its lease (here: its
// lease keeper is stopped while its task hangs, as if the process had
// been killed) loses its running task to another process within the
// lease TTL and a few polls, instead of River's time-based rescue after
// the task timeout plus an hour.
func TestLeaseRescue(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *bunstore.DB{"SQLite": openSQLite, "PostgreSQL": openPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			if db == nil {
				return
			}
			ctx := context.Background()
			cfg := Config{Workers: 2, LeaseTTL: time.Second, Heartbeat: 200 * time.Millisecond,
				FetchPollInterval: 200 * time.Millisecond, TaskTimeout: time.Minute}

			cfg.ID = "doomed"
			doomed, err := Open(ctx, db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			hung := &blockingHandler{block: true, start: make(chan struct{}, 1)}
			if err := doomed.Start(ctx, hung); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_ = doomed.Stop(sctx)
			})
			if err := doomed.Enqueue(ctx, ports.Task{Kind: ports.TaskRunJob, WorkspaceID: "ws", JobID: "job-1"}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-hung.start:
			case <-time.After(20 * time.Second):
				t.Fatal("the doomed process never started the task")
			}
			// The process "dies": its lease stops being renewed, its task
			// stays running in River.
			doomed.lease.cancel()
			<-doomed.lease.done
			died := time.Now()

			cfg.ID = "survivor"
			survivor, err := Open(ctx, db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := &blockingHandler{start: make(chan struct{}, 1)}
			if err := survivor.Start(ctx, got); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = survivor.Stop(context.Background()) })
			select {
			case <-got.start:
			case <-time.After(30 * time.Second):
				t.Fatal("the task of the dead process was never handed out again")
			}
			delay := time.Since(died)
			// Lease TTL, plus the survivor's own TTL of healthy renewals
			// before it rescues, plus a poll or two.
			if limit := 2*cfg.LeaseTTL + 3*time.Second; delay > limit {
				t.Fatalf("rescued after %s, want at most %s", delay, limit)
			}
			t.Logf("rescued %s after the lease stopped", delay.Round(time.Millisecond))
			time.Sleep(500 * time.Millisecond)
			if n := got.count(); n != 1 {
				t.Fatalf("the survivor ran the task %d times", n)
			}
		})
	}
}

func openSQLite(t *testing.T) *bunstore.DB {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ade.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// openPostgres opens a schema of its own in the database of
// ADE_TEST_DATABASE_URL, dropped at cleanup.
func openPostgres(t *testing.T) *bunstore.DB {
	admin := os.Getenv("ADE_TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ADE_TEST_DATABASE_URL is empty but CI=true")
		}
		t.Skip("ADE_TEST_DATABASE_URL is not set")
		return nil
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ade_lease_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			_ = conn.Close(ctx)
		}
	})
	u, _ := url.Parse(admin)
	q := u.Query()
	q.Set("options", "-csearch_path="+schema)
	u.RawQuery = q.Encode()
	db, err := bunstore.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}
