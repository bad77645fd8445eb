package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// DocumentService uploads, reads and deletes documents.
type DocumentService struct{ c *core }

// UploadRequest describes an upload. Body is streamed to the blob store.
type UploadRequest struct {
	WorkspaceID string
	Filename    string
	// ContentType is the client's declared type; empty or generic types
	// (application/octet-stream) are replaced by one sniffed from the
	// first bytes and the filename's extension.
	ContentType string
	Metadata    map[string]any
	// ExpiresAt defaults to now + the retention period.
	ExpiresAt *time.Time
	Body      io.Reader
	// IdempotencyKey: see UploadDetails.
	IdempotencyKey string
}

// UploadDetails are the parts of an upload that may arrive after its
// bytes (multipart fields that follow the file part).
type UploadDetails struct {
	Metadata  map[string]any
	ExpiresAt *time.Time
	// IdempotencyKey, when set, makes the upload safe to repeat for
	// domain.IdempotencyKeyTTL: the same key with the same upload returns
	// the first document; with another upload it is a conflict. An upload
	// is fingerprinted by its normalised filename, content type, the
	// SHA-256 and size of its bytes, its metadata and its expires_at.
	IdempotencyKey string
}

// StagedUpload is an upload whose bytes are stored but not yet recorded.
// Commit or Discard it.
type StagedUpload struct {
	workspaceID string
	id          string
	key         string
	filename    string
	contentType string
	info        ports.BlobInfo
}

// Size returns the staged byte count.
func (s *StagedUpload) Size() int64 { return s.info.Size }

// Upload validates the request, streams the body to the blob store
// (size-limited, hashed on the way) and records the document with its
// document.uploaded event. On any failure nothing remains: no blob, no row.
func (s *DocumentService) Upload(ctx context.Context, req UploadRequest) (*domain.Document, error) {
	details := UploadDetails{Metadata: req.Metadata, ExpiresAt: req.ExpiresAt, IdempotencyKey: req.IdempotencyKey}
	if err := s.validateDetails(details); err != nil {
		return nil, err
	}
	staged, err := s.Stage(ctx, req.WorkspaceID, req.Filename, req.ContentType, req.Body)
	if err != nil {
		return nil, err
	}
	return s.Commit(ctx, staged, details)
}

func (s *DocumentService) validateDetails(d UploadDetails) error {
	if d.IdempotencyKey != "" {
		if err := domain.ValidateIdempotencyKey(d.IdempotencyKey); err != nil {
			return err
		}
	}
	var fields []domain.FieldError
	if _, err := domain.ValidateMetadata(d.Metadata); err != nil {
		fields = append(fields, domain.MetadataFieldError(err))
	}
	if d.ExpiresAt != nil {
		if err := domain.ValidateExpiry(*d.ExpiresAt, s.c.Clock.Now()); err != nil {
			fields = append(fields, domain.FieldError{Field: "expires_at", Message: err.Error()})
		}
	}
	if len(fields) > 0 {
		return domain.NewInvalid("invalid upload", fields...)
	}
	return nil
}

// Stage streams an upload's bytes to the blob store without recording a
// document, for callers that learn the upload's details after its bytes.
// Over the size limit it fails with a *domain.TooLargeError and keeps
// nothing.
func (s *DocumentService) Stage(ctx context.Context, workspaceID, filename, contentType string, body io.Reader) (*StagedUpload, error) {
	if _, err := s.c.Repos.Workspaces.Get(ctx, workspaceID); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	filename = domain.NormalizeFilename(filename)
	br := bufio.NewReaderSize(body, 64<<10)
	head, _ := br.Peek(512) // a short or failing read shows up in Put
	ct := detectContentType(contentType, filename, head)
	id := s.c.IDs.NewID()
	key := blobKey(workspaceID, id)
	// The intent comes first: if the process dies with the bytes stored
	// and no row, the debris sweep finds the intent and removes them.
	if err := s.c.intend(ctx, workspaceID, key); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	info, err := s.c.Blobs.Put(ctx, key, br, ports.PutOptions{MaxBytes: s.c.Config.MaxUploadBytes, ContentType: ct})
	if err != nil {
		s.c.forget(ctx, key) // Put committed nothing
		return nil, fmt.Errorf("upload: %w", err)
	}
	return &StagedUpload{workspaceID: workspaceID, id: id, key: key, filename: filename, contentType: ct, info: info}, nil
}

