package benchkit

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// RosterHeader is the header row of the generated member roster.
var RosterHeader = []string{"First Name", "Last Name", "Email", "Hire Date", "Employer", "Classification", "Local",
	"Phone", "Street", "City", "Region", "Postal Code", "Status", "Hours", "Rate", "Gross", "Deductions",
	"Net", "Notes", "Member ID"}

// RosterPayload returns the tabular configuration the CSV benchmarks run
// on the roster: four mapped fields with transforms, one validated pattern.
func RosterPayload() map[string]any {
	return map[string]any{
		"extractor": "tabular",
		"fields": []any{
			map[string]any{"name": "first_name", "synonyms": []any{"first name"}, "transforms": []any{"trim", "title"}},
			map[string]any{"name": "last_name", "synonyms": []any{"last name"}, "transforms": []any{"trim", "title"}},
			map[string]any{"name": "email", "synonyms": []any{"email"}, "transforms": []any{"trim", "lower"},
				"validate": map[string]any{"pattern": `^[^@\s]+@[^@\s]+\.[^@\s]+$`}},
			map[string]any{"name": "hired", "synonyms": []any{"hire date"}, "transforms": []any{"date"}},
		},
	}
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteRosterCSV writes a deterministic member roster of 20 columns with
// quoted fields (commas and quotes in the notes), messy name casing and
// US-style dates, until at least target bytes are written. It returns the
// bytes written.
func WriteRosterCSV(w io.Writer, target int64) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	out := csv.NewWriter(bw)
	if err := out.Write(RosterHeader); err != nil {
		return 0, err
	}
	firsts := []string{"avery", "JORDAN", " taylor", "casey ", "Morgan", "riley"}
	lasts := []string{"Smith", "o'connor", "ST-PIERRE", "Nguyen", "Patel", "Kim"}
	rec := make([]string, len(RosterHeader))
	for i := 0; cw.n+int64(bw.Buffered()) < target; i++ {
		rec[0] = firsts[i%len(firsts)]
		rec[1] = lasts[i%len(lasts)]
		rec[2] = "Member." + strconv.Itoa(i) + "@Example.org"
		rec[3] = fmt.Sprintf("%d/%d/20%02d", i%12+1, i%28+1, i%25)
		rec[4] = "Harborline Electrical, Ltd."
		rec[5] = "Apprentice Year " + strconv.Itoa(i%4+1)
		rec[6] = "Local " + strconv.Itoa(100+i%500)
		rec[7] = fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000)
		rec[8] = strconv.Itoa(i%9000+1) + " Main Street, Unit " + strconv.Itoa(i%40)
		rec[9] = "Winnipeg"
		rec[10] = "MB"
		rec[11] = "R3C 4T" + strconv.Itoa(i%10)
		rec[12] = "Active"
		rec[13] = strconv.Itoa(30 + i%15)
		rec[14] = "32.50"
		rec[15] = "$1,309.00"
		rec[16] = "$212.45"
		rec[17] = "$1,096.55"
		rec[18] = "assigned to, mobile crew; \"priority\" follow-up"
		rec[19] = "M-" + strconv.Itoa(100000+i)
		if err := out.Write(rec); err != nil {
			return cw.n, err
		}
		if i%1000 == 0 {
			out.Flush()
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return cw.n, err
	}
	err := bw.Flush()
	return cw.n, err
}
