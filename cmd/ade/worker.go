package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/ade-go/ade/cmd/ade/wiring"
)

func init() {
	subcommands = append(subcommands, newWorkerCommand)
}

func newWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run job workers without the HTTP API",
		Long: "Run ADE_WORKERS job workers (and webhook deliveries, and the periodic maintenance) against the " +
			"configured database and blob store, without serving HTTP. Start any number, on any number of " +
			"machines sharing the database and the blob store. SIGTERM lets running jobs finish (up to " +
			"ADE_SHUTDOWN_TIMEOUT); jobs still running then are handed to another worker." + envHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig()
			if err != nil {
				return err
			}
			if c.Workers < 1 {
				return &exitError{code: 2, err: errors.New("ade worker needs ADE_WORKERS of at least 1")}
			}
			if c.IsMemoryDatabase() {
				return &exitError{code: 2, err: errors.New("ade worker needs a shared database: an in-memory one is private to its process")}
			}
			return runGraph(fx.New(wiring.Worker(c, os.Stderr)))
		},
	}
}

// runGraph starts an fx graph, waits for SIGINT or SIGTERM and stops it.
func runGraph(app *fx.App) error {
	if err := app.Err(); err != nil {
		return &exitError{code: 1, err: startFailure(err)}
	}
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return &exitError{code: 1, err: startFailure(err)}
	}
	<-app.Wait()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("stop: %w", err)}
	}
	return nil
}
