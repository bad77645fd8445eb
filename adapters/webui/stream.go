package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Stream pacing.
const (
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

// stream answers GET .../events?after=ID&jobs=ID,ID: the status changes
// of the listed jobs after event ID, as Server-Sent Events, for the pages'
// live status. It sends "end" and closes once every listed job has ended,
// and ends too when the session's key is refused (checked every second),
// at shutdown, or after an hour (the browser reconnects with
// Last-Event-ID).
func (s *server) stream(c *fiber.Ctx, req *request) error {
	after := c.Get("Last-Event-ID")
	if after == "" {
		after = c.Query("after")
	}
	if after == "0" {
		after = ""
	}
	if after != "" && !validID(after) {
		return s.problem(c, req, domain.NewInvalid("invalid cursor", domain.FieldError{Field: "after", Message: "must be an event id"}))
	}
	jobs, err := followedJobs(c.Query("jobs"))
	if err != nil {
		return s.problem(c, req, err)
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	ctx, key, ws := c.UserContext(), req.key, req.ws.ID()
	shutdown := c.Context().Done()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		s.pump(ctx, w, shutdown, key, ws, after, jobs)
	})
	return nil
}

// maxFollowed bounds the jobs one stream follows: a page shows no more.
const maxFollowed = uiPageSize

// followedJobs reads the jobs parameter: 1 to maxFollowed job ids,
// comma-separated, each at most once.
func followedJobs(param string) (map[string]bool, error) {
	bad := func(msg string) error {
		return domain.NewInvalid("invalid jobs", domain.FieldError{Field: "jobs", Message: msg})
	}
	set := map[string]bool{}
	if param == "" {
		return nil, bad("must name the jobs to follow")
	}
	for id := range strings.SplitSeq(param, ",") {
		if !validID(id) {
			return nil, bad("must be job ids separated by commas")
		}
		set[id] = true
	}
	if len(set) > maxFollowed {
		return nil, bad(fmt.Sprintf("may name at most %d jobs", maxFollowed))
	}
	return set, nil
}

// validID reports whether s looks like one of ADE's ids (ULIDs): 1 to 64
// ASCII letters and digits.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z') {
			return false
		}
	}
	return true
}

// pump writes the followed jobs' changes until they have all ended, the
// browser leaves (a failed flush), the key is refused, shutdown or
// streamMax. It reads the workspace's job events once, then again only
// when the event feed signals that an event of a followed job committed,
// in any process (or every refresh, should a signal have been lost): an
// idle stream costs the database nothing.
func (s *server) pump(ctx context.Context, w *bufio.Writer, shutdown <-chan struct{}, key *domain.APIKey, ws, after string, jobs map[string]bool) {
	// Subscribed before the first read, so that nothing committed after it
	// goes unseen.
	signals, unsubscribe := s.watch(ws, jobs)
	defer unsubscribe()
	deadline := time.NewTimer(streamMax)
	defer deadline.Stop()
	keepAlive := time.NewTicker(streamKeepAlive)
	defer keepAlive.Stop()
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	refresh := time.NewTicker(s.refresh)
	defer refresh.Stop()
	// The first line tells the browser to wait a while before
	// reconnecting after the stream ends.
	fmt.Fprint(w, "retry: 2000\n\n")
	if w.Flush() != nil {
		return
	}
	for read := true; ; {
		if read {
			page, err := s.app.Events.List(ctx, ws, ports.EventFilter{EntityType: domain.EntityJob, AfterID: after, Ascending: true}, app.PageRequest{Limit: streamPage})
			if err != nil {
				s.log.WarnContext(ctx, "web ui event stream", "error", err)
				return
			}
			sent := false
			for _, e := range page.Items {
				after = e.ID()
				st := e.State()
				status, _ := st.Payload["to"].(string)
				if e.Type() == domain.EventJobCreated {
					status, _ = st.Payload["status"].(string)
				}
				if status == "" || !jobs[st.EntityID] {
					continue
				}
				b, _ := json.Marshal(jobChange{JobID: st.EntityID, Status: status})
				fmt.Fprintf(w, "id: %s\nevent: job\ndata: %s\n\n", e.ID(), b)
				sent = true
				if domain.JobStatus(status).IsTerminal() {
					delete(jobs, st.EntityID)
				}
			}
			if len(jobs) == 0 {
				// Every job the page follows has ended: the script closes
				// the stream rather than reconnect.
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				_ = w.Flush()
				return
			}
			if sent {
				if w.Flush() != nil {
					return // the browser left
				}
				keepAlive.Reset(streamKeepAlive)
			}
			if page.HasMore {
				continue
			}
			read = false
		}
		select {
		case <-signals:
			read = true
		case <-refresh.C:
			read = true
		case <-recheck.C:
			if err := s.app.Keys.Recheck(ctx, key); err != nil {
				fmt.Fprint(w, "event: signed-out\ndata: {}\n\n")
				_ = w.Flush()
				return
			}
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			if w.Flush() != nil {
				return
			}
		case <-shutdown:
			return
		case <-s.stop:
			return
		case <-deadline.C:
			return
		}
	}
}

// watch subscribes to the event feed for each job and merges the signals
// into one channel (a pending signal absorbs the next ones). The returned
// function ends every subscription.
func (s *server) watch(ws string, jobs map[string]bool) (<-chan struct{}, func()) {
	merged := make(chan struct{}, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	cancels := make([]func(), 0, len(jobs))
	for id := range jobs {
		ch, cancel := s.app.Jobs.Watch(ws, id)
		cancels = append(cancels, cancel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ch:
					select {
					case merged <- struct{}{}:
					default:
					}
				case <-done:
					return
				}
			}
		}()
	}
	return merged, func() {
		close(done)
		wg.Wait()
		for _, cancel := range cancels {
			cancel()
		}
	}
}
