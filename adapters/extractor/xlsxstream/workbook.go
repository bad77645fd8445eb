package xlsxstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
)

// Visibility is a sheet's visibility as the workbook records it.
type Visibility uint8

// Sheet visibilities.
const (
	Visible    Visibility = iota // shown as a tab
	Hidden                       // hidden; the user can unhide it
	VeryHidden                   // hidden; only a macro can unhide it
)

func (v Visibility) String() string {
	switch v {
	case Hidden:
		return "hidden"
	case VeryHidden:
		return "veryHidden"
	}
	return "visible"
}

// Sheet describes one sheet of the workbook.
type Sheet struct {
	Index      int        // position in the workbook's order, from 0
	Name       string     // the tab's name
	Visibility Visibility // visible, hidden or veryHidden
	Active     bool       // the sheet the workbook opens on (bookViews activeTab)
	// Type is the relationship's kind: "worksheet", "chartsheet",
	// "dialogsheet" or "xlMacrosheet"; only worksheets hold cells.
	Type string
	// Part is the sheet's part in the package ("xl/worksheets/sheet1.xml"),
	// empty when the workbook names no readable part for it.
	Part string
}

// Workbook is an opened XLSX (or XLSM) package. Its methods and the Rows
// it returns are not safe for concurrent use. Close releases everything,
// temporary files included.
type Workbook struct {
	opts   Options
	lim    Limits
	pkg    *pkg
	closer io.Closer // the file opened by OpenFile

	sheets   []Sheet
	date1904 bool
	stylesAt string // styles part, "" when none
	sstAt    string // shared strings part, "" when none

	styles    *styles
	sst       *sharedStrings
	sstErr    error
	cells     int64 // cells yielded so far, all sheets together
	closed    bool
	openRows  map[*Rows]struct{}
	nextRowID int
}

// OpenFile opens the workbook at path; Close closes the file.
func OpenFile(ctx context.Context, path string, opts Options) (*Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	w, err := Open(ctx, f, fi.Size(), opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	w.closer = f
	return w, nil
}

// Open reads a workbook's package directory, its relationships and its
// sheet list from r (size bytes), under ctx. Shared strings and styles are
// read when the first sheet's rows are.
func Open(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Workbook, error) {
	w := &Workbook{opts: opts, lim: opts.Limits.withDefaults(), openRows: map[*Rows]struct{}{}}
	if w.opts.SharedStringsMemory <= 0 {
		w.opts.SharedStringsMemory = DefaultSharedStringsMemory
	}
	p, err := openPkg(r, size, &w.lim)
	if err != nil {
		return nil, err
	}
	w.pkg = p
	if err := w.readWorkbook(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// Sheets lists the workbook's sheets in its order.
func (w *Workbook) Sheets() []Sheet { return append([]Sheet(nil), w.sheets...) }

// Date1904 reports whether the workbook counts dates from 1904 (as older
// Mac workbooks do) rather than from 1900.
func (w *Workbook) Date1904() bool { return w.date1904 }

// Close releases the workbook: it closes the rows still open, removes the
// temporary files and closes the file OpenFile opened. It is safe to call
// more than once.
func (w *Workbook) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	for r := range w.openRows {
		_ = r.Close()
	}
	var errs []error
	if w.sst != nil {
		errs = append(errs, w.sst.close())
		w.sst = nil
	}
	if w.closer != nil {
		errs = append(errs, w.closer.Close())
	}
	return errors.Join(errs...)
}

// rel is one package relationship.
type rel struct {
	id, kind, target string // kind: the type URI's last segment
	external         bool
}

// relsPart is the relationships part of the part at name.
func relsPart(name string) string {
	dir, file := path.Split(name)
	return dir + "_rels/" + file + ".rels"
}

// resolveTarget resolves a relationship target against its source part.
func resolveTarget(source, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.Contains(target, "%") {
		if t, err := url.PathUnescape(target); err == nil {
			target = t
		}
	}
	if strings.HasPrefix(target, "/") {
		return partName(path.Clean(target))
	}
	return partName(path.Clean(path.Join(path.Dir(source), target)))
}

// readRels reads the relationships of the part source; a missing
// relationships part has none.
func (w *Workbook) readRels(ctx context.Context, source string) ([]rel, error) {
	name := relsPart(source)
	if source == "" {
		name = "_rels/.rels"
	}
	if _, ok := w.pkg.parts[name]; !ok {
		return nil, nil
	}
	var rels []rel
	err := w.walk(ctx, name, func(s *scanner, depth int) error {
		if depth != 2 || string(s.name) != "Relationship" {
			return nil
		}
		if len(rels) >= w.lim.Parts {
			return &LimitError{Limit: LimitParts, Value: int64(w.lim.Parts), Part: name}
		}
		var r rel
		err := s.eachAttr(func(a attr) error {
			v, err := s.attrText(a.value)
			switch string(a.name) {
			case "Id":
				r.id = v
			case "Type":
				r.kind = v[strings.LastIndexByte(v, '/')+1:]
			case "Target":
				r.target = v
			case "TargetMode":
				r.external = v == "External"
			}
			return err
		})
		if err != nil {
			return err
		}
		if !r.external {
			r.target = resolveTarget(source, r.target)
		}
		rels = append(rels, r)
		return nil
	})
	return rels, err
}

// walk scans a whole part and calls fn for each start or empty tag with
// its depth (the root is 1).
func (w *Workbook) walk(ctx context.Context, name string, fn func(s *scanner, depth int) error) error {
	rc, err := w.pkg.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	s := newScanner(ctx, rc, name, &w.lim)
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			return nil
		case tokStart:
			err = fn(s, s.depth)
		case tokEmpty:
			err = fn(s, s.depth+1)
		}
		if err != nil {
			return err
		}
	}
}

