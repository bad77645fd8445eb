package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ade-go/ade/client"
)

func init() { subcommands = append(subcommands, newClientCommand) }

// Exit statuses of `ade client`, for scripts (README, "Client commands").
const (
	// exitJobUnsuccessful: `submit --wait` saw the job fail or be
	// cancelled.
	exitJobUnsuccessful = 1
	// exitUsage: bad flags or arguments, or a local file that cannot be
	// read.
	exitUsage = 2
	// exitRefused: the server refused the request (4xx but 401, 403, 429).
	exitRefused = 3
	// exitDenied: the key is missing, invalid or revoked (401), or its
	// role does not allow the request (403).
	exitDenied = 4
	// exitUnavailable: the server could not be reached, answered 5xx or
	// 429: worth retrying later.
	exitUnavailable = 5
	// exitTimeout: `submit --wait --timeout` gave up before the job ended.
	exitTimeout = 6
)

// largeUpload is the size from which `upload --progress auto` shows a bar.
const largeUpload = 1 << 20

type clientFlags struct {
	url, key, workspace string
	json                bool
}

func newClientCommand() *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Use a running ADE server: upload, submit, cancel, results, download, configs",
		Long: "Commands against an ADE server's HTTP API, for scripts and terminals.\n" +
			"The server and key come from --url and --key, or ADE_URL and ADE_API_KEY.\n" +
			"Ids and results go to stdout (JSON with --json); progress and messages to stderr.\n\n" +
			"Exit status: 0 success; 1 the job failed or was cancelled (submit --wait);\n" +
			"2 bad usage or unreadable local file; 3 the server refused the request (4xx);\n" +
			"4 the key is not valid or not allowed (401, 403); 5 the server is unreachable,\n" +
			"overloaded or failing (5xx, 429): retry later; 6 --wait timed out.",
	}
	cmd.PersistentFlags().StringVar(&f.url, "url", os.Getenv("ADE_URL"), "server URL (ADE_URL), such as http://127.0.0.1:8080")
	cmd.PersistentFlags().StringVar(&f.key, "key", "", "API key (default: ADE_API_KEY; prefer the variable, flags show in process lists)")
	cmd.PersistentFlags().StringVar(&f.workspace, "workspace", or(os.Getenv("ADE_WORKSPACE"), "default"), "workspace id or slug (ADE_WORKSPACE)")
	cmd.PersistentFlags().BoolVar(&f.json, "json", false, "print machine-readable JSON on stdout")
	cmd.AddCommand(newUploadCommand(f), newSubmitCommand(f), newCancelCommand(f), newResultsCommand(f), newDownloadCommand(f), newConfigsCommand(f))
	return cmd
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// client builds the API client from the flags and the environment.
func (f *clientFlags) client() (*client.Client, error) {
	key := or(f.key, os.Getenv("ADE_API_KEY"))
	switch {
	case f.url == "":
		return nil, &exitError{exitUsage, errors.New("no server: pass --url or set ADE_URL")}
	case key == "":
		return nil, &exitError{exitUsage, errors.New("no API key: set ADE_API_KEY (or pass --key)")}
	case !strings.HasPrefix(f.url, "http://") && !strings.HasPrefix(f.url, "https://"):
		return nil, &exitError{exitUsage, fmt.Errorf("--url %q: must start with http:// or https://", f.url)}
	}
	return &client.Client{BaseURL: f.url, Key: key, Workspace: f.workspace}, nil
}

// failure maps an error to the documented exit status.
func failure(what string, err error) error {
	var ae *client.Error
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ae):
		code := exitRefused
		switch {
		case ae.Status == 401 || ae.Status == 403:
			code = exitDenied
		case ae.Status == 429 || ae.Status >= 500:
			code = exitUnavailable
		}
		return &exitError{code, fmt.Errorf("%s: %w (HTTP %d)", what, err, ae.Status)}
	case errors.Is(err, context.DeadlineExceeded):
		return &exitError{exitTimeout, fmt.Errorf("%s: %w", what, err)}
	case errors.As(err, &oe), errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED):
		return &exitError{exitUnavailable, fmt.Errorf("%s: %w", what, err)}
	}
	return &exitError{exitUnavailable, fmt.Errorf("%s: %w", what, err)}
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// interruptible is the command's context, cancelled by Ctrl-C.
func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
}

