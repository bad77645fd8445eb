package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Upload bounds besides the document itself.
const (
	// multipartOverhead is what an upload body may carry beyond the
	// document: boundaries, part headers, metadata and expires_at.
	multipartOverhead = 256 << 10
	// maxExpiresAtBytes bounds the expires_at part.
	maxExpiresAtBytes = 256
	// uploadBuffer sits under the multipart parser, which otherwise reads
	// 4 KiB at a time (NOTES.md: ~30% more throughput).
	uploadBuffer = 1 << 20
)

// countingReader fails with a *domain.TooLargeError once more than max
// bytes have been read through it.
type countingReader struct {
	r     io.Reader
	n     int64
	max   int64
	limit int64 // reported as limit_bytes
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, &domain.TooLargeError{LimitBytes: c.limit}
	}
	var tl *domain.TooLargeError
	if err != nil && err != io.EOF && !errors.As(err, &tl) && !errors.Is(err, errRequestTimeout) {
		err = &requestReadError{err}
	}
	return n, err
}

// requestReadError is a failure to read the request body: a malformed
// multipart body or a client that went away. It is the request's fault,
// unlike a failure of the store the bytes go to.
type requestReadError struct{ err error }

func (e *requestReadError) Error() string { return "read request body: " + e.err.Error() }
func (e *requestReadError) Unwrap() error { return e.err }

// uploadForm collects the non-file parts of an upload.
type uploadForm struct {
	details app.UploadDetails
	fields  []domain.FieldError
}

// uploadDocument handles POST .../documents: a multipart/form-data body
// streamed part by part. With an Idempotency-Key, a repeat of the same
// upload (same file bytes, filename, type, metadata and expiry) answers
// with the first document and keeps nothing of the repeat. The file part goes to the blob store as it
// arrives (app.Documents.Stage); metadata and expires_at may come before or
// after it; the document is recorded once every part was read (Commit), and
// on any failure the staged bytes are discarded.
func (s *server) uploadDocument(c *fiber.Ctx) (err error) {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	boundary, err := multipartBoundary(c.Get(fiber.HeaderContentType))
	if err != nil {
		return err
	}
	// Checked before the body is read: a bad key refuses the upload.
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	limit := s.maxUpload
	if cl := c.Request().Header.ContentLength(); cl > 0 && int64(cl) > limit+multipartOverhead {
		return &domain.TooLargeError{LimitBytes: limit}
	}
	total := &countingReader{r: requestBody(c), max: limit + multipartOverhead, limit: limit}
	mr := multipart.NewReader(bufio.NewReaderSize(total, uploadBuffer), boundary)

	ctx := c.UserContext()
	var staged *app.StagedUpload
	defer func() {
		if err != nil && staged != nil {
			s.app.Documents.Discard(ctx, staged)
		}
	}()
	form := &uploadForm{}
	seenFile := false
	for {
		part, perr := mr.NextPart()
		if errors.Is(perr, io.EOF) {
			break
		}
		if perr != nil {
			return multipartError(perr)
		}
		switch part.FormName() {
		case "file":
			if seenFile {
				return invalid("file", "only one file may be uploaded")
			}
			seenFile = true
			file := &countingReader{r: part, max: limit, limit: limit}
			if len(form.fields) > 0 {
				// The upload is refused already: read the file to find
				// every error, but store nothing.
				if _, err := io.Copy(io.Discard, file); err != nil {
					return multipartError(err)
				}
				continue
			}
			staged, err = s.app.Documents.Stage(ctx, ws.ID(), part.FileName(), part.Header.Get(fiber.HeaderContentType), file)
			if err != nil {
				return partError(err)
			}
		case "metadata":
			if err := form.readMetadata(part); err != nil {
				return err
			}
		case "expires_at":
			if err := form.readExpiresAt(part); err != nil {
				return err
			}
		default:
			return invalid(part.FormName(), "is not a known part (file, metadata, expires_at)")
		}
	}
	if !seenFile {
		form.fields = append([]domain.FieldError{{Field: "file", Message: "is required"}}, form.fields...)
	}
	if len(form.fields) > 0 {
		return domain.NewInvalid("invalid upload", form.fields...)
	}
	// Anything after the closing boundary is ignored, but must not be read
	// as the next request.
	if n, _ := io.CopyN(io.Discard, total, 64<<10); n > 0 {
		c.Context().SetConnectionClose()
	}
	form.details.IdempotencyKey = key
	doc, err := s.app.Documents.Commit(ctx, staged, form.details)
	staged = nil // Commit discards on failure
	if err != nil {
		return err
	}
	s.metrics.uploadBytes.Add(float64(doc.ByteSize()))
	c.Location("/api/v1/workspaces/" + ws.ID() + "/documents/" + doc.ID())
	return ok(c, fiber.StatusCreated, renderDocument(doc))
}

