package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ade-go/ade/ports"
)

var (
	_ ports.BlobIntentRepository = (*BlobIntentRepository)(nil)
	_ ports.InstanceRepository   = (*InstanceRepository)(nil)
)

// BlobIntentRepository keeps blob intents in a Store.
type BlobIntentRepository struct{ s *Store }

// Add records an intent.
func (r *BlobIntentRepository) Add(ctx context.Context, in ports.BlobIntent) error {
	t, end := r.s.begin(ctx)
	defer end()
	if _, ok := r.s.intents[in.Key]; ok {
		return conflict("blob intent %q exists", in.Key)
	}
	in.CreatedAt = in.CreatedAt.UTC()
	r.s.intents.put(t, in.Key, in)
	return nil
}

// Resolve removes the intent of key.
func (r *BlobIntentRepository) Resolve(ctx context.Context, key string) error {
	t, end := r.s.begin(ctx)
	defer end()
	if _, ok := r.s.intents[key]; !ok {
		return notFound("blob intent", key)
	}
	r.s.intents.remove(t, key)
	return nil
}

// Abandoned returns the intents whose owner holds no lease past now, or
// recorded before staleBefore, oldest first.
func (r *BlobIntentRepository) Abandoned(ctx context.Context, now, staleBefore time.Time, limit int) ([]ports.BlobIntent, error) {
	_, end := r.s.begin(ctx)
	defer end()
	var out []ports.BlobIntent
	for _, in := range r.s.intents {
		lease, alive := r.s.instances[in.Owner]
		if !alive || !lease.After(now) || in.CreatedAt.Before(staleBefore) {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b ports.BlobIntent) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// InstanceRepository keeps process leases in a Store.
type InstanceRepository struct{ s *Store }

// Renew records or extends a lease.
func (r *InstanceRepository) Renew(ctx context.Context, id string, expiresAt time.Time) error {
	t, end := r.s.begin(ctx)
	defer end()
	r.s.instances.put(t, id, expiresAt.UTC())
	return nil
}

// Release ends a lease.
func (r *InstanceRepository) Release(ctx context.Context, id string) error {
	t, end := r.s.begin(ctx)
	defer end()
	r.s.instances.remove(t, id)
	return nil
}
