package xlsxstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"unsafe"
)

// Layout of spilled shared strings.
const (
	sparseStep = 32       // one offset kept in memory every sparseStep strings
	pageSize   = 64 << 10 // unit read from the spill file
	cacheSlots = 64       // pages kept in memory (direct-mapped): 4 MiB
	// maxArena bounds in-memory shared strings whatever the options say:
	// their offsets are 32-bit.
	maxArena = 1 << 31
	// offBlock is how many offsets one block holds.
	offBlockShift = 16
	offBlock      = 1 << offBlockShift
)

// sharedStrings is the shared-strings table. While it fits in its memory
// budget it lives in chunks of memory (1 MiB, or a power of two that holds
// the largest cell) that are never written again once an item is in them,
// so that cell values can be slices of them, with a 32-bit offset per
// item; neither chunks nor offsets are ever copied to grow. Past the
// budget it lives in a temporary file, each item as a uvarint length and
// its bytes, with the offset of every 32nd item in memory and a small page
// cache: memory is bounded whatever the table's size, and the items a
// sheet reads in order (how spreadsheet programs number them) cost one
// cached read each.
type sharedStrings struct {
	n int

	// In memory: item i starts at virtual offset off(i) (chunk off>>shift,
	// byte off&mask) and ends at off(i+1), or at its chunk's end when the
	// next item starts a new chunk.
	chunks []string
	offs   [][]uint32 // blocks of offBlock offsets; n+1 offsets in all
	shift  uint

	f      *os.File // spilled: the items; unlinked as soon as created
	path   string   // spilled: set when the early unlink failed; removed at close
	sparse []int64  // spilled: offset of item k*sparseStep
	slots  [cacheSlots]cacheSlot
	next   int   // spilled: the item after the last one read,
	nextAt int64 // and its offset
}

type cacheSlot struct {
	no   int64
	data []byte
	n    int
}

func (t *sharedStrings) spilled() bool { return t.f != nil }

// close releases the spill file.
func (t *sharedStrings) close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	if t.path != "" {
		if rerr := os.Remove(t.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	t.f = nil
	return err
}

func (t *sharedStrings) off(i int) uint32 { return t.offs[i>>offBlockShift][i&(offBlock-1)] }

// str returns item i of an in-memory table.
func (t *sharedStrings) str(i int) string {
	s, e := t.off(i), t.off(i+1)
	if s == e {
		return ""
	}
	c := t.chunks[s>>t.shift]
	mask := uint32(1)<<t.shift - 1
	if e>>t.shift != s>>t.shift {
		return c[s&mask:]
	}
	return c[s&mask : e&mask]
}

// appendItem appends item i of a spilled table to dst.
func (t *sharedStrings) appendItem(dst []byte, i int) ([]byte, error) {
	idx := i
	var off int64
	k := i
	switch {
	case i == t.next:
		off, k = t.nextAt, 0
	case i > t.next && i/sparseStep == t.next/sparseStep:
		off, k = t.nextAt, i-t.next
	default:
		off, k = t.sparse[i/sparseStep], i%sparseStep
	}
	for ; k > 0; k-- {
		// Skip an item: within its page when the length is there whole.
		if p, err := t.page(off / pageSize); err == nil {
			i := int(off % pageSize)
			if n, w := binary.Uvarint(p[min(i, len(p)):]); w > 0 {
				off += int64(w) + int64(n)
				continue
			}
		}
		n, at, err := t.uvarint(off)
		if err != nil {
			return dst, err
		}
		off = at + int64(n)
	}
	if p, err := t.page(off / pageSize); err == nil {
		i := int(off % pageSize)
		if n, w := binary.Uvarint(p[min(i, len(p)):]); w > 0 && i+w+int(n) <= len(p) {
			t.next, t.nextAt = idx+1, off+int64(w)+int64(n)
			return append(dst, p[i+w:i+w+int(n)]...), nil
		}
	}
	n, at, err := t.uvarint(off)
	if err != nil {
		return dst, err
	}
	dst, err = t.read(dst, at, int(n))
	t.next, t.nextAt = i+1, at+int64(n)
	return dst, err
}

// page returns page no of the spill file, through the cache.
func (t *sharedStrings) page(no int64) ([]byte, error) {
	sl := &t.slots[no%cacheSlots]
	if sl.data != nil && sl.no == no {
		return sl.data[:sl.n], nil
	}
	if sl.data == nil {
		sl.data = make([]byte, pageSize)
	}
	n, err := t.f.ReadAt(sl.data, no*pageSize)
	if err != nil && err != io.EOF {
		sl.data = nil
		return nil, fmt.Errorf("xlsx: read spilled shared strings: %w", err)
	}
	sl.no, sl.n = no, n
	return sl.data[:n], nil
}

// uvarint reads the length prefix at off and returns it with the offset
// of the bytes it counts.
func (t *sharedStrings) uvarint(off int64) (uint64, int64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		p, err := t.page(off / pageSize)
		if err != nil {
			return 0, 0, err
		}
		i := int(off % pageSize)
		if i >= len(p) {
			return 0, 0, errors.New("xlsx: spilled shared strings are truncated")
		}
		b := p[i]
		off++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, off, nil
		}
	}
	return 0, 0, errors.New("xlsx: spilled shared strings are damaged")
}

