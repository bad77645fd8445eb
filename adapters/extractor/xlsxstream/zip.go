package xlsxstream

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync/atomic"
)

// pkg is the opened zip package: its parts by normalised name and the
// inflation budget shared by every part read through it.
type pkg struct {
	zr    *zip.Reader
	parts map[string]*zip.File
	lim   *Limits
	total atomic.Int64 // bytes inflated so far, all parts together (prefetchers add from their goroutines)
}

// partName normalises a zip entry name to a part path: forward slashes,
// no leading slash, lower case (part names are case-insensitive).
func partName(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "/"))
}

func openPkg(r io.ReaderAt, size int64, lim *Limits) (*pkg, error) {
	if err := countEntries(r, size, lim); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, malformed("", "not a readable zip archive", err)
	}
	p := &pkg{zr: zr, parts: make(map[string]*zip.File, len(zr.File)), lim: lim}
	for _, f := range zr.File {
		name := partName(f.Name)
		if strings.HasSuffix(name, "/") {
			continue
		}
		if _, dup := p.parts[name]; dup {
			// Two readers could pick different ones: refuse the ambiguity.
			return nil, malformed("", "the zip archive holds two entries named "+name, nil)
		}
		p.parts[name] = f
	}
	return p, nil
}

// open opens a part for reading; the reader counts inflated bytes against
// the limits, whatever the zip directory declares.
func (p *pkg) open(name string) (io.ReadCloser, error) {
	f, ok := p.parts[name]
	if !ok {
		return nil, malformed(name, "the part is missing", nil)
	}
	if f.UncompressedSize64 > uint64(p.lim.PartBytes) {
		return nil, &LimitError{Limit: LimitPartBytes, Value: p.lim.PartBytes, Part: name}
	}
	if uint64(p.total.Load())+f.UncompressedSize64 > uint64(p.lim.TotalBytes) {
		return nil, &LimitError{Limit: LimitTotalBytes, Value: p.lim.TotalBytes, Part: name}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, malformed(name, "the part cannot be opened", err)
	}
	var r io.ReadCloser = &countingReader{rc: rc, p: p, name: name}
	if f.UncompressedSize64 >= prefetchMin {
		r = newPrefetcher(r)
	}
	return r, nil
}

// countingReader enforces the inflated-size limits on the bytes actually
// read: a zip directory can lie about sizes.
type countingReader struct {
	rc   io.ReadCloser
	p    *pkg
	name string
	n    int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	c.n += int64(n)
	total := c.p.total.Add(int64(n))
	if c.n > c.p.lim.PartBytes {
		return n, &LimitError{Limit: LimitPartBytes, Value: c.p.lim.PartBytes, Part: c.name}
	}
	if total > c.p.lim.TotalBytes {
		return n, &LimitError{Limit: LimitTotalBytes, Value: c.p.lim.TotalBytes, Part: c.name}
	}
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

// Zip record signatures and sizes.
const (
	sigDirHeader   = 0x02014b50
	sigDirEnd      = 0x06054b50
	sigDir64Loc    = 0x07064b50
	sigDir64End    = 0x06064b50
	dirHeaderLen   = 46
	dirEndLen      = 22
	dir64LocLen    = 20
	dir64EndLen    = 56
	maxCommentSize = 0xFFFF
)

// countEntries walks the zip's central directory the way archive/zip
// reads it (header after header until one does not parse, from where the
// end record places the directory) and refuses an archive with more
// entries than the limit before archive/zip allocates a record for each.
// Anything it cannot make sense of is left to archive/zip to report.
func countEntries(r io.ReaderAt, size int64, lim *Limits) error {
	tail := min(size, dirEndLen+maxCommentSize)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return malformed("", "the zip archive cannot be read", err)
	}
	end := -1
	for i := len(buf) - dirEndLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigDirEnd {
			end = i
			break
		}
	}
	if end < 0 {
		return nil
	}
	endOff := size - tail + int64(end)
	dirSize := int64(binary.LittleEndian.Uint32(buf[end+12:]))
	dirOff := int64(binary.LittleEndian.Uint32(buf[end+16:]))
	if endOff >= dir64LocLen {
		loc := make([]byte, dir64LocLen)
		if _, err := r.ReadAt(loc, endOff-dir64LocLen); err == nil && binary.LittleEndian.Uint32(loc) == sigDir64Loc {
			recOff := int64(binary.LittleEndian.Uint64(loc[8:]))
			rec := make([]byte, dir64EndLen)
			if recOff >= 0 && recOff < size {
				if _, err := r.ReadAt(rec, recOff); err == nil && binary.LittleEndian.Uint32(rec) == sigDir64End {
					endOff = recOff
					dirSize = int64(binary.LittleEndian.Uint64(rec[40:]))
					dirOff = int64(binary.LittleEndian.Uint64(rec[48:]))
				}
			}
		}
	}
	for _, off := range []int64{dirOff, endOff - dirSize} {
		if err := countFrom(r, size, off, lim); err != nil {
			return err
		}
	}
	return nil
}

// countFrom counts the directory headers that follow one another from off.
func countFrom(r io.ReaderAt, size, off int64, lim *Limits) error {
	if off < 0 || off >= size {
		return nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, size-off), 64<<10)
	hdr := make([]byte, dirHeaderLen)
	for n := 0; ; n++ {
		if _, err := io.ReadFull(br, hdr); err != nil || binary.LittleEndian.Uint32(hdr) != sigDirHeader {
			return nil
		}
		if n >= lim.Parts {
			return &LimitError{Limit: LimitParts, Value: int64(lim.Parts)}
		}
		skip := int(binary.LittleEndian.Uint16(hdr[28:])) + int(binary.LittleEndian.Uint16(hdr[30:])) + int(binary.LittleEndian.Uint16(hdr[32:]))
		if _, err := br.Discard(skip); err != nil {
			return nil
		}
	}
}
