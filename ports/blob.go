package ports

import (
	"context"
	"io"
)

// BlobInfo describes a stored object.
type BlobInfo struct {
	Size   int64
	SHA256 string // lowercase hex
}

// PutOptions tunes a Put.
type PutOptions struct {
	// MaxBytes is the most bytes the object may have; 0 means no limit.
	MaxBytes int64
	// ContentType is recorded with the object when the store keeps it.
	ContentType string
}

// BlobStore keeps document bytes.
type BlobStore interface {
	// Put MUST stream r into the object at key with bounded memory,
	// computing size and sha256 on the way. It MUST fail with an error
	// matching domain.ErrTooLarge (a *domain.TooLargeError) as soon as more
	// than MaxBytes arrive. On any error, including ctx cancellation, it
	// MUST NOT commit any part of r: a new key stays absent and an object
	// already at key stays unchanged.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (BlobInfo, error)
	// Open MUST return a reader of length bytes from offset (length < 0:
	// to the end); a range past the end is cut at the end and an offset at
	// or past the end gives no bytes. It MUST fail with domain.ErrNotFound
	// when there is no object at key, and with domain.ErrInvalidInput for a
	// negative offset.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Delete MUST remove the object; deleting a missing object is not an
	// error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix MUST remove every object whose key starts with prefix
	// and return how many it removed; an empty prefix MUST be refused with
	// domain.ErrInvalidInput.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
	// Ping MUST fail when the store cannot be reached.
	Ping(ctx context.Context) error
}

// PartialBlobRemover is a BlobStore whose Put, cut off by a crash, can
// leave a partial write beside the object (a temp file). The debris sweep
// calls it for the keys whose writer died.
type PartialBlobRemover interface {
	// RemovePartials MUST remove what interrupted Puts of key left behind
	// and return how many it removed; none is not an error. It is called
	// only for keys no live writer is using.
	RemovePartials(ctx context.Context, key string) (int, error)
}