func parseBool(v string) bool { return v == "1" || v == "true" }

// readWorkbook finds the workbook part and reads its sheet list.
func (w *Workbook) readWorkbook(ctx context.Context) error {
	root, err := w.readRels(ctx, "")
	if err != nil {
		return err
	}
	book := ""
	for _, r := range root {
		if r.kind == "officeDocument" && !r.external {
			book = r.target
			break
		}
	}
	if _, ok := w.pkg.parts[book]; !ok {
		book = "xl/workbook.xml"
		if _, ok := w.pkg.parts[book]; !ok {
			return ErrNotWorkbook
		}
	}
	rels, err := w.readRels(ctx, book)
	if err != nil {
		return err
	}
	byID := map[string]rel{}
	for _, r := range rels {
		byID[r.id] = r
		switch r.kind {
		case "styles":
			w.stylesAt = r.target
		case "sharedStrings":
			w.sstAt = r.target
		}
	}
	// Workbooks whose relationships omit these parts still get them read,
	// as Excel does.
	if w.stylesAt == "" {
		if _, ok := w.pkg.parts[path.Join(path.Dir(book), "styles.xml")]; ok {
			w.stylesAt = path.Join(path.Dir(book), "styles.xml")
		}
	}
	if w.sstAt == "" {
		if _, ok := w.pkg.parts[path.Join(path.Dir(book), "sharedstrings.xml")]; ok {
			w.sstAt = path.Join(path.Dir(book), "sharedstrings.xml")
		}
	}

	active, inBookViews, inSheets, sawView := 0, false, false, false
	err = w.walk(ctx, book, func(s *scanner, depth int) error {
		switch {
		case depth == 1 && string(s.name) != "workbook":
			return s.malformed("the workbook part's root is not a workbook")
		case depth == 2:
			inBookViews = string(s.name) == "bookViews"
			inSheets = string(s.name) == "sheets"
			if string(s.name) == "workbookPr" {
				return s.eachAttr(func(a attr) error {
					if string(a.name) == "date1904" {
						w.date1904 = parseBool(string(a.value))
					}
					return nil
				})
			}
		case depth == 3 && inBookViews && string(s.name) == "workbookView" && !sawView:
			sawView = true
			return s.eachAttr(func(a attr) error {
				if string(a.name) == "activeTab" {
					if n, err := strconv.Atoi(string(a.value)); err == nil {
						active = n
					}
				}
				return nil
			})
		case depth == 3 && inSheets && string(s.name) == "sheet":
			if len(w.sheets) >= w.lim.Sheets {
				return &LimitError{Limit: LimitSheets, Value: int64(w.lim.Sheets), Part: book}
			}
			sh := Sheet{Index: len(w.sheets)}
			var id string
			err := s.eachAttr(func(a attr) error {
				v, err := s.attrText(a.value)
				switch {
				case string(a.name) == "name":
					sh.Name = v
				case string(a.name) == "state":
					switch v {
					case "hidden":
						sh.Visibility = Hidden
					case "veryHidden":
						sh.Visibility = VeryHidden
					}
				case bytes.HasSuffix(a.name, []byte(":id")) && !bytes.HasPrefix(a.name, []byte("xmlns")):
					id = v
				}
				return err
			})
			if err != nil {
				return err
			}
			if r, ok := byID[id]; ok && !r.external {
				sh.Type = r.kind
				if _, ok := w.pkg.parts[r.target]; ok {
					sh.Part = r.target
				}
			}
			w.sheets = append(w.sheets, sh)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if active < 0 || active >= len(w.sheets) {
		active = 0
	}
	if len(w.sheets) > 0 {
		w.sheets[active].Active = true
	}
	return nil
}

// sheet returns the sheet at index.
func (w *Workbook) sheet(index int) (Sheet, error) {
	if w.closed {
		return Sheet{}, errors.New("xlsx: the workbook is closed")
	}
	if index < 0 || index >= len(w.sheets) {
		return Sheet{}, fmt.Errorf("xlsx: no sheet %d (the workbook has %d)", index, len(w.sheets))
	}
	sh := w.sheets[index]
	if sh.Part == "" {
		return sh, malformed("", fmt.Sprintf("sheet %q has no part in the package", sh.Name), nil)
	}
	return sh, nil
}

// prepare reads the styles and the shared strings, once.
func (w *Workbook) prepare(ctx context.Context) error {
	if w.styles == nil {
		st, err := w.readStyles(ctx)
		if err != nil {
			return err
		}
		w.styles = st
	}
	if w.sst == nil && w.sstErr == nil && w.sstAt != "" {
		if _, ok := w.pkg.parts[w.sstAt]; ok {
			sst, err := w.readSharedStrings(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.sstErr = err // the part's fault: it would fail again
				}
				return err
			}
			w.sst = sst
		}
	}
	return w.sstErr
}
