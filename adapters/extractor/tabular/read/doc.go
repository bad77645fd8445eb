// Package read is the first stage of the tabular extractor: it turns a
// document's bytes (CSV or TSV text in any of the supported encodings and
// delimiters, an XLSX or XLSM workbook, a legacy XLS workbook) into sheets
// of rows of cells.
//
// A cell has a kind (empty, text, number, bool, date, error), the text a
// spreadsheet application shows and the raw stored value. Readers stream:
// rows come one at a time, and a CSV document is parsed on a goroutine of
// its own that hands rows over in batches whose memory is reused once the
// consumer no longer holds them (see Recycler).
//
// Workbook readers sit behind the Workbook interface, so another reader
// can replace one without the later stages noticing. The package knows
// nothing of tables, fields or outputs.
package read
