// Package tabular is ADE's spreadsheet extractor: it finds the tables in a
// CSV or XLSX document (preambles, notes, stacked headers, several tables
// per sheet, side-by-side tables), maps their columns to the configured
// fields, normalizes the values and streams one output file per table.
//
// The extractor reads each sheet once, row by row, with a small look-ahead
// window, so memory is bounded by the widest table, never by the number of
// rows, and every extraction is bounded by Limits whatever the document's
// shape. The input is hashed, and a CSV document parsed or a worksheet
// read, in goroutines of their own, which hand the rows over in order while
// the tables are detected and written. Every decision is a
// pure function of the input bytes and the payload: the same input and
// configuration give byte-identical outputs, tables, metrics and logs.
//
// docs/configuration.md describes the payload and the detection rules for
// configuration authors.
package tabular
