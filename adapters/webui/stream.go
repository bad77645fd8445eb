package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Stream pacing.
const (
	streamPoll      = 300 * time.Millisecond
	streamKeepAlive = 15 * time.Second
	streamRecheck   = time.Second
	streamMax       = time.Hour
	streamPage      = 200
)

// jobChange is what the page's script receives for each job event.
type jobChange struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"`
}

// stream answers GET .../events?after=ID: the workspace's job status
// changes after event ID, as Server-Sent Events, for the pages' live
// status. It ends when the session's key is refused (checked every
// second), at shutdown, or after an hour (the browser reconnects with
// Last-Event-ID).
func (s *server) stream(c *fiber.Ctx, req *request) error {
	after := c.Get("Last-Event-ID")
	if after == "" {
		after = c.Query("after")
	}
	if after == "0" {
		after = ""
	}
	if len(after) > 64 || strings.ContainsAny(after, "\r\n") {
		return s.problem(c, req, domain.NewInvalid("invalid cursor", domain.FieldError{Field: "after", Message: "must be an event id"}))
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	ctx, key, ws := c.UserContext(), req.key, req.ws.ID()
	shutdown := c.Context().Done()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		s.pump(ctx, w, shutdown, key, ws, after)
	})
	return nil
}

func (s *server) pump(ctx context.Context, w *bufio.Writer, shutdown <-chan struct{}, key *domain.APIKey, ws, after string) {
	deadline := time.After(streamMax)
	tick := time.NewTicker(streamPoll)
	defer tick.Stop()
	lastWrite, lastCheck := time.Now(), time.Now()
	// The first line tells the browser to wait a while before
	// reconnecting after the stream ends.
	fmt.Fprint(w, "retry: 2000\n\n")
	if w.Flush() != nil {
		return
	}
	for {
		if time.Since(lastCheck) >= streamRecheck {
			if err := s.app.Keys.Recheck(ctx, key); err != nil {
				fmt.Fprint(w, "event: signed-out\ndata: {}\n\n")
				_ = w.Flush()
				return
			}
			lastCheck = time.Now()
		}
		page, err := s.app.Events.List(ctx, ws, ports.EventFilter{EntityType: domain.EntityJob, AfterID: after, Ascending: true}, app.PageRequest{Limit: streamPage})
		if err != nil {
			s.log.WarnContext(ctx, "web ui event stream", "error", err)
			return
		}
		for _, e := range page.Items {
			after = e.ID()
			st := e.State()
			status, _ := st.Payload["to"].(string)
			if e.Type() == domain.EventJobCreated {
				status, _ = st.Payload["status"].(string)
			}
			if status == "" {
				continue
			}
			b, _ := json.Marshal(jobChange{JobID: st.EntityID, Status: status})
			fmt.Fprintf(w, "id: %s\nevent: job\ndata: %s\n\n", e.ID(), b)
		}
		if len(page.Items) > 0 || time.Since(lastWrite) >= streamKeepAlive {
			if len(page.Items) == 0 {
				fmt.Fprint(w, ": keep-alive\n\n")
			}
			if w.Flush() != nil {
				return // the browser left
			}
			lastWrite = time.Now()
		}
		if len(page.Items) == streamPage {
			continue // more waiting
		}
		select {
		case <-tick.C:
		case <-shutdown:
			return
		case <-s.stop:
			return
		case <-deadline:
			return
		}
	}
}
