package httpapi

import (
	"strings"

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

// submitJob handles POST .../jobs. With Prefer: respond-async the job is
// queued and answered at once, 202 pending with its Location; without it
// the request waits for a worker to end the job and answers 201 with the
// job terminal (or 202 with the job as it stands when the wait runs out).
// An Idempotency-Key makes the request safe to repeat.
func (s *server) submitJob(c *fiber.Ctx) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c)
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
	sub := app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: *req.DocumentID, IdempotencyKey: key}
	if hasCfg {
		sub.ConfigurationID = *req.ConfigurationID
	} else {
		sub.DocumentType = *req.DocumentType
	}
	async := prefersAsync(c)
	var job *domain.Job
	if async {
		job, err = s.app.Jobs.Enqueue(c.UserContext(), sub)
	} else {
		job, err = s.app.Jobs.Submit(c.UserContext(), sub)
	}
	if err != nil {
		return err
	}
	c.Location("/api/v1/workspaces/" + ws.ID() + "/jobs/" + job.ID())
	if async {
		c.Set("Preference-Applied", "respond-async")
		return ok(c, fiber.StatusAccepted, renderJob(job))
	}
	if !job.Status().IsTerminal() {
		return ok(c, fiber.StatusAccepted, renderJob(job))
	}
	s.metrics.jobFinished(job.Status())
	return ok(c, fiber.StatusCreated, renderJob(job))
}

// prefersAsync reports whether the request's Prefer header (RFC 7240)
// asks for respond-async.
func prefersAsync(c *fiber.Ctx) bool {
	for _, v := range c.Request().Header.PeekAll("Prefer") {
		for pref := range strings.SplitSeq(string(v), ",") {
			name, _, _ := strings.Cut(pref, "=")
			name, _, _ = strings.Cut(name, ";")
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				return true
			}
		}
	}
	return false
}

// idempotencyKey reads and checks the optional Idempotency-Key header.
func idempotencyKey(c *fiber.Ctx) (string, error) {
	key := c.Get("Idempotency-Key")
	if key == "" && len(c.Request().Header.Peek("Idempotency-Key")) == 0 {
		return "", nil
	}
	if err := domain.ValidateIdempotencyKey(key); err != nil {
		return "", err
	}
	return key, nil
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

// cancelJob handles POST .../jobs/{job_id}/cancel: a pending job ends
// cancelled at once; a running one too, and its worker, in whichever
// process, stops the extraction; a terminal job conflicts (409).
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
