package xlsxstream

import (
	"io"
	"runtime"
	"sync"
)

// Prefetching: a large part is inflated on a goroutine of its own, a few
// chunks ahead of the scanner, so that inflating and scanning overlap.
const (
	prefetchMin    = 1 << 20   // parts declared smaller are read directly
	prefetchChunk  = 256 << 10 // bytes per chunk
	prefetchChunks = 3         // chunks in flight
)

// prefetcher reads src on its own goroutine. Close stops the goroutine
// and closes src; Rows.Close and Workbook.Close call it.
type prefetcher struct {
	src    io.ReadCloser
	chunks chan chunk
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	cur    []byte
	held   []byte // the buffer cur lies in, returned to free once read
	err    error
	once   sync.Once
}

type chunk struct {
	b   []byte
	err error
}

// prefetchReader is what callers hold. Should they drop it without
// closing it, a cleanup stops the goroutine (which holds only the
// prefetcher, not this handle).
type prefetchReader struct{ *prefetcher }

func newPrefetcher(src io.ReadCloser) io.ReadCloser {
	p := &prefetcher{src: src, chunks: make(chan chunk, prefetchChunks), free: make(chan []byte, prefetchChunks),
		done: make(chan struct{}), exited: make(chan struct{})}
	for range prefetchChunks {
		p.free <- make([]byte, prefetchChunk)
	}
	go p.run()
	h := &prefetchReader{p}
	runtime.AddCleanup(h, func(p *prefetcher) { _ = p.Close() }, p)
	return h
}

func (p *prefetcher) run() {
	defer close(p.exited)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.done:
			return
		}
		n, err := io.ReadFull(p.src, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case p.chunks <- chunk{b: buf[:n], err: err}:
		case <-p.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (p *prefetcher) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if p.held != nil {
			p.free <- p.held[:cap(p.held)]
			p.held = nil
		}
		c := <-p.chunks
		p.cur, p.held, p.err = c.b, c.b, c.err
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// Close stops the goroutine, waiting for a read in progress, and closes
// the source.
func (p *prefetcher) Close() error {
	var err error
	p.once.Do(func() {
		close(p.done)
		<-p.exited
		err = p.src.Close()
	})
	return err
}
