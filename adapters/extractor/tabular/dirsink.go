package tabular

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// DirSink is a ports.OutputSink writing files into a local directory. Each
// file is written to a hidden temp file and renamed into place on Close;
// Discard removes everything the sink created, committed or not.
type DirSink struct {
	dir string

	mu        sync.Mutex
	open      map[*dirFile]struct{}
	committed []string
}

var _ ports.OutputSink = (*DirSink)(nil)

// NewDirSink creates dir if needed and returns a sink writing into it.
func NewDirSink(dir string) (*DirSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	return &DirSink{dir: dir, open: map[*dirFile]struct{}{}}, nil
}

// Create starts a file named after the last element of filename.
func (d *DirSink) Create(ctx context.Context, filename, _ string) (io.WriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := domain.NormalizeFilename(filename)
	f, err := os.CreateTemp(d.dir, "."+name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	df := &dirFile{File: f, ctx: ctx, sink: d, final: filepath.Join(d.dir, name)}
	d.mu.Lock()
	d.open[df] = struct{}{}
	d.mu.Unlock()
	return df, nil
}

// Files returns the committed files' paths in commit order.
func (d *DirSink) Files() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.committed...)
}

// Discard removes the files still open and the committed ones.
func (d *DirSink) Discard() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for f := range d.open {
		_ = f.File.Close() // the file itself: dirFile.Close commits
		_ = os.Remove(f.Name())
	}
	clear(d.open)
	for _, p := range d.committed {
		_ = os.Remove(p)
	}
	d.committed = nil
}

type dirFile struct {
	*os.File
	ctx   context.Context
	sink  *DirSink
	final string
}

// Close commits the file unless its context is done.
func (f *dirFile) Close() error {
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	if _, ok := f.sink.open[f]; !ok {
		return errors.New("output already closed")
	}
	delete(f.sink.open, f)
	err := f.Chmod(0o644)
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.ctx.Err()
	}
	if err == nil {
		err = os.Rename(f.Name(), f.final)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	f.sink.committed = append(f.sink.committed, f.final)
	return nil
}
