package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// WebhookService registers webhooks and delivers job terminal events to
// them. A delivery is a queue task enqueued in the transaction of the
// status change it reports, retried with backoff until the receiver
// answers 2xx or the attempts run out; every attempt is logged.
type WebhookService struct{ c *core }

// CreateWebhookRequest registers url for events (job terminal event
// types).
type CreateWebhookRequest struct {
	WorkspaceID string
	URL         string
	Events      []string
}

// webhookSecretPrefix marks webhook secrets, so a leaked one is easy to
// recognise.
const webhookSecretPrefix = "whsec_"

// Create registers a webhook with a new random secret (about 130 bits)
// and records webhook.created (never the secret). A URL whose host
// resolves to the server's own network is refused as unprocessable
// (ports.WebhookSender.CheckURL).
func (s *WebhookService) Create(ctx context.Context, req CreateWebhookRequest) (*domain.Webhook, error) {
	w, err := domain.NewWebhook(domain.NewWebhookParams{
		ID: s.c.IDs.NewID(), WorkspaceID: req.WorkspaceID, URL: req.URL, Events: req.Events,
		Secret: webhookSecretPrefix + rand.Text(), CreatedBy: ActorFrom(ctx).ID, Now: s.c.Clock.Now(),
	})
	if err != nil {
		return nil, err
	}
	if err := s.c.Webhooks.CheckURL(ctx, w.URL()); err != nil {
		return nil, err
	}
	err = s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.c.Repos.Webhooks.Create(ctx, w); err != nil {
			return err
		}
		return s.c.record(ctx, w.WorkspaceID(), domain.EventWebhookCreated, domain.EntityWebhook, w.ID(),
			map[string]any{"url": w.URL(), "events": anySlice(w.State().Events)})
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// List returns the workspace's webhooks, newest first.
func (s *WebhookService) List(ctx context.Context, workspaceID string, p PageRequest) (Page[*domain.Webhook], error) {
	return list(p, func(pp ports.Page) ([]*domain.Webhook, error) {
		return s.c.Repos.Webhooks.List(ctx, workspaceID, pp)
	})
}

// Get returns a webhook that is not deleted.
func (s *WebhookService) Get(ctx context.Context, workspaceID, id string) (*domain.Webhook, error) {
	w, err := s.c.Repos.Webhooks.Get(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if w.IsDeleted() {
		return nil, fmt.Errorf("webhook %q: %w", id, domain.ErrNotFound)
	}
	return w, nil
}

// Delete deletes a webhook with its webhook.deleted event; deliveries
// still queued for it are dropped. Afterwards it is not found.
func (s *WebhookService) Delete(ctx context.Context, workspaceID, id string) error {
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		w, err := s.c.Repos.Webhooks.Update(ctx, workspaceID, id, func(w *domain.Webhook) error {
			return w.Delete(s.c.Clock.Now())
		})
		if err != nil {
			return err
		}
		return s.c.record(ctx, workspaceID, domain.EventWebhookDeleted, domain.EntityWebhook, id, map[string]any{"url": w.URL()})
	})
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// Deliveries returns a webhook's delivery log, newest first.
func (s *WebhookService) Deliveries(ctx context.Context, workspaceID, id string, p PageRequest) (Page[domain.WebhookDelivery], error) {
	if _, err := s.Get(ctx, workspaceID, id); err != nil {
		return Page[domain.WebhookDelivery]{}, err
	}
	return list(p, func(pp ports.Page) ([]domain.WebhookDelivery, error) {
		return s.c.Repos.Deliveries.List(ctx, workspaceID, id, pp)
	})
}

// enqueueDeliveries enqueues, in ctx's transaction, a delivery of e to
// every live webhook of its workspace subscribed to its type.
func (c *core) enqueueDeliveries(ctx context.Context, e *domain.Event) error {
	tasks, err := c.deliveries(ctx, e)
	if err != nil || len(tasks) == 0 {
		return err
	}
	return c.Queue.Enqueue(ctx, tasks...)
}

// deliveries returns the delivery tasks of e: one per live webhook of its
// workspace subscribed to its type.
func (c *core) deliveries(ctx context.Context, e *domain.Event) ([]ports.Task, error) {
	hooks, err := c.Repos.Webhooks.List(ctx, e.State().WorkspaceID, ports.Page{})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	var tasks []ports.Task
	for _, w := range hooks {
		if w.Subscribes(e.Type()) {
			tasks = append(tasks, ports.Task{Kind: ports.TaskDeliverWebhook, WorkspaceID: w.WorkspaceID(),
				WebhookID: w.ID(), EventID: e.ID(), Actor: ActorFrom(ctx), RequestID: RequestIDFrom(ctx)})
		}
	}
	return tasks, nil
}

// errDeliveryFailed makes the queue retry a delivery.
var errDeliveryFailed = errors.New("webhook delivery failed")

// deliver makes one attempt of a TaskDeliverWebhook: it posts the event's
// JSON, signed, and logs the attempt. It returns an error (so the queue
// retries, with backoff) unless the receiver answered 2xx or there is
// nothing left to deliver (the webhook or the event is gone).
func (s *WebhookService) deliver(ctx context.Context, t ports.Task, a ports.TaskAttempt) error {
	w, err := s.c.Repos.Webhooks.Get(ctx, t.WorkspaceID, t.WebhookID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && w.IsDeleted()) {
		return nil
	}
	if err != nil {
		return err
	}
	events, err := s.c.Repos.Events.List(ctx, t.WorkspaceID, ports.EventFilter{ID: t.EventID}, ports.Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	e := events[0]
	body, err := json.Marshal(NewEventBody(e))
	if err != nil {
		return fmt.Errorf("render delivery: %w", err)
	}
	sentAt := s.c.Clock.Now()
	status, sendErr := s.c.Webhooks.Send(ctx, ports.WebhookRequest{URL: w.URL(), Body: body, Headers: map[string]string{
		"Content-Type":                "application/json",
		domain.WebhookSignatureHeader: domain.WebhookSignature(w.Secret(), sentAt, body),
		"ADE-Event-ID":                e.ID(),
		"ADE-Event-Type":              e.Type(),
		"ADE-Webhook-ID":              w.ID(),
		"ADE-Delivery-Attempt":        strconv.Itoa(a.Number),
	}})
	d := domain.WebhookDelivery{
		ID: s.c.IDs.NewID(), WorkspaceID: t.WorkspaceID, WebhookID: w.ID(), EventID: e.ID(), EventType: e.Type(),
		Attempt: a.Number, StatusCode: status, DeliveredAt: sentAt,
	}
	switch {
	case sendErr != nil:
		d.StatusCode = 0
		d.Error = truncate(sendErr.Error(), domain.MaxDeliveryErrorBytes)
	case !d.Succeeded():
		d.Error = fmt.Sprintf("the receiver answered %d", status)
	}
	if err := s.c.Repos.Deliveries.Record(ctx, d); err != nil {
		s.c.Logger.ErrorContext(ctx, "log webhook delivery", "webhook_id", w.ID(), "error", err)
	}
	if d.Succeeded() {
		return nil
	}
	return fmt.Errorf("%w: webhook %s, attempt %d: %s", errDeliveryFailed, w.ID(), a.Number, d.Error)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// noWebhooks is the sender of an application built without one: it
// refuses every registration.
type noWebhooks struct{}

func (noWebhooks) CheckURL(context.Context, string) error {
	return domain.NewUnprocessable("webhooks are not available", domain.FieldError{Field: "url", Message: "this server cannot deliver webhooks"})
}

func (noWebhooks) Send(context.Context, ports.WebhookRequest) (int, error) {
	return 0, errors.New("webhooks are not available")
}
