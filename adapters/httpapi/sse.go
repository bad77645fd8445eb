package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Event stream pacing.
const (
	// sseKeepAlive is how long a quiet stream waits before a comment line,
	// which also detects clients that went away.
	sseKeepAlive = 15 * time.Second
	// sseRefresh is how often an idle stream reads its events anyway: the
	// bound on how late it learns of an event whose signal was lost with
	// the process that committed it (5 minutes: 200 idle streams cost
	// two-thirds of a query per second).
	sseRefresh = 5 * time.Minute
	// sseMaxDuration ends a stream that never sees a terminal event.
	sseMaxDuration = time.Hour
	// ssePage is how many events one read returns at most.
	ssePage = 200
	// sseRecheck is how often a stream checks that its key is still
	// valid: a revoked key's stream ends within this plus the key cache
	// TTL.
	sseRecheck = time.Second
)

// streamJobEvents answers a job's events as Server-Sent Events: every event
// after Last-Event-ID (all of them without it), as they are recorded,
// closing after the job's terminal event, or when the request's key is
// revoked. The job must exist (404 before the stream starts otherwise).
func (s *server) streamJobEvents(c *fiber.Ctx, workspaceID, jobID string) error {
	ctx := c.UserContext()
	key, err := requestKey(c)
	if err != nil {
		return err
	}
	job, err := s.app.Jobs.Get(ctx, workspaceID, jobID)
	if err != nil {
		return err
	}
	after := c.Get("Last-Event-ID")
	if after != "" && !validID(after) {
		return invalid("Last-Event-ID", "must be an event id")
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Status(fiber.StatusOK)
	terminal := job.Status().IsTerminal()
	// Closed when the server shuts down: a stream must not hold shutdown
	// up until its client leaves.
	shutdown := c.Context().Done()
	// The writer runs after the handler returned, on fasthttp's goroutine:
	// it must not touch c.
	rid := requestIDOf(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer func() {
			// The middleware's recovery has returned by now: a panic here
			// would take the process down. The stream just ends.
			if r := recover(); r != nil {
				s.metrics.panics.Inc()
				s.log.ErrorContext(ctx, "event stream panicked", "request_id", rid, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		s.pumpEvents(ctx, w, shutdown, key, workspaceID, jobID, after, terminal)
	})
	return nil
}

// pumpEvents writes events until the terminal one, the client leaving
// (a failed flush), the key's revocation, shutdown or sseMaxDuration. It
// reads the events once, then again only when the event feed signals that
// one of this job's events committed (in any process): an idle stream
// costs the database nothing. Its key is rechecked every sseRecheck
// against the key cache, which reads the database once per key and cache
// TTL, however many streams the key holds open.
func (s *server) pumpEvents(ctx context.Context, w *bufio.Writer, shutdown <-chan struct{}, key *domain.APIKey, workspaceID, jobID, after string, terminal bool) {
	// Subscribed before the first read, so that nothing committed after
	// it goes unseen.
	signals, cancel := s.app.Jobs.Watch(workspaceID, jobID)
	defer cancel()
	deadline := time.NewTimer(sseMaxDuration)
	defer deadline.Stop()
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	recheck := time.NewTicker(sseRecheck)
	defer recheck.Stop()
	refresh := time.NewTicker(sseRefresh)
	defer refresh.Stop()
	for read := true; ; {
		if read {
			page, err := s.app.Jobs.Events(ctx, workspaceID, jobID, ports.EventFilter{AfterID: after}, app.PageRequest{Limit: ssePage})
			if err != nil {
				s.log.ErrorContext(ctx, "event stream", "job_id", jobID, "error", err)
				return
			}
			for _, e := range page.Items {
				data, err := json.Marshal(renderEvent(e))
				if err != nil {
					return
				}
				w.WriteString("id: " + e.ID() + "\nevent: " + e.Type() + "\ndata: ")
				w.Write(data)
				w.WriteString("\n\n")
				after = e.ID()
				if isTerminalEvent(e.Type()) {
					terminal = true
				}
			}
			if len(page.Items) > 0 {
				if w.Flush() != nil {
					return
				}
				keepAlive.Reset(sseKeepAlive)
			}
			if page.HasMore {
				continue
			}
			if terminal {
				return // everything up to the terminal event was sent
			}
			read = false
		}
		select {
		case <-signals:
			read = true
		case <-refresh.C:
			read = true
		case <-recheck.C:
			if err := s.recheck(ctx, key); err != nil {
				// A revoked key (or a database that cannot say whether it
				// is) reads no further; the client's reconnection meets
				// the guard.
				why := "its key is no longer accepted"
				if !errors.Is(err, domain.ErrUnauthenticated) {
					why = "its key could not be checked"
				}
				s.log.InfoContext(ctx, "event stream ended: "+why, "job_id", jobID, "api_key_id", key.ID())
				return
			}
		case <-keepAlive.C:
			w.WriteString(": keep-alive\n\n")
			if w.Flush() != nil {
				return
			}
		case <-deadline.C:
			return
		case <-shutdown:
			return
		}
	}
}

func isTerminalEvent(t string) bool {
	return t == domain.EventJobSucceeded || t == domain.EventJobFailed || t == domain.EventJobCancelled
}
