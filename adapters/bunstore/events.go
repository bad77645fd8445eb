package bunstore

import (
	"context"
	"slices"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/uptrace/bun"
)

var (
	_ ports.EventSink       = (*EventSink)(nil)
	_ ports.EventRepository = (*EventRepository)(nil)
)

// EventSink appends events to the events table, in the caller's
// transaction when the context carries one.
type EventSink struct {
	db *DB
}

// EventRepository reads events back.
type EventRepository struct {
	db *DB
}

type eventRow struct {
	bun.BaseModel `bun:"table:events"`

	ID          string `bun:"id,pk"`
	WorkspaceID string `bun:"workspace_id"`
	EventType   string `bun:"event_type"`
	EntityType  string `bun:"entity_type"`
	EntityID    string `bun:"entity_id"`
	OccurredAt  dbTime `bun:"occurred_at"`
	ActorType   string `bun:"actor_type"`
	ActorID     string `bun:"actor_id"`
	ActorLabel  string `bun:"actor_label"`
	Source      string `bun:"source"`
	RequestID   string `bun:"request_id"`
	Payload     string `bun:"payload"`
}

func newEventRow(e *domain.Event) (*eventRow, error) {
	s := e.State()
	payload, err := toJSON(s.Payload)
	if err != nil {
		return nil, err
	}
	return &eventRow{
		ID: s.ID, WorkspaceID: s.WorkspaceID, EventType: s.EventType, EntityType: s.EntityType,
		EntityID: s.EntityID, OccurredAt: newDBTime(s.OccurredAt), ActorType: s.ActorType,
		ActorID: s.ActorID, ActorLabel: s.ActorLabel, Source: s.Source, RequestID: s.RequestID,
		Payload: payload,
	}, nil
}

func (r *eventRow) domain() (*domain.Event, error) {
	payload, err := jsonMap(r.Payload)
	if err != nil {
		return nil, err
	}
	return domain.RehydrateEvent(domain.EventState{
		ID: r.ID, WorkspaceID: r.WorkspaceID, EventType: r.EventType, EntityType: r.EntityType,
		EntityID: r.EntityID, OccurredAt: r.OccurredAt.Time, ActorType: r.ActorType,
		ActorID: r.ActorID, ActorLabel: r.ActorLabel, Source: r.Source, RequestID: r.RequestID,
		Payload: payload,
	}), nil
}

// Append writes events in one statement; a taken id fails with
// domain.ErrConflict.
func (s *EventSink) Append(ctx context.Context, events ...*domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]*eventRow, len(events))
	for i, e := range events {
		row, err := newEventRow(e)
		if err != nil {
			return errorf("append events", err)
		}
		rows[i] = row
	}
	var err error
	if len(rows) == 1 {
		_, err = s.db.conn(ctx).NewInsert().Model(rows[0]).Exec(ctx)
	} else {
		_, err = s.db.conn(ctx).NewInsert().Model(&rows).Exec(ctx)
	}
	if err != nil {
		return translate("append events", err)
	}
	var keys [][2]string
	for _, r := range rows {
		k := [2]string{r.WorkspaceID, r.EntityID}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	s.db.feed.published(ctx, keys)
	return nil
}

// List returns the workspace's events matching f, ordered by
// (occurred_at, id), newest first unless f.Ascending.
func (r *EventRepository) List(ctx context.Context, workspaceID string, f ports.EventFilter, p ports.Page) ([]*domain.Event, error) {
	var rows []eventRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("workspace_id = ?", workspaceID)
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.EventType != "" {
		q = q.Where("event_type = ?", f.EventType)
	}
	if f.ID != "" {
		q = q.Where("id = ?", f.ID)
	}
	if f.AfterID != "" {
		q = q.Where("id > ?", f.AfterID)
	}
	if f.Ascending {
		q = q.OrderExpr("occurred_at ASC, id ASC")
	} else {
		q = q.OrderExpr("occurred_at DESC, id DESC")
	}
	if err := paginate(q, p).Scan(ctx); err != nil {
		return nil, translate("list events", err)
	}
	out := make([]*domain.Event, len(rows))
	for i := range rows {
		e, err := rows[i].domain()
		if err != nil {
			return nil, errorf("list events", err)
		}
		out[i] = e
	}
	return out, nil
}
