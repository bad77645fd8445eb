// Package domain is ADE's pure core: the Document, Configuration, Job, Table,
// Workspace and Event aggregates, the job status state machine and the
// domain errors callers match with errors.Is and errors.As.
//
// The package imports the standard library only. Time and identifiers come
// from outside (the caller passes now and ids), so every rule here is
// deterministic and testable without a clock.
//
// Aggregates keep their fields unexported. Validating constructors
// (NewDocument, NewJob, ...) enforce invariants; adapters that rebuild an
// aggregate from storage use the Rehydrate functions with a State value, and
// read one back with the State method. Rehydrate is not a constructor: it
// trusts its input.
package domain
