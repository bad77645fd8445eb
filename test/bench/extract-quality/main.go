// Command extract-quality measures the tabular extractor's table detection
// on the corpus of real-world-shaped layouts (package test/corpus): per
// layout family, data-row precision and recall, header-row accuracy, and
// tables found against tables expected. It prints the table and never
// asserts; the target is 0.95 or more in every column of every family.
//
//	go run ./test/bench/extract-quality [-v]
//
// Every case is read with the same general configuration (a few roster
// fields, allow_empty so a sheet without tables is a result, not an
// error): detection never depends on the payload beyond header synonyms.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/benchkit"
	"github.com/ade-go/ade/test/corpus"
)

// Payload is the general configuration every case is read with.
var Payload = map[string]any{
	"extractor":   "tabular",
	"allow_empty": true,
	"fields": []any{
		map[string]any{"name": "first_name", "synonyms": []any{"first name", "given name"}},
		map[string]any{"name": "last_name", "synonyms": []any{"last name", "surname"}},
		map[string]any{"name": "email", "synonyms": []any{"email", "e-mail"}},
	},
}

func main() {
	verbose := flag.Bool("v", false, "print every case's score")
	flag.Parse()
	perFamily := map[string]corpus.Score{}
	counts := map[string]int{}
	var total corpus.Score
	for _, c := range corpus.All() {
		s, err := score(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "extract-quality: %s: %v\n", c.Name, err)
			os.Exit(1)
		}
		if *verbose {
			fmt.Printf("%-20s %-55s tables %d/%d headers %d rows %d/%d/%d\n", c.Family, c.Name,
				s.Found, s.Expected, s.HeadersRight, s.RightRows, s.FoundRows, s.TruthRows)
		}
		perFamily[c.Family] = perFamily[c.Family].Add(s)
		counts[c.Family]++
		total = total.Add(s)
	}
	fmt.Println("detection quality over the corpus (target >= 0.95 in every column)")
	fmt.Printf("%-20s %5s %8s %8s %9s %10s %8s %8s\n", "family", "cases", "tables", "found", "precision", "recall", "headers", "tableacc")
	row := func(name string, n int, s corpus.Score) {
		fmt.Printf("%-20s %5d %8d %8d %9.3f %10.3f %8.3f %8.3f\n", name, n, s.Expected, s.Found,
			s.Precision(), s.Recall(), s.HeaderAccuracy(), s.TableAccuracy())
	}
	n := 0
	for _, f := range corpus.Families {
		row(f, counts[f], perFamily[f])
		n += counts[f]
	}
	row("all", n, total)
	low := 0
	for _, f := range corpus.Families {
		s := perFamily[f]
		for _, v := range []float64{s.Precision(), s.Recall(), s.HeaderAccuracy(), s.TableAccuracy()} {
			if v < 0.95 {
				low++
			}
		}
	}
	fmt.Printf("figures under the 0.95 target: %d\n", low)
	lowest := 1.0
	for _, f := range corpus.Families {
		s := perFamily[f]
		lowest = min(lowest, s.Precision(), s.Recall(), s.HeaderAccuracy(), s.TableAccuracy())
	}
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("table detection over the corpus, %d cases in %d families", n, len(corpus.Families)),
		ADE: fmt.Sprintf("precision %.3f, recall %.3f, headers %.3f, tables %.3f overall; lowest family figure %.3f",
			total.Precision(), total.Recall(), total.HeaderAccuracy(), total.TableAccuracy(), lowest),
		Target: ">= 0.95 in every family and column", Met: low == 0,
	})
}

func score(c corpus.Case) (corpus.Score, error) {
	data, err := c.Bytes()
	if err != nil {
		return corpus.Score{}, err
	}
	res, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
		Payload: Payload,
		Document: ports.SourceDocument{Filename: c.Filename, Size: int64(len(data)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }},
	})
	if err != nil {
		return corpus.Score{}, err
	}
	found, err := corpus.FoundTables(res)
	if err != nil {
		return corpus.Score{}, err
	}
	return c.Score(found), nil
}
