// Package ports declares the outbound interfaces ADE's use cases need:
// repositories, the transaction boundary, the event sink, the blob store,
// extractors, the clock and the id generator.
//
// Each method documents its contract with MUST clauses; the contract suites
// in test/contract check every adapter against them. The package imports
// the domain and the standard library only.
package ports
