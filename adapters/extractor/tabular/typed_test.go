package tabular_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular"
)

// genDecimal is a random exact decimal: its sign, integer digits and
// fraction digits, as written by no one in particular.
type genDecimal struct {
	neg        bool
	int, frac  string
	pointStyle bool // the column writes "." for decimals (else ",")
}

func drawDecimal(t *rapid.T, label string, point bool) genDecimal {
	d := genDecimal{pointStyle: point}
	d.neg = rapid.Bool().Draw(t, label+"neg")
	n := rapid.IntRange(1, 13).Draw(t, label+"intDigits")
	var b strings.Builder
	for i := range n {
		lo := 0
		if i == 0 && n > 1 {
			lo = 1
		}
		b.WriteByte(byte('0' + rapid.IntRange(lo, 9).Draw(t, label+"d")))
	}
	d.int = b.String()
	b.Reset()
	for range rapid.IntRange(0, 8).Draw(t, label+"fracDigits") {
		b.WriteByte(byte('0' + rapid.IntRange(0, 9).Draw(t, label+"f")))
	}
	d.frac = b.String()
	return d
}

// canonical is the decimal's canonical text; minFrac pads the fraction
// (money's minor units).
func (d genDecimal) canonical(minFrac int) string {
	in := strings.TrimLeft(d.int, "0")
	if in == "" {
		in = "0"
	}
	frac := strings.TrimRight(d.frac, "0")
	for len(frac) < minFrac {
		frac += "0"
	}
	zero := in == "0" && strings.Trim(frac, "0") == ""
	s := in
	if frac != "" {
		s += "." + frac
	}
	if d.neg && !zero {
		s = "-" + s
	}
	return s
}

// group writes the integer digits in groups of three.
func group(digits, sep string) string {
	var parts []string
	for len(digits) > 3 {
		parts = append([]string{digits[len(digits)-3:]}, parts...)
		digits = digits[:len(digits)-3]
	}
	return strings.Join(append([]string{digits}, parts...), sep)
}

// styles a number column's values may be written in; each keeps the
// column's decimal separator. Grouping needs an integer part that does not
// start with 0.
var numberStyles = []string{"plain", "grouped", "space", "nbsp", "narrow", "apostrophe", "parens", "trailing", "exponent"}

// write formats the decimal in a style; money adds a currency marker.
func (d genDecimal) write(style, marker string, markerAfter bool) string {
	dec, grp := ".", ","
	if !d.pointStyle {
		dec, grp = ",", "."
	}
	in := d.int
	grouped := len(in) > 1 && in[0] != '0' || len(in) == 1
	switch style {
	case "grouped":
		if grouped {
			in = group(in, grp)
		}
	case "space":
		if grouped {
			in = group(in, " ")
		}
	case "nbsp":
		if grouped {
			in = group(in, "\u00a0")
		}
	case "narrow":
		if grouped {
			in = group(in, "\u202f")
		}
	case "apostrophe":
		if grouped {
			in = group(in, "'")
		}
	case "exponent":
		// All the digits in the mantissa after the first, and the
		// exponent that puts the point back.
		digits := strings.TrimLeft(d.int+d.frac, "0")
		if digits == "" {
			digits = "0"
		}
		exp := len(strings.TrimLeft(d.int, "0")) - 1
		if strings.TrimLeft(d.int, "0") == "" {
			exp = -(len(d.frac) - len(strings.TrimLeft(d.frac, "0"))) - 1
		}
		m := digits[:1]
		if len(digits) > 1 {
			m += dec + digits[1:]
		}
		s := fmt.Sprintf("%sE%+d", m, exp)
		if digits == "0" {
			s = "0E+0"
		}
		return d.sign(s, "minus", marker, markerAfter)
	}
	s := in
	if d.frac != "" {
		s += dec + d.frac
	}
	return d.sign(s, style, marker, markerAfter)
}

