package values

import (
	"strconv"
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
