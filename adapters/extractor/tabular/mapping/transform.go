package mapping

import (
	"strings"
	"unicode"

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
// understand the value.
type transformFunc func(v string) (out string, ok bool)

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
	ok := true
	for _, f := range steps {
		var good bool
		v, good = f(v)
		ok = ok && good
	}
	return v, ok
}

var transformFuncs = map[string]transformFunc{
	TransformTrim:           func(v string) (string, bool) { return strings.TrimSpace(v), true },
	TransformCollapseSpaces: func(v string) (string, bool) { return collapseSpaces(v), true },
	TransformLower:          func(v string) (string, bool) { return strings.ToLower(v), true },
	TransformUpper:          func(v string) (string, bool) { return strings.ToUpper(v), true },
	TransformTitle:          func(v string) (string, bool) { return titleCase(v), true },
	TransformDigits:         func(v string) (string, bool) { return digitsOnly(v), true },
	TransformFullName:       func(v string) (string, bool) { return fullName(v), true },
	TransformDate:           dateTransform,
}

func dateTransform(v string) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return v, true
	}
	if d, ok := read.ParseDate(v); ok {
		return d, true
	}
	return v, false
}

// digitsOnly keeps the ASCII digits of s.
func digitsOnly(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		}
	}
	return s
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
	if t, ok := titleCaseASCII(s); ok {
		return t
	}
	return titleCaseRunes(s)
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

// titleCaseASCII is titleCase for ASCII text; ok is false for other text.
// It returns s itself when nothing changes.
func titleCaseASCII(s string) (string, bool) {
	var buf []byte
	capNext, letters := true, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", false
		case isASCIILetter(c):
			want := c | 0x20 // lower case
			if capNext {
				want = c &^ 0x20
			}
			if want != c && buf == nil {
				buf = make([]byte, len(s))
				copy(buf, s[:i])
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
		if buf != nil {
			buf[i] = c
		}
	}
	if buf == nil {
		return s, true
	}
	return string(buf), true
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
