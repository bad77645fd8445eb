package values

import (
	"strconv"
	"strings"
	"time"
)

// CellKind is how a spreadsheet writer stores a cell.
type CellKind uint8

// Cell kinds.
const (
	// CellText is a string cell (an inline or shared string in XLSX).
	CellText CellKind = iota
	// CellNumber is a numeric cell: XLSX <c><v>Value</v></c>, Value being a
	// plain decimal written as is (never through a float).
	CellNumber
	// CellBoolean is a boolean cell: XLSX <c t="b"><v>1</v></c>.
	CellBoolean
)

// SheetCell is how a spreadsheet writer (XLSX) stores one canonical value.
type SheetCell struct {
	Kind CellKind
	// Value is the text of the cell: the decimal of a number, "1" or "0"
	// for a boolean, the text of a string.
	Value string
	// Format is the number format code the cell wants ("" for General):
	// `#,##0.00 "USD"` for money, `0.00%` for percentages, `yyyy-mm-dd`
	// for dates (stored as Excel serial day numbers).
	Format string
}

// SheetCell maps a canonical value of the parser's column (as Canonical
// wrote it) to a spreadsheet cell. A value that is not canonical (an
// invalid value kept as written) or is empty becomes a text cell, so a
// writer can call it on every cell of a typed column. CSV writers need
// none of this: they write the canonical text.
func (p *Parser) SheetCell(canonical string) SheetCell {
	text := SheetCell{Kind: CellText, Value: canonical}
	if canonical == "" {
		return text
	}
	switch p.typ {
	case TypeNumber, TypeInteger, TypeMoney, TypePercent:
		q := *p
		q.dec, q.opts.Decimal = '.', DecimalPoint
		v, err := q.Parse(canonical)
		if err != nil || v.empty {
			return text
		}
		switch p.typ {
		case TypeMoney:
			return SheetCell{Kind: CellNumber, Value: string(v.appendDecimal(nil)), Format: moneyFormat(v.currency)}
		case TypePercent:
			if p.points {
				v.dec.Exponent -= 2
			}
			return SheetCell{Kind: CellNumber, Value: string(v.appendDecimal(nil)), Format: "0.00%"}
		}
		return SheetCell{Kind: CellNumber, Value: canonical}
	case TypeBoolean:
		switch canonical {
		case "true":
			return SheetCell{Kind: CellBoolean, Value: "1"}
		case "false":
			return SheetCell{Kind: CellBoolean, Value: "0"}
		}
	case TypeDate:
		if serial, ok := excelSerial(canonical); ok {
			return SheetCell{Kind: CellNumber, Value: strconv.Itoa(serial), Format: "yyyy-mm-dd"}
		}
	}
	return text
}

// moneyFormat shows the currency's minor units and its code.
func moneyFormat(code string) string {
	f := "#,##0"
	if n := currencies[codeOf(code)].minor; n > 0 {
		f += "."
		for range n {
			f += "0"
		}
	}
	return f + ` "` + code + `"`
}

// excelEpoch is day 0 of Excel's 1900 date system, as Unix seconds.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Unix()

// excelSerial is the serial day number of an ISO date (2006-01-02) in
// Excel's 1900 date system, which counts a 29 February 1900 that never
// was; ok is false for other text and for dates before 1900.
func excelSerial(iso string) (int, bool) {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil || t.Year() < 1900 {
		return 0, false
	}
	n := int((t.Unix() - excelEpoch) / 86400)
	if n < 61 { // before 1 March 1900
		n--
	}
	return n, true
}

// CanonicalStored is Canonical for a spreadsheet's number cell, which
// stores a number (stored: a plain decimal or an exponent form such as
// 1.5E-07, as the file holds it) and shows it through a number format
// (shown: "$1,234.57", "12.5%"). The number comes from the stored value,
// so the digits the format hides or rounds are kept; the shown text tells
// what the stored number cannot:
//
//   - money: the currency of a marker in the shown text ("€1.234,57" is
//     EUR), else the column's currency;
//   - percent: a shown "%" says the stored number is the fraction (12.5%
//     is stored 0.125), so a column counting percentage points gets 12.5;
//     without one the stored number counts as the column says.
//
// Other types read the shown text (Canonical). ok is false (and out is
// shown unchanged) when the stored value does not read as the column's
// type: an integer column's 12.4 shown as "12", or money with no currency.
func (p *Parser) CanonicalStored(shown, stored string) (out string, ok bool) {
	if !p.typ.numeric() {
		return p.Canonical(shown)
	}
	q := *p
	q.dec, q.opts.Decimal = '.', DecimalPoint
	var v Value
	switch p.typ {
	case TypeMoney:
		var s Value
		if p.parseNumeric(&s, shown) == nil && !s.empty {
			q.currency = codeOf(s.currency)
		}
	case TypePercent:
		// The stored number of a cell shown with "%" is a fraction.
		if strings.IndexByte(shown, '%') >= 0 {
			q.points = false
			if err := q.parseNumeric(&v, stored); err != nil || v.empty {
				return shown, false
			}
			if p.points {
				v.dec.Exponent += 2 // zero stays "0": zeros are never padded
			}
			var buf [64]byte
			return string(v.AppendText(buf[:0])), true
		}
	}
	if err := q.parseNumeric(&v, stored); err != nil || v.empty {
		return shown, false
	}
	var buf [64]byte
	return string(v.AppendText(buf[:0])), true
}
