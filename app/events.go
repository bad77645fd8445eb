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

// EventBody is an event's JSON form: the items of the API's event lists
// and the body of a webhook delivery.
type EventBody struct {
	EventID    string         `json:"event_id"`
	EventType  string         `json:"event_type"`
	EntityType string         `json:"entity_type"`
	EntityID   string         `json:"entity_id"`
	OccurredAt string         `json:"occurred_at"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	ActorLabel string         `json:"actor_label"`
	Source     string         `json:"source"`
	RequestID  string         `json:"request_id"`
	Payload    map[string]any `json:"payload"`
}

// TimeLayout renders every time the API and webhooks show: RFC 3339 in UTC
// with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// NewEventBody renders an event.
func NewEventBody(e *domain.Event) EventBody {
	s := e.State()
	payload := s.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	return EventBody{
		EventID: s.ID, EventType: s.EventType, EntityType: s.EntityType, EntityID: s.EntityID,
		OccurredAt: s.OccurredAt.UTC().Format(TimeLayout), ActorType: s.ActorType, ActorID: s.ActorID,
		ActorLabel: s.ActorLabel, Source: s.Source, RequestID: s.RequestID, Payload: payload,
	}
}
