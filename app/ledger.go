package app

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// MaxNameQueryBytes bounds the text a document search looks for (a
// filename is at most 255 bytes, so a longer text matches nothing).
const MaxNameQueryBytes = 255

// DocumentQuery narrows DocumentService.Find.
type DocumentQuery struct {
	// Name keeps documents whose filename contains it, ignoring the case
	// of ASCII letters (ports.DocumentFilter.NameContains).
	Name string
	// Origin keeps uploads or job outputs only; empty keeps both.
	Origin ports.DocumentOrigin
}

// LedgerEntry is one document of the ledger with the latest job that read
// it (nil when no job has).
type LedgerEntry struct {
	Document  *domain.Document
	LatestJob *domain.Job
}

// Find returns a page of the workspace's documents that are not deleted
// and match q, newest first, each with its latest job: the documents
// ledger. An invalid query is domain.ErrInvalidInput with the field.
func (s *DocumentService) Find(ctx context.Context, workspaceID string, q DocumentQuery, p PageRequest) (Page[LedgerEntry], error) {
	var fields []domain.FieldError
	if len(q.Name) > MaxNameQueryBytes || !utf8.ValidString(q.Name) {
		fields = append(fields, domain.FieldError{Field: "name", Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxNameQueryBytes)})
	}
	switch q.Origin {
	case "", ports.OriginUpload, ports.OriginOutput:
	default:
		fields = append(fields, domain.FieldError{Field: "origin", Message: "must be upload or output"})
	}
	if len(fields) > 0 {
		return Page[LedgerEntry]{}, domain.NewInvalid("invalid document query", fields...)
	}
	docs, err := list(p, func(pp ports.Page) ([]*domain.Document, error) {
		return s.c.Repos.Documents.List(ctx, workspaceID, ports.DocumentFilter{NameContains: q.Name, Origin: q.Origin}, pp)
	})
	if err != nil {
		return Page[LedgerEntry]{}, fmt.Errorf("find documents: %w", err)
	}
	ids := make([]string, len(docs.Items))
	for i, d := range docs.Items {
		ids[i] = d.ID()
	}
	latest, err := s.c.Repos.Jobs.LatestByDocument(ctx, workspaceID, ids)
	if err != nil {
		return Page[LedgerEntry]{}, fmt.Errorf("find documents: latest jobs: %w", err)
	}
	out := Page[LedgerEntry]{Items: make([]LedgerEntry, len(docs.Items)), Limit: docs.Limit, Offset: docs.Offset, HasMore: docs.HasMore}
	for i, d := range docs.Items {
		out.Items[i] = LedgerEntry{Document: d, LatestJob: latest[d.ID()]}
	}
	return out, nil
}
