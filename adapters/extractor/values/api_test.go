package values_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/values"
)

var _ = Describe("options", func() {
	DescribeTable("refuses what does not apply, naming the payload key",
		func(t values.Type, o values.Options, key string) {
			_, err := values.NewParser(t, o)
			var oe *values.OptionError
			Expect(err).To(BeAssignableToTypeOf(oe))
			Expect(errors.As(err, &oe)).To(BeTrue())
			Expect(oe.Key).To(Equal(key))
		},
		Entry("an unknown type", values.Type("float"), values.Options{}, "type"),
		Entry("a bad separator", values.TypeNumber, values.Options{Decimal: ";"}, "decimal"),
		Entry("a separator for booleans", values.TypeBoolean, values.Options{Decimal: ","}, "decimal"),
		Entry("an unknown currency", values.TypeMoney, values.Options{Currency: "ABC"}, "currency"),
		Entry("a metal is not money", values.TypeMoney, values.Options{Currency: "XAU"}, "currency"),
		Entry("a currency for numbers", values.TypeNumber, values.Options{Currency: "USD"}, "currency"),
		Entry("an unknown region", values.TypePhone, values.Options{Region: "XX"}, "region"),
		Entry("a region for money", values.TypeMoney, values.Options{Region: "CA"}, "region"),
		Entry("a bad scale", values.TypePercent, values.Options{PercentScale: "basis points"}, "percent_scale"),
		Entry("a scale for numbers", values.TypeNumber, values.Options{PercentScale: "percent"}, "percent_scale"),
		Entry("a checkbox number", values.TypeNumber, values.Options{Checkbox: true}, "checkbox"),
		Entry("a date without a parser", values.TypeDate, values.Options{}, "type"),
	)

	It("normalises what it accepts", func() {
		p := values.MustParser(values.TypeMoney, values.Options{Currency: "usd"})
		Expect(p.Options().Currency).To(Equal("USD"))
		Expect(p.Options().Decimal).To(Equal("auto"))
		Expect(values.MustParser(values.TypePhone, values.Options{Region: "ca"}).Options().Region).To(Equal("CA"))
		Expect(values.MustParser("", values.Options{}).Type()).To(Equal(values.TypeString))
		Expect(values.MustParser(values.TypePercent, values.Options{}).Options().PercentScale).To(Equal("fraction"))
	})

	It("panics in MustParser on a bad option", func() {
		Expect(func() { values.MustParser(values.TypeNumber, values.Options{Decimal: "?"}) }).To(Panic())
	})
})

var _ = Describe("values", func() {
	It("give their number, currency, boolean and extension", func() {
		v, err := values.MustParser(values.TypeMoney, values.Options{}).Parse("(€1.234,5)")
		Expect(err).NotTo(HaveOccurred())
		var d apd.Decimal
		Expect(v.Decimal(&d).String()).To(Equal("-1234.50"))
		Expect(v.Currency()).To(Equal("EUR"))
		Expect(v.Type()).To(Equal(values.TypeMoney))
		b, _ := values.MustParser(values.TypeBoolean, values.Options{}).Parse("yes")
		Expect(b.Bool()).To(BeTrue())
		Expect(b.Decimal(&d).IsZero()).To(BeTrue())
		ph, _ := values.MustParser(values.TypePhone, values.Options{Region: "CA"}).Parse("236 551 1017 x 7")
		Expect(ph.Extension()).To(Equal("7"))
		Expect(ph.String()).To(Equal("+12365511017;ext=7"))
		e, _ := values.MustParser(values.TypeNumber, values.Options{}).Parse(" ")
		Expect(e.IsEmpty()).To(BeTrue())
		Expect(e.String()).To(BeEmpty())
		var zero values.Value
		Expect(zero.Type()).To(Equal(values.TypeString))
	})

	It("read dates through the caller's parser", func() {
		calls := 0
		p := values.MustParser(values.TypeDate, values.Options{Date: func(s string) (string, bool) {
			calls++
			return "2024-01-02", s == "Jan 2, 2024"
		}})
		out, ok := p.Canonical(" Jan 2, 2024 ")
		Expect(ok).To(BeTrue())
		Expect(out).To(Equal("2024-01-02"))
		_, err := p.Parse("soon")
		Expect(err).To(MatchError(values.ErrDate))
		out, ok = p.Canonical("")
		Expect(ok).To(BeTrue())
		Expect(out).To(BeEmpty())
		Expect(calls).To(Equal(2), "an empty cell does not reach the date parser")
	})

	It("are safe to read from many goroutines", func() {
		p := values.MustParser(values.TypeMoney, values.Options{Currency: "USD"})
		big := "123456789012345678901234567890123456789012345.5"
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer GinkgoRecover()
				for i := range 200 {
					in, want := "$1,234.50", "1234.50 USD"
					if (g+i)%3 == 0 {
						in, want = big+" EUR", big+"0 EUR"
					}
					out, ok := p.Canonical(in)
					Expect(ok).To(BeTrue())
					Expect(out).To(Equal(want))
				}
			}()
		}
		wg.Wait()
	})

	It("allocate nothing when appended to a reused buffer", func() {
		p := values.MustParser(values.TypeMoney, values.Options{Currency: "USD"})
		buf := make([]byte, 0, 64)
		allocs := testingAllocs(func() {
			for _, s := range []string{"$1,234.50", "(1.234,50 €)", "USD 12", "1234.50-"} {
				buf, _ = p.AppendCanonical(buf[:0], s)
			}
		})
		Expect(allocs).To(BeZero())
	})
})

