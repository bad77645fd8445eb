package domain

import (
	"regexp"
	"strings"
	"time"
)

// DefaultWorkspaceSlug is the workspace every server has from its first start.
const DefaultWorkspaceSlug = "default"

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// Workspace isolates documents, configurations, jobs and events: nothing of
// one workspace is visible from another.
type Workspace struct {
	s WorkspaceState
}

// WorkspaceState is a workspace's stored form, used by adapters.
type WorkspaceState struct {
	ID        string
	Slug      string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewWorkspace validates and creates a workspace. The slug is 1-63 lowercase
// letters, digits and inner hyphens; the name is 1-200 characters on one
// line (ValidateLine).
func NewWorkspace(id, slug, name string, now time.Time) (*Workspace, error) {
	name = strings.TrimSpace(name)
	var fields []FieldError
	if id == "" {
		fields = append(fields, FieldError{"workspace_id", "is required"})
	}
	if !slugPattern.MatchString(slug) {
		fields = append(fields, FieldError{"slug", "must be 1-63 lowercase letters, digits or inner hyphens"})
	}
	if err := ValidateLine(name); err != nil {
		fields = append(fields, FieldError{"name", err.Error()})
	} else if name == "" || len([]rune(name)) > 200 {
		fields = append(fields, FieldError{"name", "must be 1-200 characters"})
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid workspace", fields...)
	}
	now = now.UTC()
	return &Workspace{s: WorkspaceState{ID: id, Slug: slug, Name: name, CreatedAt: now, UpdatedAt: now}}, nil
}

// RehydrateWorkspace rebuilds a stored workspace. It is not a constructor:
// it trusts its input.
func RehydrateWorkspace(s WorkspaceState) *Workspace { return &Workspace{s: s} }

// State returns the workspace's stored form.
func (w *Workspace) State() WorkspaceState { return w.s }

// ID returns the workspace id.
func (w *Workspace) ID() string { return w.s.ID }

// Slug returns the workspace's URL name.
func (w *Workspace) Slug() string { return w.s.Slug }

// Name returns the display name.
func (w *Workspace) Name() string { return w.s.Name }