func newUploadCommand(f *clientFlags) *cobra.Command {
	var metadata, expires, progress string
	cmd := &cobra.Command{
		Use:   "upload FILE...",
		Short: "Upload files; prints each document's id on stdout",
		Long: "Uploads each file as a document, in order, and prints one document id a line\n" +
			"(or a JSON array with --json). A progress bar on stderr follows files of 1 MiB\n" +
			"or more when stderr is a terminal (--progress always|never to choose).\n" +
			"Stops at the first file that fails; the ids printed so far are stored.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			opts := client.UploadOptions{ExpiresAt: expires}
			if metadata != "" {
				if !json.Valid([]byte(metadata)) || !strings.HasPrefix(strings.TrimSpace(metadata), "{") {
					return &exitError{exitUsage, errors.New("upload: --metadata must be a JSON object")}
				}
				opts.Metadata = json.RawMessage(metadata)
			}
			if expires != "" {
				if _, err := time.Parse(time.RFC3339, expires); err != nil {
					return &exitError{exitUsage, fmt.Errorf("upload: --expires %q: must be an RFC 3339 time such as 2030-01-31T00:00:00Z", expires)}
				}
			}
			show, err := progressMode(progress, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			for _, path := range args {
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return &exitError{exitUsage, fmt.Errorf("upload: %s: not a readable file", path)}
				}
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			var docs []client.Document
			for _, path := range args {
				o := opts
				o.Progress = func(r io.Reader, size int64) io.Reader {
					if show == "never" || (show == "auto" && size < largeUpload) {
						return r
					}
					bar := progressbar.NewOptions64(size,
						progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionSetDescription(filepath.Base(path)),
						progressbar.OptionShowBytes(true),
						progressbar.OptionSetWidth(30),
						progressbar.OptionThrottle(100*time.Millisecond),
						progressbar.OptionSetRenderBlankState(true),
						progressbar.OptionOnCompletion(func() { fmt.Fprintln(cmd.ErrOrStderr()) }),
					)
					pr := progressbar.NewReader(r, bar)
					return &pr
				}
				d, err := c.Upload(ctx, path, o)
				if err != nil {
					if f.json && len(docs) > 0 {
						_ = printJSON(cmd.OutOrStdout(), docs)
					}
					return failure("upload "+path, err)
				}
				docs = append(docs, d)
				if !f.json {
					fmt.Fprintln(cmd.OutOrStdout(), d.ID)
				}
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), docs)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&metadata, "metadata", "", `JSON object kept with each document, such as '{"source":"crm"}'`)
	cmd.Flags().StringVar(&expires, "expires", "", "expiry, an RFC 3339 time (default: the server's retention)")
	cmd.Flags().StringVar(&progress, "progress", "auto", "progress bar on stderr: auto (a terminal, files of 1 MiB or more), always, never")
	return cmd
}

// progressMode checks --progress; auto becomes never when stderr is not a
// terminal.
func progressMode(mode string, stderr io.Writer) (string, error) {
	switch mode {
	case "always", "never":
		return mode, nil
	case "auto":
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return "auto", nil
		}
		return "never", nil
	}
	return "", &exitError{exitUsage, fmt.Errorf("--progress %q: must be auto, always or never", mode)}
}

