// Package eventhub is the in-process fan-out under every ports.EventFeed
// adapter: subscribers register for one entity's events, and the store
// adapter that learns of committed events (after its own commits, or from
// PostgreSQL notifications sent by other processes) signals them here.
//
// A signal is a non-blocking send on a channel of capacity one: a pending
// signal absorbs the next ones, so a slow subscriber never blocks the
// publisher and never misses that something happened.
package eventhub

import "sync"

// Hub fans event signals out to subscribers. The zero value is not
// usable: call New. It is safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[key]map[*subscription]struct{}
	n    int
}

type key struct{ workspaceID, entityID string }

type subscription struct{ ch chan struct{} }

// New returns an empty hub.
func New() *Hub { return &Hub{subs: map[key]map[*subscription]struct{}{}} }

// Subscribe registers for signals about one entity; cancel unregisters and
// may be called more than once.
func (h *Hub) Subscribe(workspaceID, entityID string) (<-chan struct{}, func()) {
	s := &subscription{ch: make(chan struct{}, 1)}
	k := key{workspaceID, entityID}
	h.mu.Lock()
	set := h.subs[k]
	if set == nil {
		set = map[*subscription]struct{}{}
		h.subs[k] = set
	}
	set[s] = struct{}{}
	h.n++
	h.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(set, s)
			h.n--
			if len(h.subs[k]) == 0 {
				delete(h.subs, k)
			}
		})
	}
}

// Publish signals the subscribers of one entity.
func (h *Hub) Publish(workspaceID, entityID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[key{workspaceID, entityID}] {
		signal(s.ch)
	}
}

// PublishAll signals every subscriber (after notifications may have been
// lost).
func (h *Hub) PublishAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			signal(s.ch)
		}
	}
}

// Subscribers returns how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
