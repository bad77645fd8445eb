package httpapi

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// listEvents handles GET .../events, newest first, with the filters
// entity_type, entity_id and event_type.
func (s *server) listEvents(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	f := ports.EventFilter{
		EntityType: c.Query("entity_type"),
		EntityID:   c.Query("entity_id"),
		EventType:  c.Query("event_type"),
	}
	if f.EntityType != "" && !slices.Contains(entityTypes, f.EntityType) {
		return invalid("entity_type", "must be one of "+strings.Join(entityTypes, ", "))
	}
	if f.EventType != "" && !slices.Contains(eventTypes, f.EventType) {
		return invalid("event_type", "is not a known event type")
	}
	res, err := s.app.Events.List(c.UserContext(), ws.ID(), f, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderEvent))
}

var entityTypes = []string{domain.EntityDocument, domain.EntityConfiguration, domain.EntityJob, domain.EntityWorkspace, domain.EntityAPIKey, domain.EntityWebhook}

var eventTypes = domain.EventTypes()