var _ = Describe("spreadsheet cells", func() {
	DescribeTable("map canonical values to typed cells",
		func(t values.Type, o values.Options, canonical string, want values.SheetCell) {
			Expect(values.MustParser(t, o).SheetCell(canonical)).To(Equal(want))
		},
		Entry("a number", values.TypeNumber, values.Options{}, "0.30000000000000004", values.SheetCell{Kind: values.CellNumber, Value: "0.30000000000000004"}),
		Entry("an integer", values.TypeInteger, values.Options{}, "1200", values.SheetCell{Kind: values.CellNumber, Value: "1200"}),
		Entry("money", values.TypeMoney, values.Options{}, "-1234.50 USD", values.SheetCell{Kind: values.CellNumber, Value: "-1234.50", Format: `#,##0.00 "USD"`}),
		Entry("yen", values.TypeMoney, values.Options{}, "1200 JPY", values.SheetCell{Kind: values.CellNumber, Value: "1200", Format: `#,##0 "JPY"`}),
		Entry("a fraction", values.TypePercent, values.Options{}, "0.125", values.SheetCell{Kind: values.CellNumber, Value: "0.125", Format: "0.00%"}),
		Entry("points", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5", values.SheetCell{Kind: values.CellNumber, Value: "0.125", Format: "0.00%"}),
		Entry("in a decimal-comma column", values.TypeNumber, values.Options{Decimal: ","}, "1234.5", values.SheetCell{Kind: values.CellNumber, Value: "1234.5"}),
		Entry("true", values.TypeBoolean, values.Options{}, "true", values.SheetCell{Kind: values.CellBoolean, Value: "1"}),
		Entry("false", values.TypeBoolean, values.Options{}, "false", values.SheetCell{Kind: values.CellBoolean, Value: "0"}),
		Entry("a date", values.TypeDate, values.Options{Date: noDate}, "2024-01-02", values.SheetCell{Kind: values.CellNumber, Value: "45293", Format: "yyyy-mm-dd"}),
		Entry("the first of March 1900", values.TypeDate, values.Options{Date: noDate}, "1900-03-01", values.SheetCell{Kind: values.CellNumber, Value: "61", Format: "yyyy-mm-dd"}),
		Entry("the last of February 1900", values.TypeDate, values.Options{Date: noDate}, "1900-02-28", values.SheetCell{Kind: values.CellNumber, Value: "59", Format: "yyyy-mm-dd"}),
		Entry("the last day Excel counts", values.TypeDate, values.Options{Date: noDate}, "9999-12-31", values.SheetCell{Kind: values.CellNumber, Value: "2958465", Format: "yyyy-mm-dd"}),
		Entry("a date before 1900", values.TypeDate, values.Options{Date: noDate}, "1899-12-31", values.SheetCell{Kind: values.CellText, Value: "1899-12-31"}),
		Entry("a phone number", values.TypePhone, values.Options{}, "+12365511017", values.SheetCell{Kind: values.CellText, Value: "+12365511017"}),
		Entry("an invalid value kept as written", values.TypeNumber, values.Options{}, "n/a", values.SheetCell{Kind: values.CellText, Value: "n/a"}),
		Entry("an empty cell", values.TypeMoney, values.Options{}, "", values.SheetCell{Kind: values.CellText}),
	)
})

func noDate(string) (string, bool) { return "", false }

var _ = Describe("the package's code", func() {
	It("never uses a binary float", func() {
		files, err := filepath.Glob("*.go")
		Expect(err).NotTo(HaveOccurred())
		checked := 0
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			Expect(err).NotTo(HaveOccurred())
			f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
			Expect(err).NotTo(HaveOccurred())
			for _, imp := range f.Imports {
				Expect(imp.Path.Value).NotTo(Equal(`"math"`), "%s imports math", name)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.Ident:
					Expect(x.Name).NotTo(BeElementOf("float32", "float64"), "%s uses %s", name, x.Name)
				case *ast.SelectorExpr:
					Expect(x.Sel.Name).NotTo(BeElementOf("ParseFloat", "FormatFloat", "AppendFloat", "Float64", "SetFloat64"),
						"%s calls %s", name, x.Sel.Name)
				case *ast.BasicLit:
					if x.Kind == token.FLOAT {
						Fail(name + " has a float literal " + x.Value)
					}
				}
				return true
			})
			checked++
		}
		Expect(checked).To(BeNumerically(">=", 8))
	})
})
