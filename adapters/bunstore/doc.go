// Package bunstore stores ADE's aggregates in PostgreSQL or in an embedded SQLite
// file through github.com/uptrace/bun.
//
// One code path serves both databases. Where they differ (row locks, JSON
// and timestamp column types) the package branches in one place each, with
// the reason beside the branch: row locks in lockForUpdate, timestamps in
// dbTime.AppendQuery, column types in the migration template data.
//
// Transactions travel in the context: Transactor.WithinTx starts one (or
// joins the caller's), and every repository method runs on the transaction
// it finds in its context, or on the pool when there is none.
package bunstore
