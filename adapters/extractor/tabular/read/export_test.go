package read

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Internals the external test package exercises directly.
var (
	DetectEncoding  = detectEncoding
	DetectDelimiter = detectDelimiter
	ScanBIFF        = scanBIFF
)

// DecodeAll decodes data in the given encoding, reading it in chunks of n
// bytes, and returns the text and the bytes read as Windows-1252.
func DecodeAll(data []byte, encoding string, n int) (string, int, error) {
	r, fb := decoder(&chunked{r: bytes.NewReader(data), n: n}, encoding)
	out, err := io.ReadAll(r)
	replaced := 0
	if fb != nil {
		replaced = fb.Replaced
	}
	return string(out), replaced, err
}

type chunked struct {
	r io.Reader
	n int
}

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// ParseCSV parses text with a read buffer of bufSize bytes (at least 16)
// and returns the rows read until the first error.
func ParseCSV(text string, delim rune, lim Limits, bufSize int) ([]Row, error) {
	p := newCSVParser(strings.NewReader(text), delim, lim)
	p.br = bufio.NewReaderSize(strings.NewReader(text), bufSize)
	var rows []Row
	for {
		var r Row
		err := p.next(&r)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		r.Cells = append([]string(nil), r.Cells...)
		rows = append(rows, r)
	}
}