// multipartBoundary checks the Content-Type of an upload.
func multipartBoundary(ct string) (string, error) {
	if ct == "" {
		return "", unsupported("the body must be multipart/form-data; no Content-Type was sent")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "multipart/form-data") {
			return "", invalidf("the multipart Content-Type is malformed")
		}
		return "", unsupported("the body must be multipart/form-data")
	}
	if mt != "multipart/form-data" {
		return "", unsupported("the body must be multipart/form-data")
	}
	b := params["boundary"]
	if b == "" {
		return "", invalidf("the multipart Content-Type has no boundary")
	}
	return b, nil
}

// multipartError turns what the multipart parser reports (a malformed
// part header, a truncated body, a client that went away: every such error
// is the request's, whatever its wording) into an invalid request, keeping
// a size error or a body timeout as it is.
func multipartError(err error) error {
	var tl *domain.TooLargeError
	if errors.As(err, &tl) || errors.Is(err, errRequestTimeout) {
		return err
	}
	return invalidf("the multipart body is malformed or incomplete")
}

// partError sorts the errors of storing a file part: a size error or a
// body timeout stays as it is, a failure to read the request (requestReadError) is an
// invalid request, and anything else (the blob store failing, an unknown
// workspace) passes through to the error table.
func partError(err error) error {
	var tl *domain.TooLargeError
	var re *requestReadError
	switch {
	case errors.As(err, &tl), errors.Is(err, errRequestTimeout):
		return err
	case errors.As(err, &re):
		return invalidf("the multipart body is malformed or incomplete")
	}
	return err
}

// readSmall reads a non-file part of at most max bytes; ok is false when it
// is larger.
func readSmall(part *multipart.Part, max int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(part, max+1))
	if err != nil {
		return nil, false, multipartError(err)
	}
	return b, int64(len(b)) <= max, nil
}

func (f *uploadForm) readMetadata(part *multipart.Part) error {
	raw, small, err := readSmall(part, domain.MaxMetadataBytes)
	if err != nil {
		return err
	}
	if !small {
		f.fields = append(f.fields, domain.FieldError{Field: "metadata", Message: "must be at most 65536 bytes"})
		// Skip the rest of the part (bounded by the body limit).
		if _, err := io.Copy(io.Discard, part); err != nil {
			return multipartError(err)
		}
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		f.fields = append(f.fields, domain.FieldError{Field: "metadata", Message: "must be a JSON object"})
		return nil
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		f.fields = append(f.fields, domain.FieldError{Field: "metadata", Message: "must be a JSON object"})
		return nil
	}
	if err := checkJSONKeys(raw, "metadata"); err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			f.fields = append(f.fields, ve.Fields...)
		}
		return nil
	}
	m, err = domain.ValidateMetadata(m)
	if err != nil {
		f.fields = append(f.fields, domain.MetadataFieldError(err))
		return nil
	}
	f.details.Metadata = m
	return nil
}

func (f *uploadForm) readExpiresAt(part *multipart.Part) error {
	raw, small, err := readSmall(part, maxExpiresAtBytes)
	if err != nil {
		return err
	}
	if !small {
		f.fields = append(f.fields, domain.FieldError{Field: "expires_at", Message: "must be an RFC 3339 time"})
		if _, err := io.Copy(io.Discard, part); err != nil {
			return multipartError(err)
		}
		return nil
	}
	t, perr := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(raw)))
	if perr != nil {
		f.fields = append(f.fields, domain.FieldError{Field: "expires_at", Message: "must be an RFC 3339 time"})
		return nil
	}
	// Checked here too, so a refused upload stores nothing; Commit checks
	// again with the application's clock.
	if err := domain.ValidateExpiry(t, time.Now()); err != nil {
		f.fields = append(f.fields, domain.FieldError{Field: "expires_at", Message: err.Error()})
		return nil
	}
	t = t.UTC()
	f.details.ExpiresAt = &t
	return nil
}
