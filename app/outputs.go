package app

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	pr, pw := io.Pipe()
	f := &outputFile{id: id, key: b.prefix + id, filename: domain.NormalizeFilename(filename),
		contentType: contentType, pw: pw, done: make(chan struct{})}
	b.files = append(b.files, f)
	go func() {
		defer close(f.done)
		f.info, f.err = b.c.Blobs.Put(context.WithoutCancel(ctx), f.key, pr, ports.PutOptions{ContentType: contentType})
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
			return nil, fmt.Errorf("output %q was not stored: %v", f.filename, f.err)
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
		}
	}
}