func newSubmitCommand(f *clientFlags) *cobra.Command {
	var docType, cfgID string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "submit DOCUMENT_ID (--type TYPE | --configuration ID) [--wait]",
		Short: "Run a job on a document; prints the job's id (and its end with --wait)",
		Long: "Queues a job on the document with the active configuration of --type, or\n" +
			"with --configuration, and prints its id at once (the job with --json); a\n" +
			"worker runs it. With --wait,\n" +
			"follows the job's event stream, printing each status on stderr, until it ends:\n" +
			"exit 0 when it succeeded, 1 when it failed or was cancelled, 6 on --timeout.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (docType == "") == (cfgID == "") {
				return &exitError{exitUsage, errors.New("submit: give --type or --configuration, one of them")}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			job, err := c.Submit(ctx, client.SubmitRequest{DocumentID: args[0], DocumentType: docType, ConfigurationID: cfgID})
			if err != nil {
				return failure("submit", err)
			}
			if wait {
				// The stream replays the job's events from its start, so
				// no status is missed however fast a worker takes it.
				wctx := ctx
				if timeout > 0 {
					var stop context.CancelFunc
					wctx, stop = context.WithTimeout(ctx, timeout)
					defer stop()
				}
				id := job.ID
				job, err = c.Wait(wctx, id, func(e client.Event) {
					if to, ok := e.Payload["to"].(string); ok && strings.HasPrefix(e.Type, "job.status.") {
						fmt.Fprintf(cmd.ErrOrStderr(), "job %s %s\n", id, to)
					}
				})
				if err != nil {
					return failure("wait for job "+id, err)
				}
			}
			if f.json {
				if err := printJSON(cmd.OutOrStdout(), job); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), job.ID)
			}
			if wait && job.Status != "succeeded" {
				msg := fmt.Sprintf("job %s %s", job.ID, job.Status)
				if job.Error != nil {
					msg += ": " + job.Error.Code + ": " + job.Error.Message
				}
				return &exitError{exitJobUnsuccessful, errors.New(msg)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&docType, "type", "", "document type whose active configuration to use")
	cmd.Flags().StringVar(&cfgID, "configuration", "", "configuration id to use")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the job until it ends")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "with --wait, give up after this long (exit 6), such as 10m")
	return cmd
}

func newCancelCommand(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a pending or running job",
		Long: "Cancels the job and prints its id and status (the job with --json). A job that\n" +
			"has ended already is a refusal (exit 3).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClient(cmd, f, "cancel", func(ctx context.Context, c *client.Client) (client.Job, error) {
				return c.Cancel(ctx, args[0])
			}, func(out io.Writer, job client.Job) error {
				_, err := fmt.Fprintf(out, "%s %s\n", job.ID, job.Status)
				return err
			})
		},
	}
}

func newResultsCommand(f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "results JOB_ID",
		Short: "Show a job's tables and output documents",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClient(cmd, f, "results", func(ctx context.Context, c *client.Client) (client.Results, error) {
				return c.Results(ctx, args[0])
			}, printResults)
		},
	}
}

