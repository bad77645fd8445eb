package ports

import (
	"context"
	"time"

	"github.com/ade-go/ade/domain"
)

// WebhookRepository stores webhooks.
type WebhookRepository interface {
	// Create MUST fail with domain.ErrConflict when the id exists.
	Create(ctx context.Context, w *domain.Webhook) error
	// Get MUST return deleted webhooks too, and fail with
	// domain.ErrNotFound when the id does not exist in the workspace.
	Get(ctx context.Context, workspaceID, id string) (*domain.Webhook, error)
	// List MUST return the workspace's webhooks that are not deleted,
	// newest first.
	List(ctx context.Context, workspaceID string, p Page) ([]*domain.Webhook, error)
	// Update follows the DocumentRepository.Update contract.
	Update(ctx context.Context, workspaceID, id string, fn func(*domain.Webhook) error) (*domain.Webhook, error)
}

// WebhookDeliveryRepository keeps the delivery log.
type WebhookDeliveryRepository interface {
	// Record MUST store one delivery attempt; a duplicate id MUST fail with
	// domain.ErrConflict.
	Record(ctx context.Context, d domain.WebhookDelivery) error
	// List MUST return a webhook's deliveries newest first (by time, then
	// id).
	List(ctx context.Context, workspaceID, webhookID string, p Page) ([]domain.WebhookDelivery, error)
	// DeleteBefore MUST delete deliveries made before t and return how
	// many it deleted.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}

// WebhookRequest is one delivery to send.
type WebhookRequest struct {
	URL     string
	Body    []byte
	Headers map[string]string
}

// WebhookSender posts deliveries to receivers, guarding against requests
// to the server's own network (server-side request forgery).
type WebhookSender interface {
	// CheckURL MUST fail with a *domain.ValidationError of kind
	// domain.ErrUnprocessable naming the field "url" when the URL's host
	// does not resolve, or resolves to a loopback, private, link-local,
	// unspecified or multicast address, unless the sender was built to
	// allow private addresses.
	CheckURL(ctx context.Context, rawURL string) error
	// Send MUST POST the body with the headers and return the receiver's
	// status code. It MUST NOT follow redirects (a 3xx is returned as is),
	// MUST refuse to connect to an address CheckURL would refuse (checked
	// on the address actually dialled, so a name that resolves differently
	// later is caught), and MUST give up within its own time limit. An
	// error means no status came back.
	Send(ctx context.Context, req WebhookRequest) (statusCode int, err error)
}
