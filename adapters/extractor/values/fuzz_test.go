package values_test

import (
	"testing"
	"unicode/utf8"

	"github.com/ade-go/ade/adapters/extractor/values"
)

// seeds are the forms every numeric fuzz target starts from.
var seeds = []string{
	"$1,234.50", "(1,234.50)", "1234.50-", "1.234,50", "1 234,50", "1\u00a0234,50 €",
	"1\u202f234,50", "USD 12", "12 USD", "12 €", "€12", "12 %", "0.125", "12.5%", "1.2E+03",
	"1E+1000000000", "-", "$ -", "+5", ".5", "5.", "", "-0", "0.30000000000000004",
	"1'234.5", "−42", "US$ 5", "¥1,200", "KWD 1.5", "5 kr", "1,234", "1.234.567", "(3%)",
	"123456789012345678901234567890123456789012345.5", "1e-99", "0E+999999",
}

// fuzzParser checks that p never panics and that a canonical form reads
// back to itself with reader (p, or p with decimal "." when p reads a
// decimal comma).
func fuzzParser(f *testing.F, p, reader *values.Parser, extra ...string) {
	for _, s := range append(seeds, extra...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := p.Canonical(s)
		if !ok {
			if out != s {
				t.Fatalf("invalid %q changed to %q", s, out)
			}
			return
		}
		if !utf8.ValidString(out) && utf8.ValidString(s) {
			t.Fatalf("%q: canonical %q is not UTF-8", s, out)
		}
		again, ok := reader.Canonical(out)
		if !ok || again != out {
			t.Fatalf("%q: canonical %q reads back as %q (%v)", s, out, again, ok)
		}
		buf, ok := p.AppendCanonical([]byte("x"), s)
		if !ok || string(buf) != "x"+out {
			t.Fatalf("%q: AppendCanonical %q, Canonical %q", s, buf, out)
		}
	})
}

func FuzzNumber(f *testing.F) {
	p := values.MustParser(values.TypeNumber, values.Options{})
	fuzzParser(f, p, p)
}

func FuzzNumberComma(f *testing.F) {
	fuzzParser(f, values.MustParser(values.TypeNumber, values.Options{Decimal: ","}),
		values.MustParser(values.TypeNumber, values.Options{Decimal: "."}))
}

func FuzzInteger(f *testing.F) {
	p := values.MustParser(values.TypeInteger, values.Options{})
	fuzzParser(f, p, p, "12.00", "1,000,000", "12E-1")
}

func FuzzMoney(f *testing.F) {
	p := values.MustParser(values.TypeMoney, values.Options{Currency: "CAD"})
	fuzzParser(f, p, p, "JPY 1.5", "$5 CAD", "€5 USD", "R$ 1.234,56")
}

func FuzzPercent(f *testing.F) {
	p := values.MustParser(values.TypePercent, values.Options{})
	fuzzParser(f, p, p)
}

func FuzzPercentPoints(f *testing.F) {
	p := values.MustParser(values.TypePercent, values.Options{PercentScale: values.PercentPoints})
	fuzzParser(f, p, p)
}

func FuzzBoolean(f *testing.F) {
	p := values.MustParser(values.TypeBoolean, values.Options{Checkbox: true})
	fuzzParser(f, p, p, "Y", "n", "yes", "FALSE", "x", "✔", "☐", "maybe")
}

func FuzzPhone(f *testing.F) {
	p := values.MustParser(values.TypePhone, values.Options{Region: "CA"})
	fuzzParser(f, p, p, "(236) 551-1017", "+1 236-551-1017", "236.551.1017 ext. 12",
		"+12365511017;ext=12", "+33 1 42 68 53 00", "1-800-FLOWERS", "555-1234")
}

func FuzzResolveDecimal(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "1,5")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		col := []string{a, b}
		d := values.ResolveDecimal(col)
		if d != "." && d != "," {
			t.Fatalf("resolved %q", d)
		}
		if values.ResolveDecimal(col) != d {
			t.Fatalf("not deterministic")
		}
		inf := values.Infer(col, values.Options{})
		if !inf.Type.Valid() || inf.NonEmpty > 2 {
			t.Fatalf("inference %+v", inf)
		}
	})
}