// read appends n bytes at off to dst.
func (t *sharedStrings) read(dst []byte, off int64, n int) ([]byte, error) {
	for n > 0 {
		p, err := t.page(off / pageSize)
		if err != nil {
			return dst, err
		}
		i := int(off % pageSize)
		if i >= len(p) {
			return dst, errors.New("xlsx: spilled shared strings are truncated")
		}
		c := min(n, len(p)-i)
		dst = append(dst, p[i:i+c]...)
		n -= c
		off += int64(c)
	}
	return dst, nil
}

// sstBuilder collects items in memory, then in the spill file once they
// outgrow the budget.
type sstBuilder struct {
	t      *sharedStrings
	dir    string
	budget int64
	chunk  int    // chunk size, 1 << t.shift
	cur    []byte // the chunk being filled
	bw     *bufio.Writer
	off    int64
	tmp    [binary.MaxVarintLen64]byte
}

func newSSTBuilder(t *sharedStrings, dir string, budget int64, cellBytes int) *sstBuilder {
	t.shift = uint(bits.Len(uint(max(1<<20, cellBytes) - 1)))
	return &sstBuilder{t: t, dir: dir, budget: budget, chunk: 1 << t.shift}
}

// memory is what the in-memory table takes.
func (b *sstBuilder) memory() int64 {
	return int64(len(b.t.chunks)+1)*int64(b.chunk) + int64(len(b.t.offs))*offBlock*4
}

// pos is the virtual offset where the next item goes.
func (b *sstBuilder) pos() uint32 {
	return uint32(len(b.t.chunks)<<b.t.shift + len(b.cur))
}

// appendOff records the next offset.
func (b *sstBuilder) appendOff(v uint32) {
	t := b.t
	i := t.n
	if i>>offBlockShift == len(t.offs) {
		t.offs = append(t.offs, make([]uint32, offBlock))
	}
	t.offs[i>>offBlockShift][i&(offBlock-1)] = v
}

// seal turns the chunk being filled into an immutable one.
func (b *sstBuilder) seal() {
	if b.cur == nil {
		return
	}
	s := ""
	if len(b.cur) > 0 {
		// The chunk is never written again: the string may share it.
		s = unsafe.String(&b.cur[0], len(b.cur))
	}
	b.t.chunks = append(b.t.chunks, s)
	b.cur = nil
}

func (b *sstBuilder) add(v []byte) error {
	t := b.t
	if b.bw != nil {
		t.n++
		return b.write(t.n-1, v)
	}
	if b.cur == nil || len(b.cur)+len(v) > b.chunk {
		if b.cur != nil {
			b.seal()
		}
		if b.memory() > b.budget || b.pos() > maxArena-uint32(b.chunk) {
			return b.spill(v)
		}
		b.cur = make([]byte, 0, b.chunk)
	}
	b.appendOff(b.pos())
	b.cur = append(b.cur, v...)
	t.n++
	return nil
}

func (b *sstBuilder) write(i int, v []byte) error {
	if i%sparseStep == 0 {
		b.t.sparse = append(b.t.sparse, b.off)
	}
	n := binary.PutUvarint(b.tmp[:], uint64(len(v)))
	b.bw.Write(b.tmp[:n]) //nolint:errcheck // bufio keeps the first error for Flush
	b.bw.Write(v)         //nolint:errcheck
	b.off += int64(n + len(v))
	return nil
}

// spill moves the items collected so far to a new temporary file, then
// adds v there.
func (b *sstBuilder) spill(v []byte) error {
	t := b.t
	f, err := os.CreateTemp(b.dir, "xlsxstream-*.sst")
	if err != nil {
		return fmt.Errorf("xlsx: spill shared strings: %w", err)
	}
	t.f = f
	// Unlinked now, the file disappears with its descriptor however the
	// process ends; where that is refused (Windows), close removes it.
	if os.Remove(f.Name()) != nil {
		t.path = f.Name()
	}
	b.bw = bufio.NewWriterSize(f, 256<<10)
	b.appendOff(b.pos()) // the end of the last item
	for i := range t.n {
		if err := b.write(i, []byte(t.str(i))); err != nil {
			return err
		}
	}
	t.chunks, t.offs, b.cur = nil, nil, nil
	t.n++
	return b.write(t.n-1, v)
}

func (b *sstBuilder) finish() error {
	t := b.t
	if b.bw != nil {
		if err := b.bw.Flush(); err != nil {
			return fmt.Errorf("xlsx: spill shared strings: %w", err)
		}
		t.next, t.nextAt = 0, 0
		return nil
	}
	end := b.pos()
	b.seal()
	b.appendOff(end)
	return nil
}

