package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/cmd/ade/wiring"
)

func init() {
	subcommands = append(subcommands, newPurgeCommand)
}

func newPurgeCommand() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Run the maintenance sweep once and print what it did",
		Long: "Purge the documents whose expiry has passed (the record stays, deleted by \"system\" with reason " +
			"\"expired\" and a document.purged event; the bytes are removed), end jobs left running by stopped " +
			"processes, and delete expired idempotency keys and old webhook delivery logs: what the periodic " +
			"sweep does every ADE_PURGE_INTERVAL, on demand. Prints one line per purged document and a summary. " +
			"With --dry-run, lists the expired documents and changes nothing." + envHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig()
			if err != nil {
				return err
			}
			if c.IsMemoryDatabase() {
				return &exitError{code: 2, err: errors.New("an in-memory database has nothing to purge")}
			}
			c.Workers = 0 // insert only: this process runs no queued work
			var a *app.App
			graph := fx.New(wiring.Worker(c, os.Stderr), fx.Populate(&a))
			if err := graph.Err(); err != nil {
				return &exitError{code: 1, err: err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), graph.StartTimeout())
			defer cancel()
			if err := graph.Start(ctx); err != nil {
				return &exitError{code: 1, err: fmt.Errorf("start: %w", err)}
			}
			defer func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), graph.StopTimeout())
				defer cancel()
				_ = graph.Stop(stopCtx)
			}()
			report, err := a.Maintenance.Sweep(cmd.Context(), dryRun)
			printSweep(cmd.OutOrStdout(), report, dryRun)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be purged; change nothing")
	return cmd
}

func printSweep(w io.Writer, r app.SweepReport, dryRun bool) {
	verb := "purged"
	if dryRun {
		verb = "would purge"
	}
	for _, d := range r.Documents {
		fmt.Fprintf(w, "%s document %s (workspace %s, %q, expired %s)\n", verb, d.ID(), d.WorkspaceID(),
			d.Filename(), d.ExpiresAt().UTC().Format(time.RFC3339))
	}
	if dryRun {
		fmt.Fprintf(w, "dry run: %d expired %s would be purged; nothing was changed\n", len(r.Documents), plural(len(r.Documents), "document"))
		return
	}
	fmt.Fprintf(w, "purged %d expired %s, ended %d stale %s, deleted %d expired idempotency %s and %d old webhook %s\n",
		len(r.Documents), plural(len(r.Documents), "document"), r.StaleJobs, plural(r.StaleJobs, "job"),
		r.IdempotencyKeys, plural(r.IdempotencyKeys, "key"), r.Deliveries, plural(r.Deliveries, "delivery"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	if word == "delivery" {
		return "deliveries"
	}
	return word + "s"
}