// sign puts the sign (and the currency marker) around the digits.
func (d genDecimal) sign(s, style, marker string, after bool) string {
	if marker != "" {
		if after {
			s += " " + marker
		} else {
			s = marker + s
		}
	}
	if !d.neg {
		return s
	}
	switch style {
	case "parens":
		return "(" + s + ")"
	case "trailing":
		return s + "-"
	}
	return "-" + s
}

// typedPayload maps "amount" with a type and options, and "line". Its CSV
// outputs are read as data (escape_formulas false: a negative amount
// comes as written, not with a leading "'"), unless extra says otherwise.
func typedPayload(amount map[string]any, extra map[string]any) map[string]any {
	f := map[string]any{"name": "amount", "synonyms": []any{"amount"}}
	for k, v := range amount {
		f[k] = v
	}
	p := map[string]any{"extractor": "tabular", "escape_formulas": false, "fields": []any{
		map[string]any{"name": "line", "synonyms": []any{"line"}}, f,
	}}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// column returns a CSV output's column by name, without the header.
func column(rows [][]string, name string) []string {
	GinkgoHelper()
	idx := -1
	for i, h := range rows[0] {
		if h == name {
			idx = i
		}
	}
	Expect(idx).To(BeNumerically(">=", 0), "no column %q in %v", name, rows[0])
	out := make([]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, r[idx])
	}
	return out
}

// xlsxCell is one cell of an XLSX output as excelize reads it.
type xlsxCell struct {
	typ    excelize.CellType
	raw    string
	format string
}

// xlsxColumn reads a column of the XLSX output's first sheet, header
// left out.
func xlsxColumn(data []byte, col int) []xlsxCell {
	GinkgoHelper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	Expect(err).NotTo(HaveOccurred())
	var out []xlsxCell
	for r := 2; r <= len(rows); r++ {
		ref, _ := excelize.CoordinatesToCellName(col+1, r)
		typ, err := f.GetCellType(sheet, ref)
		Expect(err).NotTo(HaveOccurred())
		raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		Expect(err).NotTo(HaveOccurred())
		c := xlsxCell{typ: typ, raw: raw}
		idx, err := f.GetCellStyle(sheet, ref)
		Expect(err).NotTo(HaveOccurred())
		if idx > 0 {
			st, err := f.GetStyle(idx)
			Expect(err).NotTo(HaveOccurred())
			if st.CustomNumFmt != nil {
				c.format = *st.CustomNumFmt
			}
		}
		out = append(out, c)
	}
	return out
}

