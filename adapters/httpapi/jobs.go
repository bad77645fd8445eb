package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

type submitJobRequest struct {
	DocumentID      *string `json:"document_id"`
	ConfigurationID *string `json:"configuration_id"`
	DocumentType    *string `json:"document_type"`
}

// submitJob handles POST .../jobs: the job runs before the response, which
// carries it in its terminal state.
func (s *server) submitJob(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var req submitJobRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.DocumentID == nil || *req.DocumentID == "" {
		return invalid("document_id", "is required")
	}
	hasCfg := req.ConfigurationID != nil && *req.ConfigurationID != ""
	hasType := req.DocumentType != nil && *req.DocumentType != ""
	switch {
	case hasCfg && hasType:
		return invalid("configuration_id", "give configuration_id or document_type, not both")
	case !hasCfg && !hasType:
		return invalid("configuration_id", "configuration_id or document_type is required")
	}
	sub := app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: *req.DocumentID}
	if hasCfg {
		sub.ConfigurationID = *req.ConfigurationID
	} else {
		sub.DocumentType = *req.DocumentType
	}
	job, err := s.app.Jobs.Submit(c.UserContext(), sub)
	if err != nil {
		return err
	}
	s.metrics.jobFinished(job.Status())
	c.Location("/api/v1/workspaces/" + ws.ID() + "/jobs/" + job.ID())
	return ok(c, fiber.StatusCreated, renderJob(job))
}

// listJobs handles GET .../jobs.
func (s *server) listJobs(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	f := ports.JobFilter{
		Status:          domain.JobStatus(c.Query("status")),
		DocumentID:      c.Query("document_id"),
		ConfigurationID: c.Query("configuration_id"),
	}
	res, err := s.app.Jobs.List(c.UserContext(), ws.ID(), f, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderJob))
}

// getJob handles GET .../jobs/{job_id}.
func (s *server) getJob(c *fiber.Ctx) error {
	return respondOne(c, s, "job_id", s.app.Jobs.Get, renderJob)
}

// jobResults handles GET .../jobs/{job_id}/results: a page of the job's
// tables (limit, offset) with all its output documents.
func (s *server) jobResults(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "job_id")
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Jobs.Results(c.UserContext(), ws.ID(), id, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderResults(res))
}

// cancelJob handles POST .../jobs/{job_id}/cancel: pending jobs only for
// now (running jobs cannot be interrupted yet); terminal jobs conflict.
func (s *server) cancelJob(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "job_id")
	if err != nil {
		return err
	}
	job, err := s.app.Jobs.Cancel(c.UserContext(), ws.ID(), id)
	if err != nil {
		return err
	}
	s.metrics.jobFinished(job.Status())
	return ok(c, fiber.StatusOK, renderJob(job))
}

// jobEvents handles GET .../jobs/{job_id}/events: a page of the job's
// timeline, or with ?stream=true a Server-Sent Events stream.
func (s *server) jobEvents(c *fiber.Ctx) error {
	ws, id, err := s.resource(c, "job_id")
	if err != nil {
		return err
	}
	stream, err := queryBool(c, "stream")
	if err != nil {
		return err
	}
	if stream != nil && *stream {
		return s.streamJobEvents(c, ws.ID(), id)
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := s.app.Jobs.Events(c.UserContext(), ws.ID(), id, ports.EventFilter{}, p)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, renderPage(res, renderEvent))
}
