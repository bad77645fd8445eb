package domain

import "time"

// Event types: every change ADE makes is recorded as one of these.
const (
	EventDocumentUploaded       = "document.uploaded"
	EventDocumentDownloaded     = "document.downloaded"
	EventDocumentDeleted        = "document.deleted"
	EventDocumentPurged         = "document.purged"
	EventConfigurationCreated   = "configuration.created"
	EventConfigurationActivated = "configuration.activated"
	EventJobCreated             = "job.created"
	EventJobRunning             = "job.status.running"
	EventJobSucceeded           = "job.status.succeeded"
	EventJobFailed              = "job.status.failed"
	EventJobCancelled           = "job.status.cancelled"
)

// EventTypes lists every event type: the constants above, then the API
// key events (apikey.go).
func EventTypes() []string {
	return []string{
		EventDocumentUploaded, EventDocumentDownloaded, EventDocumentDeleted, EventDocumentPurged,
		EventConfigurationCreated, EventConfigurationActivated,
		EventJobCreated, EventJobRunning, EventJobSucceeded, EventJobFailed, EventJobCancelled,
		EventAPIKeyCreated, EventAPIKeyRevoked,
		EventWebhookCreated, EventWebhookDeleted,
	}
}

// Entity types events refer to.
const (
	EntityDocument      = "document"
	EntityConfiguration = "configuration"
	EntityJob           = "job"
	EntityWorkspace     = "workspace"
)

// JobStatusEventType returns the event type recording a move to status.
func JobStatusEventType(status JobStatus) string { return "job.status." + string(status) }

// Event is an immutable audit record of one change.
type Event struct {
	s EventState
}

// EventState is an event's stored form, used by adapters.
type EventState struct {
	ID          string
	WorkspaceID string
	EventType   string
	EntityType  string
	EntityID    string
	OccurredAt  time.Time
	ActorType   string
	ActorID     string
	ActorLabel  string
	Source      string
	RequestID   string
	Payload     map[string]any
}

// NewEvent validates and creates an event. The payload must be a
// JSON-compatible object.
func NewEvent(s EventState) (*Event, error) {
	var fields []FieldError
	for _, f := range []struct{ name, v string }{
		{"event_id", s.ID}, {"workspace_id", s.WorkspaceID}, {"event_type", s.EventType},
		{"entity_type", s.EntityType}, {"entity_id", s.EntityID},
	} {
		if f.v == "" {
			fields = append(fields, FieldError{f.name, "is required"})
		}
	}
	payload, err := ValidateJSONObject(s.Payload, MaxPayloadBytes)
	if err != nil {
		fields = append(fields, jsonFieldError("payload", err))
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid event", fields...)
	}
	s.Payload = payload
	s.OccurredAt = s.OccurredAt.UTC()
	return &Event{s: s}, nil
}

// RehydrateEvent rebuilds a stored event. It is not a constructor: it
// trusts its input.
func RehydrateEvent(s EventState) *Event {
	s.Payload = CloneMap(s.Payload)
	return &Event{s: s}
}

// State returns a deep copy of the event's stored form.
func (e *Event) State() EventState {
	s := e.s
	s.Payload = CloneMap(s.Payload)
	return s
}

// ID returns the event id.
func (e *Event) ID() string { return e.s.ID }

// Type returns the event type.
func (e *Event) Type() string { return e.s.EventType }
