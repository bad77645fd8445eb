package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Locals the guard leaves for handlers and the request log.
const (
	localKey       = "ade.api_key"
	localWorkspace = "ade.workspace"
)

// headerAPIKey is the alternative to Authorization: Bearer.
const headerAPIKey = "X-API-Key"

// errNoCredentials: the request carries no key at all.
var errNoCredentials = errors.New("no API key was presented")

// credentialError is a 401 with the detail the client sees. It never
// holds the key.
type credentialError struct {
	detail string
	// presented: a key was sent (and refused), so WWW-Authenticate says
	// error="invalid_token".
	presented bool
}

func (e *credentialError) Error() string        { return e.detail }
func (e *credentialError) Is(target error) bool { return target == domain.ErrUnauthenticated }

// credentials returns the key the request presents: the token of an
// Authorization: Bearer header, or X-API-Key. Both at once must agree.
func credentials(c *fiber.Ctx) (string, error) {
	auth := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
	header := strings.TrimSpace(c.Get(headerAPIKey))
	var bearer string
	if auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", &credentialError{detail: "the Authorization header must be \"Bearer <API key>\"", presented: true}
		}
		bearer = strings.TrimSpace(token)
	}
	switch {
	case bearer != "" && header != "" && bearer != header:
		return "", &credentialError{detail: "Authorization and X-API-Key name different keys; send one", presented: true}
	case bearer != "":
		return bearer, nil
	case header != "":
		return header, nil
	}
	return "", &credentialError{detail: "an API key is required: send \"Authorization: Bearer <API key>\" or \"X-API-Key: <API key>\""}
}

// guard is the one middleware that decides whether a request may run: it
// authenticates the key, charges the key's rate limit, resolves the
// workspace the route names, consults the permission table
// (domain.APIKey.Authorize) for the route's action, and takes a slot of
// the route's concurrency cap. Handlers find the key and the workspace in
// the request's locals and never check permissions themselves.
//
// Outcomes: no or bad key 401; over the rate or a cap 429; a workspace the
// key cannot see (another workspace) 404, exactly as a missing one; a role
// that does not allow the action 403, inside the key's own workspace only.
func (s *server) guard(r apiRoute) fiber.Handler {
	if s.withoutAuth {
		return s.resolveOnly(r)
	}
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		text, err := credentials(c)
		if err != nil {
			s.metrics.authFailed(failureReason(err))
			return err
		}
		key, err := s.app.Keys.Authenticate(ctx, text)
		if err != nil {
			var ae *app.AuthenticationError
			if errors.As(err, &ae) {
				s.metrics.authFailed(ae.Reason)
				return &credentialError{detail: "the API key is not valid", presented: true}
			}
			return err
		}
		c.Locals(localKey, key)
		if err := s.limits.charge(c, key.ID()); err != nil {
			s.metrics.rateLimited(limitRate)
			return err
		}
		var ws *domain.Workspace
		if r.action.NeedsWorkspace() {
			if ws, err = s.resolveWorkspace(c); err != nil {
				return err
			}
			c.Locals(localWorkspace, ws)
		}
		wsID := ""
		if ws != nil {
			wsID = ws.ID()
		}
		if err := key.Authorize(r.action, wsID); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				// Exactly the error of a missing workspace.
				return domain.ErrNotFound
			}
			return err
		}
		gate := r.gate
		if gate == jobGate && prefersAsync(c) {
			// An asynchronous submission runs nothing during its request:
			// it queues, and the workers bound how many jobs run.
			gate = noGate
		}
		release, err := s.limits.enter(gate, key.ID(), wsID)
		if err != nil {
			s.metrics.rateLimited(gate.String())
			return err
		}
		defer release()
		c.SetUserContext(app.WithActor(ctx, key.Actor()))
		return c.Next()
	}
}

// resolveOnly is the guard of a server built without authentication
// (Options.InsecureWithoutAuth): every request acts as a global admin and
// only the workspace is resolved.
func (s *server) resolveOnly(r apiRoute) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(localKey, unauthenticatedAdmin)
		if r.action.NeedsWorkspace() {
			ws, err := s.resolveWorkspace(c)
			if err != nil {
				return err
			}
			c.Locals(localWorkspace, ws)
		}
		c.SetUserContext(app.WithActor(c.UserContext(), unauthenticatedAdmin.Actor()))
		return c.Next()
	}
}

// unauthenticatedAdmin is who requests act as on a server built without
// authentication.
var unauthenticatedAdmin = domain.RehydrateAPIKey(domain.APIKeyState{ID: "unauthenticated", Role: domain.RoleAdmin, Label: "no authentication"})

func failureReason(err error) string {
	var ce *credentialError
	if errors.As(err, &ce) && ce.presented {
		return app.KeyMalformed
	}
	return "missing"
}

// resolveWorkspace resolves the {ws} path parameter (an id or a slug).
func (s *server) resolveWorkspace(c *fiber.Ctx) (*domain.Workspace, error) {
	ref := c.Params("ws")
	if ref == "" || len(ref) > 64 {
		return nil, domain.ErrNotFound
	}
	return s.app.Workspaces.Resolve(c.UserContext(), ref)
}

// requestKey returns the key the guard authenticated.
func requestKey(c *fiber.Ctx) (*domain.APIKey, error) {
	if k, ok := c.Locals(localKey).(*domain.APIKey); ok {
		return k, nil
	}
	return nil, fmt.Errorf("no key in the request's locals: %w", domain.ErrUnauthenticated)
}

// recheck confirms, during a long response, that the request's key is
// still valid (a server without authentication has nothing to check).
func (s *server) recheck(ctx context.Context, k *domain.APIKey) error {
	if s.withoutAuth {
		return nil
	}
	return s.app.Keys.Recheck(ctx, k)
}
