package read

import "strings"

// Chunks makes strings out of short byte slices, carved from shared
// chunks: one allocation for hundreds of CSV records or mapped rows, not
// one each. A chunk is a strings.Builder (its memory is not cleared first,
// as a []byte's would be) that only grows into its spare capacity: its
// bytes are never written again once a string holds them, and a full
// chunk is left to the collector with the last string that holds it. A
// string kept long after its row (a header, a sample value) should be
// cloned, so that it does not keep a whole chunk alive. The zero value is
// ready to use.
type Chunks struct{ b *strings.Builder }

// Sizes of Chunks: a chunk, and the length from which a string is
// allocated on its own.
const (
	chunkSize = 64 << 10
	chunkOwn  = 4 << 10
)

// String returns b as a string.
func (c *Chunks) String(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) >= chunkOwn:
		return string(b)
	case c.b == nil || len(b) > c.b.Cap()-c.b.Len():
		c.b = new(strings.Builder)
		c.b.Grow(chunkSize)
	}
	n := c.b.Len()
	c.b.Write(b)
	return c.b.String()[n:]
}
