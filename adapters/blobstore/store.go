// Package blobstore keeps document bytes in any gocloud.dev bucket: a local
// directory (file://), process memory (mem://) or an S3-compatible service
// (s3://). It implements ports.BlobStore.
//
// Objects are written through a gocloud writer that commits only on Close;
// every failed Put cancels the writer before closing it so that no partial
// object is ever committed.
package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob" // registers mem://
	_ "gocloud.dev/blob/s3blob"  // registers s3://
	"gocloud.dev/gcerrors"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var (
	_ ports.BlobStore          = (*Store)(nil)
	_ ports.PartialBlobRemover = (*Store)(nil)
)

const (
	// chunkSize is the read size of Put's copy loop and so its memory use
	// per call (plus the driver's own buffer).
	chunkSize = 1 << 20
	// uploadPartSize is the driver buffer: the S3 part size (5 MiB is the
	// S3 minimum). fileblob and memblob ignore it.
	uploadPartSize = 5 << 20
	// uploadConcurrency bounds the parts an S3 upload holds in memory.
	uploadConcurrency = 2
	// DefaultStaleTemp is how long a fileblob temp file must have been left
	// untouched before Open removes it as debris of a crashed writer.
	DefaultStaleTemp = time.Hour
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Store is a ports.BlobStore on a gocloud bucket. It is safe for concurrent
// use.
type Store struct {
	bucket *gcblob.Bucket
	scheme string
	// dir is the bucket directory for file:// stores, empty otherwise.
	dir string
	// sync makes file:// Puts fsync the object and its directory.
	sync bool
}

// Option tunes Open.
type Option func(*config)

type config struct {
	sync      bool
	staleTemp time.Duration
}

// WithSync sets whether a file:// Put fsyncs the object before it becomes
// visible and its directory after (default true), so that a committed
// object survives a power loss. Other schemes ignore it.
func WithSync(on bool) Option { return func(c *config) { c.sync = on } }

// WithStaleTemp sets how old (by modification time) a leftover fileblob
// temp file must be for Open to remove it; 0 disables the sweep. The
// default is DefaultStaleTemp, long enough not to race a live writer of
// another process sharing the directory.
func WithStaleTemp(d time.Duration) Option { return func(c *config) { c.staleTemp = d } }

// Open opens the bucket at rawURL: file:///dir, mem:// or
// s3://bucket?endpoint=...&region=...&use_path_style=true.
//
// For file:// it creates the directory, writes temp files beside the
// objects (so the commit is an atomic rename on one file system), writes no
// .attrs sidecars, and removes temp files older than DefaultStaleTemp left
// by a crashed process. Query parameters given in rawURL take precedence.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	cfg := config{sync: true, staleTemp: DefaultStaleTemp}
	for _, o := range opts {
		o(&cfg)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", domain.NewInvalid("invalid blob store URL: "+err.Error()))
	}
	s := &Store{scheme: u.Scheme}
	switch u.Scheme {
	case "file":
		q := u.Query()
		setDefault(q, "create_dir", "true")
		setDefault(q, "no_tmp_dir", "true")
		setDefault(q, "metadata", string(fileblob.MetadataDontWrite))
		u.RawQuery = q.Encode()
		s.dir = fileDir(u)
		s.sync = cfg.sync
	case "mem", "s3":
	default:
		return nil, fmt.Errorf("open blob store: %w", domain.NewInvalid(fmt.Sprintf("unsupported blob store scheme %q (want file, mem or s3)", u.Scheme)))
	}
	b, err := gcblob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", u.Scheme, err)
	}
	s.bucket = b
	if s.dir != "" && cfg.staleTemp > 0 {
		if _, err := s.SweepTemp(ctx, cfg.staleTemp); err != nil {
			_ = b.Close()
			return nil, err
		}
	}
	return s, nil
}

func setDefault(q url.Values, key, value string) {
	if _, ok := q[key]; !ok {
		q.Set(key, value)
	}
}

// fileDir mirrors fileblob's URL opener: host "." marks a relative path.
func fileDir(u *url.URL) string {
	p := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.FromSlash(p)
}

// Close releases the bucket.
func (s *Store) Close() error {
	return s.bucket.Close()
}