var _ = Describe("Typed fields", func() {
	It("write random decimals in every style canonical in CSV and as exact numbers in XLSX", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			money := rapid.Bool().Draw(t, "money")
			point := rapid.Bool().Draw(t, "point")
			explicit := rapid.Bool().Draw(t, "explicit")
			field := map[string]any{"type": "number"}
			minFrac, marker, suffix := 0, "", ""
			if money {
				field = map[string]any{"type": "money", "currency": "USD"}
				minFrac = 2
				marker = rapid.SampledFrom([]string{"", "$", "USD", "US$"}).Draw(t, "marker")
				suffix = " USD"
			}
			if explicit {
				field["decimal"] = map[bool]string{true: ".", false: ","}[point]
			}
			g := grid{}
			g.set(0, 0, "Line")
			g.set(0, 1, "Amount")
			var want []string
			row := 1
			if !explicit && !point {
				// A value that proves the decimal comma, for "auto".
				g.set(row, 0, "0")
				g.set(row, 1, "0,5")
				want = append(want, "0.5"+strings.Repeat("0", max(0, minFrac-1))+suffix)
				row++
			}
			for i := range rapid.IntRange(3, 30).Draw(t, "rows") {
				d := drawDecimal(t, fmt.Sprint(i), point)
				style := rapid.SampledFrom(numberStyles).Draw(t, fmt.Sprint("style", i))
				after := marker == "USD" && rapid.Bool().Draw(t, fmt.Sprint("after", i))
				g.set(row, 0, fmt.Sprint(i+1))
				g.set(row, 1, d.write(style, marker, after))
				want = append(want, d.canonical(minFrac)+suffix)
				row++
			}
			for _, format := range []string{"csv", "xlsx"} {
				data := g.as(t, format)
				sink := newMemSink()
				res, err := run(bytesDoc("amounts."+format, data), typedPayload(field, map[string]any{"output_format": format}), sink)
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if n := res.Metrics["values_invalid"]; n != 0 {
					t.Fatalf("%s: %v invalid values: %v", format, n, res.Tables[0].Metadata["invalid_values"])
				}
				out := res.Tables[0].Metadata["output"].(string)
				if format == "csv" {
					got := column(sink.csvRows(out), "amount")
					if strings.Join(got, "|") != strings.Join(want, "|") {
						t.Fatalf("csv: got %q, want %q", got, want)
					}
					continue
				}
				cells := xlsxColumn(sink.files["amounts-tables.xlsx"], 1)
				if len(cells) != len(want) {
					t.Fatalf("xlsx: %d cells, want %d", len(cells), len(want))
				}
				for i, c := range cells {
					amount := strings.TrimSuffix(want[i], suffix)
					if c.typ != excelize.CellTypeUnset || c.raw != amount {
						t.Fatalf("xlsx row %d: %v %q, want a number %q", i+2, c.typ, c.raw, amount)
					}
					if money && c.format != `#,##0.00 "USD"` {
						t.Fatalf("xlsx row %d: format %q", i+2, c.format)
					}
				}
			}
		})
	})

	DescribeTable("read the tricky cases through the extractor",
		func(field map[string]any, written []string, want []string, invalid int) {
			var b strings.Builder
			b.WriteString("Line;Amount;Note\n")
			for i, w := range written {
				fmt.Fprintf(&b, "%d;%s;n\n", i+1, w)
			}
			sink := newMemSink()
			res := mustRun(bytesDoc("tricky.csv", []byte(b.String())), typedPayload(field, nil), sink)
			Expect(column(sink.csvRows(res.Tables[0].Metadata["output"].(string)), "amount")).To(Equal(want))
			Expect(res.Metrics["values_invalid"]).To(Equal(invalid))
		},
		Entry("1,234 in a decimal-comma column", map[string]any{"type": "number", "decimal": ","},
			[]string{"1,234", "12,5"}, []string{"1.234", "12.5"}, 0),
		Entry("1,234 resolved by the column's other values", map[string]any{"type": "number"},
			[]string{"1,234", "12,5", "0,75"}, []string{"1.234", "12.5", "0.75"}, 0),
		Entry("1,234 in a column that proves nothing", map[string]any{"type": "number"},
			[]string{"1,234", "2,345"}, []string{"1234", "2345"}, 0),
		Entry("thousands points and a decimal comma", map[string]any{"type": "number"},
			[]string{"1.234.567,89", "1.234,5"}, []string{"1234567.89", "1234.5"}, 0),
		Entry("negative zero", map[string]any{"type": "money", "currency": "USD"},
			[]string{"-0", "(0.00)", "$ -", "-0.000"}, []string{"0.00 USD", "0.00 USD", "0.00 USD", "0.00 USD"}, 0),
		Entry("trailing minus", map[string]any{"type": "number"},
			[]string{"1234.50-", "12-"}, []string{"-1234.5", "-12"}, 0),
		Entry("currency after the number", map[string]any{"type": "money"},
			[]string{"12 USD", "1 234,50 €", "5 eur"}, []string{"12.00 USD", "1234.50 EUR", "5.00 EUR"}, 0),
		Entry("non-breaking spaces", map[string]any{"type": "number", "decimal": ","},
			[]string{"1\u00a0234,50", "1\u202f234,5", "\u00a012,5\u00a0"}, []string{"1234.5", "1234.5", "12.5"}, 0),
		Entry("percentages as fractions", map[string]any{"type": "percent"},
			[]string{"12.5%", "12 %", "0.125", "(3%)"}, []string{"0.125", "0.12", "0.125", "-0.03"}, 0),
		Entry("percentages as points", map[string]any{"type": "percent", "percent_scale": "percent"},
			[]string{"12.5%", "12.5"}, []string{"12.5", "12.5"}, 0),
		Entry("exponents", map[string]any{"type": "number"},
			[]string{"1.2E+03", "1.5e-7"}, []string{"1200", "0.00000015"}, 0),
		Entry("a float's digits are kept", map[string]any{"type": "number"},
			[]string{"0.30000000000000004"}, []string{"0.30000000000000004"}, 0),
		Entry("integers refuse fractions and keep them as written", map[string]any{"type": "integer"},
			[]string{"1,000.00", "12.5", "1.2E+03"}, []string{"1000", "12.5", "1200"}, 1),
		Entry("booleans", map[string]any{"type": "boolean"},
			[]string{"Y", "n", "TRUE", "x", ""}, []string{"true", "false", "true", "x", ""}, 1),
		Entry("check marks", map[string]any{"type": "boolean", "checkbox": true},
			[]string{"x", "", "☑", "☐"}, []string{"true", "false", "true", "false"}, 0),
		Entry("phone numbers of a region", map[string]any{"type": "phone", "region": "CA"},
			[]string{"(236) 551-1017", "236.551.1017 ext. 12", "+33 1 42 68 53 00", "555-1234"},
			[]string{"+12365511017", "+12365511017;ext=12", "+33142685300", "555-1234"}, 1),
		Entry("money without a currency is invalid and kept", map[string]any{"type": "money"},
			[]string{"12.50", "$3"}, []string{"12.50", "3.00 USD"}, 1),
		Entry("white space alone is empty", map[string]any{"type": "number"},
			[]string{"  ", "1"}, []string{"", "1"}, 0),
	)

	It("counts a value that does not parse as invalid, per row, and keeps it as written", func() {
		csv := "Line,Amount,Paid\n1,$12.50,yes\n2,n/a,maybe\n3,(4.25),no\n"
		payload := map[string]any{"extractor": "tabular", "fields": []any{
			map[string]any{"name": "line", "synonyms": []any{"line"}},
			map[string]any{"name": "amount", "synonyms": []any{"amount"}, "type": "money", "currency": "USD"},
			map[string]any{"name": "paid", "synonyms": []any{"paid"}, "type": "boolean"},
		}}
		sink := newMemSink()
		res := mustRun(bytesDoc("pay.csv", []byte(csv)), payload, sink)
		Expect(sink.csvRows("pay-1.csv")).To(Equal([][]string{
			{"line", "amount", "paid"}, {"1", "12.50 USD", "true"}, {"2", "n/a", "maybe"}, {"3", "'-4.25 USD", "false"}, // escape_formulas by default
		}))
		Expect(res.Metrics["values_invalid"]).To(Equal(2))
		meta := res.Tables[0].Metadata
		Expect(meta["rows_invalid"]).To(Equal(1))
		Expect(meta["invalid_values"]).To(Equal([]any{
			map[string]any{"row": 3, "field": "amount", "issue": "unparsable money"},
			map[string]any{"row": 3, "field": "paid", "issue": "unparsable boolean"},
		}))
		Expect(res.Tables[0].SampleRows[0]).To(Equal(map[string]any{"line": "1", "amount": "12.50 USD", "paid": "true"}))
	})

	It("apply transforms first, and match validate.pattern and required against the canonical value", func() {
		csv := "Line,Amount,Note\n1,\" $12 \",n\n2,(3),n\n3,,n\n"
		payload := typedPayload(map[string]any{"type": "money", "currency": "USD", "transforms": []any{"trim"},
			"validate": map[string]any{"pattern": `^\d+\.\d{2} USD$`}, "required": true}, nil)
		sink := newMemSink()
		res := mustRun(bytesDoc("t.csv", []byte(csv)), payload, sink)
		Expect(column(sink.csvRows("t-1.csv"), "amount")).To(Equal([]string{"12.00 USD", "-3.00 USD", ""}))
		Expect(res.Tables[0].Metadata["invalid_values"]).To(Equal([]any{
			map[string]any{"row": 3, "field": "amount", "issue": "fails validate.pattern"},
			map[string]any{"row": 4, "field": "amount", "issue": "required value missing"},
		}))
	})

	It("read a date field as the date transform does, and keep the transform as it was", func() {
		csv := "Line,Amount,When\n1,1,\"Jan 2, 2024\"\n2,2,2024-02-03\n3,3,soon\n4,4,45292\n"
		payload := func(when map[string]any) map[string]any {
			w := map[string]any{"name": "when", "synonyms": []any{"when"}}
			for k, v := range when {
				w[k] = v
			}
			return map[string]any{"extractor": "tabular", "fields": []any{w}}
		}
		typed, transformed := newMemSink(), newMemSink()
		a := mustRun(bytesDoc("d.csv", []byte(csv)), payload(map[string]any{"type": "date"}), typed)
		b := mustRun(bytesDoc("d.csv", []byte(csv)), payload(map[string]any{"transforms": []any{"date"}}), transformed)
		want := []string{"2024-01-02", "2024-02-03", "soon", "2024-01-01"}
		Expect(column(typed.csvRows("d-1.csv"), "when")).To(Equal(want))
		Expect(column(transformed.csvRows("d-1.csv"), "when")).To(Equal(want))
		Expect(a.Tables[0].Metadata["invalid_values"]).To(Equal([]any{map[string]any{"row": 4, "field": "when", "issue": "unparsable date"}}))
		Expect(b.Tables[0].Metadata["invalid_values"]).To(Equal(a.Tables[0].Metadata["invalid_values"]))
	})

	It("infer every column's type, mapped or not, into the table's metadata", func() {
		csv := "Name,Hours,Rate,Paid,Phone,Joined,Amount\n" +
			"Ann,7.5,12.5%,Y,+1 (236) 551-1017,2024-01-02,\"$1,234.50\"\n" +
			"Bob,8,3 %,N,+1 236 551 1018,2024-02-03,($12.00)\n" +
			"Cy,6.25,0.5%,yes,+1 604 555 0199,2024-03-04,$3\n"
		sink := newMemSink()
		res := mustRun(bytesDoc("people.csv", []byte(csv)), simplePayload(nil), sink)
		types := map[string]any{}
		for _, c := range res.Tables[0].Metadata["columns"].([]any) {
			m := c.(map[string]any)
			types[m["header"].(string)] = m["inferred"].(map[string]any)["type"]
		}
		Expect(types).To(Equal(map[string]any{"Name": "string", "Hours": "number", "Rate": "percent", "Paid": "boolean",
			"Phone": "phone", "Joined": "date", "Amount": "money"}))
		name := res.Tables[0].Metadata["columns"].([]any)[0].(map[string]any)
		Expect(name["type"]).To(Equal("string"), "a mapped field's declared type")
		hours := res.Tables[0].Metadata["columns"].([]any)[1].(map[string]any)
		Expect(hours["type"]).To(BeNil(), "an unmapped column has no declared type")
		Expect(hours["inferred"]).To(Equal(map[string]any{"type": "number", "non_empty": 3, "decimal": ".",
			"parsed": map[string]any{"number": 3, "percent": 3, "integer": 1}}), "plain numbers are not counted as dates")
	})
})

