package app

import (
	"context"
	"fmt"

	"github.com/ade-go/ade/ports"
)

// taskHandler dispatches the queue's tasks to the use case each belongs
// to: the application's ports.TaskHandler.
type taskHandler struct {
	jobs        *JobService
	webhooks    *WebhookService
	maintenance *MaintenanceService
}

// HandleTask implements ports.TaskHandler.
func (h *taskHandler) HandleTask(ctx context.Context, t ports.Task, a ports.TaskAttempt) error {
	switch t.Kind {
	case ports.TaskRunJob:
		return h.jobs.runAttempt(ctx, t, a)
	case ports.TaskDeliverWebhook:
		return h.webhooks.deliver(ctx, t, a)
	case ports.TaskMaintenance:
		r, err := h.maintenance.Sweep(ctx, false)
		log := h.maintenance.c.Logger
		switch {
		case err != nil:
			log.ErrorContext(ctx, "maintenance sweep", "error", err)
		case len(r.Documents)+r.StaleJobs+r.IdempotencyKeys+r.Deliveries > 0:
			log.InfoContext(ctx, "maintenance sweep", "purged_documents", len(r.Documents), "stale_jobs", r.StaleJobs,
				"expired_idempotency_keys", r.IdempotencyKeys, "old_deliveries", r.Deliveries)
		}
		return err
	}
	return fmt.Errorf("unknown task kind %q", t.Kind)
}
