package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
)

// listDocuments handles GET .../documents.
func (s *server) listDocuments(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Documents.List(c.UserContext(), ws.ID(), p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderDocument))
}

// getDocument handles GET .../documents/{document_id}.
func (s *server) getDocument(c *fiber.Ctx) error {
	return respondOne(c, s, "document_id", s.app.Documents.Get, renderDocument)
}

type deleteDocumentRequest struct {
	Reason string `json:"reason"`
}

// deleteDocument handles DELETE .../documents/{document_id} with an
// optional JSON body {"reason"}.
func (s *server) deleteDocument(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "document_id")
	if err != nil {
		return err
	}
	var req deleteDocumentRequest
	if hasBody(c) {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if err := domain.ValidateDeleteReason(req.Reason); err != nil {
		return err
	}
	if err := s.app.Documents.Delete(c.UserContext(), ws.ID(), id, req.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// hasBody reports whether the request carries a body.
func hasBody(c *fiber.Ctx) bool {
	cl := c.Request().Header.ContentLength()
	return cl > 0 || cl == -1
}

// documentEvents handles GET .../documents/{document_id}/events.
func (s *server) documentEvents(c *fiber.Ctx) error {
	return respondTimeline(c, s, "document_id", s.app.Documents.Events)
}
