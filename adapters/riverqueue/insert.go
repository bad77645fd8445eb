package riverqueue

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/ports"
)

var _ bunstore.TaskWriter = (*Queue)(nil)

// InsertFromU implements bunstore.TaskWriter on PostgreSQL: it writes the
// tasks' River job rows from the statement that stores the job change
// they belong to, so a submission is one statement (the job, its event
// and its task) instead of a transaction of four round trips (BEGIN, the
// job, River's insert, COMMIT).
//
// The rows are the ones River's own insert writes for these tasks (same
// arguments, kind, queue, maximum attempts; priority 1, available now,
// no metadata, tags or uniqueness): the river_job table is the interface
// River's insert-only clients for other languages write to. Like River's
// client, it wakes the queue's workers with an insert notification at
// most once per fetch cooldown and queue (a worker that misses it finds
// the task at its next poll). The queue contract suite checks that tasks
// written this way are worked, promptly and with their parameters.
func (q *Queue) InsertFromU(tasks []ports.Task, bind func(v any, cast string) string) (string, error) {
	if q.db.Dialect() != "pg" {
		return "", errors.New("enqueue: a task is written into a change's statement only on PostgreSQL")
	}
	n := len(tasks)
	args, kinds, queues := make([]string, n), make([]string, n), make([]string, n)
	maxAttempts := make([]int16, n)
	notify := false
	for i, t := range tasks {
		a, err := argsOf(t)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(a)
		if err != nil {
			return "", fmt.Errorf("enqueue: %w", err)
		}
		args[i], kinds[i], queues[i] = string(b), a.Kind(), a.InsertOpts().Queue
		maxAttempts[i] = int16(min(q.cfg.policy(t.Kind).MaxAttempts, 1<<15-1))
		if q.notes.due(queues[i], q.cfg.FetchCooldown) {
			notify = true
		}
	}
	s := "INSERT INTO river_job (args, kind, max_attempts, queue, priority, metadata, tags, state, scheduled_at, created_at) " +
		"SELECT x.args::jsonb, x.kind, x.max_attempts, x.queue, 1, '{}', '{}', 'available', now(), now() FROM u, unnest(" +
		bind(args, "text[]") + ", " + bind(kinds, "text[]") + ", " + bind(maxAttempts, "smallint[]") + ", " + bind(queues, "text[]") +
		") AS x(args, kind, max_attempts, queue)"
	if notify {
		// River's insert topic in the schema the statement runs in, with
		// the payload River's client sends; identical notifications of one
		// transaction are delivered once.
		s += " RETURNING pg_notify(current_schema() || '.river_insert', json_build_object('queue', queue)::text)"
	}
	return s, nil
}

// insertNotes paces insert notifications: at most one per queue per
// fetch cooldown (a worker fetches no more often than that anyway), as
// River's client does for its own inserts.
type insertNotes struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether queue is due a notification, and if so records one.
func (n *insertNotes) due(queue string, cooldown time.Duration) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	if t, ok := n.last[queue]; ok && now.Sub(t) < cooldown {
		return false
	}
	if n.last == nil {
		n.last = map[string]time.Time{}
	}
	n.last[queue] = now
	return true
}
