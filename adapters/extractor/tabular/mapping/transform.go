package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// Transform names accepted in a field's "transforms" list.
const (
	TransformTrim           = "trim"
	TransformCollapseSpaces = "collapse_spaces"
	TransformLower          = "lower"
	TransformUpper          = "upper"
	TransformTitle          = "title"
	TransformDigits         = "digits"
	TransformFullName       = "full_name"
	TransformDate           = "date"
)

// Transforms lists every transform name, in documentation order.
var Transforms = []string{
	TransformTrim, TransformCollapseSpaces, TransformLower, TransformUpper,
	TransformTitle, TransformDigits, TransformFullName, TransformDate,
}

// ApplyTransforms runs a field's transforms in order. ok is false when a
// transform could not understand the value (an unparsable date); the value
// then keeps what the earlier transforms made of it.
func ApplyTransforms(transforms []string, v string) (string, bool) {
	return runTransforms(compileTransforms(transforms), v)
}

// transformFunc is one transform; ok is false when it could not
// understand the value. It either returns a part of v (v itself when
// nothing changes) and dst as it was, or appends its result to dst and
// returns the bytes it appended, as a string that lives only as long as
// dst's bytes stay as they are: the rows are written through one arena,
// not one allocation per changed value.
type transformFunc func(dst []byte, v string) (out string, dst2 []byte, ok bool)

// compileTransforms resolves transform names once, for every row.
func compileTransforms(names []string) []transformFunc {
	out := make([]transformFunc, 0, len(names))
	for _, n := range names {
		if f, ok := transformFuncs[n]; ok {
			out = append(out, f)
		}
	}
	return out
}

func runTransforms(steps []transformFunc, v string) (string, bool) {
	// Steps only ever append to buf: the bytes a result took stay as they
	// are, so v may keep them.
	var buf []byte
	ok := true
	for _, f := range steps {
		var good bool
		v, buf, good = f(buf, v)
		ok = ok && good
	}
	return v, ok
}

var transformFuncs = map[string]transformFunc{
	TransformTrim:           func(dst []byte, v string) (string, []byte, bool) { return strings.TrimSpace(v), dst, true },
	TransformCollapseSpaces: func(dst []byte, v string) (string, []byte, bool) { return appendCollapsed(dst, v) },
	TransformLower:          func(dst []byte, v string) (string, []byte, bool) { return appendLower(dst, v) },
	TransformUpper:          func(dst []byte, v string) (string, []byte, bool) { return appendUpper(dst, v) },
	TransformTitle:          func(dst []byte, v string) (string, []byte, bool) { return appendTitle(dst, v) },
	TransformDigits:         func(dst []byte, v string) (string, []byte, bool) { return appendDigits(dst, v) },
	TransformFullName: func(dst []byte, v string) (string, []byte, bool) {
		return appendChanged(dst, v, fullName(v))
	},
	TransformDate: appendDate,
}

// appended returns the bytes appended to dst past n as a string sharing
// their memory, and dst.
func appended(dst []byte, n int) (string, []byte, bool) {
	if len(dst) == n {
		return "", dst, true
	}
	return unsafe.String(&dst[n], len(dst)-n), dst, true
}

// appendChanged returns v when out equals it, else out appended to dst.
func appendChanged(dst []byte, v, out string) (string, []byte, bool) {
	if out == v {
		return v, dst, true
	}
	n := len(dst)
	return appended(append(dst, out...), n)
}

func appendDate(dst []byte, v string) (string, []byte, bool) {
	if strings.TrimSpace(v) == "" {
		return v, dst, true
	}
	n := len(dst)
	if d, ok := read.AppendDate(dst, v); ok {
		return appended(d, n)
	}
	return v, dst, false
}

// appendLower is strings.ToLower: ASCII text is lowered byte by byte.
func appendLower(dst []byte, v string) (string, []byte, bool) {
	return appendASCIICase(dst, v, 'A', 'Z', strings.ToLower)
}

// appendUpper is strings.ToUpper: ASCII text is raised byte by byte.
func appendUpper(dst []byte, v string) (string, []byte, bool) {
	return appendASCIICase(dst, v, 'a', 'z', strings.ToUpper)
}

