package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// API key format. A key is APIKeyPrefix followed by at least
// MinAPIKeySecretChars characters from [A-Za-z0-9_-]: the prefix makes a
// key recognisable (to people and to secret scanners), the rest carries its
// randomness. Keys ADE generates carry 256 bits; a supplied key (the
// bootstrap key) must be at least as long as 128 bits in hex.
const (
	APIKeyPrefix         = "ade_"
	MinAPIKeySecretChars = 32
	MaxAPIKeyChars       = 256
	// MaxAPIKeyLabelChars bounds a key's label.
	MaxAPIKeyLabelChars = 200
)

// Event types of API keys, and the entity type they refer to.
const (
	EventAPIKeyCreated = "api_key.created"
	EventAPIKeyRevoked = "api_key.revoked"
	EntityAPIKey       = "api_key"
)

// Role is what a workspace key may do in its workspace.
type Role string

// Roles, each allowing everything the previous one does and more.
const (
	// RoleViewer reads documents, configurations, jobs, results and events.
	RoleViewer Role = "viewer"
	// RoleEditor also uploads and deletes documents and submits and
	// cancels jobs.
	RoleEditor Role = "editor"
	// RoleAdmin also creates and activates configurations and manages the
	// workspace's keys.
	RoleAdmin Role = "admin"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RoleViewer, RoleEditor, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r == RoleViewer || r == RoleEditor || r == RoleAdmin }

// Action is something a request asks to do; the permission table says
// which roles may do it.
type Action string

// Actions, one per kind of request.
const (
	// ActionListWorkspaces lists the workspaces a key can see.
	ActionListWorkspaces Action = "workspaces.list"
	// ActionCreateWorkspace creates a workspace.
	ActionCreateWorkspace Action = "workspaces.create"
	// ActionRead reads anything in a workspace.
	ActionRead Action = "workspace.read"
	// ActionWriteDocuments uploads and deletes documents.
	ActionWriteDocuments Action = "documents.write"
	// ActionRunJobs submits and cancels jobs.
	ActionRunJobs Action = "jobs.run"
	// ActionManageConfigurations creates and activates configurations.
	ActionManageConfigurations Action = "configurations.manage"
	// ActionManageKeys creates, lists and revokes a workspace's keys.
	ActionManageKeys Action = "api_keys.manage"
	// ActionManageWebhooks registers, reads and deletes a workspace's
	// webhooks and reads their delivery logs.
	ActionManageWebhooks Action = "webhooks.manage"
)

// permission is one row of the permission table.
type permission struct {
	// inWorkspace: the action names a workspace, which the key must be
	// able to see; otherwise it is workspace-less.
	inWorkspace bool
	// roles may perform the action (in their own workspace when
	// inWorkspace). Global admins may perform every action everywhere.
	roles []Role
}

// permissions is the one permission table: every authorisation decision
// ADE makes reads it (through APIKey.Authorize).
var permissions = map[Action]permission{
	ActionListWorkspaces:       {inWorkspace: false, roles: Roles},
	ActionCreateWorkspace:      {inWorkspace: false, roles: nil},
	ActionRead:                 {inWorkspace: true, roles: Roles},
	ActionWriteDocuments:       {inWorkspace: true, roles: []Role{RoleEditor, RoleAdmin}},
	ActionRunJobs:              {inWorkspace: true, roles: []Role{RoleEditor, RoleAdmin}},
	ActionManageConfigurations: {inWorkspace: true, roles: []Role{RoleAdmin}},
	ActionManageKeys:           {inWorkspace: true, roles: []Role{RoleAdmin}},
	ActionManageWebhooks:       {inWorkspace: true, roles: []Role{RoleAdmin}},
}

// NeedsWorkspace reports whether the action names a workspace.
func (a Action) NeedsWorkspace() bool { return permissions[a].inWorkspace }

// Known reports whether the action is in the permission table.
func (a Action) Known() bool {
	_, ok := permissions[a]
	return ok
}

// RolesFor returns the roles that may perform the action (global admins
// aside), for documentation.
func RolesFor(a Action) []Role { return append([]Role(nil), permissions[a].roles...) }

