package riverqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// leaseTable holds one row per process with workers: its River client id
// and when it last proved alive, in milliseconds of the database's clock
// (so machines' clocks need not agree).
const leaseTable = "ade_queue_workers"

// rescueBatch bounds the running tasks one rescue pass looks at.
const rescueBatch = 1000

// leaseKeeper renews this process's lease and rescues the tasks of
// processes whose lease expired: River alone rescues a running task only
// after a fixed time (longer than any task may run), so a task whose
// process died would wait that long. Here a process that stops renewing
// for LeaseTTL is presumed dead and its running tasks are made available
// again at once; a task's next attempt starts it over (the application
// guards every write with the attempt that owns the job, so an attempt
// presumed dead that was only slow cannot overwrite its successor).
//
// Every process with workers renews once per Heartbeat and runs a rescue
// pass after it; passes are safe to run at once from several processes
// (each rescue only moves tasks still running under the attempt it saw).
// After its own renewals failed (the database was down), a process waits
// a whole LeaseTTL of successful renewals before it rescues, so that other
// processes have renewed their leases too.
type leaseKeeper struct {
	q *Queue
	// healthySince is when renewals last started to succeed (unix ns; 0
	// while they fail).
	healthySince atomic.Int64
	cancel       context.CancelFunc
	done         chan struct{}
}

func newLeaseKeeper(q *Queue) *leaseKeeper { return &leaseKeeper{q: q} }

// nowMS is the database clock in milliseconds.
func (k *leaseKeeper) nowMS() string {
	if k.q.db.Dialect() == "pg" {
		return "(extract(epoch from clock_timestamp()) * 1000)::bigint"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

// ph returns the dialect's n-th placeholder.
func (k *leaseKeeper) ph(n int) string {
	if k.q.db.Dialect() == "pg" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

func (k *leaseKeeper) start(ctx context.Context) error {
	if err := k.renew(ctx); err != nil {
		return fmt.Errorf("start queue: take worker lease: %w", err)
	}
	k.healthySince.Store(time.Now().UnixNano())
	lctx, cancel := context.WithCancel(context.Background())
	k.cancel, k.done = cancel, make(chan struct{})
	go k.run(lctx)
	return nil
}

func (k *leaseKeeper) stop(ctx context.Context) {
	if k.cancel == nil {
		return
	}
	k.cancel()
	<-k.done
	// Gone on purpose: nothing of ours is running any more.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = k.q.db.SQL().ExecContext(cctx, "DELETE FROM "+leaseTable+" WHERE id = "+k.ph(1), k.q.cfg.ID)
}

func (k *leaseKeeper) run(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(k.q.cfg.Heartbeat)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := k.renew(ctx); err != nil {
			k.healthySince.Store(0)
			k.q.cfg.Logger.Warn("queue: cannot renew the worker lease", "error", err)
			continue
		}
		since := k.healthySince.Load()
		if since == 0 {
			k.healthySince.Store(time.Now().UnixNano())
			continue
		}
		if time.Since(time.Unix(0, since)) < k.q.cfg.LeaseTTL {
			continue
		}
		if moved, err := k.rescue(ctx); err != nil {
			k.q.cfg.Logger.Warn("queue: rescue of lost tasks failed", "error", err)
		} else if moved > 0 {
			k.q.cfg.Logger.Warn("queue: handed out again the tasks of stopped workers", "tasks", moved)
			// A dead process may have committed events it never
			// announced: every subscriber reads again.
			k.q.db.Feed().Broadcast()
		}
		if n%600 == 0 {
			k.forgetOld(ctx)
		}
	}
}

func (k *leaseKeeper) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, k.q.cfg.LeaseTTL)
	defer cancel()
	_, err := k.q.db.SQL().ExecContext(ctx, "INSERT INTO "+leaseTable+" (id, heartbeat_ms) VALUES ("+k.ph(1)+", "+k.nowMS()+
		") ON CONFLICT (id) DO UPDATE SET heartbeat_ms = EXCLUDED.heartbeat_ms", k.q.cfg.ID)
	return err
}

// forgetOld removes leases silent for an hour (processes long gone).
func (k *leaseKeeper) forgetOld(ctx context.Context) {
	_, _ = k.q.db.SQL().ExecContext(ctx, "DELETE FROM "+leaseTable+" WHERE heartbeat_ms < "+k.nowMS()+" - 3600000")
}

// live returns the ids of processes whose lease is current.
func (k *leaseKeeper) live(ctx context.Context) (map[string]bool, error) {
	rows, err := k.q.db.SQL().QueryContext(ctx, "SELECT id FROM "+leaseTable+" WHERE heartbeat_ms >= "+k.nowMS()+" - "+k.ph(1),
		k.q.cfg.LeaseTTL.Milliseconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	live := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		live[id] = true
	}
	return live, rows.Err()
}

// rescue makes the running tasks of processes without a current lease
// available again (or discards those out of attempts) and returns how
// many it moved.
func (k *leaseKeeper) rescue(ctx context.Context) (int, error) {
	res, err := k.q.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateRunning).
		Kinds(KindRunJob, KindDeliver, KindMaintenance).First(rescueBatch))
	if err != nil || len(res.Jobs) == 0 {
		return 0, err
	}
	live, err := k.live(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	p := &riverdriver.JobRescueManyParams{}
	for _, j := range res.Jobs {
		if len(j.AttemptedBy) > 0 && live[j.AttemptedBy[len(j.AttemptedBy)-1]] {
			continue
		}
		if j.AttemptedAt == nil {
			continue
		}
		e, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: j.Attempt,
			Error: "the process running this task stopped renewing its lease"})
		if err != nil {
			return 0, err
		}
		p.ID = append(p.ID, j.ID)
		p.Error = append(p.Error, e)
		p.ScheduledAt = append(p.ScheduledAt, now)
		if j.Attempt >= j.MaxAttempts {
			p.State = append(p.State, string(rivertype.JobStateDiscarded))
			p.FinalizedAt = append(p.FinalizedAt, &now)
		} else {
			p.State = append(p.State, string(rivertype.JobStateAvailable))
			p.FinalizedAt = append(p.FinalizedAt, nil)
		}
		// Only rows still running the attempt seen here move: one fetched
		// again since has a later attempted_at.
		if h := j.AttemptedAt.Add(time.Millisecond); h.After(p.StuckHorizon) {
			p.StuckHorizon = h
		}
	}
	if len(p.ID) == 0 {
		return 0, nil
	}
	if _, err := k.q.client.Driver().GetExecutor().JobRescueMany(ctx, p); err != nil {
		return 0, err
	}
	return len(slices.Compact(p.ID)), nil
}
