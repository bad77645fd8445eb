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
	return list(p, func(pp ports.Page) ([]*domain.Event, error) {
		return s.c.Repos.Events.List(ctx, workspaceID, f, pp)
	})
}
