package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ade-go/ade/adapters/extractor/tabular"
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
			"Exit status: 0 success, 1 extraction failed, 2 bad usage or invalid configuration.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if configPath == "" {
				return &exitError{2, errors.New("extract: --config is required")}
			}
			payload, err := tabular.LoadPayload(configPath)
			if err != nil {
				return &exitError{2, fmt.Errorf("extract: configuration: %w", err)}
			}
			ext := tabular.New()
			if err := ext.ValidatePayload(payload); err != nil {
				return &exitError{2, fmt.Errorf("extract: %w", err)}
			}
			var sink *tabular.DirSink
			var outputs ports.OutputSink
			if outDir != "" {
				if sink, err = tabular.NewDirSink(outDir); err != nil {
					return &exitError{1, fmt.Errorf("extract: %w", err)}
				}
				outputs = sink
			}
			res, err := ext.ExtractFile(cmd.Context(), args[0], payload, outputs)
			if err != nil {
				if sink != nil {
					sink.Discard()
				}
				var ve *domain.ValidationError
				if errors.As(err, &ve) {
					return &exitError{2, fmt.Errorf("extract: %w", err)}
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
