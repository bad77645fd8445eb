package bunstore

import (
	"context"
	"errors"

	"github.com/ade-go/ade/ports"
)

// A TaskWriter is the queue that shares a DB, as JobRepository.Apply
// needs it to store a change's tasks (ports.JobChange.Tasks) with the
// change itself.
type TaskWriter interface {
	// Enqueue adds tasks in the transaction ctx carries, as
	// ports.Queue.Enqueue does.
	Enqueue(ctx context.Context, tasks ...ports.Task) error
	// InsertFromU returns, for PostgreSQL, the body of a data-modifying
	// WITH entry that adds tasks once per row of the entry u (one row
	// when the change matched, none otherwise). It binds every value
	// through bind, which returns the value's placeholder with cast
	// appended (cast may be empty), and its text depends only on what
	// kinds of tasks it writes, so the statement is prepared once per
	// connection.
	InsertFromU(tasks []ports.Task, bind func(v any, cast string) string) (string, error)
}

// SetTaskWriter attaches the queue that shares the database: job
// changes then enqueue their tasks on it, in the same statement (on
// PostgreSQL) or transaction (on SQLite) as the change. The first queue
// attached stays: every queue on one database writes to the same tables.
func (db *DB) SetTaskWriter(w TaskWriter) { db.tasks.CompareAndSwap(nil, &w) }

// taskWriter returns the attached queue, or fails when the change
// carries tasks and none is attached.
func (db *DB) taskWriter(tasks []ports.Task) (TaskWriter, error) {
	if len(tasks) == 0 {
		return nil, nil
	}
	w := db.tasks.Load()
	if w == nil {
		return nil, errNoTaskWriter
	}
	return *w, nil
}

// errNoTaskWriter refuses a job change carrying tasks on a database no
// queue is attached to.
var errNoTaskWriter = errors.New("apply job change: the change carries tasks and no queue is attached to the database")