// printResults writes a job's tables (five sample rows each) and output
// documents as text.
func printResults(out io.Writer, res client.Results) error {
	if len(res.Tables) == 0 {
		fmt.Fprintln(out, "no tables")
	}
	for _, t := range res.Tables {
		rng, _ := t.Metadata["range"].(string)
		fmt.Fprintf(out, "%s (sheet %s, %s): %d rows\n", t.Title, t.Sheet, or(rng, "no range"), t.RowCount)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
		for i, row := range t.SampleRows {
			if i == 5 {
				break
			}
			cells := make([]string, len(t.Columns))
			for j, col := range t.Columns {
				if v, ok := row[col]; ok && v != nil {
					cells[j] = fmt.Sprint(v)
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		_ = tw.Flush()
		fmt.Fprintln(out)
	}
	for _, d := range res.OutputDocuments {
		fmt.Fprintf(out, "output %s %s (%d bytes)\n", d.ID, d.Filename, d.ByteSize)
	}
	return nil
}

func newDownloadCommand(f *clientFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "download DOCUMENT_ID [-o FILE]",
		Short: "Download a document (an output, for example) to a file or stdout",
		Long: "Writes the document's bytes to -o FILE (default: its own name in the current\n" +
			"directory; \"-\" for stdout). The file appears only once complete.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ctx, cancel := interruptible(cmd)
			defer cancel()
			if output == "-" {
				if _, err := c.Download(ctx, args[0], cmd.OutOrStdout()); err != nil {
					return failure("download", err)
				}
				return nil
			}
			if output == "" {
				d, err := c.Document(ctx, args[0])
				if err != nil {
					return failure("download", err)
				}
				output = filepath.Base(d.Filename)
			}
			tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*.part")
			if err != nil {
				return &exitError{exitUsage, fmt.Errorf("download: %w", err)}
			}
			n, derr := c.Download(ctx, args[0], tmp)
			cerr := tmp.Close()
			if derr == nil && cerr == nil {
				derr = os.Rename(tmp.Name(), output)
			}
			if derr != nil || cerr != nil {
				_ = os.Remove(tmp.Name())
				return failure("download", errors.Join(derr, cerr))
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{"document_id": args[0], "file": output, "bytes": n})
			}
			fmt.Fprintln(cmd.OutOrStdout(), output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", `file to write ("-" for stdout)`)
	return cmd
}

func newConfigsCommand(f *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "configs", Short: "List, create and activate configurations"}
	var listType string
	list := &cobra.Command{
		Use:   "list [--type TYPE]",
		Short: "List configuration versions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClient(cmd, f, "configs list", func(ctx context.Context, c *client.Client) ([]client.Configuration, error) {
				return c.Configurations(ctx, listType)
			}, func(out io.Writer, cfgs []client.Configuration) error {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTYPE\tVERSION\tACTIVE\tTITLE")
				for _, cfg := range cfgs {
					active := ""
					if cfg.IsActive {
						active = "active"
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", cfg.ID, cfg.DocumentType, cfg.Version, active, cfg.Title)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&listType, "type", "", "only this document type")

	var createType, title, payloadPath string
	var activate bool
	create := &cobra.Command{
		Use:   "create --type TYPE --title TITLE --payload FILE [--activate]",
		Short: "Create the next version of a document type's configuration; prints its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if createType == "" || title == "" || payloadPath == "" {
				return &exitError{exitUsage, errors.New("configs create: --type, --title and --payload are required")}
			}
			var raw []byte
			var err error
			if payloadPath == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 2<<20))
			} else {
				raw, err = os.ReadFile(payloadPath)
			}
			if err != nil {
				return &exitError{exitUsage, fmt.Errorf("configs create: %w", err)}
			}
			if !json.Valid(raw) {
				return &exitError{exitUsage, fmt.Errorf("configs create: %s is not valid JSON", payloadPath)}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			cfg, err := c.CreateConfiguration(cmd.Context(), createType, title, raw)
			if err != nil {
				return failure("configs create", err)
			}
			if activate {
				if cfg, err = c.Activate(cmd.Context(), cfg.ID); err != nil {
					return failure("configs activate", err)
				}
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), cfg)
			}
			fmt.Fprintln(cmd.OutOrStdout(), cfg.ID)
			return nil
		},
	}
	create.Flags().StringVar(&createType, "type", "", "document type")
	create.Flags().StringVar(&title, "title", "", "title of this version")
	create.Flags().StringVar(&payloadPath, "payload", "", `payload JSON file ("-" for stdin)`)
	create.Flags().BoolVar(&activate, "activate", false, "also make it the active version")

	act := &cobra.Command{
		Use:   "activate CONFIGURATION_ID",
		Short: "Make a configuration version its type's active one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClient(cmd, f, "configs activate", func(ctx context.Context, c *client.Client) (client.Configuration, error) {
				return c.Activate(ctx, args[0])
			}, func(out io.Writer, cfg client.Configuration) error {
				_, err := fmt.Fprintf(out, "%s %s v%d active\n", cfg.ID, cfg.DocumentType, cfg.Version)
				return err
			})
		},
	}
	cmd.AddCommand(list, create, act)
	return cmd
}

// runClient connects with the command's flags, makes one call under a
// context Ctrl-C cancels, and prints its result: as JSON with --json,
// else through text. what names the call in a failure.
func runClient[T any](cmd *cobra.Command, f *clientFlags, what string,
	call func(context.Context, *client.Client) (T, error), text func(io.Writer, T) error) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	ctx, cancel := interruptible(cmd)
	defer cancel()
	v, err := call(ctx, c)
	if err != nil {
		return failure(what, err)
	}
	if f.json {
		return printJSON(cmd.OutOrStdout(), v)
	}
	return text(cmd.OutOrStdout(), v)
}
