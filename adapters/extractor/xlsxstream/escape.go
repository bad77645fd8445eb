package xlsxstream

import (
	"bytes"
	"unicode/utf8"
)

// unescapeX decodes, in place, the _xHHHH_ escapes Excel writes for
// characters XML cannot carry (a UTF-16 code unit in hexadecimal):
// "_x000D_" is a carriage return, "_x005F_" an underscore, so that
// "_x005F_x000D_" is the literal text "_x000D_". Escapes are matched left
// to right without overlap. A surrogate pair of escapes decodes to its
// character; a lone surrogate becomes U+FFFD.
func unescapeX(b []byte, start int) []byte {
	i := bytes.Index(b[start:], []byte("_x"))
	if i < 0 {
		return b
	}
	w, r := start+i, start+i
	for r < len(b) {
		if v, ok := xEscape(b, r); ok {
			r += 7
			ch := rune(v)
			if v >= 0xD800 && v <= 0xDFFF {
				ch = utf8.RuneError
				if v < 0xDC00 {
					if lo, ok := xEscape(b, r); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						ch = 0x10000 + (rune(v)-0xD800)<<10 + (rune(lo) - 0xDC00)
						r += 7
					}
				}
			}
			w += utf8.EncodeRune(b[w:], ch) // never past r: an escape is 7 bytes
			continue
		}
		b[w] = b[r]
		w++
		r++
	}
	return b[:w]
}

// xEscape parses an escape "_xHHHH_" at b[i:].
func xEscape(b []byte, i int) (uint16, bool) {
	if i+7 > len(b) || b[i] != '_' || b[i+1] != 'x' || b[i+6] != '_' {
		return 0, false
	}
	var v uint16
	for _, c := range b[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint16(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint16(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | uint16(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// validUTF8 replaces each run of bytes that are not UTF-8 in b[start:]
// with U+FFFD.
func validUTF8(b []byte, start int) []byte {
	if utf8.Valid(b[start:]) {
		return b
	}
	fixed := bytes.ToValidUTF8(b[start:], []byte("\uFFFD"))
	return append(b[:start], fixed...)
}
