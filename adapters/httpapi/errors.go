package httpapi

import (
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
)

// Stable problem codes (the `code` member of every problem document).
const (
	CodeInvalidRequest       = "invalid_request"
	CodeUnauthenticated      = "unauthenticated"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeConflict             = "conflict"
	CodeDocumentTooLarge     = "document_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnprocessable        = "unprocessable"
	CodeRateLimited          = "rate_limited"
	CodeServiceUnavailable   = "service_unavailable"
	CodeInternal             = "internal"
)

// problemContentType is the media type of every error body.
const problemContentType = "application/problem+json"

// Adapter-level errors that have no domain counterpart.
var (
	// errUnsupportedMediaType: the request body's Content-Type is not one
	// the endpoint reads.
	errUnsupportedMediaType = errors.New("unsupported media type")
	// errRangeNotSatisfiable: a download's Range lies outside the document.
	errRangeNotSatisfiable = errors.New("range not satisfiable")
	// errMethodNotAllowed: the path exists for other methods.
	errMethodNotAllowed = errors.New("method not allowed")
	// errRateLimited: the key is over its rate limit or a concurrency
	// cap (see rateLimitError).
	errRateLimited = errors.New("rate limited")
	// errRequestTimeout: the request's body stopped arriving, or arrived
	// slower than the transport's minimum rate (see bodyTimeoutError).
	errRequestTimeout = errors.New("request timeout")
)

// mapping is one row of the error table.
type mapping struct {
	target error
	status int
	code   string
	title  string
}

// errorTable maps errors to statuses and codes; the first row whose target
// matches (errors.Is) wins. Anything else is an internal error.
var errorTable = []mapping{
	{domain.ErrInvalidInput, fiber.StatusBadRequest, CodeInvalidRequest, "Invalid request"},
	{domain.ErrUnauthenticated, fiber.StatusUnauthorized, CodeUnauthenticated, "Authentication required"},
	{domain.ErrForbidden, fiber.StatusForbidden, CodeForbidden, "Forbidden"},
	{domain.ErrNotFound, fiber.StatusNotFound, CodeNotFound, "Not found"},
	{errMethodNotAllowed, fiber.StatusMethodNotAllowed, CodeInvalidRequest, "Method not allowed"},
	{domain.ErrConflict, fiber.StatusConflict, CodeConflict, "Conflict"},
	{domain.ErrTooLarge, fiber.StatusRequestEntityTooLarge, CodeDocumentTooLarge, "Request body too large"},
	{errUnsupportedMediaType, fiber.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Unsupported media type"},
	{errRangeNotSatisfiable, fiber.StatusRequestedRangeNotSatisfiable, CodeInvalidRequest, "Range not satisfiable"},
	{domain.ErrUnprocessable, fiber.StatusUnprocessableEntity, CodeUnprocessable, "Unprocessable request"},
	{errRateLimited, fiber.StatusTooManyRequests, CodeRateLimited, "Too many requests"},
	{errRequestTimeout, fiber.StatusRequestTimeout, CodeInvalidRequest, "Request Timeout"},
	{domain.ErrUnavailable, fiber.StatusServiceUnavailable, CodeServiceUnavailable, "Service unavailable"},
}

var internalMapping = mapping{nil, fiber.StatusInternalServerError, CodeInternal, "Internal server error"}

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	Type       string              `json:"type"`
	Title      string              `json:"title"`
	Status     int                 `json:"status"`
	Detail     string              `json:"detail"`
	Code       string              `json:"code"`
	RequestID  string              `json:"request_id"`
	Errors     []domain.FieldError `json:"errors,omitempty"`
	LimitBytes int64               `json:"limit_bytes,omitempty"`
	// Checks names each readiness check's outcome on a failed /health/ready.
	Checks map[string]string `json:"checks,omitempty"`
}

// notFoundError is a 404 that names the kind of resource the request's
// route names. It is taken from the route alone, never from what the
// lookup found, so another workspace's resources (and a workspace the key
// cannot see) answer exactly as missing ones do.
type notFoundError struct {
	resource string
	err      error
}

func (e *notFoundError) Error() string {
	if e.err == nil {
		return "no such " + e.resource
	}
	return "no such " + e.resource + ": " + e.err.Error()
}
func (e *notFoundError) Unwrap() error        { return e.err }
func (e *notFoundError) Is(target error) bool { return target == domain.ErrNotFound }

