package xlsxstream

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// textSpecial marks the bytes text must look at.
var textSpecial = [256]bool{'<': true, '&': true, '\r': true}

// text appends the character data at r to dst, up to the next tag, with
// entities decoded, line ends normalised as XML requires, comments and
// processing instructions dropped and CDATA sections taken literally. It
// returns errText when dst would grow past max bytes.
func (s *scanner) text(dst []byte, limit int) ([]byte, error) {
	for {
		b := s.buf[s.r:s.w]
		i := 0
		for i < len(b) && !textSpecial[b[i]] {
			i++
		}
		if len(dst)+i > limit {
			return dst, errText
		}
		dst = append(dst, b[:i]...)
		s.r += i
		if i == len(b) {
			ok, err := s.more()
			if err != nil {
				return dst, err
			}
			if !ok {
				return dst, s.eofIn("an element")
			}
			continue
		}
		var err error
		switch b[i] {
		case '&':
			if len(dst)+utf8.UTFMax > limit {
				return dst, errText
			}
			dst, err = s.entity(dst)
		case '\r':
			dst = append(dst, '\n')
			s.r++
			if ok, e := s.need(1); ok && s.buf[s.r] == '\n' {
				s.r++
			} else {
				err = e
			}
		case '<':
			var done bool
			dst, done, err = s.textMarkup(dst, limit)
			if done {
				return dst, err
			}
		}
		if err != nil {
			return dst, err
		}
	}
}

// textMarkup handles markup met inside text: it consumes comments,
// processing instructions and CDATA sections, and reports done at a tag.
func (s *scanner) textMarkup(dst []byte, limit int) ([]byte, bool, error) {
	if s.w-s.r >= 2 && s.buf[s.r+1] != '!' && s.buf[s.r+1] != '?' {
		return dst, true, nil // a tag: the common case
	}
	ok, err := s.need(9)
	if err != nil {
		return dst, true, err
	}
	b := s.buf[s.r:s.w]
	switch {
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		s.r += 9
		dst, err = s.cdata(dst, limit)
		return dst, false, err
	case bytes.HasPrefix(b, []byte("<!--")):
		s.r += 4
		return dst, false, s.skipPast("-->", "a comment")
	case len(b) > 1 && b[1] == '?':
		return dst, false, s.skipPast("?>", "a processing instruction")
	case !ok && len(b) < 2:
		return dst, true, s.eofIn("a tag")
	}
	return dst, true, nil
}

// cdata appends a CDATA section's content (after "<![CDATA[") to dst.
func (s *scanner) cdata(dst []byte, limit int) ([]byte, error) {
	for {
		b := s.buf[s.r:s.w]
		i := bytes.Index(b, []byte("]]>"))
		n := i
		if i < 0 {
			n = max(0, len(b)-2) // "]]" may be cut by the window's end
		}
		seg := b[:n]
		for len(seg) > 0 {
			j := bytes.IndexByte(seg, '\r')
			if j < 0 {
				j = len(seg)
			}
			if len(dst)+j > limit {
				return dst, errText
			}
			dst = append(dst, seg[:j]...)
			seg = seg[j:]
			if len(seg) > 0 { // '\r'
				if len(dst)+1 > limit {
					return dst, errText
				}
				dst = append(dst, '\n')
				seg = seg[1:]
				if len(seg) > 0 && seg[0] == '\n' {
					seg = seg[1:]
				} else if len(seg) == 0 && n < len(b) && b[n] == '\n' && i != n {
					n++
				}
			}
		}
		if i >= 0 {
			s.r += i + 3
			return dst, nil
		}
		s.r += n
		ok, err := s.more()
		if err != nil {
			return dst, err
		}
		if !ok {
			return dst, s.eofIn("a CDATA section")
		}
	}
}

// entity decodes the reference at r ('&') and appends it to dst.
func (s *scanner) entity(dst []byte) ([]byte, error) {
	const longest = len("&#x0010FFFF;")
	s.need(longest) //nolint:errcheck // a short read is reported below
	b := s.buf[s.r:min(s.w, s.r+longest)]
	end := bytes.IndexByte(b, ';')
	if end < 0 {
		if s.rerr != nil && !errors.Is(s.rerr, io.EOF) {
			_, err := s.endErr()
			return dst, err
		}
		return dst, s.malformed("an entity reference is not terminated")
	}
	dst, ok := appendEntity(dst, b[1:end])
	if !ok {
		return dst, s.malformed("unknown entity &" + string(b[1:end]) + ";")
	}
	s.r += end + 1
	return dst, nil
}

// appendEntity appends the character named by name (between '&' and ';').
func appendEntity(dst, name []byte) ([]byte, bool) {
	switch string(name) {
	case "lt":
		return append(dst, '<'), true
	case "gt":
		return append(dst, '>'), true
	case "amp":
		return append(dst, '&'), true
	case "quot":
		return append(dst, '"'), true
	case "apos":
		return append(dst, '\''), true
	}
	if len(name) < 2 || name[0] != '#' {
		return dst, false
	}
	var v rune
	digits := name[1:]
	base := rune(10)
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 {
		return dst, false
	}
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return dst, false
		}
		v = v*base + d
		if v > utf8.MaxRune {
			return dst, false
		}
	}
	if !isXMLChar(v) {
		return dst, false
	}
	return utf8.AppendRune(dst, v), true
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName drops a namespace prefix.
func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}
