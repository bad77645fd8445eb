package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// WorkspaceService manages workspaces.
type WorkspaceService struct {
	c *core
	// resolved caches Resolve: workspaces are never renamed or removed, so
	// a found id or slug keeps naming the same workspace, and every API
	// request saves a database round trip.
	resolved sync.Map // id or slug -> *domain.Workspace
}

// Create makes a workspace.
func (s *WorkspaceService) Create(ctx context.Context, slug, name string) (*domain.Workspace, error) {
	w, err := domain.NewWorkspace(s.c.IDs.NewID(), slug, name, s.c.Clock.Now())
	if err != nil {
		return nil, err
	}
	if err := s.c.Repos.Workspaces.Create(ctx, w); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, domain.NewConflict("a workspace with this slug already exists", err)
		}
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	return w, nil
}

// EnsureDefault returns workspace "default", creating it on first use.
func (s *WorkspaceService) EnsureDefault(ctx context.Context) (*domain.Workspace, error) {
	w, err := s.c.Repos.Workspaces.Get(ctx, domain.DefaultWorkspaceSlug)
	if err == nil {
		return w, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	w, err = s.Create(ctx, domain.DefaultWorkspaceSlug, "Default")
	if errors.Is(err, domain.ErrConflict) {
		// Another process created it first.
		return s.c.Repos.Workspaces.Get(ctx, domain.DefaultWorkspaceSlug)
	}
	return w, err
}

// Resolve finds a workspace by id or slug (a reference that is not
// single-line text is not found, without a lookup). Found workspaces are cached for
// the life of the service; misses are not, so a workspace created by
// another process is found as soon as it exists. The cache holds
// workspaces only, never a decision about who may see one: that is made
// on every request from the key, which is itself re-read every
// KeyCacheTTL.
func (s *WorkspaceService) Resolve(ctx context.Context, idOrSlug string) (*domain.Workspace, error) {
	if domain.ValidateLine(idOrSlug) != nil {
		// Names nothing: no id or slug holds such characters.
		return nil, fmt.Errorf("workspace: %w", domain.ErrNotFound)
	}
	if w, ok := s.resolved.Load(idOrSlug); ok {
		return domain.RehydrateWorkspace(w.(*domain.Workspace).State()), nil
	}
	w, err := s.c.Repos.Workspaces.Get(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	s.resolved.Store(idOrSlug, w)
	return domain.RehydrateWorkspace(w.State()), nil
}

// List returns workspaces newest first.
func (s *WorkspaceService) List(ctx context.Context, p PageRequest) (Page[*domain.Workspace], error) {
	return list(p, func(pp ports.Page) ([]*domain.Workspace, error) {
		return s.c.Repos.Workspaces.List(ctx, pp)
	})
}

// ListVisible returns the workspaces key may see, newest first: every
// workspace for a global admin key, the key's own for any other.
func (s *WorkspaceService) ListVisible(ctx context.Context, key *domain.APIKey, p PageRequest) (Page[*domain.Workspace], error) {
	if key.IsGlobalAdmin() {
		return s.List(ctx, p)
	}
	return list(p, func(pp ports.Page) ([]*domain.Workspace, error) {
		w, err := s.Resolve(ctx, key.WorkspaceID())
		if errors.Is(err, domain.ErrNotFound) || (err == nil && pp.Offset > 0) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*domain.Workspace{w}, nil
	})
}
