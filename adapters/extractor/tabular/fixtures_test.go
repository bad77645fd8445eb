package tabular_test

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
)

// The expectations of testdata/ade-samples/README.md, all read with the one
// general configuration in testdata/people.json.
var _ = Describe("ADE sample fixtures", func() {
	type expectedTable struct {
		rng        string
		headerRow  int
		rows       int
		mapping    map[string]any
		unmapped   int
		headerRows []any
	}
	nameMapping := func(first, middle, last, email string) map[string]any {
		m := map[string]any{"first_name": first, "last_name": last, "email": email}
		if middle != "" {
			m["middle_name"] = middle
		}
		return m
	}

	DescribeTable("detects the tables, ranges, row counts and mappings",
		func(file, sheet string, want []expectedTable) {
			sink := newMemSink()
			res := mustRun(fileDoc(fixture(file)), peoplePayload(), sink)
			Expect(res.Tables).To(HaveLen(len(want)))
			Expect(res.Metrics["tables_detected"]).To(Equal(len(want)))
			total := 0
			for i, w := range want {
				t := res.Tables[i]
				Expect(t.Sheet).To(Equal(sheet))
				Expect(t.Metadata["range"]).To(Equal(w.rng), "table %d", i+1)
				Expect(t.Metadata["header_row"]).To(Equal(w.headerRow))
				Expect(t.RowCount).To(Equal(w.rows))
				Expect(mapping(t)).To(Equal(w.mapping))
				unmapped := 0
				for _, c := range t.Metadata["columns"].([]any) {
					if c.(map[string]any)["field"] == nil {
						unmapped++
					}
				}
				Expect(unmapped).To(Equal(w.unmapped))
				if w.headerRows != nil {
					Expect(t.Metadata["header_rows"]).To(Equal(w.headerRows))
				} else {
					Expect(t.Metadata).NotTo(HaveKey("header_rows"))
				}
				// The output holds the header and exactly the counted rows.
				Expect(sink.csvRows(t.Metadata["output"].(string))).To(HaveLen(w.rows + 1))
				total += w.rows
			}
			Expect(res.Metrics["rows_extracted"]).To(Equal(total))
			Expect(res.Metrics["values_invalid"]).To(Equal(0))
		},
		Entry("S01 clean roster with alias headers", "S01_clean_roster_alias_headers.xlsx", "Member Roster",
			[]expectedTable{{rng: "A1:K111", headerRow: 1, rows: 110, unmapped: 7,
				mapping: nameMapping("Given Name", "M.I.", "Surname", "E-mail")}}),
		Entry("S02 two tables stacked on one sheet", "S02_two_tables_vertical_same_sheet.xlsx", "Weekly Payroll",
			[]expectedTable{
				{rng: "A6:G30", headerRow: 6, rows: 24, unmapped: 3,
					mapping: nameMapping("Given Name", "Middle Initial", "Surname", "E-mail")},
				{rng: "A37:G70", headerRow: 37, rows: 33, unmapped: 3,
					mapping: nameMapping("First Name", "M.I.", "Last Name", "Email Address")},
			}),
		Entry("S03 preamble and stacked headers", "S03_preamble_stacked_headers.xlsx", "Settlement",
			[]expectedTable{{rng: "A9:G82", headerRow: 9, rows: 72, unmapped: 3, headerRows: []any{9, 10},
				mapping: nameMapping("Member First Name", "Member Middle Name", "Member Last Name", "Contact Email")}}),
		Entry("S06 full name shapes", "S06_full_name_normalization_cases.xlsx", "Names",
			[]expectedTable{{rng: "A1:D86", headerRow: 1, rows: 85, unmapped: 2,
				mapping: map[string]any{"full_name": "Full Name", "email": "Email"}}}),
		Entry("S07 contacts export with CSV quirks", "S07_contacts_export_quirks.csv", "S07_contacts_export_quirks",
			[]expectedTable{{rng: "A1:G155", headerRow: 1, rows: 150, unmapped: 4,
				mapping: map[string]any{"first_name": "First Name", "last_name": "Last Name", "email": "Email"}}}),
	)

	DescribeTable("read the same tables with typed fields, every value of their types",
		func(file string, want map[string][]string) {
			typed, err := tabular.LoadPayload(filepath.Join("testdata", "people-typed.json"))
			Expect(err).NotTo(HaveOccurred())
			plain := mustRun(fileDoc(fixture(file)), peoplePayload(), nil)
			sink := newMemSink()
			res := mustRun(fileDoc(fixture(file)), typed, sink)
			Expect(res.Tables).To(HaveLen(len(plain.Tables)))
			for i, t := range res.Tables {
				Expect(t.Metadata["range"]).To(Equal(plain.Tables[i].Metadata["range"]))
				Expect(t.RowCount).To(Equal(plain.Tables[i].RowCount))
			}
			Expect(res.Metrics["values_invalid"]).To(Equal(0))
			rows := sink.csvRows(res.Tables[0].Metadata["output"].(string))
			for name, values := range want {
				Expect(column(rows, name)[:len(values)]).To(Equal(values), name)
			}
		},
		Entry("S01 hire dates and phone numbers", "S01_clean_roster_alias_headers.xlsx", map[string][]string{
			"hire_date": {"2014-01-17", "2014-01-28"}, "phone": {"+12365511017", "+12495521034"}}),
		Entry("S02 hours and wages", "S02_two_tables_vertical_same_sheet.xlsx", map[string][]string{
			"hours": {"34", "35"}, "gross_wages": {"1309.00 USD", "1408.75 USD"}}),
		Entry("S03 regular and overtime hours and gross wages under group headers", "S03_preamble_stacked_headers.xlsx",
			map[string][]string{"hours": {"34", "35"}, "overtime_hours": {"0", "2"}, "gross_wages": {"1334.50 USD", "1491.51 USD"}}),
	)

	It("never merges the S02 adjustment block (rows 33-34) into either table", func() {
		res := mustRun(fileDoc(fixture("S02_two_tables_vertical_same_sheet.xlsx")), peoplePayload(), nil)
		for _, t := range res.Tables {
			first := t.Metadata["header_row"].(int)
			last := t.Metadata["last_data_row"].(int)
			Expect(33 >= first && 33 <= last).To(BeFalse())
			Expect(34 >= first && 34 <= last).To(BeFalse())
		}
	})

	It("merges the S03 group header row into one header per column", func() {
		res := mustRun(fileDoc(fixture("S03_preamble_stacked_headers.xlsx")), peoplePayload(), nil)
		cols := res.Tables[0].Metadata["columns"].([]any)
		var headers, groups []string
		for _, c := range cols {
			headers = append(headers, c.(map[string]any)["header"].(string))
			groups = append(groups, c.(map[string]any)["group"].(string))
		}
		Expect(headers).To(Equal([]string{"Member First Name", "Member Middle Name", "Member Last Name",
			"Contact Email", "Regular Hours", "Overtime Hours", "Compensation Gross Wages"}))
		Expect(groups).To(Equal([]string{"Member", "Member", "Member", "Contact", "Hours", "Hours", "Compensation"}))
		Expect(res.Tables[0].Metadata["first_data_row"]).To(Equal(11))
		Expect(res.Tables[0].Metadata["last_data_row"]).To(Equal(82))
	})

	Describe("S06 full_name transform", func() {
		var byID map[string]string
		BeforeEach(func() {
			sink := newMemSink()
			res := mustRun(fileDoc(fixture("S06_full_name_normalization_cases.xlsx")), peoplePayload(), sink)
			rows := sink.csvRows(res.Tables[0].Metadata["output"].(string))
			Expect(rows[0]).To(Equal([]string{"full_name", "email", "Employer", "Source Record ID"}))
			byID = map[string]string{}
			for _, r := range rows[1:] {
				byID[r[3]] = r[0]
			}
		})
		DescribeTable("normalizes each shape",
			func(id, want string) { Expect(byID[id]).To(Equal(want)) },
			Entry("Smith, Avery", "NORM-5000", "Avery Smith"),
			Entry("  O'Connor,   Avery ", "NORM-5001", "Avery O'Connor"),
			Entry("st-pierre, morgan", "NORM-5002", "Morgan St-Pierre"),
			Entry("  LIAM   JOHNSON  ", "NORM-5005", "Liam Johnson"),
			Entry("Patel, ALEX", "NORM-5006", "Alex Patel"),
			Entry("Quinn", "NORM-5008", "Quinn"),
			Entry("Reese-Walker, Finley", "NORM-5026", "Finley Reese-Walker"),
			Entry("MASON chen", "NORM-5022", "Mason Chen"),
		)
		It("also shows normalized values in the sample rows", func() {
			res := mustRun(fileDoc(fixture("S06_full_name_normalization_cases.xlsx")), peoplePayload(), nil)
			s := res.Tables[0].SampleRows
			Expect(s).To(HaveLen(20))
			Expect(s[1]).To(HaveKeyWithValue("full_name", "Avery O'Connor"))
			Expect(s[2]).To(HaveKeyWithValue("full_name", "Morgan St-Pierre"))
		})
	})

	Describe("S07 CSV quirks", func() {
		var rows [][]string
		var res ports.ExtractionResult
		BeforeEach(func() {
			sink := newMemSink()
			res = mustRun(fileDoc(fixture("S07_contacts_export_quirks.csv")), peoplePayload(), sink)
			rows = sink.csvRows(res.Tables[0].Metadata["output"].(string))
		})
		It("keeps the commas inside quoted notes", func() {
			Expect(rows[1][6]).To(Equal("assigned to, mobile crew"))
			n := 0
			for _, r := range rows[1:] {
				if r[6] == "assigned to, mobile crew" {
					n++
				}
			}
			Expect(n).To(BeNumerically(">", 1))
		})
		It("neither counts blank lines nor splits the table on them", func() {
			Expect(res.Tables).To(HaveLen(1))
			Expect(rows).To(HaveLen(151))
			for _, r := range rows[1:] {
				Expect(r[0]).NotTo(BeEmpty())
			}
		})
		It("applies trim to the mapped name columns and leaves unmapped values as they are", func() {
			Expect(rows[1][0]).To(Equal("Noah"))
			Expect(rows[1][1]).To(Equal("O'Connor"))
			found := false
			for _, r := range rows[1:] {
				if r[6] == "  reviewed by lead steward  " {
					found = true
				}
			}
			Expect(found).To(BeTrue())
		})
	})

	It("reports metrics and digests", func() {
		res := mustRun(fileDoc(fixture("S01_clean_roster_alias_headers.xlsx")), peoplePayload(), nil)
		Expect(res.Metrics).To(HaveKeyWithValue("sheets_scanned", 1))
		Expect(res.Metrics).To(HaveKeyWithValue("fields_mapped", 4))
		Expect(res.Metrics).To(HaveKeyWithValue("columns_unmapped", 7))
		Expect(res.Metrics).To(HaveKey("duration_ms"))
		Expect(res.Metrics["input_sha256"]).To(MatchRegexp("^[0-9a-f]{64}$"))
		Expect(res.Metrics["configuration_digest"]).To(MatchRegexp("^[0-9a-f]{64}$"))
		Expect(res.Logs).NotTo(BeEmpty())
		Expect(res.Logs[0].Message).To(Equal("input read as xlsx"))
		Expect(res.Logs[1].Message).To(Equal("table found"))
		Expect(res.Metrics).To(HaveKeyWithValue("input_format", "xlsx"))
	})
})
