// Package mapping is the third stage of the tabular extractor: it maps a
// detected table's columns (package detect) to the configured fields, by
// header synonyms or by the shape of sample values, and turns each data
// row into an output row: transforms applied in order, typed values read
// into their canonical form (package values), required values and
// validation patterns checked, issues counted. On the way it infers each
// column's type from the first rows and keeps exact sums of the number,
// integer and money columns, to audit the table's total rows (Totals).
//
// Rows stream through: a table's first rows are held only until the
// mapping is decided (at most SampleRows of them), then every row is
// written as it arrives to a Writer the caller opens. The package knows
// nothing of output formats.
package mapping
