package values

import "slices"

// minorUnits maps every active ISO 4217 currency code to its number of
// minor-unit digits (2 for cents, 0 for yen, 3 for fils). Precious metals,
// testing and special drawing codes (XAU, XDR, XTS, XXX, ...) have no minor
// unit and are not money here.
var minorUnits = map[string]int8{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
	"AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
	"BMD": 2, "BND": 2, "BOB": 2, "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2,
	"BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4,
	"CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2,
	"DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2,
	"FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0,
	"GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2,
	"INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2,
	"KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2,
	"LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2,
	"MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2,
	"MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2,
	"NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2,
	"PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0,
	"SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2,
	"SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2,
	"TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2,
	"UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2,
	"VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XCG": 2,
	"XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// CurrencyMinorUnits reports the number of minor-unit digits of an ISO 4217
// code (upper case), and whether the code is a known active currency.
func CurrencyMinorUnits(code string) (int, bool) {
	m, ok := minorUnits[code]
	return int(m), ok
}

// currency is an index into currencies; 0 is none. Parsing works on
// indexes: a 3-letter code is found by array indexing, not by hashing.
type currency uint16

type currencyInfo struct {
	code  string
	minor int8
}

// currencies holds every code of minorUnits, sorted, after a zero entry;
// codeIndex maps a code's three letters (base 26) to its currency.
var currencies, codeIndex = indexCurrencies()

func indexCurrencies() ([]currencyInfo, *[26 * 26 * 26]currency) {
	codes := make([]string, 0, len(minorUnits))
	for k := range minorUnits {
		codes = append(codes, k)
	}
	slices.Sort(codes)
	list := make([]currencyInfo, 1, len(codes)+1)
	index := new([26 * 26 * 26]currency)
	for _, k := range codes {
		index[letterKey(k[0], k[1], k[2])] = currency(len(list))
		list = append(list, currencyInfo{code: k, minor: minorUnits[k]})
	}
	return list, index
}

func letterKey(a, b, c byte) int { return (int(a-'A')*26+int(b-'A'))*26 + int(c-'A') }

// codeOf finds a currency by its code in any letter case (0 if unknown).
func codeOf(tok string) currency {
	if len(tok) != 3 {
		return 0
	}
	var up [3]byte
	for i := 0; i < 3; i++ {
		c := tok[i] &^ 0x20 // upper case, for letters
		if c < 'A' || c > 'Z' {
			return 0
		}
		up[i] = c
	}
	return codeIndex[letterKey(up[0], up[1], up[2])]
}

func mustCode(code string) currency {
	c := codeOf(code)
	if c == 0 {
		panic("unknown currency " + code)
	}
	return c
}

// family is a group of currencies sharing a symbol ("$" is written for the
// US, Canadian, Australian dollar and more), with the one it means when the
// column's default currency is not in the group (primary; 0 when the
// symbol alone is too ambiguous).
type family struct {
	members []currency
	primary currency
}

func newFamily(primary string, codes ...string) *family {
	f := &family{}
	if primary != "" {
		f.primary = mustCode(primary)
	}
	for _, c := range codes {
		f.members = append(f.members, mustCode(c))
	}
	return f
}

func (f *family) has(c currency) bool { return slices.Contains(f.members, c) }

// marker is what a currency symbol or code written beside an amount says:
// one currency, or a family.
type marker struct {
	cur currency
	fam *family
}

var (
	dollars = newFamily("USD", "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "ARS", "CLP",
		"COP", "CUP", "DOP", "FJD", "JMD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD", "BBD",
		"BSD", "BZD", "BMD", "KYD", "GYD", "BND", "UYU")
	yens    = newFamily("JPY", "JPY", "CNY")
	pounds  = newFamily("GBP", "GBP", "EGP", "GIP", "FKP", "SHP", "SYP", "LBP", "SDG", "SSP")
	kronas  = newFamily("", "SEK", "NOK", "DKK", "ISK")
	rupees  = newFamily("", "INR", "PKR", "LKR", "NPR", "MUR", "SCR")
	euro    = mustCode("EUR")
	usd     = mustCode("USD")
	symbols = map[string]marker{
		"US$": {cur: usd}, "U$S": {cur: usd},
		"C$": {cur: mustCode("CAD")}, "CA$": {cur: mustCode("CAD")}, "Can$": {cur: mustCode("CAD")},
		"A$": {cur: mustCode("AUD")}, "AU$": {cur: mustCode("AUD")},
		"NZ$": {cur: mustCode("NZD")}, "HK$": {cur: mustCode("HKD")},
		"S$": {cur: mustCode("SGD")}, "SG$": {cur: mustCode("SGD")},
		"MX$": {cur: mustCode("MXN")}, "Mex$": {cur: mustCode("MXN")},
		"NT$": {cur: mustCode("TWD")}, "R$": {cur: mustCode("BRL")},
		"£": {fam: pounds}, "¥": {fam: yens}, "￥": {fam: yens},
		"₹": {cur: mustCode("INR")}, "Rs": {fam: rupees},
		"₩": {cur: mustCode("KRW")}, "₽": {cur: mustCode("RUB")}, "₺": {cur: mustCode("TRY")},
		"₪": {cur: mustCode("ILS")}, "₫": {cur: mustCode("VND")}, "₱": {cur: mustCode("PHP")},
		"₦": {cur: mustCode("NGN")}, "₴": {cur: mustCode("UAH")}, "₸": {cur: mustCode("KZT")},
		"₡": {cur: mustCode("CRC")}, "₲": {cur: mustCode("PYG")}, "฿": {cur: mustCode("THB")},
		"₭": {cur: mustCode("LAK")}, "₮": {cur: mustCode("MNT")}, "₵": {cur: mustCode("GHS")},
		"₼": {cur: mustCode("AZN")}, "₾": {cur: mustCode("GEL")},
		"kr": {fam: kronas}, "Kr": {fam: kronas},
		"zł": {cur: mustCode("PLN")}, "Kč": {cur: mustCode("CZK")}, "Ft": {cur: mustCode("HUF")},
		"lei": {cur: mustCode("RON")}, "Fr": {cur: mustCode("CHF")},
	}
)

// lookupMarker finds the marker a token names: an ISO code in any letter
// case, or a symbol. The common ones are found without hashing.
func lookupMarker(tok string) (marker, bool) {
	switch tok {
	case "$":
		return marker{fam: dollars}, true
	case "€":
		return marker{cur: euro}, true
	}
	if c := codeOf(tok); c != 0 {
		return marker{cur: c}, true
	}
	m, ok := symbols[tok]
	return m, ok
}

// resolveCurrency combines the markers written beside an amount (at most
// one before and one after it) with the column's default currency.
func resolveCurrency(a, b marker, def currency) (currency, error) {
	code := a.cur
	if b.cur != 0 {
		if code != 0 && code != b.cur {
			return 0, ErrCurrencyConflict
		}
		code = b.cur
	}
	for _, f := range [2]*family{a.fam, b.fam} {
		switch {
		case f == nil:
		case code != 0:
			if !f.has(code) {
				return 0, ErrCurrencyConflict
			}
		case def != 0 && f.has(def):
			code = def
		case f.primary != 0:
			code = f.primary
		default:
			return 0, ErrNoCurrency
		}
	}
	if code == 0 {
		if def == 0 {
			return 0, ErrNoCurrency
		}
		code = def
	}
	return code, nil
}
