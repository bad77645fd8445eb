package xlsxstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// Token kinds returned by scanner.next.
const (
	tokStart = iota + 1 // <name ...>
	tokEmpty            // <name .../>
	tokEnd              // </name>
	tokEOF              // end of the part, every element closed
)

// scanner is a pull tokenizer for the XML of one workbook part. It is not
// a general XML parser: it finds tags (name and raw attributes), skips
// comments, processing instructions and the XML declaration, refuses
// DOCTYPE (and with it every entity but the five predefined ones), counts
// nesting, and leaves text to its caller, who skips it or decodes it with
// text. The bytes of a tag stay valid until the next call.
//
// Memory is the window (64 KiB, grown only while a single tag is longer,
// up to the tag limit); time is linear in the part's size: each byte is
// looked at a bounded number of times.
type scanner struct {
	src  io.Reader
	ctx  context.Context
	part string
	lim  *Limits

	buf  []byte
	r, w int   // unread bytes are buf[r:w]
	base int64 // part offset of buf[0]
	rerr error // sticky error of src (io.EOF at the end)

	depth   int
	root    bool // the root element has been seen
	started bool // the byte order mark has been checked

	// The current tag.
	name  []byte // local name (prefix removed)
	attrs []byte // raw attributes
}

const scanWindow = 64 << 10

func newScanner(ctx context.Context, src io.Reader, part string, lim *Limits) *scanner {
	return &scanner{src: src, ctx: ctx, part: part, lim: lim, buf: make([]byte, scanWindow)}
}

// errText reports a value over its byte budget; the caller names the limit.
var errText = errors.New("text over budget")

func (s *scanner) malformed(reason string) error {
	return &MalformedError{Part: s.part, Offset: s.base + int64(s.r), Reason: reason}
}