var _ = Describe("Totals", func() {
	remittance := func(name string) string { return filepath.Join("testdata", "remittance", name) }
	payload := func() map[string]any {
		GinkgoHelper()
		p, err := tabular.LoadPayload(remittance("remittance.json"))
		Expect(err).NotTo(HaveOccurred())
		return p
	}

	It("check out on a remittance whose subtotals and grand total add up", func() {
		sink := newMemSink()
		res := mustRun(fileDoc(remittance("remittance-balanced.xlsx")), payload(), sink)
		Expect(res.Tables).To(HaveLen(1))
		t := res.Tables[0]
		Expect(t.Metadata["range"]).To(Equal("A5:J15"))
		Expect(t.Metadata["total_rows"]).To(Equal([]any{10, 14, 15}))
		Expect(res.Metrics["values_invalid"]).To(Equal(0))
		Expect(res.Metrics["totals_checked"]).To(Equal(9))
		Expect(res.Metrics["totals_mismatched"]).To(Equal(0))
		totals := t.Metadata["totals"].(map[string]any)
		Expect(totals["checked"]).To(BeTrue())
		Expect(totals["rows_checked"]).To(Equal(3))
		checks := totals["checks"].([]any)
		Expect(checks).To(HaveLen(9))
		Expect(checks[8]).To(Equal(map[string]any{"row": 15, "column": "I", "field": "dues", "stated": "469.94 USD",
			"computed": "469.94 USD", "scope": "table", "match": true, "values_added": 7, "values_not_added": 0}))
		Expect(checks[1]).To(HaveKeyWithValue("scope", "section"))
		Expect(checks[1]).To(HaveKeyWithValue("values_added", 4))
		for _, l := range res.Logs {
			Expect(l.Message).NotTo(Equal("total mismatch"))
		}
		rows := sink.csvRows(t.Metadata["output"].(string))
		Expect(rows[0]).To(Equal([]string{"member_id", "member_name", "phone", "period_end", "hours", "hourly_rate",
			"gross_wages", "dues_rate", "dues", "initiation_paid"}))
		Expect(rows[1]).To(Equal([]string{"M-1001", "Avery Smith", "+12365511017", "2024-03-31", "160", "42.50 USD",
			"6800.00 USD", "0.0125", "85.00 USD", "true"}))
		// escape_formulas (the default) prefixes negative amounts, as it
		// does every cell beginning with '-' that is not a plain number.
		Expect(rows[8]).To(Equal([]string{"M-2003", "Quinn Park", "+16045550177", "2024-03-31", "12", "39.50 USD",
			"'-474.00 USD", "0.015", "'-7.11 USD", "false"}))
		Expect(rows[10]).To(Equal([]string{"Total", "", "", "", "884.5", "", "35186.41 USD", "", "469.94 USD", "false"}))
	})

	It("warn and count a stated total that differs from the sum of its rows", func() {
		res := mustRun(fileDoc(remittance("remittance-short.csv")), payload(), newMemSink())
		Expect(res.Metrics["totals_checked"]).To(Equal(3))
		Expect(res.Metrics["totals_mismatched"]).To(Equal(1))
		var mismatches []map[string]any
		for _, l := range res.Logs {
			if l.Message == "total mismatch" {
				Expect(l.Level).To(Equal("warn"))
				mismatches = append(mismatches, l.Details)
			}
		}
		Expect(mismatches).To(Equal([]map[string]any{{
			"table": "remittance-short 1", "row": 14, "column": "F", "field": "dues", "stated": "411.11 EUR",
			"computed": "411.12 EUR", "scope": "section", "values_added": 8,
		}}))
		totals := res.Tables[0].Metadata["totals"].(map[string]any)
		Expect(totals["mismatched"]).To(Equal(1))
		Expect(totals["values_checked"]).To(Equal(3))
	})

	DescribeTable("decide which rows a total adds",
		func(csv string, checked, mismatched int) {
			payload := map[string]any{"extractor": "tabular", "fields": []any{
				map[string]any{"name": "item", "synonyms": []any{"item"}},
				map[string]any{"name": "qty", "synonyms": []any{"qty"}, "type": "integer"},
				map[string]any{"name": "amount", "synonyms": []any{"amount"}, "type": "money", "currency": "USD"},
			}}
			res := mustRun(bytesDoc("t.csv", []byte(csv)), payload, nil)
			Expect(res.Metrics["totals_checked"]).To(Equal(checked))
			Expect(res.Metrics["totals_mismatched"]).To(Equal(mismatched))
		},
		Entry("a closing total", "Item,Qty,Amount\nA,1,1.10\nB,2,2.20\nC,3,3.30\nTotal,6,6.60\n", 2, 0),
		Entry("a wrong closing total", "Item,Qty,Amount\nA,1,1.10\nB,2,2.20\nC,3,3.30\nTotal,6,6.61\n", 2, 1),
		Entry("a total row filling only its amount", "Item,Qty,Amount\nA,1,1.10\nB,2,2.20\nC,3,3.30\nTotal,,6.60\n", 1, 0),
		Entry("subtotals and a grand total", "Item,Qty,Amount\nA,1,1.10\nB,2,2.20\nSubtotal,3,3.30\nC,3,3.30\nD,4,4.40\nSubtotal,7,7.70\nGrand total,10,11.00\n", 6, 0),
		Entry("an invoice: subtotal, tax, total", "Item,Qty,Amount\nA,1,10.00\nB,2,20.00\nSubtotal,3,30.00\nTax,,1.50\nTotal,3,31.50\n", 4, 0),
		Entry("a total over its rows in a table that does not end with one (not checked)",
			"Item,Qty,Amount\nTotal,6,6.60\nA,1,1.10\nB,2,2.20\nC,3,3.30\n", 0, 0),
		Entry("a lone total with nothing above it", "Item,Qty,Amount\nTotal,6,6.60\nA,1,1.10\nB,2,2.20\nTotal,3,3.30\n", 2, 0),
		Entry("invalid values are not added", "Item,Qty,Amount\nA,1,1.10\nB,x,n/a\nC,3,3.30\nTotal,4,4.40\n", 2, 0),
		Entry("exact sums of values a float would round", "Item,Qty,Amount\nA,1,0.1\nB,1,0.2\nTotal,2,0.3\n", 2, 0),
	)
})

