package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/cmd/ade/wiring"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

func init() { subcommands = append(subcommands, newExtractCommand) }

// newExtractCommand is `ade extract`: the tabular extractor on a local file.
func newExtractCommand() *cobra.Command {
	var configPath, outDir string
	cmd := &cobra.Command{
		Use:   "extract --config payload.json [--out DIR] FILE",
		Short: "Extract the tables of a local CSV or XLSX file and print them as JSON",
		Long: "Runs the tabular extractor offline. Prints one JSON object (tables, metrics, logs)\n" +
			"on stdout; with --out also writes the normalized files to DIR.\n" +
			"The ADE_MAX_* variables set the extraction limits, as for the server; temporary\n" +
			"files go to a directory of this process's own under $TMPDIR/ade-extract.\n" +
			"Exit status: 0 success, 1 extraction failed (stderr: \"ade: extract: <code>: <message>\"),\n" +
			"2 bad usage or invalid configuration.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if configPath == "" {
				return &exitError{2, errors.New("extract: --config is required")}
			}
			payload, err := tabular.LoadPayload(configPath)
			if err != nil {
				return &exitError{2, fmt.Errorf("extract: configuration: %w", err)}
			}
			limits, errs := wiring.LimitsFromEnv(os.Getenv)
			if len(errs) > 0 {
				return &exitError{2, fmt.Errorf("extract: %w", errors.Join(errs...))}
			}
			spool, _, err := system.OpenSpoolDir(filepath.Join(os.TempDir(), "ade-extract"))
			if err != nil {
				return &exitError{1, fmt.Errorf("extract: %w", err)}
			}
			defer spool.Close()
			ext := &tabular.Extractor{TempDir: spool.Path(), Limits: limits}
			if err := ext.ValidatePayload(payload); err != nil {
				return &exitError{2, fmt.Errorf("extract: %w", err)}
			}
			// An interrupt cancels the extraction, which then removes
			// what it wrote.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var sink *tabular.DirSink
			var outputs ports.OutputSink
			if outDir != "" {
				if sink, err = tabular.NewDirSink(outDir); err != nil {
					return &exitError{1, fmt.Errorf("extract: %w", err)}
				}
				outputs = sink
			}
			res, err := ext.ExtractFile(ctx, args[0], payload, outputs)
			if err != nil {
				if sink != nil {
					sink.Discard()
				}
				var ve *domain.ValidationError
				if errors.As(err, &ve) {
					return &exitError{2, fmt.Errorf("extract: %w", err)}
				}
				// The stable code first, as a job's error.code has it.
				var ee *ports.ExtractionError
				if errors.As(err, &ee) && ee.Code != "" {
					return &exitError{1, fmt.Errorf("extract: %s: %w", ee.Code, err)}
				}
				return &exitError{1, fmt.Errorf("extract: %w", err)}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			if err := enc.Encode(tabular.NewReport(res)); err != nil {
				return &exitError{1, fmt.Errorf("extract: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "payload JSON file (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "directory for the normalized output files")
	return cmd
}