// Put streams r into key, computing size and sha256 on the way. Memory is
// bounded by one read chunk plus the driver's part buffer. At most
// MaxBytes+1 bytes are read; on any error no object is committed.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts ports.PutOptions) (_ ports.BlobInfo, err error) {
	if err := checkKey(key); err != nil {
		return ports.BlobInfo{}, fmt.Errorf("put blob: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var file *os.File
	wopts := &gcblob.WriterOptions{
		ContentType: opts.ContentType,
		// Open the driver writer now rather than after sniffing 512 bytes,
		// so BeforeWrite below runs before any byte is written.
		DisableContentTypeDetection: true,
		BufferSize:                  uploadPartSize,
		MaxConcurrency:              uploadConcurrency,
	}
	if s.sync {
		wopts.BeforeWrite = func(as func(any) bool) error {
			as(&file) // fileblob hands out its temp *os.File
			return nil
		}
	}
	w, err := s.bucket.NewWriter(wctx, key, wopts)
	if err != nil {
		return ports.BlobInfo{}, translate("put blob", key, err)
	}
	// Commit only on success: gocloud commits whatever was written when
	// Close runs with a live context, so cancel first on every error path.
	closed := false
	defer func() {
		if err != nil && !closed {
			cancel()
			_ = w.Close()
		}
	}()

	var src io.Reader = r
	if opts.MaxBytes > 0 {
		src = io.LimitReader(r, opts.MaxBytes+1)
	}
	h := sha256.New()
	bufp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bufp)
	buf := *bufp
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return ports.BlobInfo{}, fmt.Errorf("put blob %q: %w", key, err)
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			size += int64(n)
			if opts.MaxBytes > 0 && size > opts.MaxBytes {
				return ports.BlobInfo{}, fmt.Errorf("put blob %q: %w", key, &domain.TooLargeError{LimitBytes: opts.MaxBytes})
			}
			h.Write(buf[:n])
			if _, werr := w.Write(buf[:n]); werr != nil {
				return ports.BlobInfo{}, translate("put blob", key, werr)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return ports.BlobInfo{}, fmt.Errorf("put blob %q: read source: %w", key, rerr)
		}
	}
	if err := ctx.Err(); err != nil {
		return ports.BlobInfo{}, fmt.Errorf("put blob %q: %w", key, err)
	}
	if file != nil {
		if err := file.Sync(); err != nil {
			return ports.BlobInfo{}, fmt.Errorf("put blob %q: sync: %w", key, err)
		}
	}
	// Close is the commit; a failure here has already discarded the object.
	closed = true
	if err := w.Close(); err != nil {
		return ports.BlobInfo{}, translate("put blob", key, err)
	}
	if file != nil {
		if err := syncDir(filepath.Dir(file.Name())); err != nil {
			// Not known durable: withdraw it rather than report a failure
			// and leave the object behind.
			_ = s.bucket.Delete(context.WithoutCancel(ctx), key)
			return ports.BlobInfo{}, fmt.Errorf("put blob %q: sync directory: %w", key, err)
		}
	}
	return ports.BlobInfo{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	return serr
}

// Open returns a reader of length bytes of key from offset (length < 0: to
// the end). A range reaching past the end is cut at the end; an offset at or
// past the end yields no bytes.
func (s *Store) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("open blob %q: %w", key, domain.NewInvalid(fmt.Sprintf("negative offset %d", offset)))
	}
	if length < 0 {
		length = -1
	}
	r, err := s.bucket.NewRangeReader(ctx, key, offset, length, nil)
	if err == nil {
		return r, nil
	}
	terr := translate("open blob", key, err)
	if errors.Is(terr, domain.ErrNotFound) {
		return nil, terr
	}
	// S3 refuses a range starting at or past the end (416 InvalidRange)
	// where the file and memory drivers return no bytes: align on the
	// latter when the object exists and the offset is indeed past its end.
	attrs, aerr := s.bucket.Attributes(ctx, key)
	if aerr != nil {
		return nil, translate("open blob", key, aerr)
	}
	if offset >= attrs.Size || length == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	return nil, terr
}

// Delete removes key; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	err := s.bucket.Delete(ctx, key)
	if err == nil || gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return translate("delete blob", key, err)
}

