package values_test

import (
	"regexp"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/nyaruka/phonenumbers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/values"
)

// written is a random decimal and one way of writing it.
type written struct {
	text    string
	want    apd.Decimal // the value written (after the percent sign's scale)
	sep     byte        // the decimal separator used
	grouped bool
}

// canonicalNumber is the shape of canonical numbers: no exponent, no
// grouping, no trailing fractional zero, no "-0".
var canonicalNumber = regexp.MustCompile(`^(-?[1-9][0-9]*(\.[0-9]*[1-9])?|-?0\.[0-9]*[1-9]|0)$`)

// canonicalMoney is the shape of canonical money amounts.
var canonicalMoney = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)? [A-Z]{3}$`)

var groupMarks = []string{",", ".", " ", "\u00a0", "\u202f", "'"}

// genWritten draws a decimal of up to 30 significant digits with a random
// scale and sign, and writes it in a random style: grouping mark, decimal
// mark, sign form, and for money a currency symbol or code before or after.
func genWritten(t *rapid.T, money, percent bool) written {
	var w written
	nd := rapid.IntRange(1, 30).Draw(t, "digits")
	digits := []byte(rapid.StringMatching(`[0-9]{1,30}`).Draw(t, "coefficient"))
	if len(digits) > nd {
		digits = digits[:nd]
	}
	if rapid.IntRange(0, 9).Draw(t, "zero") == 0 {
		digits = []byte(strings.Repeat("0", nd))
	}
	scale := rapid.IntRange(0, len(digits)+3).Draw(t, "scale")
	neg := rapid.Bool().Draw(t, "negative")
	intPart, frac := string(digits), ""
	if scale > 0 {
		for len(intPart) < scale {
			intPart = "0" + intPart
		}
		intPart, frac = intPart[:len(intPart)-scale], intPart[len(intPart)-scale:]
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" && (frac == "" || rapid.Bool().Draw(t, "leading zero")) {
		intPart = "0"
	}
	exact := intPart
	if frac != "" {
		exact += "." + frac
	}
	if neg {
		exact = "-" + exact
	}
	_, _, err := w.want.SetString(exact)
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}

	var body string
	if rapid.IntRange(0, 9).Draw(t, "exponent form") == 0 {
		// d.ddd E±n, the way spreadsheets write large and small numbers.
		all := strings.TrimLeft(intPart+frac, "0")
		if all == "" {
			all = "0"
		}
		e := len(intPart+frac) - len(frac) - 1 - (len(intPart+frac) - len(all))
		body = all[:1]
		if len(all) > 1 {
			body += "." + all[1:]
		}
		w.sep = '.'
		sign := "+"
		if e < 0 {
			sign, e = "-", -e
		}
		body += rapid.SampledFrom([]string{"E", "e"}).Draw(t, "e") + sign + itoa(e)
		if rapid.Bool().Draw(t, "comma mantissa") {
			body = strings.Replace(body, ".", ",", 1)
			w.sep = ','
		}
	} else {
		g := rapid.SampledFrom(append([]string{""}, groupMarks...)).Draw(t, "group")
		w.sep = rapid.SampledFrom([]byte{'.', ','}).Draw(t, "decimal")
		if g == string(w.sep) {
			g = ""
		}
		body = intPart
		if g != "" && len(intPart) > 3 {
			w.grouped = true
			var b strings.Builder
			for i, c := range intPart {
				if i > 0 && (len(intPart)-i)%3 == 0 {
					b.WriteString(g)
				}
				b.WriteRune(c)
			}
			body = b.String()
		}
		if frac != "" {
			body += string(w.sep) + frac
		}
	}
	if percent {
		body += rapid.SampledFrom([]string{"%", " %", "\u00a0%"}).Draw(t, "percent")
	}
	if money {
		cur := rapid.SampledFrom([]string{"$", "€", "USD", "EUR", "eur", "US$", "£"}).Draw(t, "currency")
		space := rapid.SampledFrom([]string{"", " ", "\u00a0"}).Draw(t, "currency space")
		if rapid.Bool().Draw(t, "currency after") {
			body = body + space + cur
		} else {
			body = cur + space + body
		}
	}
	if neg {
		switch rapid.IntRange(0, 3).Draw(t, "sign form") {
		case 0:
			body = "-" + body
		case 1:
			body += "-"
		case 2:
			body = "(" + body + ")"
		default:
			body = "−" + body
		}
	} else if rapid.IntRange(0, 4).Draw(t, "plus") == 0 {
		body = "+" + body
	}
	w.text = body
	return w
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// exactly reports whether canonical text holds the decimal want.
func exactly(t *rapid.T, in, text string, want *apd.Decimal) {
	var got apd.Decimal
	if _, _, err := got.SetString(text); err != nil {
		t.Fatalf("%q: canonical %q is not a decimal: %v", in, text, err)
	}
	if got.Cmp(want) != 0 {
		t.Fatalf("%q read as %s, want %s", in, got.String(), want.String())
	}
}

var _ = Describe("written decimals read back exactly", func() {
	It("reads numbers in every style with the column's decimal separator", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			w := genWritten(t, false, false)
			p := values.MustParser(values.TypeNumber, values.Options{Decimal: string(w.sep)})
			out, ok := p.Canonical(w.text)
			if !ok {
				t.Fatalf("%q did not parse", w.text)
			}
			if !canonicalNumber.MatchString(out) {
				t.Fatalf("%q: canonical %q has the wrong shape", w.text, out)
			}
			exactly(t, w.text, out, &w.want)
		})
	})

	It("reads numbers with decimal auto exactly unless they are ambiguous, and then as documented", func() {
		ambiguous := regexp.MustCompile(`^[^0-9]*[1-9][0-9]{0,2}[.,][0-9]{3}[^0-9eE]*$`)
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			w := genWritten(t, false, false)
			p := values.MustParser(values.TypeNumber, values.Options{})
			out, ok := p.Canonical(w.text)
			if !ok {
				t.Fatalf("%q did not parse", w.text)
			}
			if ambiguous.MatchString(w.text) {
				// "1,234" is 1234 and "1.234" is 1.234
				want := strings.NewReplacer(",", "", "(", "-", ")", "", "−", "-", "+", "").Replace(w.text)
				if strings.HasSuffix(want, "-") {
					want = "-" + strings.TrimSuffix(want, "-")
				}
				var d apd.Decimal
				if _, _, err := d.SetString(want); err != nil {
					t.Fatalf("%q: %v", want, err)
				}
				exactly(t, w.text, out, &d)
				return
			}
			exactly(t, w.text, out, &w.want)
		})
	})

	It("reads money in every style, with the currency written", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			w := genWritten(t, true, false)
			p := values.MustParser(values.TypeMoney, values.Options{Decimal: string(w.sep), Currency: "CAD"})
			v, err := p.Parse(w.text)
			if err != nil {
				t.Fatalf("%q: %v", w.text, err)
			}
			out := v.String()
			if !canonicalMoney.MatchString(out) {
				t.Fatalf("%q: canonical %q has the wrong shape", w.text, out)
			}
			amount, code, _ := strings.Cut(out, " ")
			exactly(t, w.text, amount, &w.want)
			want := map[string]string{"$": "CAD", "€": "EUR", "USD": "USD", "EUR": "EUR", "eur": "EUR", "US$": "USD", "£": "GBP"}
			for k, c := range want {
				if strings.Contains(w.text, k) && (k != "$" || !strings.Contains(w.text, "US$")) {
					if code != c {
						t.Fatalf("%q: currency %s, want %s", w.text, code, c)
					}
				}
			}
			minor, _ := values.CurrencyMinorUnits(code)
			if _, frac, _ := strings.Cut(amount, "."); len(frac) < minor {
				t.Fatalf("%q: %q has fewer than %d fraction digits", w.text, out, minor)
			}
		})
	})

	It("reads percentages as fractions and as points", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			w := genWritten(t, false, true)
			points := rapid.Bool().Draw(t, "points")
			o := values.Options{Decimal: string(w.sep)}
			want := w.want
			if points {
				o.PercentScale = values.PercentPoints
			} else {
				want.Exponent -= 2
			}
			p := values.MustParser(values.TypePercent, o)
			out, ok := p.Canonical(w.text)
			if !ok {
				t.Fatalf("%q did not parse", w.text)
			}
			if !canonicalNumber.MatchString(out) {
				t.Fatalf("%q: canonical %q has the wrong shape", w.text, out)
			}
			exactly(t, w.text, out, &want)
		})
	})

	It("never lets a value prove the wrong decimal separator", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			col := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) written { return genWritten(t, false, false) }), 1, 20).Draw(t, "column")
			sep := col[0].sep
			texts := []string{}
			for _, w := range col {
				if w.sep == sep {
					texts = append(texts, w.text)
				}
			}
			got := values.ResolveDecimal(texts)
			if got != string(sep) && got != values.DecimalPoint {
				t.Fatalf("column %q with separator %c resolved to %s", texts, sep, got)
			}
			// With the resolved separator every value reads exactly, unless
			// the column never proved its comma (then "." is read, as
			// documented, and only ambiguous values differ).
			p := values.MustParser(values.TypeNumber, values.Options{}).ForColumn(texts)
			if got == string(sep) {
				for _, w := range col {
					if w.sep != sep {
						continue
					}
					out, ok := p.Canonical(w.text)
					if !ok {
						t.Fatalf("%q did not parse in a %c column", w.text, sep)
					}
					exactly(t, w.text, out, &w.want)
				}
			}
		})
	})
})

var _ = Describe("phone numbers", func() {
	regions := []string{"US", "CA", "GB", "FR", "DE", "AU", "JP", "IN", "BR", "CH", "MX", "ES"}
	kinds := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE}

	It("reads national and international forms back as E.164", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			region := rapid.SampledFrom(regions).Draw(t, "region")
			kind := rapid.SampledFrom(kinds).Draw(t, "kind")
			ex := phonenumbers.GetExampleNumberForType(region, kind)
			if ex == nil {
				ex = phonenumbers.GetExampleNumber(region)
			}
			// Vary the last digits; keep the example when that makes the
			// number invalid.
			national := ex.GetNationalNumber()
			k := rapid.IntRange(1, 3).Draw(t, "varied digits")
			mod := uint64(1)
			for range k {
				mod *= 10
			}
			varied := national - national%mod + uint64(rapid.IntRange(0, int(mod)-1).Draw(t, "last digits"))
			num := &phonenumbers.PhoneNumber{
				CountryCode: ex.CountryCode, NationalNumber: &varied,
				ItalianLeadingZero: ex.ItalianLeadingZero, NumberOfLeadingZeros: ex.NumberOfLeadingZeros,
			}
			if !phonenumbers.IsValidNumber(num) {
				num = ex
			}
			want := phonenumbers.Format(num, phonenumbers.E164)
			form := rapid.SampledFrom([]phonenumbers.PhoneNumberFormat{
				phonenumbers.NATIONAL, phonenumbers.INTERNATIONAL, phonenumbers.E164, phonenumbers.RFC3966,
			}).Draw(t, "format")
			text := phonenumbers.Format(num, form)
			if form == phonenumbers.NATIONAL || form == phonenumbers.INTERNATIONAL {
				text = strings.ReplaceAll(text, " ", rapid.SampledFrom([]string{" ", ".", "-", "\u00a0"}).Draw(t, "separator"))
			}
			p := values.MustParser(values.TypePhone, values.Options{Region: region})
			out, ok := p.Canonical(text)
			if !ok {
				t.Fatalf("%s %q (%s) did not parse", region, text, want)
			}
			if out != want {
				t.Fatalf("%s %q read as %s, want %s", region, text, out, want)
			}
		})
	})
})

var _ = Describe("0.1 + 0.2", func() {
	It("is 0.3", func() {
		s, err := values.NewSum(values.TypeNumber)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Add("0.1")).To(Succeed())
		Expect(s.Add("0.2")).To(Succeed())
		Expect(s.Value().String()).To(Equal("0.3"))
	})
})
