package values

import "strconv"

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

// excelSerial is the serial day number of an ISO date (2006-01-02) in
// Excel's 1900 date system, which counts a 29 February 1900 that never
// was; ok is false for other text and for dates before 1900.
func excelSerial(iso string) (int, bool) {
	if len(iso) != 10 || iso[4] != '-' || iso[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(iso[0:4])
	m, ok2 := digits(iso[5:7])
	d, ok3 := digits(iso[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1900 || m < 1 || m > 12 || d < 1 || d > monthDays(y, m) {
		return 0, false
	}
	n := daysFromCivil(y, m, d) - daysFromCivil(1899, 12, 30)
	if n < 61 { // before 1 March 1900
		n--
	}
	return n, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func monthDays(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's algorithm), in integers.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
