package values_test

import (
	"strconv"
	"testing"

	"github.com/ade-go/ade/adapters/extractor/values"
)

var benchMoney = []string{"$1,234.50", "(1,234.50)", "1234.50-", "1.234,50 €", "1\u00a0234,50\u00a0€", "USD 12.00", "12.00 USD", "€12.75", "-$5.25", "CAD 1,234,567.89"}
var benchBare = []string{"1234.50", "-1234.50", "-1234.50", "1234.50", "1234.50", "12.00", "12.00", "12.75", "-5.25", "1234567.89"}

// BenchmarkMoney is the per-value cost of typed money; go test -bench for a
// quick look, test/bench/values-money for the figures against ParseFloat.
func BenchmarkMoney(b *testing.B) {
	p := values.MustParser(values.TypeMoney, values.Options{Currency: "USD"})
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, _ = p.AppendCanonical(buf[:0], benchMoney[i%len(benchMoney)])
	}
}

func BenchmarkParseFloat(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = strconv.ParseFloat(benchBare[i%len(benchBare)], 64)
	}
}
