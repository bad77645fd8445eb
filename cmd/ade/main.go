// Command ade is ADE's one binary: the HTTP server (serve), the job worker
// (worker), schema migrations (migrate), API key management (keys) and the
// offline extractor (extract).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// subcommands is filled by each command's file in its init function, so a
// command lives beside its own code and main stays small.
var subcommands []func() *cobra.Command

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ade",
		Short:         "ADE, the Automatic Data Extractor",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, sub := range subcommands {
		root.AddCommand(sub())
	}
	return root
}

// exitError carries a process exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if err := newRootCommand().Execute(); err != nil {
		code := 2 // bad usage unless a command says otherwise
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if err.Error() != "" {
			fmt.Fprintln(os.Stderr, "ade:", err)
		}
		os.Exit(code)
	}
}