// appendASCIICase turns the letters from lo to hi of ASCII text into the
// other case, as general (strings.ToLower or strings.ToUpper) would;
// other text goes to general.
func appendASCIICase(dst []byte, v string, lo, hi byte, general func(string) string) (string, []byte, bool) {
	i := 0
	for ; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return appendChanged(dst, v, general(v))
		}
		if lo <= c && c <= hi {
			break
		}
	}
	if i == len(v) {
		return v, dst, true
	}
	for j := i; j < len(v); j++ {
		if v[j] >= utf8.RuneSelf {
			return appendChanged(dst, v, general(v))
		}
	}
	n := len(dst)
	dst = append(dst, v...)
	for b := dst[n+i:]; len(b) > 0; b = b[1:] {
		if c := b[0]; lo <= c && c <= hi {
			b[0] = c ^ 0x20 // the other case
		}
	}
	return appended(dst, n)
}

// appendDigits is digitsOnly.
func appendDigits(dst []byte, v string) (string, []byte, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == len(v) {
		return v, dst, true
	}
	n := len(dst)
	dst = append(dst, v[:i]...)
	for ; i < len(v); i++ {
		if c := v[i]; c >= '0' && c <= '9' {
			dst = append(dst, c)
		}
	}
	return appended(dst, n)
}

// appendCollapsed is collapseSpaces: ASCII text whose white space is
// single spaces already stays as it is.
func appendCollapsed(dst []byte, v string) (string, []byte, bool) {
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return appendChanged(dst, v, collapseSpaces(v))
		}
		switch c {
		case ' ':
			if space {
				return appendChanged(dst, v, collapseSpaces(v))
			}
			space = true
		case '\t', '\n', '\v', '\f', '\r':
			return appendChanged(dst, v, collapseSpaces(v))
		default:
			space = false
		}
	}
	return v, dst, true
}

// appendTitle is titleCase.
func appendTitle(dst []byte, v string) (string, []byte, bool) {
	n := len(dst)
	out, ok := appendTitleASCII(dst, v)
	switch {
	case !ok:
		return appendChanged(dst, v, titleCaseRunes(v))
	case len(out) == n:
		return v, dst, true
	}
	return appended(out, n)
}

// collapseSpaces replaces every run of white space with one space.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// titleCase upper-cases the first letter of every word and lower-cases the
// rest. A hyphen starts a new word (St-Pierre); an apostrophe does only
// after a single letter (O'Connor, but Don't).
func titleCase(s string) string {
	out, _, _ := appendTitle(nil, s) // a fresh buffer: out may keep it
	return out
}

// titleCaseRunes is titleCase for any text.
func titleCaseRunes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	capNext, letters := true, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			if capNext {
				r = unicode.ToUpper(r)
			} else {
				r = unicode.ToLower(r)
			}
			capNext = false
			letters++
		case r == '\'' || r == '\u2019':
			capNext = letters == 1
			letters = 0
		case unicode.IsDigit(r):
			capNext = false
			letters = 0
		default:
			capNext = true
			letters = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// appendTitleASCII is titleCase for ASCII text: it appends the result to
// dst only when it differs from s (dst comes back as it was otherwise);
// ok is false for other text.
func appendTitleASCII(dst []byte, s string) ([]byte, bool) {
	n := -1 // where the result starts in dst, once it differs from s
	capNext, letters := true, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			if n >= 0 {
				dst = dst[:n]
			}
			return dst, false
		case isASCIILetter(c):
			want := c | 0x20 // lower case
			if capNext {
				want = c &^ 0x20
			}
			if want != c && n < 0 {
				n = len(dst)
				dst = append(dst, s[:i]...)
			}
			c = want
			capNext = false
			letters++
		case c == '\'':
			capNext = letters == 1
			letters = 0
		case c >= '0' && c <= '9':
			capNext = false
			letters = 0
		default:
			capNext = true
			letters = 0
		}
		if n >= 0 {
			dst = append(dst, c)
		}
	}
	return dst, true
}

// fullName turns "Last, First" into "First Last", collapses white space and
// title-cases the result.
func fullName(s string) string {
	s = strings.TrimSpace(collapseSpaces(s))
	if last, first, ok := strings.Cut(s, ","); ok {
		last, first = strings.TrimSpace(last), strings.TrimSpace(first)
		switch {
		case first == "":
			s = last
		case last == "":
			s = first
		default:
			s = first + " " + last
		}
	}
	return titleCase(s)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
