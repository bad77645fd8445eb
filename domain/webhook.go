package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook event and entity types.
const (
	EventWebhookCreated = "webhook.created"
	EventWebhookDeleted = "webhook.deleted"
	EntityWebhook       = "webhook"
)

// WebhookEventTypes are the event types a webhook may subscribe to: the
// terminal states of a job.
func WebhookEventTypes() []string {
	return []string{EventJobSucceeded, EventJobFailed, EventJobCancelled}
}

// MaxWebhookURLBytes bounds a webhook URL.
const MaxWebhookURLBytes = 2048

// Webhook is a workspace's subscription of a URL to job terminal events.
// Deliveries are signed with its secret (see WebhookSignature).
type Webhook struct {
	s WebhookState
}

// WebhookState is a webhook's stored form, used by adapters.
type WebhookState struct {
	ID          string
	WorkspaceID string
	URL         string
	// Events are the subscribed event types, sorted, without duplicates.
	Events []string
	// Secret signs deliveries; it is shown once, when the webhook is made.
	Secret    string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// NewWebhookParams are the inputs of NewWebhook.
type NewWebhookParams struct {
	ID          string
	WorkspaceID string
	URL         string
	Events      []string
	Secret      string
	CreatedBy   string
	Now         time.Time
}

// NewWebhook validates and creates a webhook. The URL must be absolute
// http or https with a host, without credentials or fragment, at most
// MaxWebhookURLBytes; events must be a non-empty subset of
// WebhookEventTypes (duplicates are dropped).
func NewWebhook(p NewWebhookParams) (*Webhook, error) {
	var fields []FieldError
	if p.ID == "" {
		fields = append(fields, FieldError{"webhook_id", "is required"})
	}
	if p.WorkspaceID == "" {
		fields = append(fields, FieldError{"workspace_id", "is required"})
	}
	if msg := checkWebhookURL(p.URL); msg != "" {
		fields = append(fields, FieldError{"url", msg})
	}
	events, efields := normalizeWebhookEvents(p.Events)
	fields = append(fields, efields...)
	if p.Secret == "" {
		fields = append(fields, FieldError{"secret", "is required"})
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid webhook", fields...)
	}
	now := p.Now.UTC()
	return &Webhook{s: WebhookState{
		ID: p.ID, WorkspaceID: p.WorkspaceID, URL: p.URL, Events: events, Secret: p.Secret,
		CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now,
	}}, nil
}

func checkWebhookURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > MaxWebhookURLBytes {
		return "must be at most " + strconv.Itoa(MaxWebhookURLBytes) + " bytes"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return "must be an absolute http or https URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must use http or https"
	case u.Hostname() == "":
		return "must name a host"
	case u.User != nil:
		return "must not carry credentials"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case strings.ContainsAny(raw, " \t\r\n"):
		return "must not contain white space"
	}
	return ""
}

func normalizeWebhookEvents(in []string) ([]string, []FieldError) {
	if len(in) == 0 {
		return nil, []FieldError{{"events", "must name at least one of " + strings.Join(WebhookEventTypes(), ", ")}}
	}
	allowed := WebhookEventTypes()
	var fields []FieldError
	var out []string
	for i, e := range in {
		if !slices.Contains(allowed, e) {
			fields = append(fields, FieldError{"events[" + strconv.Itoa(i) + "]", "must be one of " + strings.Join(allowed, ", ")})
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out, fields
}

// RehydrateWebhook rebuilds a stored webhook. It is not a constructor: it
// trusts its input.
func RehydrateWebhook(s WebhookState) *Webhook { return &Webhook{s: copyWebhookState(s)} }

func copyWebhookState(s WebhookState) WebhookState {
	s.Events = append([]string{}, s.Events...)
	if s.DeletedAt != nil {
		t := *s.DeletedAt
		s.DeletedAt = &t
	}
	return s
}

// State returns a copy of the webhook's stored form.
func (w *Webhook) State() WebhookState { return copyWebhookState(w.s) }

// ID returns the webhook id.
func (w *Webhook) ID() string { return w.s.ID }

// WorkspaceID returns the owning workspace's id.
func (w *Webhook) WorkspaceID() string { return w.s.WorkspaceID }

// URL returns where deliveries go.
func (w *Webhook) URL() string { return w.s.URL }

// Secret returns the signing secret.
func (w *Webhook) Secret() string { return w.s.Secret }

// IsDeleted reports whether the webhook was deleted.
func (w *Webhook) IsDeleted() bool { return w.s.DeletedAt != nil }

// Subscribes reports whether a live webhook wants events of eventType.
func (w *Webhook) Subscribes(eventType string) bool {
	return !w.IsDeleted() && slices.Contains(w.s.Events, eventType)
}

// Delete marks the webhook deleted; deleting it again is ErrNotFound, as
// the API answers 404 for a deleted webhook.
func (w *Webhook) Delete(now time.Time) error {
	if w.IsDeleted() {
		return ErrNotFound
	}
	t := now.UTC()
	w.s.DeletedAt = &t
	w.s.UpdatedAt = t
	return nil
}

// WebhookDelivery is one attempt to deliver an event to a webhook: the
// delivery log entry.
type WebhookDelivery struct {
	ID          string
	WorkspaceID string
	WebhookID   string
	EventID     string
	EventType   string
	// Attempt counts from 1.
	Attempt int
	// StatusCode is the receiver's HTTP status, 0 when none came back.
	StatusCode int
	// Error says why the attempt failed; empty on success.
	Error       string
	DeliveredAt time.Time
}

// Succeeded reports whether the receiver answered 2xx.
func (d WebhookDelivery) Succeeded() bool { return d.StatusCode >= 200 && d.StatusCode < 300 }

// MaxDeliveryErrorBytes bounds a delivery's recorded error.
const MaxDeliveryErrorBytes = 1024

// WebhookSignatureHeader is the header carrying a delivery's signature.
const WebhookSignatureHeader = "ADE-Signature"

// WebhookSignature returns the ADE-Signature value of a delivery body sent
// at t: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<unix seconds>.<body>"
// keyed with the secret>". Receivers recompute it and compare in constant
// time, and refuse timestamps too far from their clock (replays).
func WebhookSignature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
