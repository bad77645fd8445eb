package read

import (
	"strings"
	"unicode/utf8"
)

// Kind is what a cell holds.
type Kind uint8

// Cell kinds. CSV text has no types: its non-empty cells are Text.
const (
	// Empty: nothing, or only white space.
	Empty Kind = iota
	// Text: a string.
	Text
	// Number: a number; Raw is its shortest decimal form.
	Number
	// Bool: a boolean; Raw is "1" or "0".
	Bool
	// Date: a number shown as a date or time; Raw is the serial number
	// (days since 1899-12-30, 1900 date system).
	Date
	// Error: a formula error such as #N/A; Raw is the error text.
	Error
)

var kindNames = [...]string{"empty", "text", "number", "bool", "date", "error"}

// String returns the kind's lowercase name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Cell is one cell: its kind, the text a spreadsheet application shows
// (what detection reads and outputs write) and the raw stored value.
type Cell struct {
	Kind Kind
	Text string
	Raw  string
}

// Row is one spreadsheet row: its 1-based number and its cells from column
// A, stored by column (Cells, and Kinds and Raw when a reader knows more
// than text). Rows are read once and never modified by their consumers.
type Row struct {
	// Num is the 1-based row number a spreadsheet application shows.
	Num int
	// Hidden is the row's hidden flag (workbooks only).
	Hidden bool
	// Cells holds the text of each cell from column A.
	Cells []string
	// Kinds holds each cell's kind; nil means every non-blank cell is Text.
	Kinds []Kind
	// Raw holds each cell's raw value; nil means Raw equals Cells.
	Raw []string
	// When Masked (rows of at most 64 cells), bit c of NonBlank says that
	// cell c is not blank, and bit c of Letters that it has a letter (or a
	// non-ASCII character) and no '@': per-row checks become bit counts.
	// Bit c of Plain says that cell c is ASCII text a CSV output writes as
	// it is: nothing encoding/csv would quote in a comma-separated file,
	// and no first character a spreadsheet could read as a formula.
	Masked                   bool
	NonBlank, Letters, Plain uint64
}

// Cell returns cell c (0-based) of the row; past the last cell it is Empty.
func (r *Row) Cell(c int) Cell {
	if c < 0 || c >= len(r.Cells) {
		return Cell{}
	}
	cell := Cell{Text: r.Cells[c], Raw: r.Cells[c]}
	if r.Raw != nil && c < len(r.Raw) {
		cell.Raw = r.Raw[c]
	}
	switch {
	case r.Kinds != nil && c < len(r.Kinds):
		cell.Kind = r.Kinds[c]
	case IsBlank(cell.Text):
		cell.Kind = Empty
	default:
		cell.Kind = Text
	}
	return cell
}

// Mask fills in the row's cell masks when it has at most 64 cells.
func (r *Row) Mask() {
	if len(r.Cells) > 64 {
		return
	}
	var m masks
	for c, v := range r.Cells {
		m.add(c, v)
	}
	m.set(r)
}

// masks are a row's cell masks being built, cell by cell.
type masks struct{ nonBlank, letters, plain uint64 }

// add sets the bits of cell c (below 64).
func (m *masks) add(c int, v string) {
	acc := cellClass(v)
	if acc&classNonASCII != 0 {
		if !IsBlank(v) {
			m.nonBlank |= 1 << c
		}
		if HasLetters(v) {
			m.letters |= 1 << c
		}
		return // never plain
	}
	// Or-ed without branches: the bits of the classes, shifted.
	m.nonBlank |= uint64(acc&classSolid) << c
	m.letters |= uint64(acc>>1&^(acc>>2)&1) << c // a letter, no '@'
	if plainCell(v, acc) {
		m.plain |= 1 << c
	}
}

// set gives the row its masks.
func (m *masks) set(r *Row) {
	r.Masked, r.NonBlank, r.Letters, r.Plain = true, m.nonBlank, m.letters, m.plain
}

// plainCell reports whether a cell whose byte classes are acc is written
// to CSV as it is (see Row.Plain). Anything it is unsure of is not plain.
func plainCell(s string, acc uint8) bool {
	switch {
	case s == "":
		return true
	case acc&(classNonASCII|classQuote) != 0, s == `\.`:
		return false
	}
	switch s[0] {
	case ' ', '\t', '\v', '\f', '\r', '=', '+', '-', '@':
		return false
	}
	return true
}

// Blank reports whether the row has no non-blank cell.
func (r *Row) Blank() bool {
	if r.Masked {
		return r.NonBlank == 0
	}
	for _, c := range r.Cells {
		if !IsBlank(c) {
			return false
		}
	}
	return true
}

// CellBits is !IsBlank(s) and HasLetters(s) in one pass: the classes of
// an ASCII cell's bytes are or-ed together, without a branch per byte.
func CellBits(s string) (nonBlank, letters bool) { return classBits(s, cellClass(s)) }

// classBits is CellBits of a cell whose byte classes are acc.
func classBits(s string, acc uint8) (nonBlank, letters bool) {
	if acc&classNonASCII != 0 {
		return !IsBlank(s), HasLetters(s)
	}
	return acc&classSolid != 0, acc&(classLetter|classAt) == classLetter
}

// cellClass ors the classes of a cell's bytes.
func cellClass(s string) uint8 {
	var acc uint8
	for len(s) >= 8 {
		acc |= byteClass[s[0]] | byteClass[s[1]] | byteClass[s[2]] | byteClass[s[3]] |
			byteClass[s[4]] | byteClass[s[5]] | byteClass[s[6]] | byteClass[s[7]]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		acc |= byteClass[s[i]]
	}
	return acc
}

// Byte classes of cellClass: anything but ASCII white space is solid;
// classQuote marks what makes a CSV field quoted.
const (
	classSolid    = 1
	classLetter   = 2
	classAt       = 4
	classNonASCII = 8
	classQuote    = 16
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = classSolid | classNonASCII
		case isASCIILetter(byte(c)):
			t[c] = classSolid | classLetter
		case c == '@':
			t[c] = classSolid | classAt
		case c == '\n', c == '\r':
			t[c] = classQuote
		case c == ' ', c == '\t', c == '\v', c == '\f':
		case c == ',', c == '"':
			t[c] = classSolid | classQuote
		default:
			t[c] = classSolid
		}
	}
	return t
}()

// HasLetters reports whether s has an ASCII letter or a non-ASCII
// character, and no '@': a cheap over-approximation of "could be a label".
func HasLetters(s string) bool {
	if strings.IndexByte(s, '@') >= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || isASCIILetter(c) {
			return true
		}
	}
	return false
}

// IsBlank reports whether a cell holds nothing but white space.
func IsBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.TrimSpace(s) == ""
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// ColumnLetter returns the A1 letters of a 0-based column index.
func ColumnLetter(col int) string {
	col++
	var buf [8]byte
	i := len(buf)
	for col > 0 {
		col--
		i--
		buf[i] = byte('A' + col%26)
		col /= 26
	}
	return string(buf[i:])
}

// CellRef returns the A1 reference of a 0-based column and 1-based row.
func CellRef(col, row int) string {
	return ColumnLetter(col) + itoa(row)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
