package domain

import (
	"regexp"
	"strings"
	"time"
)

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Document is an uploaded (or job-produced) file: its bytes live in the blob
// store under BlobKey, this aggregate holds what is known about them.
// A document is deleted once; deletion is soft (the record stays, the bytes
// go).
type Document struct {
	s DocumentState
}

// DocumentState is a document's stored form, used by adapters.
type DocumentState struct {
	ID               string
	WorkspaceID      string
	OriginalFilename string
	ContentType      string
	ByteSize         int64
	SHA256           string
	Metadata         map[string]any
	BlobKey          string
	ExpiresAt        time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ProducedByJobID  string
	DeletedAt        *time.Time
	DeletedBy        string
	DeleteReason     string
}

// NewDocumentParams are the inputs of NewDocument.
type NewDocumentParams struct {
	ID              string
	WorkspaceID     string
	Filename        string // normalised with NormalizeFilename
	ContentType     string // empty becomes application/octet-stream
	ByteSize        int64
	SHA256          string // lowercase hex
	Metadata        map[string]any
	BlobKey         string
	ExpiresAt       time.Time // must be after Now
	ProducedByJobID string
	Now             time.Time
}

// NewDocument validates and creates a document.
func NewDocument(p NewDocumentParams) (*Document, error) {
	var fields []FieldError
	if p.ID == "" {
		fields = append(fields, FieldError{"document_id", "is required"})
	}
	if p.WorkspaceID == "" {
		fields = append(fields, FieldError{"workspace_id", "is required"})
	}
	if p.ByteSize < 0 {
		fields = append(fields, FieldError{"byte_size", "must not be negative"})
	}
	if !sha256Pattern.MatchString(p.SHA256) {
		fields = append(fields, FieldError{"sha256", "must be 64 lowercase hex digits"})
	}
	if p.BlobKey == "" {
		fields = append(fields, FieldError{"blob_key", "is required"})
	}
	meta, err := ValidateMetadata(p.Metadata)
	if err != nil {
		fields = append(fields, jsonFieldError("metadata", err))
	}
	if err := ValidateExpiry(p.ExpiresAt, p.Now); err != nil {
		fields = append(fields, FieldError{"expires_at", err.Error()})
	}
	ct := strings.TrimSpace(p.ContentType)
	if err := ValidateLine(ct); err != nil {
		fields = append(fields, FieldError{"content_type", err.Error()})
	}
	if len(fields) > 0 {
		return nil, NewInvalid("invalid document", fields...)
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	now := p.Now.UTC()
	return &Document{s: DocumentState{
		ID:               p.ID,
		WorkspaceID:      p.WorkspaceID,
		OriginalFilename: NormalizeFilename(p.Filename),
		ContentType:      ct,
		ByteSize:         p.ByteSize,
		SHA256:           p.SHA256,
		Metadata:         meta,
		BlobKey:          p.BlobKey,
		ExpiresAt:        p.ExpiresAt.UTC(),
		CreatedAt:        now,
		UpdatedAt:        now,
		ProducedByJobID:  p.ProducedByJobID,
	}}, nil
}

// ValidateMetadata checks a document's metadata as ValidateJSONObject
// does, with at most MaxMetadataBytes. It returns a normalised copy; errors
// are *JSONError.
func ValidateMetadata(m map[string]any) (map[string]any, error) {
	return ValidateJSONObject(m, MaxMetadataBytes)
}

// MetadataFieldError names a ValidateMetadata error as a field error
// ("metadata.a.b").
func MetadataFieldError(err error) FieldError { return jsonFieldError("metadata", err) }

// ValidateExpiry checks that an expiry lies after now and no later than
// MaxTime.
func ValidateExpiry(expiresAt, now time.Time) error {
	if expiresAt.IsZero() || !expiresAt.After(now) {
		return errString("must be in the future")
	}
	if expiresAt.After(MaxTime) {
		return errString("must be no later than 9999-12-31T23:59:59.999999Z (in UTC)")
	}
	return nil
}

// ValidateDeleteReason checks a delete reason: free text (ValidateText) of
// at most MaxDeleteReasonChars characters.
func ValidateDeleteReason(reason string) error {
	if err := ValidateText(reason); err != nil {
		return NewInvalid("invalid delete", FieldError{"reason", err.Error()})
	}
	if len([]rune(reason)) > MaxDeleteReasonChars {
		return NewInvalid("invalid delete", FieldError{"reason", "must be at most 1024 characters"})
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// RehydrateDocument rebuilds a stored document. It is not a constructor: it
// trusts its input.
func RehydrateDocument(s DocumentState) *Document {
	s.Metadata = CloneMap(s.Metadata)
	return &Document{s: s}
}

// State returns a deep copy of the document's stored form.
func (d *Document) State() DocumentState {
	s := d.s
	s.Metadata = CloneMap(s.Metadata)
	if s.DeletedAt != nil {
		t := *s.DeletedAt
		s.DeletedAt = &t
	}
	return s
}

// ID returns the document id.
func (d *Document) ID() string { return d.s.ID }

// WorkspaceID returns the owning workspace's id.
func (d *Document) WorkspaceID() string { return d.s.WorkspaceID }

// Filename returns the normalised original filename.
func (d *Document) Filename() string { return d.s.OriginalFilename }

// ContentType returns the recorded media type.
func (d *Document) ContentType() string { return d.s.ContentType }

// ByteSize returns the stored size in bytes.
func (d *Document) ByteSize() int64 { return d.s.ByteSize }

// SHA256 returns the lowercase hex sha256 of the bytes.
func (d *Document) SHA256() string { return d.s.SHA256 }

// BlobKey returns where the bytes live in the blob store.
func (d *Document) BlobKey() string { return d.s.BlobKey }

// ExpiresAt returns when the document may be purged.
func (d *Document) ExpiresAt() time.Time { return d.s.ExpiresAt }

// ProducedByJobID returns the job that produced the document, or "".
func (d *Document) ProducedByJobID() string { return d.s.ProducedByJobID }

// IsDeleted reports whether the document was deleted.
func (d *Document) IsDeleted() bool { return d.s.DeletedAt != nil }

// IsExpired reports whether the document's expiry has passed at now.
func (d *Document) IsExpired(now time.Time) bool { return !now.Before(d.s.ExpiresAt) }

// Delete marks the document deleted by the given actor id. A document is
// deleted once: a second call fails with ErrNotFound, as the document no
// longer exists for its callers. The reason is free text (ValidateText) of
// at most 1024 characters.
func (d *Document) Delete(by, reason string, now time.Time) error {
	if d.IsDeleted() {
		return ErrNotFound
	}
	if err := ValidateDeleteReason(reason); err != nil {
		return err
	}
	t := now.UTC()
	d.s.DeletedAt = &t
	d.s.DeletedBy = by
	d.s.DeleteReason = reason
	d.s.UpdatedAt = t
	return nil
}
