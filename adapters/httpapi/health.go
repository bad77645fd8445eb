package httpapi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
)

// errNotReady is what /health/ready fails with.
var errNotReady = errors.New("not ready")

// live handles GET /health/live: the process answers.
func (s *server) live(c *fiber.Ctx) error {
	return ok(c, fiber.StatusOK, map[string]string{"status": "ok"})
}

// ready handles GET /health/ready: every check must pass within
// readyTimeout. A failure names the check in the problem's detail and
// checks member; its error goes to the log only.
func (s *server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	results := make(map[string]string, len(s.checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed []string
	for name, check := range s.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runCheck(ctx, check)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[name] = "failed"
				failed = append(failed, name)
				s.log.WarnContext(ctx, "readiness check failed", "check", name, "error", err.Error())
				return
			}
			results[name] = "ok"
		}()
	}
	wg.Wait()
	if len(failed) == 0 {
		return ok(c, fiber.StatusOK, map[string]any{"status": "ok", "checks": results})
	}
	sort.Strings(failed)
	p := problemFor(fmt.Errorf("%w: %w", domain.ErrUnavailable, errNotReady), requestIDOf(c))
	p.Detail = "not ready: " + strings.Join(failed, ", ") + " failed"
	p.Checks = results
	setProblemHeaders(c, p.Status, nil)
	return writeJSON(c, p.Status, problemContentType, p)
}

// runCheck runs one check, giving up when ctx ends even if the check does
// not watch it.
func runCheck(ctx context.Context, check func(context.Context) error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("check panicked: %v", r)
			}
		}()
		done <- check(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