// Commit records a staged upload with its details and document.uploaded
// event, resolving its blob intent in the same transaction. When the
// details are invalid or recording fails, the staged bytes are removed.
func (s *DocumentService) Commit(ctx context.Context, staged *StagedUpload, d UploadDetails) (*domain.Document, error) {
	now := s.c.Clock.Now()
	expires := now.Add(s.c.Config.DocumentRetention)
	if d.ExpiresAt != nil {
		expires = *d.ExpiresAt
	}
	doc, err := domain.NewDocument(domain.NewDocumentParams{
		ID: staged.id, WorkspaceID: staged.workspaceID, Filename: staged.filename,
		ContentType: staged.contentType, ByteSize: staged.info.Size, SHA256: staged.info.SHA256,
		Metadata: d.Metadata, BlobKey: staged.key, ExpiresAt: expires, Now: now,
	})
	var claim, first *domain.IdempotencyRecord
	if err == nil && d.IdempotencyKey != "" {
		claim, err = s.uploadClaim(staged, d)
	}
	if err == nil {
		err = s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
			if err := s.c.settle(ctx, staged.key); err != nil {
				return err
			}
			if claim != nil {
				claim.ResourceID = doc.ID()
				var err error
				if first, err = s.c.claim(ctx, *claim); err != nil {
					return err
				}
				if first != nil {
					return errReplay
				}
			}
			if err := s.c.Repos.Documents.Create(ctx, doc); err != nil {
				return err
			}
			return s.c.record(ctx, doc.WorkspaceID(), domain.EventDocumentUploaded, domain.EntityDocument, doc.ID(),
				map[string]any{"filename": doc.Filename(), "byte_size": doc.ByteSize(), "sha256": doc.SHA256(), "content_type": doc.ContentType()})
		})
	}
	if first != nil {
		// The same upload was made before with this key: answer with its
		// document and keep nothing of this one.
		s.Discard(ctx, staged)
		return s.c.Repos.Documents.Get(ctx, staged.workspaceID, first.ResourceID)
	}
	if err != nil {
		s.Discard(ctx, staged)
		return nil, fmt.Errorf("upload: %w", err)
	}
	return doc, nil
}

// uploadClaim fingerprints a staged upload and its details for its
// idempotency key.
func (s *DocumentService) uploadClaim(staged *StagedUpload, d UploadDetails) (*domain.IdempotencyRecord, error) {
	metadata := d.Metadata
	if metadata == nil {
		metadata = map[string]any{}
	}
	var expires any
	if d.ExpiresAt != nil {
		expires = d.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	return s.c.idempotencyClaim(staged.workspaceID, d.IdempotencyKey, statusCreated, "upload_document", map[string]any{
		"filename": staged.filename, "content_type": staged.contentType, "sha256": staged.info.SHA256,
		"byte_size": staged.info.Size, "metadata": metadata, "expires_at": expires,
	})
}

// Discard removes a staged upload's bytes, then its blob intent; bytes it
// cannot remove keep their intent, for the debris sweep.
func (s *DocumentService) Discard(ctx context.Context, staged *StagedUpload) {
	if err := s.c.Blobs.Delete(context.WithoutCancel(ctx), staged.key); err != nil {
		s.c.Logger.ErrorContext(ctx, "discard staged upload", "key", staged.key, "error", err)
		return
	}
	s.c.forget(ctx, staged.key)
}

// Get returns a document that is not deleted. An expired document stays
// readable until the purge sweep (Maintenance.PurgeExpired) removes it.
func (s *DocumentService) Get(ctx context.Context, workspaceID, id string) (*domain.Document, error) {
	d, err := s.c.Repos.Documents.Get(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if d.IsDeleted() {
		return nil, fmt.Errorf("document %q: %w", id, domain.ErrNotFound)
	}
	return d, nil
}

// List returns the workspace's documents that are not deleted, newest
// first.
func (s *DocumentService) List(ctx context.Context, workspaceID string, p PageRequest) (Page[*domain.Document], error) {
	return list(p, func(pp ports.Page) ([]*domain.Document, error) {
		return s.c.Repos.Documents.List(ctx, workspaceID, ports.DocumentFilter{}, pp)
	})
}

// Open returns a document and a reader of length bytes of it from offset
// (length < 0: to the end), recording a document.downloaded event.
func (s *DocumentService) Open(ctx context.Context, workspaceID, id string, offset, length int64) (*domain.Document, io.ReadCloser, error) {
	d, err := s.Get(ctx, workspaceID, id)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.OpenBytes(ctx, d, offset, length)
	if err != nil {
		return nil, nil, err
	}
	return d, rc, nil
}

// OpenBytes is Open for a document the caller has just read with Get (to
// answer conditional requests first), so it is not read twice.
func (s *DocumentService) OpenBytes(ctx context.Context, d *domain.Document, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 || offset > d.ByteSize() {
		return nil, domain.NewInvalid("invalid range", domain.FieldError{Field: "range", Message: "starts outside the document"})
	}
	// Open the bytes first: a download that cannot start is no download.
	rc, err := s.c.Blobs.Open(ctx, d.BlobKey(), offset, length)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		return s.c.record(ctx, d.WorkspaceID(), domain.EventDocumentDownloaded, domain.EntityDocument, d.ID(),
			map[string]any{"offset": offset, "length": length})
	}); err != nil {
		rc.Close()
		return nil, fmt.Errorf("download: %w", err)
	}
	return rc, nil
}

