// Command ade is ADE's one binary: the HTTP server (serve), the job worker
// (worker), schema migrations (migrate), API key management (keys) and the
// offline extractor (extract).
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// subcommands is filled by each command's file in its init function, so a
// command lives beside its own code and main stays small.
var subcommands []func() *cobra.Command

// version is the release, set at build time
// (-ldflags "-X main.version=v1.2.3", as `make build` does); empty means
// the module version Go recorded, "(devel)" for a plain build.
var version string

// versionString is what `ade --version` prints: the release, the commit
// it was built from when Go recorded one, and the Go version.
func versionString() string {
	v := version
	var details []string
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified == "true" {
				rev += "+dirty"
			}
			details = append(details, "commit "+rev)
		}
	}
	if v == "" {
		v = "(devel)"
	}
	details = append(details, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return v + " (" + strings.Join(details, ", ") + ")"
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ade",
		Short:         "ADE, the Automatic Data Extractor",
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("ade {{.Version}}\n")
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
