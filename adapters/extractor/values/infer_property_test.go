package values_test

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
	. "github.com/onsi/ginkgo/v2"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/values"
)

// Inference skips parsers that cannot read a value; these properties check
// that what it counts is exactly what the parsers accept.
var _ = Describe("inference counts what the parsers read", func() {
	It("for numbers, integers, percentages, money and booleans", func() {
		alphabet := []rune("0123456789.,-+()$€%  USDEURabcxyE'\u00a0\u2212")
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			v := string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 1, 14).Draw(t, "value"))
			o := values.Options{}
			if rapid.Bool().Draw(t, "currency") {
				o.Currency = "USD"
			}
			inf := values.Infer([]string{v}, o)
			for _, typ := range []values.Type{values.TypeInteger, values.TypeNumber, values.TypePercent, values.TypeMoney, values.TypeBoolean} {
				po := values.Options{Decimal: inf.Decimal}
				switch typ {
				case values.TypeMoney:
					po.Currency = o.Currency
				case values.TypeBoolean:
					po = values.Options{Checkbox: true}
				}
				val, err := values.MustParser(typ, po).Parse(v)
				if inf.NonEmpty == 0 {
					continue // blank: neither counted nor invalid
				}
				if counted := inf.Parsed[typ] == 1; counted != (err == nil && !val.IsEmpty()) {
					t.Fatalf("%q as %s: counted %v, parser error %v", v, typ, counted, err)
				}
			}
		})
	})

	It("for phone numbers written with digits and phone punctuation, and an extension", func() {
		regions := []string{"US", "CA", "GB", "FR", "DE", "AU", "JP", "BR", "CH", "MX"}
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			region := rapid.SampledFrom(regions).Draw(t, "region")
			var v string
			if rapid.Bool().Draw(t, "example") {
				num := phonenumbers.GetExampleNumber(region)
				v = phonenumbers.Format(num, rapid.SampledFrom([]phonenumbers.PhoneNumberFormat{
					phonenumbers.NATIONAL, phonenumbers.INTERNATIONAL, phonenumbers.E164}).Draw(t, "format"))
				v = strings.ReplaceAll(v, " ", rapid.SampledFrom([]string{" ", ".", "-", "\u00a0", "/"}).Draw(t, "sep"))
				if rapid.Bool().Draw(t, "ext") {
					v += rapid.SampledFrom([]string{" ext. 12", " x7", ";ext=9", " #4"}).Draw(t, "extension")
				}
			} else {
				// Digits and phone punctuation only: letters inside a number
				// ("3x0000", which libphonenumber reads as 30000) are not
				// counted by design.
				v = string(rapid.SliceOfN(rapid.SampledFrom([]rune("0123456789 +()-./")), 1, 20).Draw(t, "value"))
			}
			for _, r := range []string{"", region} {
				inf := values.Infer([]string{v}, values.Options{Region: r})
				_, err := values.MustParser(values.TypePhone, values.Options{Region: r}).Parse(v)
				if inf.NonEmpty == 0 {
					continue
				}
				if counted := inf.Parsed[values.TypePhone] == 1; counted != (err == nil) {
					t.Fatalf("%q in region %q: counted %v, parser error %v", v, r, counted, err)
				}
			}
		})
	})
})
