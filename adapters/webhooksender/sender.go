// Package webhooksender posts webhook deliveries over HTTP with net/http
// (ports.WebhookSender), guarding against server-side request forgery: a
// receiver whose address is loopback, private, link-local, unspecified or
// multicast is refused when the webhook is registered and again on the
// address each delivery actually dials (so a name that later resolves
// elsewhere is caught too). Redirects are never followed.
package webhooksender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.WebhookSender = (*Sender)(nil)

// Defaults of Options fields left zero.
const (
	DefaultTimeout = 10 * time.Second
	// maxResponseBytes is how much of a response body is read (then the
	// connection is reused or closed); receivers' bodies are ignored.
	maxResponseBytes = 64 << 10
)

// Options tune a Sender.
type Options struct {
	// AllowPrivate lets deliveries go to loopback and private addresses
	// (ADE_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks).
	AllowPrivate bool
	// Timeout bounds one delivery, connection included (default 10 s).
	Timeout time.Duration
	// Resolver resolves host names at registration; nil uses the system's.
	Resolver *net.Resolver
}

// Sender posts deliveries.
type Sender struct {
	opts   Options
	client *http.Client
}

// New returns a Sender.
func New(opts Options) *Sender {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	s := &Sender{opts: opts}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: s.control}
	s.client = &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			// No proxy: the address dialled must be the receiver's own.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   opts.Timeout,
			ResponseHeaderTimeout: opts.Timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// errForbiddenAddress: the receiver's address is in the server's own
// networks.
var errForbiddenAddress = errors.New("the address is loopback, private, link-local, unspecified or multicast")

// control refuses, at connect time, an address a delivery must not reach.
func (s *Sender) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	if !s.allowed(ap.Addr()) {
		return fmt.Errorf("webhook address %s: %w", ap.Addr(), errForbiddenAddress)
	}
	return nil
}

func (s *Sender) allowed(a netip.Addr) bool {
	if s.opts.AllowPrivate {
		return true
	}
	a = a.Unmap()
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || isSharedOrReserved(a))
}

// isSharedOrReserved covers ranges netip has no predicate for: carrier-
// grade NAT (100.64.0.0/10), "this network" (0.0.0.0/8) and the IPv4
// broadcast/reserved block (240.0.0.0/4).
func isSharedOrReserved(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	for _, p := range reservedV4 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var reservedV4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// CheckURL resolves the URL's host and refuses it (unprocessable, field
// "url") when it does not resolve or any of its addresses is forbidden.
func (s *Sender) CheckURL(ctx context.Context, rawURL string) error {
	refuse := func(msg string) error {
		return domain.NewUnprocessable("webhook URL refused", domain.FieldError{Field: "url", Message: msg})
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return refuse("must be an absolute http or https URL")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		defer cancel()
		ips, err := s.opts.Resolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return refuse("the host does not resolve")
		}
		addrs = ips
	}
	for _, a := range addrs {
		if !s.allowed(a) {
			return refuse("the host resolves to a loopback, private or link-local address; webhooks must reach public addresses")
		}
	}
	return nil
}

// Send posts the delivery and returns the receiver's status code.
func (s *Sender) Send(ctx context.Context, r ports.WebhookRequest) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("User-Agent", "ADE-Webhooks/1")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the webhook's own: no need to repeat it
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseBytes))
	_ = res.Body.Close()
	return res.StatusCode, nil
}
