package domain

import (
	"regexp"
	"strings"
	"time"
)

// MaxPayloadBytes bounds a configuration payload as compact JSON.
const MaxPayloadBytes = 1 << 20

var documentTypePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}$`)

// Configuration is one immutable version of the extraction settings for a
// document type. Versions count up from 1 per (workspace, document type);
// at most one version of a type is active.
type Configuration struct {
	s ConfigurationState
}

// ConfigurationState is a configuration's stored form, used by adapters.
type ConfigurationState struct {
	ID           string
	WorkspaceID  string
	DocumentType string
	Title        string
	Version      int
	IsActive     bool
	ActivatedAt  *time.Time
	Payload      map[string]any
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewConfigurationParams are the inputs of NewConfiguration.
type NewConfigurationParams struct {
	ID           string
	WorkspaceID  string
	DocumentType string
	Title        string
	Version      int
	Payload      map[string]any
	Now          time.Time
}

// NewConfiguration validates and creates an inactive configuration. The
// payload must be a JSON object naming its extractor in "extractor"; the
// extractor itself validates the rest.
func NewConfiguration(p NewConfigurationParams) (*Configuration, error) {
	var fields []FieldError
	title := strings.TrimSpace(p.Title)
	if p.ID == "" {
		fields = append(fields, FieldError{"configuration_id", "is required"})
	}
	if p.WorkspaceID == "" {
		fields = append(fields, FieldError{"workspace_id", "is required"})
	}
	if err := ValidateDocumentType(p.DocumentType); err != nil {
		fields = append(fields, FieldError{"document_type", err.Error()})
	}
	if err := ValidateLine(title); err != nil {
		fields = append(fields, FieldError{"title", err.Error()})
	} else if title == "" || len([]rune(title)) > 200 {
		fields = append(fields, FieldError{"title", "must be 1-200 characters"})
	}
	if p.Version < 1 {
		fields = append(fields, FieldError{"version", "must be at least 1"})
	}
	payload, err := ValidateJSONObject(p.Payload, MaxPayloadBytes)
	switch {
	case p.Payload == nil:
		fields = append(fields, FieldError{"payload", "is required"})
	case err != nil:
		fields = append(fields, jsonFieldError("payload", err))
	default:
		if name, ok := payload["extractor"].(string); !ok || name == "" {
			fields = append(fields, FieldError{"payload.extractor", "is required"})
		}
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid configuration", fields...)
	}
	now := p.Now.UTC()
	return &Configuration{s: ConfigurationState{
		ID: p.ID, WorkspaceID: p.WorkspaceID, DocumentType: p.DocumentType, Title: title,
		Version: p.Version, Payload: payload, CreatedAt: now, UpdatedAt: now,
	}}, nil
}

// ValidateDocumentType checks a document type: 1-100 letters, digits,
// spaces, '_', '.' or '-', starting with a letter or digit.
func ValidateDocumentType(s string) error {
	if !documentTypePattern.MatchString(s) {
		return errString("must be 1-100 letters, digits, spaces, '_', '.' or '-'")
	}
	return nil
}

// ValidatePayload checks a configuration payload as ValidateJSONObject
// does, with at most MaxPayloadBytes, and returns a normalised copy; a
// fault is a *ValidationError naming its path under "payload".
func ValidatePayload(payload map[string]any) (map[string]any, error) {
	out, err := ValidateJSONObject(payload, MaxPayloadBytes)
	if err != nil {
		return nil, NewInvalid("invalid configuration", jsonFieldError("payload", err))
	}
	return out, nil
}

// RehydrateConfiguration rebuilds a stored configuration. It is not a
// constructor: it trusts its input.
func RehydrateConfiguration(s ConfigurationState) *Configuration {
	s.Payload = CloneMap(s.Payload)
	return &Configuration{s: s}
}

// State returns a deep copy of the configuration's stored form.
func (c *Configuration) State() ConfigurationState {
	s := c.s
	s.Payload = CloneMap(s.Payload)
	if s.ActivatedAt != nil {
		t := *s.ActivatedAt
		s.ActivatedAt = &t
	}
	return s
}

// ID returns the configuration id.
func (c *Configuration) ID() string { return c.s.ID }

// WorkspaceID returns the owning workspace's id.
func (c *Configuration) WorkspaceID() string { return c.s.WorkspaceID }

// DocumentType returns the document type the configuration applies to.
func (c *Configuration) DocumentType() string { return c.s.DocumentType }

// Version returns the version number within the document type.
func (c *Configuration) Version() int { return c.s.Version }

// IsActive reports whether this is the active version of its type.
func (c *Configuration) IsActive() bool { return c.s.IsActive }

// Payload returns a deep copy of the extractor settings.
func (c *Configuration) Payload() map[string]any { return CloneMap(c.s.Payload) }

// ExtractorName returns the extractor the payload names.
func (c *Configuration) ExtractorName() string {
	name, _ := c.s.Payload["extractor"].(string)
	return name
}

// Activate makes this the active version. Activating an active
// configuration changes nothing.
func (c *Configuration) Activate(now time.Time) {
	if c.s.IsActive {
		return
	}
	t := now.UTC()
	c.s.IsActive = true
	c.s.ActivatedAt = &t
	c.s.UpdatedAt = t
}

// Deactivate clears the active flag; ActivatedAt keeps the last activation.
func (c *Configuration) Deactivate(now time.Time) {
	if !c.s.IsActive {
		return
	}
	c.s.IsActive = false
	c.s.UpdatedAt = now.UTC()
}