// HashAPIKey returns the stored form of a key: the lowercase hex SHA-256
// of its text. Keys carry at least 128 bits of randomness, so a fast hash
// is enough (a slow password hash guards low-entropy secrets, which keys
// are not), and the hash reveals nothing usable about the key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// WellFormedAPIKey reports whether s has the shape of a key: APIKeyPrefix,
// then MinAPIKeySecretChars to MaxAPIKeyChars in total of [A-Za-z0-9_-].
// Anything else is refused without a lookup.
func WellFormedAPIKey(s string) bool {
	if !strings.HasPrefix(s, APIKeyPrefix) || len(s) < len(APIKeyPrefix)+MinAPIKeySecretChars || len(s) > MaxAPIKeyChars {
		return false
	}
	for i := len(APIKeyPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// APIKey is a credential: a global admin key (no workspace) or a key with a
// role in one workspace. Only the hash of its text is kept; the text
// itself is shown once, when it is made, and never stored.
type APIKey struct {
	s APIKeyState
}

// APIKeyState is a key's stored form, used by adapters. It holds no key
// material but the hash.
type APIKeyState struct {
	ID string
	// WorkspaceID is empty for a global admin key.
	WorkspaceID string
	Role        Role
	Label       string
	// Hash is HashAPIKey of the key's text.
	Hash       string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// NewAPIKeyParams are the inputs of NewAPIKey.
type NewAPIKeyParams struct {
	ID string
	// WorkspaceID is empty for a global admin key, whose Role must be
	// RoleAdmin.
	WorkspaceID string
	Role        Role
	Label       string
	// Key is the key's text; only its hash is kept.
	Key string
	Now time.Time
}

// NewAPIKey validates and creates a key. The label is trimmed, at most 200
// characters without control characters.
func NewAPIKey(p NewAPIKeyParams) (*APIKey, error) {
	var fields []FieldError
	if p.ID == "" {
		fields = append(fields, FieldError{"api_key_id", "is required"})
	}
	if !p.Role.Valid() {
		fields = append(fields, FieldError{"role", "must be viewer, editor or admin"})
	} else if p.WorkspaceID == "" && p.Role != RoleAdmin {
		fields = append(fields, FieldError{"role", "a key without a workspace is a global admin key: its role must be admin"})
	}
	label, err := validLabel(p.Label)
	if err != nil {
		fields = append(fields, FieldError{"label", err.Error()})
	}
	if !WellFormedAPIKey(p.Key) {
		fields = append(fields, FieldError{"key", fmt.Sprintf("must be %q followed by %d to %d letters, digits, '_' or '-'",
			APIKeyPrefix, MinAPIKeySecretChars, MaxAPIKeyChars-len(APIKeyPrefix))})
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid API key", fields...)
	}
	return &APIKey{s: APIKeyState{
		ID: p.ID, WorkspaceID: p.WorkspaceID, Role: p.Role, Label: label,
		Hash: HashAPIKey(p.Key), CreatedAt: p.Now.UTC(),
	}}, nil
}

func validLabel(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("must be valid UTF-8")
	}
	if utf8.RuneCountInString(s) > MaxAPIKeyLabelChars {
		return "", fmt.Errorf("must be at most %d characters", MaxAPIKeyLabelChars)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("must not contain control characters")
	}
	return s, nil
}

// RehydrateAPIKey rebuilds a stored key. It is not a constructor: it
// trusts its input.
func RehydrateAPIKey(s APIKeyState) *APIKey {
	s.RevokedAt = cloneTime(s.RevokedAt)
	s.LastUsedAt = cloneTime(s.LastUsedAt)
	return &APIKey{s: s}
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

// State returns a copy of the key's stored form.
func (k *APIKey) State() APIKeyState {
	s := k.s
	s.RevokedAt = cloneTime(s.RevokedAt)
	s.LastUsedAt = cloneTime(s.LastUsedAt)
	return s
}

// ID returns the key's id (not secret: it names the key in lists, events
// and logs).
func (k *APIKey) ID() string { return k.s.ID }

// WorkspaceID returns the key's workspace, empty for a global admin key.
func (k *APIKey) WorkspaceID() string { return k.s.WorkspaceID }

// Role returns the key's role.
func (k *APIKey) Role() Role { return k.s.Role }

// Label returns the key's label.
func (k *APIKey) Label() string { return k.s.Label }

// Hash returns the hash of the key's text.
func (k *APIKey) Hash() string { return k.s.Hash }

// IsGlobalAdmin reports whether the key may do everything everywhere.
func (k *APIKey) IsGlobalAdmin() bool { return k.s.WorkspaceID == "" && k.s.Role == RoleAdmin }

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return k.s.RevokedAt != nil }

// Matches reports, in constant time, whether key is this key's text.
func (k *APIKey) Matches(key string) bool {
	return MatchesHash(k.s.Hash, HashAPIKey(key))
}

// MatchesHash compares two key hashes in time that does not depend on
// where they differ.
func MatchesHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Actor returns who the key's requests act as on events.
func (k *APIKey) Actor() Actor {
	return Actor{Type: ActorAPIKey, ID: k.s.ID, Label: k.s.Label}
}

// Revoke ends the key's validity; a key is revoked once (a second revoke
// is ErrConflict).
func (k *APIKey) Revoke(now time.Time) error {
	if k.s.RevokedAt != nil {
		return NewConflict("the API key is already revoked", nil)
	}
	t := now.UTC()
	k.s.RevokedAt = &t
	return nil
}

// CanSee reports whether the key may see workspace workspaceID at all.
func (k *APIKey) CanSee(workspaceID string) bool {
	return k.IsGlobalAdmin() || (k.s.WorkspaceID != "" && k.s.WorkspaceID == workspaceID)
}

// Authorize decides whether the key may perform action, in workspace
// workspaceID when the action names one. It consults the permission table
// and answers nil (allowed), an error matching ErrNotFound when the
// workspace is one the key cannot see (so another workspace looks exactly
// like a missing one), or an error matching ErrForbidden when the key's
// role does not allow the action. A revoked key is ErrUnauthenticated.
func (k *APIKey) Authorize(action Action, workspaceID string) error {
	if k.Revoked() {
		return fmt.Errorf("api key %s is revoked: %w", k.s.ID, ErrUnauthenticated)
	}
	perm, known := permissions[action]
	if !known {
		return fmt.Errorf("action %q is not in the permission table: %w", action, ErrForbidden)
	}
	if perm.inWorkspace && !k.CanSee(workspaceID) {
		return fmt.Errorf("workspace %s: %w", workspaceID, ErrNotFound)
	}
	if k.IsGlobalAdmin() {
		return nil
	}
	for _, r := range perm.roles {
		if r == k.s.Role {
			return nil
		}
	}
	return fmt.Errorf("role %s may not %s: %w", k.s.Role, action, ErrForbidden)
}
