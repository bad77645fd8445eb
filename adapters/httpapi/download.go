package httpapi

import (
	"fmt"
	"mime"
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

// ifRangeMatches reports whether a Range may be honoured under an
// If-Range header (RFC 9110 13.1.5): with none, yes; with an entity tag,
// only when it is the document's (strong) tag; with a date, never, since
// downloads carry no Last-Modified to compare it with. When it is false
// the whole document is sent.
func ifRangeMatches(header, etag string) bool {
	header = strings.TrimSpace(header)
	return header == "" || header == etag
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
	var rng *byteRange
	if ifRangeMatches(c.Get(fiber.HeaderIfRange), etag) {
		if rng, err = parseRange(c.Get(fiber.HeaderRange), size); err != nil {
			return err
		}
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
	c.Set(fiber.HeaderContentType, servedType(doc.ContentType()))
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

// servedTypes are the media types a download is served as when they are
// what the document was recorded with: the formats ADE reads and writes,
// and a few inert ones. Anything else (text/html, image/svg+xml, a type
// a browser would run or render) is served as application/octet-stream:
// the recorded type is the uploader's word, and a download must not become
// a page on this server's origin.
var servedTypes = map[string]bool{
	"text/csv": true, "text/tab-separated-values": true, "text/plain": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true,
	"application/vnd.ms-excel.sheet.macroenabled.12":                    true,
	"application/vnd.ms-excel":                                          true,
	"application/json":                                                  true,
	"application/pdf":                                                   true,
	"application/zip":                                                   true,
	"application/octet-stream":                                          true,
}

// servedCharsets are the charsets a text download keeps from its recorded
// type; another (utf-7, say, which some browsers decoded into markup) is
// dropped.
var servedCharsets = map[string]bool{"utf-8": true, "us-ascii": true, "iso-8859-1": true, "windows-1252": true, "utf-16": true, "utf-16le": true, "utf-16be": true}

// servedType is the Content-Type a download is served with: the recorded
// type when servedTypes allows it, reduced to its charset parameter (text
// types, servedCharsets only), else application/octet-stream.
func servedType(recorded string) string {
	mt, params, err := mime.ParseMediaType(recorded)
	if err != nil || !servedTypes[mt] {
		return "application/octet-stream"
	}
	if cs := strings.ToLower(params["charset"]); strings.HasPrefix(mt, "text/") && servedCharsets[cs] {
		return mime.FormatMediaType(mt, map[string]string{"charset": cs})
	}
	return mt
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
