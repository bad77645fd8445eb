// Package read is the first stage of the tabular extractor: it turns a
// document's bytes (CSV or TSV text in any of the supported encodings and
// delimiters, an XLSX or XLSM workbook, a legacy XLS workbook) into sheets
// of rows of cells.
//
// A cell has a kind (empty, text, number, bool, date, error), the text the
// extractor shows (for workbooks: numbers as the General format shows
// them, dates as ISO 8601) and the raw stored value. Readers stream: rows
// come one at a time; a CSV document is parsed (by this package's own
// parser) on a goroutine of its own that hands rows over in batches whose
// memory is reused once the consumer no longer holds them (see Recycler),
// and an XLSX worksheet is read by adapters/extractor/xlsxstream on a
// goroutine of its own too. Every reader checks the Limits as it reads.
//
// Workbook readers sit behind the Workbook interface, so another reader
// can replace one without the later stages noticing. The package knows
// nothing of tables, fields or outputs.
package read
