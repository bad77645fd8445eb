package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

type createWebhookRequest struct {
	URL    *string  `json:"url"`
	Events []string `json:"events"`
}

// createWebhook handles POST .../webhooks: 201 with the secret, shown
// this once.
func (s *server) createWebhook(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var req createWebhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.URL == nil {
		return invalid("url", "is required")
	}
	w, err := s.app.Webhooks.Create(c.UserContext(), app.CreateWebhookRequest{WorkspaceID: ws.ID(), URL: *req.URL, Events: req.Events})
	if err != nil {
		return err
	}
	c.Location("/api/v1/workspaces/" + ws.ID() + "/webhooks/" + w.ID())
	return ok(c, fiber.StatusCreated, renderCreatedWebhook(w))
}

// listWebhooks handles GET .../webhooks.
func (s *server) listWebhooks(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Webhooks.List(c.UserContext(), ws.ID(), p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderWebhook))
}

// getWebhook handles GET .../webhooks/{webhook_id}.
func (s *server) getWebhook(c *fiber.Ctx) error {
	return respondOne(c, s, "webhook_id", s.app.Webhooks.Get, renderWebhook)
}

// deleteWebhook handles DELETE .../webhooks/{webhook_id}: 204.
func (s *server) deleteWebhook(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "webhook_id")
	if err != nil {
		return err
	}
	if err := s.app.Webhooks.Delete(c.UserContext(), ws.ID(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// webhookDeliveries handles GET .../webhooks/{webhook_id}/deliveries:
// the delivery log, newest first.
func (s *server) webhookDeliveries(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "webhook_id")
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Webhooks.Deliveries(c.UserContext(), ws.ID(), id, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderDelivery))
}

type webhookJSON struct {
	WebhookID   string   `json:"webhook_id"`
	WorkspaceID string   `json:"workspace_id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	CreatedBy   string   `json:"created_by"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func renderWebhook(w *domain.Webhook) webhookJSON {
	s := w.State()
	return webhookJSON{WebhookID: s.ID, WorkspaceID: s.WorkspaceID, URL: s.URL, Events: s.Events,
		CreatedBy: s.CreatedBy, CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt)}
}

type createdWebhookJSON struct {
	webhookJSON
	// Secret signs the deliveries; it is never shown again.
	Secret string `json:"secret"`
}

func renderCreatedWebhook(w *domain.Webhook) createdWebhookJSON {
	return createdWebhookJSON{webhookJSON: renderWebhook(w), Secret: w.Secret()}
}

type deliveryJSON struct {
	DeliveryID  string  `json:"delivery_id"`
	EventID     string  `json:"event_id"`
	EventType   string  `json:"event_type"`
	Attempt     int     `json:"attempt"`
	StatusCode  *int    `json:"status_code"`
	Error       *string `json:"error"`
	DeliveredAt string  `json:"delivered_at"`
}

func renderDelivery(d domain.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{DeliveryID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt,
		DeliveredAt: ts(d.DeliveredAt)}
	if d.StatusCode != 0 {
		code := d.StatusCode
		out.StatusCode = &code
	}
	if d.Error != "" {
		e := d.Error
		out.Error = &e
	}
	return out
}
