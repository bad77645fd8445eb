// Command dump prints the rows of the corpus cases kept as legacy .xls
// files, as JSON for testdata/make_xls.py:
//
//	go run ./test/corpus/dump | python3 test/corpus/testdata/make_xls.py test/corpus/testdata
package main

import (
	"encoding/json"
	"os"

	"github.com/ade-go/ade/test/corpus"
)

func main() {
	type sheet struct {
		Name string  `json:"name"`
		Rows [][]any `json:"rows"`
	}
	out := map[string][]sheet{}
	for _, c := range corpus.XLSSources() {
		for _, s := range c.Sheets {
			out[c.Filename] = append(out[c.Filename], sheet{s.Name, s.Rows})
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
}
