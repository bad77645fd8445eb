//go:build ignore

// Command gen writes remittance-balanced.xlsx, a dues remittance whose
// subtotals and grand total add up, with amounts, rates, hours and dates
// stored as numbers under number formats, as an employer's payroll export
// writes them:
//
//	go run ./adapters/extractor/tabular/testdata/remittance/gen.go
package main

import (
	"log"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/xuri/excelize/v2"
)

type member struct {
	id, name, phone string
	hours           float64
	rate, gross     float64
	duesRate        float64
	dues            float64
	initiation      bool
	periodEnd       float64 // Excel serial day
}

func main() {
	_, self, _, _ := runtime.Caller(0)
	out := filepath.Join(filepath.Dir(self), "remittance-balanced.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Remittance"
	check(f.SetSheetName("Sheet1", sh))
	money := `"$"#,##0.00;("$"#,##0.00)`
	style := func(code string) int {
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		check(err)
		return id
	}
	moneyStyle, pctStyle, hoursStyle, dateStyle := style(money), style("0.00%"), style("0.00"), style("yyyy-mm-dd")

	set := func(cell string, v any) { check(f.SetCellValue(sh, cell, v)) }
	set("A1", "Local 212 Monthly Dues Remittance")
	set("A2", "Employer: Prairie Build Systems")
	set("A3", "Period: March 2024")
	header := []any{"Member ID", "Member Name", "Phone", "Period End", "Hours", "Hourly Rate", "Gross Wages", "Dues Rate", "Dues Deducted", "Initiation Paid"}
	check(f.SetSheetRow(sh, "A5", &header))

	crewA := []member{
		{"M-1001", "Avery Smith", "(236) 551-1017", 160, 42.50, 6800.00, 0.0125, 85.00, true, 45382},
		{"M-1002", "Noah O'Connor", "236.551.1018", 152.5, 38.75, 5909.38, 0.0125, 73.87, false, 45382},
		{"M-1003", "Liam Nguyen", "+1 236-551-1019", 171.25, 44.10, 7552.13, 0.0125, 94.40, false, 45382},
		{"M-1004", "Mason Chen", "236 551 1020", 80, 36.00, 2880.00, 0.0125, 36.00, true, 45382},
	}
	crewB := []member{
		{"M-2001", "Ethan Wilson", "(604) 555-0199", 168, 40.00, 6720.00, 0.015, 100.80, false, 45382},
		{"M-2002", "Morgan St-Pierre", "604-555-0142", 140.75, 41.20, 5798.90, 0.015, 86.98, false, 45382},
		{"M-2003", "Quinn Park", "604 555 0177", 12, 39.50, -474.00, 0.015, -7.11, false, 45382},
	}
	row := 6
	writeMember := func(m member) {
		r := func(col string) string { c, _ := excelize.JoinCellName(col, row); return c }
		set(r("A"), m.id)
		set(r("B"), m.name)
		set(r("C"), m.phone)
		set(r("D"), m.periodEnd)
		set(r("E"), m.hours)
		set(r("F"), m.rate)
		set(r("G"), m.gross)
		set(r("H"), m.duesRate)
		set(r("I"), m.dues)
		if m.initiation {
			set(r("J"), "x")
		}
		check(f.SetCellStyle(sh, r("D"), r("D"), dateStyle))
		check(f.SetCellStyle(sh, r("E"), r("E"), hoursStyle))
		check(f.SetCellStyle(sh, r("F"), r("G"), moneyStyle))
		check(f.SetCellStyle(sh, r("H"), r("H"), pctStyle))
		check(f.SetCellStyle(sh, r("I"), r("I"), moneyStyle))
		row++
	}
	writeTotal := func(label string, ms []member) {
		var hours, gross, dues float64
		for _, m := range ms {
			hours += m.hours
			gross += m.gross
			dues += m.dues
		}
		r := func(col string) string { c, _ := excelize.JoinCellName(col, row); return c }
		set(r("A"), label)
		// Rounded to cents as a spreadsheet's SUM shows them.
		set(r("E"), round2(hours))
		set(r("G"), round2(gross))
		set(r("I"), round2(dues))
		check(f.SetCellStyle(sh, r("E"), r("E"), hoursStyle))
		check(f.SetCellStyle(sh, r("G"), r("G"), moneyStyle))
		check(f.SetCellStyle(sh, r("I"), r("I"), moneyStyle))
		row++
	}
	for _, m := range crewA {
		writeMember(m)
	}
	writeTotal("Subtotal", crewA)
	for _, m := range crewB {
		writeMember(m)
	}
	writeTotal("Subtotal", crewB)
	writeTotal("Total", append(append([]member{}, crewA...), crewB...))
	row += 2
	set("A"+strconv.Itoa(row), "Remit by the 15th of the following month. Questions: dues@local212.example")
	check(f.SaveAs(out))
}

func round2(x float64) float64 {
	if x < 0 {
		return -float64(int64(-x*100+0.5)) / 100
	}
	return float64(int64(x*100+0.5)) / 100
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
