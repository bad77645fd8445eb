package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

type createWorkspaceRequest struct {
	Slug *string `json:"slug"`
	Name *string `json:"name"`
}

// createWorkspace handles POST /api/v1/workspaces.
func (s *server) createWorkspace(c *fiber.Ctx) error {
	var req createWorkspaceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Slug == nil {
		return invalid("slug", "is required")
	}
	if req.Name == nil {
		return invalid("name", "is required")
	}
	w, err := s.app.Workspaces.Create(c.UserContext(), *req.Slug, *req.Name)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusCreated, renderWorkspace(w))
}

// listWorkspaces handles GET /api/v1/workspaces: the workspaces the key
// may see.
func (s *server) listWorkspaces(c *fiber.Ctx) error {
	key, err := requestKey(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Workspaces.ListVisible(c.UserContext(), key, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderWorkspace))
}
