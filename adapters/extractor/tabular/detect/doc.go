// Package detect is the second stage of the tabular extractor: it finds
// the tables in a sheet's rows (package read) in one streaming pass and
// hands each table's layout (column band, header rows, column headers)
// and data rows to a Sink as they are confirmed.
//
// The rules are fixed, never tuned per file, and documented for
// configuration authors in docs/configuration.md. The package knows
// nothing of fields, transforms or outputs: the only thing it learns from
// the configuration is whether a header names a configured field.
package detect