var _ = Describe("Typed fields of workbook number cells", func() {
	// stored writes an XLSX whose number cells show fewer digits than they
	// store: the typed fields must read the stored numbers.
	stored := func() []byte {
		GinkgoHelper()
		f := excelize.NewFile()
		defer f.Close()
		sheet := f.GetSheetName(0)
		style := func(code string) int {
			id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
			Expect(err).NotTo(HaveOccurred())
			return id
		}
		money, hours, rate, date := style(`"$"#,##0.00;("$"#,##0.00)`), style("0.0"), style("0.0%"), style("yyyy-mm-dd")
		rows := [][]any{
			{"Line", "Amount", "Hours", "Rate", "When"},
			{"1", 1234.5678, 7.123456789, 0.12345, 45382},
			{"2", -12.5, 40, 0.5, 45383},
			{"3", "€3", "8,5", "12 %", "Jan 2, 2024"},
		}
		for r, row := range rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				Expect(f.SetCellValue(sheet, ref, v)).To(Succeed())
				if _, num := v.(string); r > 0 && !num {
					Expect(f.SetCellStyle(sheet, ref, ref, []int{0, money, hours, rate, date}[c])).To(Succeed())
				}
			}
		}
		var b bytes.Buffer
		Expect(f.Write(&b)).To(Succeed())
		return b.Bytes()
	}

	It("keep the digits a number format rounds away and the date's serial day", func() {
		// The reader shows a number cell in General form (a percentage
		// with its sign): the "$" of its format is not read, so the
		// column's currency applies; a text cell's marker still counts.
		payload := map[string]any{"extractor": "tabular", "escape_formulas": false, "fields": []any{
			map[string]any{"name": "line", "synonyms": []any{"line"}},
			map[string]any{"name": "amount", "synonyms": []any{"amount"}, "type": "money", "currency": "USD"},
			map[string]any{"name": "hours", "synonyms": []any{"hours"}, "type": "number", "decimal": ","},
			map[string]any{"name": "rate", "synonyms": []any{"rate"}, "type": "percent"},
			map[string]any{"name": "when", "synonyms": []any{"when"}, "type": "date"},
		}}
		sink := newMemSink()
		res := mustRun(bytesDoc("stored.xlsx", stored()), payload, sink)
		Expect(res.Metrics["values_invalid"]).To(Equal(0))
		Expect(sink.csvRows(res.Tables[0].Metadata["output"].(string))).To(Equal([][]string{
			{"line", "amount", "hours", "rate", "when"},
			{"1", "1234.5678 USD", "7.123456789", "0.12345", "2024-03-31"},
			{"2", "-12.50 USD", "40", "0.5", "2024-04-01"},
			{"3", "3.00 EUR", "8.5", "0.12", "2024-01-02"},
		}))
	})
})
