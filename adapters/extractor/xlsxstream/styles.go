package xlsxstream

import (
	"context"
	"strconv"
	"strings"
)

// maxCellFormats bounds the cell formats kept: Excel allows 64,000.
const maxCellFormats = 65_536

// styles is what the reader needs of the styles part: for each cell
// format (the s attribute of a cell), its number format and whether that
// format shows a date or a time.
type styles struct {
	numFmt []int    // by cell format
	date   []bool   // by cell format
	custom []string // by cell format: the custom format code, "" for built-in ones
}

// isDate reports whether cell format xf shows dates or times.
func (s *styles) isDate(xf int) bool { return xf >= 0 && xf < len(s.date) && s.date[xf] }

// NumberFormat returns the number format of cell format style (a Cell's
// Style): its id and, for a custom format, its code ("" for the built-in
// ones, which ECMA-376 lists by id). ok is false when the workbook has no
// such cell format, or before a first Rows has read the styles.
func (w *Workbook) NumberFormat(style int) (id int, code string, ok bool) {
	if w.styles == nil || style < 0 || style >= len(w.styles.numFmt) {
		return 0, "", false
	}
	return w.styles.numFmt[style], w.styles.custom[style], true
}

// builtinDate reports whether a built-in number format id is a date or
// time format: 14-22 and 45-47 in every locale, 27-36 and 50-58 in the
// East Asian ones.
func builtinDate(id int) bool {
	return id >= 14 && id <= 22 || id >= 27 && id <= 36 || id >= 45 && id <= 47 || id >= 50 && id <= 58
}

// isDateFormat reports whether a number format code shows a date or a
// time: whether it holds a date or time token (y, m, d, h, s, or an
// elapsed-time [h], [m], [s]) outside quoted text, escaped characters and
// bracketed modifiers (colours, conditions, locales).
func isDateFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++ // the next character is literal (or a width, or a fill)
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			if elapsed(code[i+1 : i+1+j]) {
				return true
			}
			i += j + 1
		default:
			switch c | 0x20 {
			case 'y', 'm', 'd', 'h', 's':
				return true
			}
		}
	}
	return false
}

// elapsed reports whether a bracketed modifier is an elapsed-time token
// ([h], [mm], [ss], ...).
func elapsed(tok string) bool {
	if tok == "" {
		return false
	}
	c := tok[0] | 0x20
	if c != 'h' && c != 'm' && c != 's' {
		return false
	}
	for i := 1; i < len(tok); i++ {
		if tok[i]|0x20 != c {
			return false
		}
	}
	return true
}

// readStyles reads the cell formats and number formats of the styles
// part. A workbook without one has no dates.
func (w *Workbook) readStyles(ctx context.Context) (*styles, error) {
	st := &styles{}
	if _, ok := w.pkg.parts[w.stylesAt]; w.stylesAt == "" || !ok {
		return st, nil
	}
	customs := map[int]string{}
	section := ""
	err := w.walk(ctx, w.stylesAt, func(s *scanner, depth int) error {
		if depth == 2 {
			section = string(s.name)
			return nil
		}
		if depth != 3 {
			return nil
		}
		switch {
		case section == "numFmts" && string(s.name) == "numFmt":
			if len(customs) >= maxCellFormats {
				return nil
			}
			id, code := -1, ""
			err := s.eachAttr(func(a attr) error {
				switch string(a.name) {
				case "numFmtId":
					if n, err := strconv.Atoi(string(a.value)); err == nil {
						id = n
					}
				case "formatCode":
					v, err := s.attrText(a.value)
					code = v
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
			if _, seen := customs[id]; id >= 0 && !seen {
				customs[id] = code
			}
		case section == "cellXfs" && string(s.name) == "xf":
			if len(st.numFmt) >= maxCellFormats {
				return nil
			}
			id := 0
			err := s.eachAttr(func(a attr) error {
				if string(a.name) == "numFmtId" {
					if n, err := strconv.Atoi(string(a.value)); err == nil {
						id = n
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			st.numFmt = append(st.numFmt, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.date = make([]bool, len(st.numFmt))
	st.custom = make([]string, len(st.numFmt))
	for i, id := range st.numFmt {
		if code, ok := customs[id]; ok {
			st.custom[i] = code
			st.date[i] = isDateFormat(code)
		} else {
			st.date[i] = builtinDate(id)
		}
	}
	return st, nil
}
