package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// outputPrefix is the blob key prefix of a job's output files.
func outputPrefix(workspaceID, jobID string) string {
	return "outputs/" + workspaceID + "/" + jobID + "/"
}

// blobSink stores an extraction's output files as blobs and remembers them
// so they become documents when the job succeeds, or are removed when it
// does not.
type blobSink struct {
	c           *core
	workspaceID string
	// prefix is where the files go (outputPrefix of the job): a later
	// attempt of the job removes whatever a lost one left there.
	prefix string
	mu     sync.Mutex
	closed bool
	files  []*outputFile
}

type outputFile struct {
	id, key, filename, contentType string
	pw                             *io.PipeWriter
	done                           chan struct{}
	info                           ports.BlobInfo
	err                            error
	committed                      bool
}

// Create starts an output file; it streams to the blob store as written.
func (b *blobSink) Create(ctx context.Context, filename, contentType string) (io.WriteCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("output sink is closed: the job has ended")
	}
	id := b.c.IDs.NewID()
	key := b.prefix + id
	if err := b.c.intend(ctx, b.workspaceID, key); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	f := &outputFile{id: id, key: key, filename: domain.NormalizeFilename(filename),
		contentType: contentType, pw: pw, done: make(chan struct{})}
	b.files = append(b.files, f)
	go func() {
		defer close(f.done)
		f.info, f.err = b.c.Blobs.Put(context.WithoutCancel(ctx), f.key, pr, ports.PutOptions{ContentType: contentType})
		if f.err != nil {
			b.c.Logger.ErrorContext(ctx, "store job output", "key", f.key, "error", f.err)
			f.err = newStoreFault(CodeExtractionFailed, "output "+strconv.Quote(f.filename), "stored", f.err)
		}
		pr.CloseWithError(f.err) // unblocks a writer if Put stopped early
	}()
	return &outputWriter{f: f}, nil
}

type outputWriter struct {
	f    *outputFile
	once sync.Once
	err  error
}

func (w *outputWriter) Write(p []byte) (int, error) { return w.f.pw.Write(p) }

// Close commits the file: it returns once the blob store has it.
func (w *outputWriter) Close() error {
	w.once.Do(func() {
		w.f.pw.Close()
		<-w.f.done
		w.err = w.f.err
		w.f.committed = w.err == nil
	})
	return w.err
}

// documents closes the sink and returns a document for every committed
// file; a file left open or failed is an error.
func (b *blobSink) documents(jobID string, now time.Time) ([]*domain.Document, error) {
	b.mu.Lock()
	b.closed = true
	files := b.files
	b.mu.Unlock()
	docs := make([]*domain.Document, 0, len(files))
	for _, f := range files {
		select {
		case <-f.done:
		default:
			return nil, fmt.Errorf("output %q was not closed", f.filename)
		}
		if !f.committed {
			return nil, f.err
		}
		d, err := domain.NewDocument(domain.NewDocumentParams{
			ID: f.id, WorkspaceID: b.workspaceID, Filename: f.filename, ContentType: f.contentType,
			ByteSize: f.info.Size, SHA256: f.info.SHA256, BlobKey: f.key,
			ExpiresAt: now.Add(b.c.Config.DocumentRetention), ProducedByJobID: jobID, Now: now,
		})
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// discard aborts open files and removes stored ones.
func (b *blobSink) discard(ctx context.Context) {
	b.mu.Lock()
	b.closed = true
	files := b.files
	b.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	for _, f := range files {
		f.pw.CloseWithError(errors.New("output discarded"))
		<-f.done
		if err := b.c.Blobs.Delete(ctx, f.key); err != nil {
			b.c.Logger.ErrorContext(ctx, "remove discarded output", "key", f.key, "error", err)
			continue // the intent stays, for the debris sweep
		}
		b.c.forget(ctx, f.key)
	}
}

// storeFault is a blob store failure as a job reports it: what could not
// be read or stored and why in the domain's terms (missing, unavailable),
// without the store's own text, which names server paths and keys (it is
// logged instead).
type storeFault struct {
	code, what, verb string
	kind             error
}

func newStoreFault(code, what, verb string, err error) *storeFault {
	kind := domain.ErrUnavailable
	if errors.Is(err, domain.ErrNotFound) {
		kind = domain.ErrNotFound
	}
	return &storeFault{code: code, what: what, verb: verb, kind: kind}
}

// Error implements error.
func (f *storeFault) Error() string {
	if f.kind == domain.ErrNotFound {
		return f.what + " could not be " + f.verb + ": missing from the blob store"
	}
	return f.what + " could not be " + f.verb + ": the blob store failed"
}

// Unwrap returns the domain kind.
func (f *storeFault) Unwrap() error { return f.kind }
