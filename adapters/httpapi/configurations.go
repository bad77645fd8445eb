package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/ports"
)

type createConfigurationRequest struct {
	DocumentType *string        `json:"document_type"`
	Title        *string        `json:"title"`
	Payload      map[string]any `json:"payload"`
}

// createConfiguration handles POST .../configurations.
func (s *server) createConfiguration(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var req createConfigurationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.DocumentType == nil {
		return invalid("document_type", "is required")
	}
	if req.Title == nil {
		return invalid("title", "is required")
	}
	cfg, err := s.app.Configurations.Create(c.UserContext(), app.CreateConfigurationRequest{
		WorkspaceID: ws.ID(), DocumentType: *req.DocumentType, Title: *req.Title, Payload: req.Payload,
	})
	if err != nil {
		return err
	}
	c.Location("/api/v1/workspaces/" + ws.ID() + "/configurations/" + cfg.ID())
	return ok(c, fiber.StatusCreated, renderConfiguration(cfg))
}

// listConfigurations handles GET .../configurations.
func (s *server) listConfigurations(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	active, err := queryBool(c, "is_active")
	if err != nil {
		return err
	}
	f := ports.ConfigurationFilter{DocumentType: c.Query("document_type"), IsActive: active}
	res, err := s.app.Configurations.List(c.UserContext(), ws.ID(), f, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderConfiguration))
}

// getConfiguration handles GET .../configurations/{configuration_id}.
func (s *server) getConfiguration(c *fiber.Ctx) error {
	return respondOne(c, s, "configuration_id", s.app.Configurations.Get, renderConfiguration)
}

// activateConfiguration handles POST .../configurations/{id}/activate.
func (s *server) activateConfiguration(c *fiber.Ctx) error {
	return respondOne(c, s, "configuration_id", s.app.Configurations.Activate, renderConfiguration)
}

// configurationEvents handles GET .../configurations/{id}/events.
func (s *server) configurationEvents(c *fiber.Ctx) error {
	return respondTimeline(c, s, "configuration_id", s.app.Configurations.Events)
}
