package webui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Cookie names.
const (
	// sessionCookie holds a signed-in session: the sealed key and the
	// session's CSRF token.
	sessionCookie = "ade_session"
	// signinCookie holds the CSRF token of the sign-in form, before there
	// is a session (so a third-party site cannot sign a browser in to a
	// key of its choosing either).
	signinCookie = "ade_signin"
	// csrfField is the form field (and htmx header) carrying the token.
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// MinSessionSecretBytes is the least secret accepted for sealing
// sessions.
const MinSessionSecretBytes = 32

// DefaultSessionTTL is how long a session lasts after sign-in.
const DefaultSessionTTL = 12 * time.Hour

// signinTTL bounds how long a sign-in form stays valid.
const signinTTL = time.Hour

// session is what the sealed cookie carries.
type session struct {
	// Key is the API key's text: needed to authenticate every request
	// again (revocation), never shown, logged or readable by scripts.
	Key string `json:"k,omitempty"`
	// CSRF is the session's anti-forgery token.
	CSRF string `json:"c"`
	// Issued is when the session (or sign-in form) began, unix seconds.
	Issued int64 `json:"i"`
}

// sealer seals and opens cookie values with AES-256-GCM. The cookie's
// name is the additional data, so a sign-in cookie can never be replayed
// as a session.
type sealer struct {
	aead cipher.AEAD
}

// newSealer derives the sealing key from secret with HKDF-SHA256.
func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < MinSessionSecretBytes {
		return nil, fmt.Errorf("webui: the session secret must be at least %d bytes", MinSessionSecretBytes)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "ade webui session v1", 32)
	if err != nil {
		return nil, fmt.Errorf("webui: derive the session key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(name string, v session) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

// errBadSession: the cookie is missing, forged, from another secret, or
// too old.
var errBadSession = errors.New("no valid session")

// maxCookieBytes bounds what open accepts.
const maxCookieBytes = 4096

func (s *sealer) open(name, value string, ttl time.Duration, now time.Time) (session, error) {
	if value == "" || len(value) > maxCookieBytes {
		return session{}, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return session{}, errBadSession
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil {
		return session{}, errBadSession
	}
	var v session
	if err := json.Unmarshal(plain, &v); err != nil || v.CSRF == "" {
		return session{}, errBadSession
	}
	issued := time.Unix(v.Issued, 0)
	if now.Before(issued.Add(-time.Minute)) || !now.Before(issued.Add(ttl)) {
		return session{}, errBadSession
	}
	return v, nil
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokensMatch compares two CSRF tokens in constant time.
func tokensMatch(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// secureRequest reports whether the browser reached ADE over TLS: the
// connection itself is TLS, or it comes from a trusted proxy (by its
// address) that says so in X-Forwarded-Proto. The header of anyone else
// is ignored.
func (s *server) secureRequest(c *fiber.Ctx) bool {
	if c.Context().IsTLS() {
		return true
	}
	if len(s.trusted) == 0 {
		return false
	}
	addr, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.trusted {
		if p.Contains(addr) {
			proto, _, _ := strings.Cut(c.Get(fiber.HeaderXForwardedProto), ",")
			return strings.EqualFold(strings.TrimSpace(proto), "https")
		}
	}
	return false
}

// setCookie writes a sealed cookie: HttpOnly, SameSite=Strict, Secure over
// TLS, scoped to the whole site (the UI and nothing else uses cookies).
func (s *server) setCookie(c *fiber.Ctx, name string, v session, ttl time.Duration) error {
	value, err := s.seal.seal(name, v)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secureRequest(c),
	})
	return nil
}

// clearCookie removes a cookie.
func (s *server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secureRequest(c),
	})
}

// crossSite reports whether the browser says the request comes from
// another site (Sec-Fetch-Site, or an Origin that is not this host): such
// a state-changing request is refused before its token is even read.
func crossSite(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		return origin == "null"
	}
	host := origin
	if _, rest, ok := strings.Cut(origin, "://"); ok {
		host = rest
	}
	return !strings.EqualFold(host, string(c.Request().Host()))
}
