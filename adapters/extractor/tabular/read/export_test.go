package read

import (
	"bytes"
	"io"
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
