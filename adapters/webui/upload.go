package webui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Upload bounds besides the files.
const (
	// maxUploadFiles bounds the files of one upload form.
	maxUploadFiles = 20
	// uploadOverhead is what a body may carry beyond its files.
	uploadOverhead = 256 << 10
	// uploadBuffer sits under the multipart parser (NOTES.md).
	uploadBuffer = 1 << 20
)

// uploadedDoc is one stored file, as the page's script reads it.
type uploadedDoc struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Size     int64  `json:"byte_size"`
	URL      string `json:"url"`
}

// upload answers POST .../documents: a multipart form whose first part
// must be the session's CSRF token (checked before a byte of any file is
// stored), then metadata and expires_at, then one or more files, each
// streamed to the blob store and recorded. The page's script sends one
// file per request (a progress bar each) and reads JSON; a plain form
// post may send several and is redirected to the documents page.
func (s *server) upload(c *fiber.Ctx, req *request) (err error) {
	ct := c.Get(fiber.HeaderContentType)
	mt, params, perr := mime.ParseMediaType(ct)
	if perr != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return s.problem(c, req, &refusal{status: fiber.StatusUnsupportedMediaType, title: "Request refused",
			detail: "Uploads must be sent as multipart/form-data."})
	}
	limit := s.maxUpload
	if cl := c.Request().Header.ContentLength(); cl > 0 && int64(cl) > maxUploadFiles*limit+uploadOverhead {
		return s.problem(c, req, &domain.TooLargeError{LimitBytes: limit})
	}
	body := io.Reader(c.Context().RequestBodyStream())
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	mr := multipart.NewReader(bufio.NewReaderSize(body, uploadBuffer), params["boundary"])
	ctx := c.UserContext()

	// The token first: nothing is stored for a forged form.
	first, perr := mr.NextPart()
	if perr != nil || first.FormName() != csrfField {
		return s.problem(c, req, errBadToken)
	}
	tok, _, perr := readAllLimited(first, 256)
	if perr != nil || !tokensMatch(string(tok), req.sess.CSRF) || (c.Get(csrfHeader) != "" && !tokensMatch(c.Get(csrfHeader), req.sess.CSRF)) {
		return s.problem(c, req, errBadToken)
	}

	var details app.UploadDetails
	var staged []*app.StagedUpload
	defer func() {
		if err != nil {
			for _, st := range staged {
				s.app.Documents.Discard(ctx, st)
			}
		}
	}()
	fail := func(e error) error {
		c.Context().SetConnectionClose() // the rest of the body is not read
		err = e
		return s.problem(c, req, e)
	}
	for {
		part, perr := mr.NextPart()
		if errors.Is(perr, io.EOF) {
			break
		}
		if perr != nil {
			return fail(domain.NewInvalid("the upload was cut short or malformed"))
		}
		switch part.FormName() {
		case "metadata":
			if details.Metadata, perr = readMetadataPart(part); perr != nil {
				return fail(perr)
			}
		case "expires_at":
			if details.ExpiresAt, perr = readExpiryPart(part); perr != nil {
				return fail(perr)
			}
		case "file":
			if part.FileName() == "" {
				// An empty file input sends an unnamed, empty part.
				_, _ = io.Copy(io.Discard, io.LimitReader(part, 1))
				continue
			}
			if len(staged) == maxUploadFiles {
				return fail(domain.NewInvalid("too many files", domain.FieldError{Field: "file", Message: "send at most 20 files at once"}))
			}
			st, serr := s.app.Documents.Stage(ctx, req.ws.ID(), part.FileName(), part.Header.Get(fiber.HeaderContentType), part)
			if serr != nil {
				return fail(serr)
			}
			staged = append(staged, st)
		default:
			return fail(domain.NewInvalid("invalid upload", domain.FieldError{Field: part.FormName(), Message: "is not a field of the upload form"}))
		}
	}
	if len(staged) == 0 {
		return fail(domain.NewInvalid("invalid upload", domain.FieldError{Field: "file", Message: "choose at least one file"}))
	}
	var out []uploadedDoc
	for i, st := range staged {
		doc, cerr := s.app.Documents.Commit(ctx, st, details)
		if cerr != nil {
			staged = staged[i+1:] // Commit discarded its own
			return fail(cerr)
		}
		out = append(out, uploadedDoc{ID: doc.ID(), Filename: doc.Filename(), Size: doc.ByteSize(),
			URL: "/ui/w/" + url.PathEscape(req.ws.Slug()) + "/documents/" + url.PathEscape(doc.ID())})
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"documents": out})
	}
	return c.Redirect("/ui/w/"+url.PathEscape(req.ws.Slug())+"/documents", fiber.StatusSeeOther)
}

// parseExpiry reads a date (end of that day, UTC) or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	return time.Parse(time.RFC3339, s)
}

// readMetadataPart reads the upload form's metadata field: empty, or a
// JSON object of at most domain.MaxMetadataBytes.
func readMetadataPart(part io.Reader) (map[string]any, error) {
	raw, small, err := readAllLimited(part, domain.MaxMetadataBytes)
	if err != nil || !small {
		return nil, domain.NewInvalid("invalid upload", domain.FieldError{Field: "metadata", Message: "must be a JSON object of at most 64 KiB"})
	}
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil || m == nil {
		return nil, domain.NewInvalid("invalid upload", domain.FieldError{Field: "metadata", Message: "must be a JSON object, for example {\"source\": \"crm\"}"})
	}
	return m, nil
}

// readExpiryPart reads the upload form's expires_at field: empty, a date
// or an RFC 3339 time.
func readExpiryPart(part io.Reader) (*time.Time, error) {
	raw, small, err := readAllLimited(part, 64)
	if err != nil || !small {
		return nil, domain.NewInvalid("invalid upload", domain.FieldError{Field: "expires_at", Message: "must be a date"})
	}
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return nil, nil
	}
	t, err := parseExpiry(text)
	if err != nil {
		return nil, domain.NewInvalid("invalid upload", domain.FieldError{Field: "expires_at", Message: "must be a date (YYYY-MM-DD) or a time (RFC 3339)"})
	}
	return &t, nil
}
