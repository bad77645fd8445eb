package values

import "errors"

// ErrInvalid matches (with errors.Is) every error Parse returns for a value
// that does not parse as its column's type. The caller keeps such a value
// as it was written and counts it.
var ErrInvalid = errors.New("invalid value")

// invalidError is one reason a value is invalid. The reasons are
// preallocated, so refusing a value costs no allocation.
type invalidError struct{ reason string }

func (e *invalidError) Error() string { return "invalid value: " + e.reason }

// Is makes every reason match ErrInvalid.
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Reasons a value is invalid; each matches ErrInvalid.
var (
	// ErrSyntax: the text is not a value of the type in any accepted form.
	ErrSyntax error = &invalidError{"not in an accepted form"}
	// ErrGrouping: thousands separators in the wrong places ("1,23",
	// "12,34,567") or a second decimal separator.
	ErrGrouping error = &invalidError{"misplaced digit grouping or decimal separator"}
	// ErrOutOfRange: more than MaxDigits digits, or an exponent that would
	// need more (1E+1000000000).
	ErrOutOfRange error = &invalidError{"too many digits"}
	// ErrFraction: a value with a non-zero fraction in an integer column.
	ErrFraction error = &invalidError{"not a whole number"}
	// ErrNoCurrency: a money value without a currency marker in a column
	// with no default currency, or with a marker shared by several
	// currencies (kr) that the default does not settle.
	ErrNoCurrency error = &invalidError{"no currency"}
	// ErrCurrencyConflict: two currency markers that disagree (€12 USD).
	ErrCurrencyConflict error = &invalidError{"conflicting currencies"}
	// ErrUnexpectedMark: a currency marker outside a money column, or a
	// percent sign outside a percent column.
	ErrUnexpectedMark error = &invalidError{"currency or percent sign where none belongs"}
	// ErrPhone: not a valid phone number for its region.
	ErrPhone error = &invalidError{"not a valid phone number"}
	// ErrDate: the date parser did not understand the value.
	ErrDate error = &invalidError{"not a date"}
)

// Errors of sums and totals checks.
var (
	// ErrNotSummable: the type has no meaningful sum (string, boolean,
	// date, phone, and percent: see Sum).
	ErrNotSummable = errors.New("type is not summable")
	// ErrMixedCurrency: a money value whose currency differs from the
	// values added before it.
	ErrMixedCurrency = errors.New("mixed currencies")
)

// OptionError is a refused option: Key is the payload key of the field
// ("decimal", "currency", "region", "percent_scale", "checkbox", or "type").
type OptionError struct {
	Key     string
	Message string
}

func (e *OptionError) Error() string { return e.Key + ": " + e.Message }
