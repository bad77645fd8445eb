package read

import "github.com/ade-go/ade/ports"

// Stable failure codes of the *ports.ExtractionError values readers
// return.
const (
	// CodeEmptyInput: the document has no content.
	CodeEmptyInput = "empty_input"
	// CodeUnsupportedFormat: not CSV text nor a readable workbook (this
	// includes password-protected workbooks).
	CodeUnsupportedFormat = "unsupported_format"
	// CodeCorruptInput: a workbook or CSV text that cannot be parsed.
	CodeCorruptInput = "corrupt_input"
	// CodeInputTooLarge: the workbook unpacks past what is read.
	CodeInputTooLarge = "input_too_large"
	// CodeCancelled: the context was done before reading finished.
	CodeCancelled = "cancelled"
)

// Fail returns an extraction error with a stable code.
func Fail(code, msg string, err error) *ports.ExtractionError {
	return &ports.ExtractionError{Code: code, Message: msg, Err: err}
}

// Cancelled is the error of a read stopped by its context.
func Cancelled(err error) error {
	return Fail(CodeCancelled, "the extraction was cancelled", err)
}
