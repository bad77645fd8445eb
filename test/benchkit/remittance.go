package benchkit

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// RemittanceHeader is the header row of the generated remittance.
var RemittanceHeader = []string{"Member ID", "Member Name", "Phone", "Period End", "Hours", "Hourly Rate",
	"Gross Wages", "Dues Rate", "Dues", "Initiation Paid", "Notes"}

// RemittancePayload returns the configuration the typed benchmark runs on
// the remittance: nine fields, typed (number, money, percent, boolean,
// date) or, with typed false, the same fields as strings.
func RemittancePayload(typed bool) map[string]any {
	field := func(name, synonym, typ string, opts ...string) map[string]any {
		f := map[string]any{"name": name, "synonyms": []any{synonym}}
		if typed && typ != "" {
			f["type"] = typ
			for i := 0; i+1 < len(opts); i += 2 {
				f[opts[i]] = opts[i+1]
			}
		}
		return f
	}
	return map[string]any{
		"extractor": "tabular",
		"fields": []any{
			field("member_id", "member id", ""),
			field("member_name", "member name", ""),
			field("period_end", "period end", "date"),
			field("hours", "hours", "number"),
			field("hourly_rate", "hourly rate", "money", "currency", "USD"),
			field("gross_wages", "gross wages", "money", "currency", "USD"),
			field("dues_rate", "dues rate", "percent"),
			field("dues", "dues", "money", "currency", "USD"),
			field("initiation_paid", "initiation paid", "boolean"),
		},
	}
}

// WriteRemittanceCSV writes a deterministic dues remittance until at
// least target bytes are written, then a Total row whose hours, gross
// wages and dues are the exact sums of the rows above it. Amounts vary
// row by row and are written the ways payroll exports write them
// ("$6,800.00", "($474.00)", "85.00", "1.25%", "Y"). It returns the bytes
// written.
func WriteRemittanceCSV(w io.Writer, target int64) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	out := csv.NewWriter(bw)
	if err := out.Write(RemittanceHeader); err != nil {
		return 0, err
	}
	names := []string{"Avery Smith", "Jordan O'Connor", "Taylor St-Pierre", "Casey Nguyen", "Morgan Patel", "Riley Kim"}
	cents := func(c int64) string { // 123456 -> 1,234.56
		neg := c < 0
		if neg {
			c = -c
		}
		whole, frac := strconv.FormatInt(c/100, 10), fmt.Sprintf("%02d", c%100)
		for i := len(whole) - 3; i > 0; i -= 3 {
			whole = whole[:i] + "," + whole[i:]
		}
		s := whole + "." + frac
		if neg {
			return "(" + s + ")"
		}
		return s
	}
	var hoursQ, grossC, duesC int64 // hours in quarters, amounts in cents
	rec := make([]string, len(RemittanceHeader))
	for i := 0; cw.n+int64(bw.Buffered()) < target; i++ {
		q := int64(40 + i%700)            // 10 to 184.75 hours
		rate := int64(3000 + (i*37)%2500) // $30.00 to $54.99
		gross := q * rate / 4
		if i%97 == 0 {
			gross = -gross // a correction
		}
		bp := int64(100 + i%4*25) // dues rate in basis points
		dues := gross * bp / 10000
		hoursQ, grossC, duesC = hoursQ+q, grossC+gross, duesC+dues
		rec[0] = "M-" + strconv.Itoa(100000+i)
		rec[1] = names[i%len(names)]
		rec[2] = fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000)
		rec[3] = fmt.Sprintf("2024-%02d-%02d", i%12+1, i%28+1)
		rec[4] = quarters(q)
		rec[5] = "$" + cents(rate)
		rec[6] = "$" + cents(gross)
		rec[7] = quarters(bp/25) + "%"
		rec[8] = cents(dues)
		rec[9] = []string{"Y", "N", "N", "N"}[i%4]
		rec[10] = "crew " + strconv.Itoa(i%40)
		if err := out.Write(rec); err != nil {
			return cw.n, err
		}
		if i%1000 == 0 {
			out.Flush()
		}
	}
	if err := out.Write([]string{"Total", "", "", "", quarters(hoursQ), "", "$" + cents(grossC), "", cents(duesC), "", ""}); err != nil {
		return cw.n, err
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return cw.n, err
	}
	err := bw.Flush()
	return cw.n, err
}

// quarters writes a number of quarter hours as hours ("152.25").
func quarters(q int64) string {
	s := strconv.FormatInt(q/4, 10)
	switch q % 4 {
	case 1:
		s += ".25"
	case 2:
		s += ".5"
	case 3:
		s += ".75"
	}
	return s
}