// more reads more input after buf[r:w], keeping it. It returns false at
// the end of the input; any other failure is an error.
func (s *scanner) more() (bool, error) {
	if s.rerr != nil {
		return s.endErr()
	}
	if err := s.ctx.Err(); err != nil {
		return false, err
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.base += int64(s.r)
		s.r, s.w = 0, n
	}
	if s.w == len(s.buf) {
		// One token fills the window: grow it, up to the tag limit.
		if len(s.buf) >= s.lim.TagBytes+scanWindow {
			return false, &LimitError{Limit: LimitTagBytes, Value: int64(s.lim.TagBytes), Part: s.part}
		}
		nb := make([]byte, min(2*len(s.buf), s.lim.TagBytes+scanWindow))
		copy(nb, s.buf[:s.w])
		s.buf = nb
	}
	for range 100 {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.rerr = err
			if n > 0 {
				return true, nil
			}
			return s.endErr()
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, s.malformed("the input stalls")
}

func (s *scanner) endErr() (bool, error) {
	if s.rerr == io.EOF {
		return false, nil
	}
	var le *LimitError
	if errors.As(s.rerr, &le) || errors.Is(s.rerr, context.Canceled) || errors.Is(s.rerr, context.DeadlineExceeded) {
		return false, s.rerr
	}
	return false, &MalformedError{Part: s.part, Offset: s.base + int64(s.w), Reason: "the part cannot be inflated", Err: s.rerr}
}

// need makes at least n bytes available at buf[r:], unless the input ends
// first; it reports whether they are.
func (s *scanner) need(n int) (bool, error) {
	for s.w-s.r < n {
		ok, err := s.more()
		if !ok {
			return false, err
		}
	}
	return true, nil
}

// eofIn is the error for input that ends inside a construct.
func (s *scanner) eofIn(what string) error {
	if s.rerr != nil && s.rerr != io.EOF {
		_, err := s.endErr()
		return err
	}
	return s.malformed("the part ends inside " + what)
}

// next skips text up to the next tag and reads it. At the end of the
// input it returns tokEOF, or an error when an element is still open.
func (s *scanner) next() (int, error) {
	if !s.started {
		if err := s.start(); err != nil {
			return 0, err
		}
	}
	for {
		i := bytes.IndexByte(s.buf[s.r:s.w], '<')
		if i < 0 {
			s.r = s.w
			ok, err := s.more()
			if err != nil {
				return 0, err
			}
			if !ok {
				if s.depth > 0 {
					return 0, s.malformed("the part ends inside an element")
				}
				if !s.root {
					return 0, s.malformed("the part holds no XML element")
				}
				return tokEOF, nil
			}
			continue
		}
		s.r += i
		kind, err := s.markup()
		if err != nil || kind != 0 {
			return kind, err
		}
	}
}

// markup reads the markup at buf[r] == '<'. It returns 0 for markup that
// is not a tag (comment, processing instruction, CDATA).
func (s *scanner) markup() (int, error) {
	if ok, err := s.need(2); !ok {
		if err == nil {
			err = s.eofIn("a tag")
		}
		return 0, err
	}
	switch s.buf[s.r+1] {
	case '/':
		end, err := s.tagEnd(false)
		if err != nil {
			return 0, err
		}
		name := bytes.TrimRight(s.buf[s.r+2:s.r+end], " \t\r\n")
		if len(name) == 0 {
			return 0, s.malformed("an end tag has no name")
		}
		if s.depth == 0 {
			return 0, s.malformed("an end tag closes no element")
		}
		s.depth--
		s.name, s.attrs = localName(name), nil
		s.r += end + 1
		return tokEnd, nil
	case '?':
		if s.base+int64(s.r) <= 3 && !s.root {
			return 0, s.declaration()
		}
		return 0, s.skipPast("?>", "a processing instruction")
	case '!':
		ok, err := s.need(9)
		if err != nil {
			return 0, err
		}
		b := s.buf[s.r:s.w]
		switch {
		case bytes.HasPrefix(b, []byte("<!--")):
			s.r += 4
			return 0, s.skipPast("-->", "a comment")
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			s.r += 9
			return 0, s.skipPast("]]>", "a CDATA section")
		case ok && bytes.HasPrefix(b, []byte("<!DOCTYPE")):
			return 0, s.malformed("a document type declaration is not allowed")
		}
		return 0, s.malformed("unknown markup")
	}
	end, err := s.tagEnd(true)
	if err != nil {
		return 0, err
	}
	tag := s.buf[s.r+1 : s.r+end]
	if len(tag) == 0 {
		return 0, s.malformed("a tag has no name")
	}
	kind := tokStart
	if tag[len(tag)-1] == '/' {
		kind = tokEmpty
		tag = tag[:len(tag)-1]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) {
		n++
	}
	if n == 0 {
		return 0, s.malformed("a tag has no name")
	}
	s.name, s.attrs = localName(tag[:n]), tag[n:]
	s.r += end + 1
	s.root = true
	if kind == tokStart {
		s.depth++
		if s.depth > s.lim.Depth {
			return 0, &LimitError{Limit: LimitDepth, Value: int64(s.lim.Depth), Part: s.part}
		}
	}
	return kind, nil
}

// declaration reads the XML declaration and refuses an encoding other
// than UTF-8 (encodings are not converted).
func (s *scanner) declaration() error {
	start := s.base + int64(s.r)
	for {
		b := s.buf[s.r:s.w]
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			decl := b[:i]
			if j := bytes.Index(decl, []byte("encoding")); j >= 0 && bytes.HasPrefix(decl, []byte("<?xml")) {
				rest := bytes.TrimLeft(decl[j+len("encoding"):], " \t\r\n=")
				if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
					if k := bytes.IndexByte(rest[1:], rest[0]); k >= 0 {
						enc := string(rest[1 : 1+k])
						if !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") {
							return s.malformed("the XML encoding " + enc + " is not supported (only UTF-8 is)")
						}
					}
				}
			}
			s.r += i + 2
			return nil
		}
		if s.base+int64(s.w)-start > int64(s.lim.TagBytes) {
			return &LimitError{Limit: LimitTagBytes, Value: int64(s.lim.TagBytes), Part: s.part}
		}
		ok, err := s.more()
		if err != nil {
			return err
		}
		if !ok {
			return s.eofIn("the XML declaration")
		}
	}
}

// start checks the first bytes of the part: a UTF-8 byte order mark is
// skipped, UTF-16 and UTF-32 ones are refused.
func (s *scanner) start() error {
	s.started = true
	s.need(4) //nolint:errcheck // a short part is read as it is
	b := s.buf[s.r:s.w]
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		s.r += 3
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0xFF, 0xFE}),
		bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}), len(b) >= 2 && (b[0] == 0 || b[1] == 0):
		return s.malformed("the part is not UTF-8 (only UTF-8 is supported)")
	}
	return nil
}

