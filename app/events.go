package app

import (
	"context"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// EventService reads the audit trail.
type EventService struct{ c *core }

// List returns the workspace's events matching f (newest first unless
// f.Ascending).
func (s *EventService) List(ctx context.Context, workspaceID string, f ports.EventFilter, p PageRequest) (Page[*domain.Event], error) {
	if err := checkLines("invalid filter", "entity_type", f.EntityType, "entity_id", f.EntityID,
		"event_type", f.EventType, "after_id", f.AfterID); err != nil {
		return Page[*domain.Event]{}, err
	}
	return list(p, func(pp ports.Page) ([]*domain.Event, error) {
		return s.c.Repos.Events.List(ctx, workspaceID, f, pp)
	})
}