// resourceNames name the resource of a route's last path parameter in a
// 404's detail.
var resourceNames = map[string]string{
	"document_id": "document", "configuration_id": "configuration", "job_id": "job",
	"api_key_id": "API key", "webhook_id": "webhook", "ws": "workspace",
}

// namedNotFound returns err as a notFoundError naming the resource of the
// request's route (its last path parameter) when err is a 404 that does
// not name one yet.
func namedNotFound(c *fiber.Ctx, err error) error {
	var nf *notFoundError
	if !errors.Is(err, domain.ErrNotFound) || errors.As(err, &nf) {
		return err
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return err // an unmatched route: no resource to name
	}
	params := c.Route().Params
	if len(params) == 0 {
		return err
	}
	last := params[len(params)-1]
	name, ok := resourceNames[last]
	if !ok {
		name = strings.ReplaceAll(strings.TrimSuffix(last, "_id"), "_", " ")
	}
	return &notFoundError{resource: name, err: err}
}

// problemType is the problem's type URI: a link to its section of the
// served documentation.
func problemType(code string) string { return "/docs#problem-" + code }

// requestError is an adapter error with a client-facing detail and, for
// invalid requests, the offending fields.
type requestError struct {
	kind   error
	detail string
	fields []domain.FieldError
}

func (e *requestError) Error() string        { return e.detail }
func (e *requestError) Is(target error) bool { return target == e.kind }

// invalid returns an invalid-request error naming one field.
func invalid(field, message string) error {
	return domain.NewInvalid("invalid request", domain.FieldError{Field: field, Message: message})
}

// invalidf returns an invalid-request error with a detail and no field.
func invalidf(format string, args ...any) error {
	return &requestError{kind: domain.ErrInvalidInput, detail: fmt.Sprintf(format, args...)}
}

// unsupported returns a 415 error with a detail.
func unsupported(detail string) error {
	return &requestError{kind: errUnsupportedMediaType, detail: detail}
}

// lookup finds the table row for err. Fiber's own errors (unmatched route,
// method not allowed, body too large, malformed request) map by status.
func lookup(err error) (mapping, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return rowFor(domain.ErrNotFound), "no such resource"
		case fiber.StatusMethodNotAllowed:
			return rowFor(errMethodNotAllowed), "the resource does not support this method"
		case fiber.StatusRequestEntityTooLarge:
			return rowFor(domain.ErrTooLarge), "the request body is too large"
		case fiber.StatusUnsupportedMediaType:
			return rowFor(errUnsupportedMediaType), "unsupported media type"
		case fiber.StatusUnprocessableEntity:
			return rowFor(domain.ErrUnprocessable), "unprocessable request"
		case fiber.StatusServiceUnavailable:
			return rowFor(domain.ErrUnavailable), "service unavailable"
		case fiber.StatusRequestTimeout, fiber.StatusRequestHeaderFieldsTooLarge:
			m := rowFor(domain.ErrInvalidInput)
			m.status, m.title = fe.Code, nethttp.StatusText(fe.Code)
			return m, nethttp.StatusText(fe.Code)
		}
		if fe.Code >= 400 && fe.Code < 500 {
			m := rowFor(domain.ErrInvalidInput)
			m.status = fe.Code
			return m, "the request could not be read"
		}
		return internalMapping, ""
	}
	for _, m := range errorTable {
		if errors.Is(err, m.target) {
			return m, ""
		}
	}
	return internalMapping, ""
}

func rowFor(target error) mapping {
	for _, m := range errorTable {
		if m.target == target {
			return m
		}
	}
	return internalMapping
}

