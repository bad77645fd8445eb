package read

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Text encodings a CSV document may be in.
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingUTF16LE     = "utf-16le"
	EncodingUTF16BE     = "utf-16be"
	EncodingWindows1252 = "windows-1252"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// detectEncoding names the encoding of text whose first bytes are head: a
// byte order mark decides; otherwise UTF-8 when head is valid UTF-8 (a rune
// cut at the end of head counts as valid), else Windows-1252 (a superset
// of Latin-1's printable characters).
func detectEncoding(head []byte) string {
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		return EncodingUTF8BOM
	case bytes.HasPrefix(head, bomUTF16LE):
		return EncodingUTF16LE
	case bytes.HasPrefix(head, bomUTF16BE):
		return EncodingUTF16BE
	case utf8.Valid(head[:completePrefix(head)]):
		return EncodingUTF8
	}
	return EncodingWindows1252
}

// decoder returns a reader of r's text as UTF-8, without its byte order
// mark. For UTF-8 input, bytes that are not UTF-8 (a file that changes
// encoding past its first bytes) are read as Windows-1252 and counted.
func decoder(r io.Reader, encoding string) (io.Reader, *fallback) {
	switch encoding {
	case EncodingUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	case EncodingUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), nil
	case EncodingWindows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder()), nil
	case EncodingUTF8BOM:
		r = skipBytes(r, len(bomUTF8))
	}
	f := &fallback{r: r}
	return f, f
}

// skipBytes discards the first n bytes of r when it is read.
func skipBytes(r io.Reader, n int) io.Reader {
	return &skipper{r: r, n: n}
}

type skipper struct {
	r io.Reader
	n int
}

func (s *skipper) Read(p []byte) (int, error) {
	for s.n > 0 {
		var buf [8]byte
		k, err := s.r.Read(buf[:min(s.n, len(buf))])
		s.n -= k
		if err != nil {
			return 0, err
		}
	}
	return s.r.Read(p)
}

// fallback passes UTF-8 through untouched and decodes any byte that is not
// part of a valid UTF-8 sequence as Windows-1252.
type fallback struct {
	r     io.Reader
	carry []byte // an incomplete rune at the end of the last read
	out   []byte // decoded bytes not yet returned
	err   error
	// Replaced counts the bytes read as Windows-1252.
	Replaced int
}

func (f *fallback) Read(p []byte) (int, error) {
	for {
		if len(f.out) > 0 {
			n := copy(p, f.out)
			f.out = f.out[n:]
			return n, nil
		}
		if f.err != nil {
			if len(f.carry) > 0 {
				f.out = f.decode(f.out[:0], f.carry)
				f.carry = f.carry[:0]
				continue
			}
			return 0, f.err
		}
		if len(p) < utf8.UTFMax*2 {
			var buf [64]byte
			n, err := f.fill(buf[:])
			if n > 0 {
				f.out = append(f.out[:0], buf[:n]...)
			}
			f.err = err
			continue
		}
		n, err := f.fill(p)
		f.err = err
		if n > 0 {
			return n, nil
		}
	}
}

// fill reads into p, keeps an incomplete trailing rune for the next read,
// and returns how many bytes of p are UTF-8 ready to hand out (decoding in
// place into f.out when they are not valid).
func (f *fallback) fill(p []byte) (int, error) {
	k := copy(p, f.carry)
	f.carry = f.carry[:0]
	n, err := f.r.Read(p[k:])
	n += k
	data := p[:n]
	if err == nil {
		cut := completePrefix(data)
		f.carry = append(f.carry, data[cut:]...)
		data = data[:cut]
	}
	if utf8.Valid(data) {
		return len(data), err
	}
	f.out = f.decode(f.out[:0], data)
	return 0, err
}

func (f *fallback) decode(dst, data []byte) []byte {
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			dst = utf8.AppendRune(dst, charmap.Windows1252.DecodeByte(data[0]))
			f.Replaced++
			data = data[1:]
			continue
		}
		dst = append(dst, data[:size]...)
		data = data[size:]
	}
	return dst
}

// completePrefix is the length of b without a UTF-8 sequence cut short at
// its end.
func completePrefix(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		c := b[i]
		if c < utf8.RuneSelf {
			return len(b)
		}
		if c >= 0xC0 {
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if len(b)-i < need {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}

// decodeHead decodes the first bytes of a document for sniffing.
func decodeHead(head []byte, encoding string) []byte {
	r, _ := decoder(bytes.NewReader(head), encoding)
	out, _ := io.ReadAll(r)
	return out
}

// Delimiters a CSV document may use, in order of preference on a tie.
var Delimiters = []rune{',', ';', '\t', '|'}

// detectDelimiter picks the delimiter that splits the sample's records
// into the same number (two or more) of fields most often. The last line
// of a sample cut short is ignored; preferTab (a .tsv file) favours tab
// when it splits anything. Without any candidate, comma.
func detectDelimiter(sample []byte, truncated, preferTab bool) rune {
	if truncated {
		if i := bytes.LastIndexByte(sample, '\n'); i > 0 {
			sample = sample[:i+1]
		}
	}
	best, bestScore, bestMode := ',', 0, 0
	for _, d := range Delimiters {
		score, mode := delimiterScore(sample, d)
		if d == '\t' && preferTab && score > 0 {
			return '\t'
		}
		if score > bestScore || (score == bestScore && mode > bestMode && score > 0) {
			best, bestScore, bestMode = d, score, mode
		}
	}
	return best
}

// delimiterScore parses sample with delimiter d and returns how many of
// its first records have the most common field count above one, and that
// count.
func delimiterScore(sample []byte, d rune) (int, int) {
	r := csv.NewReader(bytes.NewReader(sample))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord, r.ReuseRecord = d, true, -1, true
	counts := map[int]int{}
	for range 200 {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			break
		}
		if len(rec) > 1 {
			counts[len(rec)]++
		}
	}
	score, mode := 0, 0
	for n, c := range counts {
		if c > score || (c == score && n > mode) {
			score, mode = c, n
		}
	}
	return score, mode
}