// tagEnd returns the offset from r of the '>' that ends the tag at r,
// skipping quoted attribute values when quotes is set.
func (s *scanner) tagEnd(quotes bool) (int, error) {
	i := 1
	var q byte
	for {
		b := s.buf[s.r:s.w]
		if q == 0 && !quotes {
			if j := bytes.IndexByte(b[i:], '>'); j >= 0 {
				return i + j, nil
			}
			i = len(b)
		}
		for ; i < len(b); i++ {
			c := b[i]
			if q != 0 {
				if c == q {
					q = 0
				}
				continue
			}
			if c == '>' {
				return i, nil
			}
			if c == '"' || c == '\'' {
				q = c
			}
		}
		if i > s.lim.TagBytes {
			return 0, &LimitError{Limit: LimitTagBytes, Value: int64(s.lim.TagBytes), Part: s.part}
		}
		ok, err := s.more()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, s.eofIn("a tag")
		}
	}
}

// skipPast discards input up to and including end.
func (s *scanner) skipPast(end, what string) error {
	for {
		if i := bytes.Index(s.buf[s.r:s.w], []byte(end)); i >= 0 {
			s.r += i + len(end)
			return nil
		}
		s.r = max(s.r, s.w-len(end)+1)
		ok, err := s.more()
		if err != nil {
			return err
		}
		if !ok {
			return s.eofIn(what)
		}
	}
}

// skip skips the content of the element whose start tag was just read,
// up to and including its end tag.
func (s *scanner) skip() error {
	d := s.depth
	for s.depth >= d {
		kind, err := s.next()
		if err != nil {
			return err
		}
		if kind == tokEOF {
			return s.eofIn("an element")
		}
	}
	return nil
}

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
		if s.rerr != nil && s.rerr != io.EOF {
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

// attr is one attribute of a tag: its qualified name and raw value.
type attr struct {
	name, value []byte
}

// nextAttr reads the first attribute of a and returns the rest; ok is
// false when a holds no more attributes.
func nextAttr(a []byte) (at attr, rest []byte, ok bool, err error) {
	i := 0
	for i < len(a) && isSpace(a[i]) {
		i++
	}
	if i == len(a) {
		return attr{}, nil, false, nil
	}
	j := i
	for j < len(a) && a[j] != '=' && !isSpace(a[j]) {
		j++
	}
	name := a[i:j]
	for j < len(a) && isSpace(a[j]) {
		j++
	}
	if j == len(a) || a[j] != '=' || len(name) == 0 {
		return attr{}, nil, false, errAttr
	}
	j++
	for j < len(a) && isSpace(a[j]) {
		j++
	}
	if j == len(a) || (a[j] != '"' && a[j] != '\'') {
		return attr{}, nil, false, errAttr
	}
	q := a[j]
	k := bytes.IndexByte(a[j+1:], q)
	if k < 0 {
		return attr{}, nil, false, errAttr
	}
	return attr{name: name, value: a[j+1 : j+1+k]}, a[j+2+k:], true, nil
}

var errAttr = errors.New("malformed attribute")

// attrs calls fn for each attribute of the current tag.
func (s *scanner) eachAttr(fn func(attr) error) error {
	a := s.attrs
	for {
		at, rest, ok, err := nextAttr(a)
		if err != nil {
			return s.malformed("a tag's attributes are malformed")
		}
		if !ok {
			return nil
		}
		if err := fn(at); err != nil {
			return err
		}
		a = rest
	}
}

// attrText decodes an attribute value: entities and line ends.
func (s *scanner) attrText(v []byte) (string, error) {
	if bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return string(v), nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			end := bytes.IndexByte(v[i:], ';')
			if end < 0 {
				return "", s.malformed("an entity reference is not terminated")
			}
			var ok bool
			if out, ok = appendEntity(out, v[i+1:i+end]); !ok {
				return "", s.malformed("unknown entity in an attribute")
			}
			i += end
		case '\r':
			out = append(out, '\n')
			if i+1 < len(v) && v[i+1] == '\n' {
				i++
			}
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}