// problemFor builds the problem document for err. Only errors the table
// knows contribute text; an internal error says nothing about its cause.
func problemFor(err error, requestID string) Problem {
	m, detail := lookup(err)
	p := Problem{Type: problemType(m.code), Title: m.title, Status: m.status, Code: m.code, RequestID: requestID}
	if m.code == CodeInternal {
		p.Detail = "the server failed to handle the request; quote the request id when reporting it"
		return p
	}
	var ve *domain.ValidationError
	var tl *domain.TooLargeError
	var re *requestError
	var ce *credentialError
	var rl *rateLimitError
	var conflict *domain.ConflictError
	var te *domain.TransitionError
	var nf *notFoundError
	switch {
	case errors.As(err, &ve):
		p.Detail, p.Errors = ve.Message, ve.Fields
	case errors.As(err, &conflict):
		p.Detail = conflict.Message
	case errors.As(err, &te):
		p.Detail = te.Detail()
	case errors.As(err, &nf):
		p.Detail = "no such " + nf.resource
	case errors.As(err, &re):
		p.Detail, p.Errors = re.detail, re.fields
	case errors.As(err, &ce):
		p.Detail = ce.detail
	case errors.As(err, &rl):
		p.Detail = rl.detail
	case errors.Is(err, errRequestTimeout):
		p.Detail = "the request body stopped arriving, or arrived too slowly"
	case detail != "":
		p.Detail = detail
	default:
		p.Detail = m.title
	}
	if errors.As(err, &tl) {
		p.LimitBytes = tl.LimitBytes
		p.Detail = "the body exceeds the limit of " + strconv.FormatInt(tl.LimitBytes, 10) + " bytes"
	}
	if errors.Is(err, domain.ErrNotFound) && nf == nil {
		// Never echo ids or repository wording back: the error handler
		// names the resource from the route.
		p.Detail = "no such resource"
	}
	if p.Status == fiber.StatusUnauthorized && ce == nil {
		p.Detail = "a valid API key is required"
	}
	return p
}

// unavailableRetry is the Retry-After of every 503: a dependency that
// does not answer is given a few seconds before the client tries again.
const unavailableRetry = "5"

// setProblemHeaders adds the headers a problem's status calls for: the
// authentication challenge of a 401 (RFC 6750; error="invalid_token" when
// a key was presented and refused) and the Retry-After of a 429 or 503.
func setProblemHeaders(c *fiber.Ctx, status int, err error) {
	switch status {
	case fiber.StatusUnauthorized:
		challenge := `Bearer realm="ade"`
		var ce *credentialError
		if errors.As(err, &ce) && ce.presented {
			challenge += `, error="invalid_token"`
		}
		c.Set(fiber.HeaderWWWAuthenticate, challenge)
	case fiber.StatusTooManyRequests:
		retry := concurrencyRetry
		var rl *rateLimitError
		if errors.As(err, &rl) {
			retry = rl.retryAfter
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, ceilSeconds(retry.Seconds()))))
	case fiber.StatusServiceUnavailable:
		c.Set(fiber.HeaderRetryAfter, unavailableRetry)
	}
}

// errorHandler is the app's one error handler: it maps err through the
// table and writes the problem document. Internal errors are logged with
// their cause; the client sees only the request id.
func (s *server) errorHandler(c *fiber.Ctx, err error) error {
	rid := requestIDOf(c)
	p := problemFor(namedNotFound(c, err), rid)
	if p.Status >= 500 {
		s.log.ErrorContext(c.UserContext(), "request failed", "request_id", rid,
			"method", c.Method(), "path", c.Path(), "status", p.Status, "error", err.Error())
	}
	if p.Status == fiber.StatusRequestEntityTooLarge || s.bodyLeftUnread(c) {
		// The rest of the body is still on the wire: the connection cannot
		// carry another request.
		c.Context().SetConnectionClose()
		lingerDrain(c)
	}
	setProblemHeaders(c, p.Status, err)
	var rerr rangeError
	if errors.As(err, &rerr) {
		c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(rerr.size, 10))
	}
	// A handler may have started a streamed body or set headers meant for
	// the success case; a problem replaces them.
	c.Response().ResetBody()
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	c.Response().Header.Del(fiber.HeaderETag)
	c.Response().Header.Del(fiber.HeaderLocation)
	return writeJSON(c, p.Status, problemContentType, p)
}

// Lingering before a close: closing a socket with unread input resets the
// connection, and a client still sending may then lose the answer. Like
// net/http, read (and drop) a bounded amount of what is left first.
const (
	lingerBytes   = 2 << 20
	lingerTimeout = 2 * time.Second
)

func lingerDrain(c *fiber.Ctx) {
	body := c.Context().RequestBodyStream()
	if body == nil {
		return
	}
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	}
	_, _ = io.CopyN(io.Discard, body, lingerBytes)
}

// bodyLeftUnread reports whether the request's body was streamed (larger
// than the prefetch, or chunked) and so may not have been read to its end.
func (s *server) bodyLeftUnread(c *fiber.Ctx) bool {
	cl := c.Request().Header.ContentLength()
	return cl == -1 || cl > jsonBodyLimit
}