// readSharedStrings reads the shared-strings part.
func (w *Workbook) readSharedStrings(ctx context.Context) (t *sharedStrings, err error) {
	rc, err := w.pkg.open(w.sstAt)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	budget := min(w.opts.SharedStringsMemory, maxArena/2)
	return buildSharedStrings(ctx, rc, w.sstAt, &w.lim, w.opts.TempDir, budget)
}

// buildSharedStrings reads a shared-strings part from r, in memory up to
// budget bytes.
func buildSharedStrings(ctx context.Context, r io.Reader, part string, lim *Limits, dir string, budget int64) (t *sharedStrings, err error) {
	table := &sharedStrings{}
	b := newSSTBuilder(table, dir, budget, lim.CellBytes)
	defer func() {
		if err != nil || recover() != nil {
			_ = table.close()
			t = nil
			if err == nil {
				err = malformed(part, "the shared strings cannot be read", nil)
			}
		}
	}()
	s := newScanner(ctx, r, part, lim)
	var buf []byte
	var total int64
	over := func(limit string, value int64) error { return &LimitError{Limit: limit, Value: value, Part: part} }
	// add decodes the escapes of an item's text, buf, checks it against
	// the limits and adds it.
	add := func() error {
		if table.n >= lim.SharedStrings {
			return over(LimitSharedStrings, int64(lim.SharedStrings))
		}
		buf = validUTF8(unescapeX(buf, 0), 0)
		if len(buf) > lim.CellBytes {
			return over(LimitCellBytes, int64(lim.CellBytes))
		}
		if total += int64(len(buf)); total > lim.SharedStringsBytes {
			return over(LimitSharedStringsBytes, lim.SharedStringsBytes)
		}
		return b.add(buf)
	}
	for {
		if s.depth == 1 {
			v, ok, err := s.fastItem()
			if err != nil {
				return nil, err
			}
			if ok {
				buf = append(buf[:0], v...)
				if err := add(); err != nil {
					return nil, err
				}
				continue
			}
		}
		kind, err := s.next()
		if err != nil {
			return nil, err
		}
		if kind == tokEOF {
			break
		}
		if s.depth == 1 && kind == tokStart && string(s.name) != "sst" {
			return nil, s.malformed("the shared strings part's root is not sst")
		}
		if kind == tokEnd || (kind == tokStart && s.depth == 1) {
			continue
		}
		isItem := string(s.name) == "si" && (kind == tokEmpty && s.depth == 1 || kind == tokStart && s.depth == 2)
		if !isItem {
			if kind == tokStart {
				if err := s.skip(); err != nil {
					return nil, err
				}
			}
			continue
		}
		buf = buf[:0]
		if kind == tokStart {
			if buf, err = s.richText(buf, lim.CellBytes); err != nil {
				if err == errText {
					err = over(LimitCellBytes, int64(lim.CellBytes))
				}
				return nil, err
			}
		}
		if err := add(); err != nil {
			return nil, err
		}
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return table, nil
}

// richText reads the content of a string item (si, or a cell's is) whose
// start tag was just read, up to its end tag, appending its text to dst:
// its t element, or the t of its runs (r), not its phonetic runs (rPh).
func (s *scanner) richText(dst []byte, limit int) ([]byte, error) {
	d := s.depth
	for {
		kind, err := s.next()
		if err != nil {
			return dst, err
		}
		switch kind {
		case tokEOF:
			return dst, s.eofIn("a string")
		case tokEnd:
			if s.depth < d {
				return dst, nil
			}
		case tokStart:
			switch {
			case string(s.name) == "t" && s.depth <= d+2:
				if dst, err = s.text(dst, limit); err != nil {
					return dst, err
				}
				if kind, err = s.next(); err != nil {
					return dst, err
				}
				if kind != tokEnd {
					return dst, s.malformed("a text element holds an element")
				}
			case string(s.name) == "r" && s.depth == d+1:
				// a run: its t is read at the next level
			default:
				if err := s.skip(); err != nil {
					return dst, err
				}
			}
		}
	}
}

// fastItem reads the common shape of a string item straight from the
// window: <si><t>text</t></si> (or with xml:space="preserve"), the text
// free of markup, entities and carriage returns, the whole item in the
// window. For anything else it consumes nothing and reports false. The
// bytes returned are valid until the next call on the scanner.
func (s *scanner) fastItem() ([]byte, bool, error) {
	if !fastPaths {
		return nil, false, nil
	}
	if s.w-s.r < fastWindow && s.rerr == nil {
		if _, err := s.more(); err != nil {
			return nil, false, err
		}
	}
	b := s.buf[s.r:s.w]
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	b = b[i:]
	var open int
	switch {
	case bytes.HasPrefix(b, []byte("<si><t>")):
		open = len("<si><t>")
	case bytes.HasPrefix(b, []byte(`<si><t xml:space="preserve">`)):
		open = len(`<si><t xml:space="preserve">`)
	default:
		return nil, false, nil
	}
	v, n, ok := fastText(b[open:], "</t></si>")
	if !ok {
		return nil, false, nil
	}
	s.r += i + open + n
	return v, true, nil
}
