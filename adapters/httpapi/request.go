package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/oklog/ulid/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// jsonBodyLimit bounds a JSON request body; it is also the stream prefetch
// size, so JSON bodies are read into memory before the handler runs.
const jsonBodyLimit = 1 << 20

// validID reports whether s is a well-formed ULID. Malformed ids answer 404
// without a lookup: they name nothing.
func validID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// pathID returns the path parameter name, or a not-found error when it
// cannot be an id.
func pathID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if !validID(id) {
		return "", fmt.Errorf("%s: %w", name, domain.ErrNotFound)
	}
	return id, nil
}

// workspace returns the {ws} of the request, which the guard resolved and
// authorised.
func (s *server) workspace(c *fiber.Ctx) (*domain.Workspace, error) {
	if ws, ok := c.Locals(localWorkspace).(*domain.Workspace); ok {
		return ws, nil
	}
	return nil, errors.New("httpapi: the guard did not resolve the route's workspace")
}

// resource resolves the request's workspace and the id in path parameter
// name: the two lookups every handler of one resource starts with.
func (s *server) resource(c *fiber.Ctx, name string) (*domain.Workspace, string, error) {
	ws, err := s.workspace(c)
	if err != nil {
		return nil, "", err
	}
	id, err := pathID(c, name)
	if err != nil {
		return nil, "", err
	}
	return ws, id, nil
}

// page reads the limit and offset query parameters.
func page(c *fiber.Ctx) (app.PageRequest, error) {
	p := app.PageRequest{Limit: app.DefaultPageLimit}
	args := c.Context().QueryArgs()
	var fields []domain.FieldError
	if args.Has("limit") {
		n, err := strconv.Atoi(string(args.Peek("limit")))
		if err != nil || n < 1 || n > app.MaxPageLimit {
			fields = append(fields, domain.FieldError{Field: "limit", Message: fmt.Sprintf("must be an integer between 1 and %d", app.MaxPageLimit)})
		}
		p.Limit = n
	}
	if args.Has("offset") {
		n, err := strconv.Atoi(string(args.Peek("offset")))
		if err != nil || n < 0 {
			fields = append(fields, domain.FieldError{Field: "offset", Message: "must be an integer >= 0"})
		}
		p.Offset = n
	}
	if len(fields) > 0 {
		return p, domain.NewInvalid("invalid page", fields...)
	}
	return p, nil
}

// queryBool reads an optional boolean query parameter ("true" / "false").
func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	args := c.Context().QueryArgs()
	if !args.Has(name) {
		return nil, nil
	}
	switch string(args.Peek(name)) {
	case "true":
		v := true
		return &v, nil
	case "false":
		v := false
		return &v, nil
	}
	return nil, invalid(name, "must be true or false")
}

// requireJSON checks that the request declares a JSON body.
func requireJSON(c *fiber.Ctx) error {
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" {
		return unsupported("the body must be application/json; no Content-Type was sent")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return unsupported("the body must be application/json")
	}
	return nil
}

// requestBody returns the request's body: the stream of a body larger than
// the prefetch (or chunked), read with the transport's per-read timeout and
// minimum rate (the middleware leaves the transport in the locals), or the
// prefetched bytes.
func requestBody(c *fiber.Ctx) io.Reader {
	r := c.Context().RequestBodyStream()
	if r == nil {
		return bytes.NewReader(c.Body())
	}
	if t, ok := c.Locals(localTransport).(Transport); ok {
		return newGuardedBody(r, c.Context().Conn(), t)
	}
	return r
}

// readBody reads the whole request body up to limit bytes; more is a
// *domain.TooLargeError, a body that stops arriving a body timeout.
func readBody(c *fiber.Ctx, limit int64) ([]byte, error) {
	if cl := c.Request().Header.ContentLength(); cl > 0 && int64(cl) > limit {
		return nil, &domain.TooLargeError{LimitBytes: limit}
	}
	b, err := io.ReadAll(io.LimitReader(requestBody(c), limit+1))
	if errors.Is(err, errRequestTimeout) {
		return nil, err
	}
	if err != nil {
		return nil, invalidf("the request body could not be read")
	}
	if int64(len(b)) > limit {
		return nil, &domain.TooLargeError{LimitBytes: limit}
	}
	return b, nil
}

// decodeJSON reads a JSON object body into v strictly: the Content-Type must
// be JSON, unknown fields, wrong types and a key given twice (at any depth)
// are refused naming the field, and nothing may follow the object. Numbers
// in free-form members (a payload) decode as json.Number, every digit kept.
func decodeJSON(c *fiber.Ctx, v any) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	b, err := readBody(c, jsonBodyLimit)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

func unmarshalStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return invalidf("the request body is empty; a JSON object is required")
	}
	if bytes.TrimSpace(b)[0] != '{' {
		return invalidf("the request body must be a JSON object")
	}
	if err := checkJSONKeys(b, ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidf("the request body must hold one JSON object and nothing after it")
	}
	return nil
}

// checkJSONKeys refuses a JSON document in which one object holds a key
// twice, at any depth, naming the key's path under prefix (encoding/json
// would silently keep the last value). A syntax error is left to the
// decoder that reads the document next.
func checkJSONKeys(b []byte, prefix string) error {
	type frame struct {
		object  bool
		path    string
		keys    map[string]struct{}
		key     string // the member being read
		wantKey bool
		index   int // the element being read
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder reports
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		valuePath := func() string {
			switch {
			case top == nil:
				return prefix
			case top.object:
				return domain.JoinFieldPath(top.path, top.key)
			}
			return top.path + "[" + strconv.Itoa(top.index) + "]"
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, &frame{object: t == '{', path: valuePath(), keys: map[string]struct{}{}, wantKey: t == '{'})
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				continue
			}
			top = stack[len(stack)-1]
		case string:
			if top != nil && top.object && top.wantKey {
				if _, dup := top.keys[t]; dup {
					return invalid(domain.JoinFieldPath(top.path, t), "appears more than once; each key may be given once")
				}
				top.keys[t] = struct{}{}
				top.key, top.wantKey = t, false
				continue
			}
		}
		// A value ended.
		if top != nil {
			if top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
	}
}

// jsonError turns a decoding error into an invalid request naming the
// field when there is one; it never echoes the body.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, "must be "+jsonKind(te.Type.Kind().String()))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return invalidf("the request body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "is not a known field")
	}
	return invalidf("the request body is not valid JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "float64", "float32":
		return "a number"
	}
	return "of another type"
}

// respondOne is the whole of a handler that reads one resource: resolve
// the workspace and the id in path parameter param, call fetch, render
// its result with 200.
func respondOne[T, R any](c *fiber.Ctx, s *server, param string,
	fetch func(ctx context.Context, workspaceID, id string) (T, error), render func(T) R) error {
	ws, id, err := s.resource(c, param)
	if err != nil {
		return err
	}
	v, err := fetch(c.UserContext(), ws.ID(), id)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, render(v))
}

// respondTimeline is the whole of a handler that pages through one
// resource's events.
func respondTimeline(c *fiber.Ctx, s *server, param string,
	fetch func(ctx context.Context, workspaceID, id string, p app.PageRequest) (app.Page[*domain.Event], error)) error {
	ws, id, err := s.resource(c, param)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := fetch(c.UserContext(), ws.ID(), id, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderEvent))
}
