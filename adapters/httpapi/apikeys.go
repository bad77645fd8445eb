package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

type createAPIKeyRequest struct {
	Role  *string `json:"role"`
	Label *string `json:"label"`
}

// createAPIKey handles POST .../api-keys: a key of the workspace, whose
// text the response carries once.
func (s *server) createAPIKey(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var req createAPIKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role == nil {
		return invalid("role", "is required")
	}
	label := ""
	if req.Label != nil {
		label = *req.Label
	}
	k, err := s.app.Keys.Create(c.UserContext(), app.CreateAPIKeyRequest{
		WorkspaceID: ws.ID(), Role: domain.Role(*req.Role), Label: label,
	})
	if err != nil {
		return err
	}
	// The one response that carries a key: never stored by a cache.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return ok(c, fiber.StatusCreated, createdAPIKeyJSON{apiKeyJSON: renderAPIKey(k.Key), Key: k.Text})
}

// listAPIKeys handles GET .../api-keys: the workspace's keys, revoked ones
// included, without their text.
func (s *server) listAPIKeys(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Keys.List(c.UserContext(), ports.APIKeyFilter{WorkspaceID: ws.ID()}, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderAPIKey))
}

// revokeAPIKey handles DELETE .../api-keys/{api_key_id}: the key stops
// working at once on this server and within the key cache TTL on every
// other; a revoked key answers 409.
func (s *server) revokeAPIKey(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "api_key_id")
	if err != nil {
		return err
	}
	if _, err := s.app.Keys.Revoke(c.UserContext(), ws.ID(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
