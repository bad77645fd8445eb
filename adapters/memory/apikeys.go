package memory

import (
	"context"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.APIKeyRepository = (*APIKeyRepository)(nil)

// APIKeyRepository stores API keys (their hashes) in a Store.
type APIKeyRepository struct{ s *Store }

// Create stores a new key; a taken id or hash is a conflict and an unknown
// workspace is unprocessable, as a foreign key would make it.
func (r *APIKeyRepository) Create(ctx context.Context, k *domain.APIKey) error {
	t, end := r.s.begin(ctx)
	defer end()
	st := k.State()
	for _, o := range r.s.apiKeys {
		if o.ID == st.ID || o.Hash == st.Hash {
			return conflict("api key %q exists", st.ID)
		}
	}
	if st.WorkspaceID != "" {
		if _, ok := r.s.workspaces[st.WorkspaceID]; !ok {
			return domain.NewUnprocessable("unknown workspace", domain.FieldError{Field: "workspace_id", Message: "does not exist"})
		}
	}
	r.s.apiKeys.put(t, st.ID, st)
	return nil
}

// Get finds a key by id.
func (r *APIKeyRepository) Get(ctx context.Context, id string) (*domain.APIKey, error) {
	_, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.apiKeys[id]
	if !ok {
		return nil, notFound("api key", id)
	}
	return domain.RehydrateAPIKey(st), nil
}

// GetByHash finds a key by the hash of its text.
func (r *APIKeyRepository) GetByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	_, end := r.s.begin(ctx)
	defer end()
	for _, st := range r.s.apiKeys {
		if st.Hash == hash {
			return domain.RehydrateAPIKey(st), nil
		}
	}
	return nil, notFound("api key", "with this hash")
}

// List returns the keys matching f, newest first.
func (r *APIKeyRepository) List(ctx context.Context, f ports.APIKeyFilter, p ports.Page) ([]*domain.APIKey, error) {
	_, end := r.s.begin(ctx)
	defer end()
	keep := func(st domain.APIKeyState) bool {
		return (f.WorkspaceID == "" || st.WorkspaceID == f.WorkspaceID) && (!f.GlobalOnly || st.WorkspaceID == "")
	}
	return query(r.s.apiKeys, keep, p,
		func(a, b domain.APIKeyState) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) },
		domain.RehydrateAPIKey), nil
}

// Update changes a key through fn, storing the result when fn succeeds.
func (r *APIKeyRepository) Update(ctx context.Context, id string, fn func(*domain.APIKey) error) (*domain.APIKey, error) {
	t, end := r.s.begin(ctx)
	defer end()
	st, ok := r.s.apiKeys[id]
	if !ok {
		return nil, notFound("api key", id)
	}
	k := domain.RehydrateAPIKey(st)
	if err := fn(k); err != nil {
		return nil, err
	}
	r.s.apiKeys.put(t, id, k.State())
	return domain.RehydrateAPIKey(k.State()), nil
}

// TouchLastUsed moves each key's last use forward to the time given.
func (r *APIKeyRepository) TouchLastUsed(ctx context.Context, used map[string]time.Time) error {
	t, end := r.s.begin(ctx)
	defer end()
	for id, at := range used {
		st, ok := r.s.apiKeys[id]
		if !ok {
			continue
		}
		at = at.UTC()
		if st.LastUsedAt != nil && !st.LastUsedAt.Before(at) {
			continue
		}
		st.LastUsedAt = &at
		r.s.apiKeys.put(t, id, st)
	}
	return nil
}