// DeletePrefix removes every object whose key starts with prefix and
// returns how many it removed. It lists then deletes, so objects written
// under the prefix meanwhile may survive; an empty prefix is refused.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || !utf8.ValidString(prefix) {
		return 0, fmt.Errorf("delete blobs: %w", domain.NewInvalid("a prefix is required"))
	}
	it := s.bucket.List(&gcblob.ListOptions{Prefix: prefix})
	n := 0
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, translate("list blobs", prefix, err)
		}
		if obj.IsDir || (s.dir != "" && isTempName(path.Base(obj.Key))) {
			continue
		}
		if err := s.Delete(ctx, obj.Key); err != nil {
			return n, err
		}
		n++
	}
}

// Ping reports whether the bucket can be reached; failures match
// domain.ErrUnavailable. For file:// it checks the directory exists (a
// listing would walk the whole tree).
func (s *Store) Ping(ctx context.Context) error {
	if s.dir != "" {
		fi, err := os.Stat(s.dir)
		if err != nil {
			return fmt.Errorf("ping blob store: %w: %w", domain.ErrUnavailable, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("ping blob store: %w: %s is not a directory", domain.ErrUnavailable, s.dir)
		}
		return nil
	}
	ok, err := s.bucket.IsAccessible(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("ping blob store: %w: %w", domain.ErrUnavailable, ctx.Err())
		}
		return fmt.Errorf("ping blob store: %w: %w", domain.ErrUnavailable, err)
	}
	if !ok {
		return fmt.Errorf("ping blob store: %w: bucket does not exist", domain.ErrUnavailable)
	}
	return nil
}

// SweepTemp removes fileblob temp files (named <key>.<hex>.tmp) under a
// file:// store's directory whose modification time is older than
// olderThan: debris of writers that crashed before commit. It returns how
// many it removed; for other schemes it does nothing. It walks the whole
// directory, so it belongs at start-up, not on a hot path. An object whose
// own key ends in .<hex>.tmp would be taken for a temp file: keep such keys
// out of file:// stores.
func (s *Store) SweepTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.dir == "" {
		return 0, nil
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(s.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() || !isTempName(d.Name()) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // committed or removed meanwhile
			}
			return err
		}
		if fi.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep blob temp files: %w", err)
	}
	return removed, nil
}

// RemovePartials removes the fileblob temp files of key (<key>.<hex>.tmp)
// whatever their age: the debris sweep calls it for keys whose writer is
// gone. Other schemes keep no partial writes; it does nothing for them.
func (s *Store) RemovePartials(ctx context.Context, key string) (int, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("remove partial blobs: %w", err)
	}
	// fileblob escapes a key that is not a plain local path (../ among
	// others) into another name: such keys are never ADE's, and are left
	// alone rather than looked up outside the directory.
	if s.dir == "" || !filepath.IsLocal(filepath.FromSlash(key)) {
		return 0, nil
	}
	base := filepath.Join(s.dir, filepath.FromSlash(key))
	matches, err := filepath.Glob(escapeGlob(base) + ".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("remove partial blobs: %w", err)
	}
	removed := 0
	for _, m := range matches {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		// <key>.<hex>.tmp exactly: not the temp file of a longer key.
		name, ok := strings.CutPrefix(filepath.Base(m), filepath.Base(base)+".")
		if !ok || !isTempName(filepath.Base(m)) || strings.Count(name, ".") != 1 {
			continue
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("remove partial blobs: %w", err)
		}
		removed++
	}
	return removed, nil
}

// escapeGlob quotes filepath.Match's metacharacters in a literal path.
func escapeGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isTempName matches fileblob's temp names: <base>.<hex nanoseconds>.tmp.
func isTempName(name string) bool {
	rest, ok := strings.CutSuffix(name, ".tmp")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 {
		return false
	}
	for _, c := range rest[i+1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func checkKey(key string) error {
	if key == "" || !utf8.ValidString(key) {
		return domain.NewInvalid(fmt.Sprintf("invalid blob key %q", key))
	}
	return nil
}

// translate maps a gocloud error to the domain error of its kind, keeping
// the original in the chain for logs.
func translate(op, key string, err error) error {
	var kind error
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		kind = domain.ErrNotFound
	case gcerrors.InvalidArgument:
		kind = domain.ErrInvalidInput
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		// Already matches context.Canceled / DeadlineExceeded.
	default:
		var netErr net.Error
		if errors.As(err, &netErr) {
			kind = domain.ErrUnavailable
		}
	}
	if kind == nil {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	return fmt.Errorf("%s %q: %w: %w", op, key, kind, err)
}
