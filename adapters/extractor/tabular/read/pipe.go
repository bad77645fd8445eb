package read

import "fmt"

// pipedRows reads a sheet's rows from src on a goroutine of its own and
// hands them over in batches, in order, so that reading the next rows
// overlaps with detecting and writing the ones before. A batch ends as a
// CSV batch does (rows, cells, bytes), so what waits is bounded whatever
// the rows' size. Rows from src must stay valid after the next call of its
// Next (the XLSX reader's do: their cells are carved from slabs that are
// never reused).
type pipedRows struct {
	src     Rows
	batches chan pipedBatch
	done    chan struct{}
	exited  chan struct{}
	cur     []*Row
	err     error
	closed  bool
}

type pipedBatch struct {
	rows []*Row
	err  error // io.EOF at the end
}

func pipe(src Rows) *pipedRows {
	p := &pipedRows{src: src, batches: make(chan pipedBatch, csvBatchesAhead), done: make(chan struct{}), exited: make(chan struct{})}
	go p.run()
	return p
}

func (p *pipedRows) run() {
	defer close(p.exited)
	defer func() {
		if v := recover(); v != nil {
			select {
			case p.batches <- pipedBatch{err: Fail(CodeCorruptInput, "the document could not be read", fmt.Errorf("panic: %v", v))}:
			case <-p.done:
			}
		}
	}()
	for {
		var b pipedBatch
		for cells, size := 0, 0; len(b.rows) < csvBatchRows && cells < csvBatchCells && size < csvBatchBytes; {
			r, err := p.src.Next()
			if err != nil {
				b.err = err
				break
			}
			b.rows = append(b.rows, r)
			cells += len(r.Cells)
			for _, c := range r.Cells {
				size += len(c)
			}
		}
		select {
		case p.batches <- b:
		case <-p.done:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// Next returns the next row.
func (p *pipedRows) Next() (*Row, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return nil, p.err
		}
		b := <-p.batches
		p.cur, p.err = b.rows, b.err
	}
	r := p.cur[0]
	p.cur = p.cur[1:]
	return r, nil
}

// Close stops the reading goroutine, waits for it and closes src.
func (p *pipedRows) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.done)
	<-p.exited
	return p.src.Close()
}

var _ Rows = (*pipedRows)(nil)