// Delete soft-deletes a document (the record keeps who and why) with its
// document.deleted event, then removes the stored bytes. A document is
// deleted once: afterwards it is not found.
func (s *DocumentService) Delete(ctx context.Context, workspaceID, id, reason string) error {
	var doc *domain.Document
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		doc, err = s.c.Repos.Documents.Update(ctx, workspaceID, id, func(d *domain.Document) error {
			return d.Delete(ActorFrom(ctx).ID, reason, s.c.Clock.Now())
		})
		if err != nil {
			return err
		}
		// The bytes go after the commit: the intent written with the row
		// has the debris sweep remove them if this process dies first.
		if err := s.c.intend(ctx, workspaceID, doc.BlobKey()); err != nil {
			return err
		}
		return s.c.record(ctx, workspaceID, domain.EventDocumentDeleted, domain.EntityDocument, id,
			map[string]any{"reason": reason})
	})
	if err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	s.c.removeBytes(ctx, doc)
	return nil
}

// removeBytes deletes a document's blob after its row says it is gone,
// then the blob intent written with the row. A failure is logged and
// leaves the intent for the debris sweep: the row is already
// authoritative and the blob is unreachable through the API.
func (c *core) removeBytes(ctx context.Context, d *domain.Document) {
	if err := c.Blobs.Delete(context.WithoutCancel(ctx), d.BlobKey()); err != nil {
		c.Logger.ErrorContext(ctx, "remove document bytes", "document_id", d.ID(), "error", err)
		return
	}
	c.forget(ctx, d.BlobKey())
}

// Events returns a document's event timeline, oldest first.
func (s *DocumentService) Events(ctx context.Context, workspaceID, id string, p PageRequest) (Page[*domain.Event], error) {
	if _, err := s.c.Repos.Documents.Get(ctx, workspaceID, id); err != nil {
		return Page[*domain.Event]{}, err
	}
	return list(p, func(pp ports.Page) ([]*domain.Event, error) {
		return s.c.Repos.Events.List(ctx, workspaceID, ports.EventFilter{EntityType: domain.EntityDocument, EntityID: id, Ascending: true}, pp)
	})
}

func blobKey(workspaceID, documentID string) string {
	return "documents/" + workspaceID + "/" + documentID
}

var extensionTypes = map[string]string{
	".csv":  "text/csv",
	".tsv":  "text/tab-separated-values",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xls":  "application/vnd.ms-excel",
	".json": "application/json",
	".pdf":  "application/pdf",
}

// detectContentType keeps a specific declared type (a valid media type on
// one line), else sniffs the first bytes and refines generic results (zip,
// plain text) by the extension.
func detectContentType(declared, filename string, head []byte) string {
	if mt, _, err := mime.ParseMediaType(declared); err == nil && mt != "application/octet-stream" && mt != "" &&
		domain.ValidateLine(declared) == nil {
		return declared
	}
	sniffed := http.DetectContentType(head)
	mt, _, _ := mime.ParseMediaType(sniffed)
	byExt := extensionTypes[strings.ToLower(path.Ext(filename))]
	switch {
	case byExt == "":
		return sniffed
	case mt == "application/zip" && strings.HasSuffix(byExt, ".sheet"):
		return byExt
	case strings.HasPrefix(mt, "text/") && strings.HasPrefix(byExt, "text/"):
		return byExt
	case mt == "application/octet-stream" && !strings.HasPrefix(byExt, "text/"):
		return byExt
	}
	return sniffed
}
