package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
)

// rangeError is an unsatisfiable Range; the error handler adds
// Content-Range: bytes */size.
type rangeError struct{ size int64 }

func (e rangeError) Error() string        { return "range not satisfiable" }
func (e rangeError) Is(target error) bool { return target == errRangeNotSatisfiable }

// byteRange is one requested range, end inclusive.
type byteRange struct{ start, end int64 }

// parseRange reads a Range header against a document of size bytes. It
// returns nil when the whole document should be sent: no header, a
// malformed one or several ranges (RFC 9110 lets a server ignore Range);
// a single range outside the document is a rangeError.
func parseRange(header string, size int64) (*byteRange, error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return nil, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return nil, nil
	}
	switch {
	case first == "": // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return nil, nil
		}
		if n == 0 || size == 0 {
			return nil, rangeError{size}
		}
		n = min(n, size)
		return &byteRange{size - n, size - 1}, nil
	default:
		a, err := strconv.ParseInt(first, 10, 64)
		if err != nil || a < 0 {
			return nil, nil
		}
		b := size - 1
		if last != "" {
			b, err = strconv.ParseInt(last, 10, 64)
			if err != nil || b < a {
				return nil, nil
			}
		}
		if a >= size {
			return nil, rangeError{size}
		}
		return &byteRange{a, min(b, size-1)}, nil
	}
}

// etagMatches reports whether an If-None-Match header names etag (or is *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// downloadDocument handles GET .../documents/{document_id}/download: the
// stored bytes, streamed, with conditional (If-None-Match) and single-range
// support. A 304 records no event; 200 and 206 record document.downloaded.
func (s *server) downloadDocument(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "document_id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	doc, err := s.app.Documents.Get(ctx, ws.ID(), id)
	if err != nil {
		return err
	}
	etag := `"` + doc.SHA256() + `"`
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, etag) {
		c.Set(fiber.HeaderETag, etag)
		return c.SendStatus(fiber.StatusNotModified)
	}
	size := doc.ByteSize()
	rng, err := parseRange(c.Get(fiber.HeaderRange), size)
	if err != nil {
		return err
	}
	offset, length := int64(0), int64(-1)
	if rng != nil {
		offset, length = rng.start, rng.end-rng.start+1
	}
	if c.Method() == fiber.MethodHead {
		// HEAD learns the headers of a download without making one: no
		// bytes are opened and no document.downloaded is recorded.
		setDownloadHeaders(c, doc, etag, rng, size)
		c.Context().Response.Header.SetContentLength(int(downloadLength(rng, size)))
		return nil
	}
	body, err := s.app.Documents.OpenBytes(ctx, doc, offset, length)
	if err != nil {
		return err
	}
	setDownloadHeaders(c, doc, etag, rng, size)
	// fasthttp closes the reader once it is sent (or the response reset).
	c.Context().SetBodyStream(body, int(downloadLength(rng, size)))
	return nil
}

// downloadLength is the number of bytes a download sends.
func downloadLength(rng *byteRange, size int64) int64 {
	if rng != nil {
		return rng.end - rng.start + 1
	}
	return size
}

// setDownloadHeaders sets a download's status and headers.
func setDownloadHeaders(c *fiber.Ctx, doc *domain.Document, etag string, rng *byteRange, size int64) {
	c.Set(fiber.HeaderContentType, doc.ContentType())
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc.Filename()))
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set("X-Content-Type-Options", "nosniff")
	if rng != nil {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", rng.start, rng.end, size))
	} else {
		c.Status(fiber.StatusOK)
	}
}

// contentDisposition builds an RFC 6266 attachment header. filename= is a
// quoted ASCII fallback in which anything a client might read otherwise
// becomes '_': non-ASCII and control characters, '"' and '\' (whose
// backslash escapes clients apply inconsistently) and '%' (which some
// clients percent-decode). Whenever the fallback differs from the name,
// filename* (RFC 8187, UTF-8, percent-encoded) carries the exact name, and
// RFC 6266 clients prefer it.
func contentDisposition(name string) string {
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f, r == '"', r == '\\', r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if ascii.String() != name {
		v += "; filename*=UTF-8''" + rfc5987Escape(name)
	}
	return v
}

// rfc5987Escape percent-encodes everything but RFC 5987 attr-chars.
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9') ||
			strings.IndexByte("!#$&+-.^_`|~", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}
