// Package xlsxstream reads XLSX and XLSM workbooks as streams of cells,
// in bounded memory and linear time, whatever the workbook's shape.
//
// It is built for extraction: archive/zip for the package, and a scanner
// specialised for the XML of worksheets and shared strings (tags, their
// attributes and text, nothing generic), which reads a sheet several
// times faster than a general XML decoder would.
//
// # What it reads
//
// The sheet list comes from the workbook part (found through the package
// relationships, absolute or relative targets), in workbook order with
// each sheet's name, visibility and whether it is the active one. A
// sheet's rows come one at a time with, for each cell that has a value,
// its column, its kind (text, number, bool, date, error), its format and
// its value exactly as stored: shared strings (s), inline strings
// (inlineStr, rich-text runs concatenated, phonetic runs left out),
// formula string results (str), numbers with every digit as written,
// booleans, errors (e) and ISO dates (d). A number is a date when its
// cell format's number format shows dates or times (built-in formats
// 14-22, 27-36, 45-47 and 50-58, and custom formats with a date or time
// token outside quotes and brackets); DateISO turns its serial into ISO
// 8601 text, in the 1900 or 1904 date system (Workbook.Date1904), without
// float arithmetic. XML entities, CDATA sections and Excel's _xHHHH_
// escapes are decoded; text that is not UTF-8 has U+FFFD in place of the
// bytes that are not. Cells and rows without an r attribute take the
// position after the previous one. Hidden rows and columns are reported;
// merged ranges, which the XML lists after the rows, are available once
// the rows are read (Rows.MergedRanges) or beforehand at the cost of a
// pass over the sheet (Workbook.MergedRanges).
//
// # What it refuses
//
// A zip archive that is not readable or holds two entries with the same
// name (case-insensitively), a zip without a workbook (ErrNotWorkbook), a
// missing part, XML that is not well formed where it is read, a document
// type declaration (and so any entity but the five XML predefines), a
// part in another encoding than UTF-8, rows or cells out of order or
// outside Excel's grid, a shared-string index that does not exist: each
// is a *MalformedError (errors.Is(err, ErrMalformed)). Namespaces are not
// resolved: elements are known by their local names.
//
// # Limits
//
// Every limit is checked while reading and reported as a *LimitError
// naming the limit and its value (errors.Is(err, ErrLimit)): bytes per
// cell, bytes per row, cells per row, cells in the workbook, shared
// strings and their bytes, inflated bytes per part and in total (counted
// as they are inflated: a zip directory's declared sizes are checked
// first but not trusted), XML nesting depth, bytes per tag, zip entries,
// sheets, merged ranges. Defaults are the Default... constants; Options
// change them. With the defaults a worksheet is read in a few MiB
// whatever its size, plus the current row (at most RowBytes) and the
// shared strings' memory budget. Time is linear in the inflated size.
//
// Parts over 1 MiB are inflated on a goroutine of their own, a few
// 256 KiB chunks ahead of the scanner; Rows.Close and Workbook.Close stop
// it.
//
// # Temporary files
//
// Shared strings stay in memory up to Options.SharedStringsMemory (16 MiB
// by default), then move to one temporary file in Options.TempDir: each
// string with its length, an offset for every 32nd string kept in memory,
// and 4 MiB of cached pages. The file is unlinked as soon as it is
// created, so nothing is left on disk whatever happens, a crash included;
// the space is freed when Workbook.Close closes it (or, should Close
// never run, when the process ends). Where an open file cannot be
// unlinked, Close removes it.
//
// # Cancellation
//
// Open reads the workbook's parts under its context, Workbook.Rows the
// shared strings, styles and rows under its own; cancelling ends the
// reading within one 64 KiB window of input, with the context's error.
package xlsxstream
