package values

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

// marker is what a currency symbol or code written beside an amount says:
// either one currency (code) or a family of currencies sharing a symbol
// ("$" is written for the US, Canadian, Australian dollar and more), with
// the one it means when the column's default currency is not in the family
// (primary; "" when the symbol alone is too ambiguous).
type marker struct {
	code    string
	family  []string
	primary string
}

var (
	dollarFamily = []string{"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "ARS", "CLP",
		"COP", "CUP", "DOP", "FJD", "JMD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD", "BBD",
		"BSD", "BZD", "BMD", "KYD", "GYD", "BND", "UYU"}
	yenFamily   = []string{"JPY", "CNY"}
	poundFamily = []string{"GBP", "EGP", "GIP", "FKP", "SHP", "SYP", "LBP", "SDG", "SSP"}
	kronaFamily = []string{"SEK", "NOK", "DKK", "ISK"}
	rupeeFamily = []string{"INR", "PKR", "LKR", "NPR", "MUR", "SCR"}
)

// symbols are the currency symbols understood beside an amount, besides
// the ISO codes themselves. Letters are matched case-sensitively here; ISO
// codes case-insensitively.
var symbols = map[string]marker{
	"$":   {family: dollarFamily, primary: "USD"},
	"US$": {code: "USD"}, "U$S": {code: "USD"},
	"C$": {code: "CAD"}, "CA$": {code: "CAD"}, "Can$": {code: "CAD"},
	"A$": {code: "AUD"}, "AU$": {code: "AUD"},
	"NZ$": {code: "NZD"}, "HK$": {code: "HKD"}, "S$": {code: "SGD"}, "SG$": {code: "SGD"},
	"MX$": {code: "MXN"}, "Mex$": {code: "MXN"}, "NT$": {code: "TWD"}, "R$": {code: "BRL"},
	"€": {code: "EUR"},
	"£": {family: poundFamily, primary: "GBP"},
	"¥": {family: yenFamily, primary: "JPY"}, "￥": {family: yenFamily, primary: "JPY"},
	"₹": {code: "INR"}, "Rs": {family: rupeeFamily},
	"₩": {code: "KRW"}, "₽": {code: "RUB"}, "₺": {code: "TRY"}, "₪": {code: "ILS"},
	"₫": {code: "VND"}, "₱": {code: "PHP"}, "₦": {code: "NGN"}, "₴": {code: "UAH"},
	"₸": {code: "KZT"}, "₡": {code: "CRC"}, "₲": {code: "PYG"}, "฿": {code: "THB"},
	"₭": {code: "LAK"}, "₮": {code: "MNT"}, "₵": {code: "GHS"}, "₼": {code: "AZN"},
	"₾":  {code: "GEL"},
	"kr": {family: kronaFamily}, "Kr": {family: kronaFamily},
	"zł": {code: "PLN"}, "Kč": {code: "CZK"}, "Ft": {code: "HUF"}, "lei": {code: "RON"},
	"Fr": {code: "CHF"},
}

// lookupMarker finds the marker a token names: a symbol, or an ISO code in
// any letter case.
func lookupMarker(tok string) (marker, bool) {
	if m, ok := symbols[tok]; ok {
		return m, true
	}
	if len(tok) == 3 {
		var up [3]byte
		for i := 0; i < 3; i++ {
			c := tok[i]
			switch {
			case c >= 'a' && c <= 'z':
				c -= 'a' - 'A'
			case c < 'A' || c > 'Z':
				return marker{}, false
			}
			up[i] = c
		}
		// The map's own key is returned, so a parsed value never holds a
		// fresh allocation for its currency.
		if m, ok := codeMarkers[string(up[:])]; ok {
			return m, true
		}
	}
	return marker{}, false
}

// codeMarkers holds one marker per ISO code.
var codeMarkers = func() map[string]marker {
	m := make(map[string]marker, len(minorUnits))
	for k := range minorUnits {
		m[k] = marker{code: k}
	}
	return m
}()

// resolveCurrency combines the markers written beside an amount (at most
// one before and one after it) with the column's default currency.
func resolveCurrency(a, b *marker, def string) (string, error) {
	code := ""
	for _, m := range [2]*marker{a, b} {
		if m != nil && m.code != "" {
			if code != "" && code != m.code {
				return "", ErrCurrencyConflict
			}
			code = m.code
		}
	}
	for _, m := range [2]*marker{a, b} {
		if m == nil || m.code != "" {
			continue
		}
		switch {
		case code != "":
			if !contains(m.family, code) {
				return "", ErrCurrencyConflict
			}
		case def != "" && contains(m.family, def):
			code = def
		case m.primary != "":
			code = m.primary
		default:
			return "", ErrNoCurrency
		}
	}
	if code == "" {
		if def == "" {
			return "", ErrNoCurrency
		}
		code = def
	}
	return code, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
