package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

func init() {
	subcommands = append(subcommands, newKeysCommand)
}

// cliActor is who key changes made from the command line are recorded as.
var cliActor = domain.Actor{Type: domain.ActorUser, ID: "cli", Label: "ade keys (command line)"}

const keysHelp = `
The commands work on the database of ADE_DATABASE_URL (or the SQLite file
in ADE_DATA_DIR), also while servers run on it: a new key works at once, a
revoked one stops working within ADE_AUTH_CACHE_TTL (default 5s) on every
server.`

func newKeysCommand() *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys",
		Long:  "Create, list and revoke API keys." + keysHelp,
	}
	keys.AddCommand(newKeysCreateCommand(), newKeysListCommand(), newKeysRevokeCommand())
	return keys
}

// withKeys opens the configured database (migrating it), builds the use
// cases over it and runs fn.
func withKeys(cmd *cobra.Command, fn func(ctx context.Context, a *app.App) error) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
	defer cancel()
	db, err := openMigrated(ctx, "an in-memory database holds no keys another process could use")
	if err != nil {
		return err
	}
	defer db.Close()
	// Key commands touch no blobs: an in-memory store satisfies the use
	// cases without opening the server's.
	blobs, err := blobstore.Open(ctx, "mem://")
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer blobs.Close()
	exs, err := app.NewExtractors()
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	// An insert-only queue: key commands enqueue nothing, but the use
	// cases are built whole.
	queue, err := riverqueue.Open(ctx, db, riverqueue.Config{})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: queue, Blobs: blobs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	ctx = app.WithActor(app.WithSource(ctx, "cli"), cliActor)
	if err := fn(ctx, a); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		code := 1
		if errors.Is(err, domain.ErrInvalidInput) || errors.Is(err, domain.ErrNotFound) ||
			errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrUnprocessable) {
			code = 2
		}
		return &exitError{code: code, err: err}
	}
	return nil
}

func newKeysCreateCommand() *cobra.Command {
	var workspace, role, label string
	var global bool
	cmd := &cobra.Command{
		Use:   "create (--workspace W --role R | --global) [--label L]",
		Short: "Create an API key and print it",
		Long: "Create an API key of a workspace (id or slug) with a role (viewer, editor or admin), or with --global a " +
			"global admin key, and print the key on standard output. It is shown this once: only its hash is stored." + keysHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case global && (workspace != "" || (role != "" && role != string(domain.RoleAdmin))):
				return &exitError{code: 2, err: errors.New("--global makes a global admin key: give no --workspace and no role but admin")}
			case !global && (workspace == "" || role == ""):
				return &exitError{code: 2, err: errors.New("give --workspace and --role, or --global")}
			}
			return withKeys(cmd, func(ctx context.Context, a *app.App) error {
				req := app.CreateAPIKeyRequest{Role: domain.Role(role), Label: label}
				if global {
					req.Role = domain.RoleAdmin
				} else {
					ws, err := a.Workspaces.Resolve(ctx, workspace)
					if err != nil {
						return fmt.Errorf("workspace %q: %w", workspace, err)
					}
					req.WorkspaceID = ws.ID()
				}
				k, err := a.Keys.Create(ctx, req)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "created API key %s (%s); it is shown this once:\n", k.Key.ID(), describeScope(k.Key, workspace))
				fmt.Fprintln(cmd.OutOrStdout(), k.Text)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&workspace, "workspace", "", "the key's workspace (id or slug)")
	cmd.Flags().StringVar(&role, "role", "", "viewer, editor or admin")
	cmd.Flags().StringVar(&label, "label", "", "what the key is for (recorded on events as the actor label)")
	cmd.Flags().BoolVar(&global, "global", false, "a global admin key: every workspace, and creating workspaces")
	return cmd
}

func describeScope(k *domain.APIKey, workspace string) string {
	if k.IsGlobalAdmin() {
		return "global admin"
	}
	return string(k.Role()) + " of " + workspace
}

func newKeysListCommand() *cobra.Command {
	var workspace string
	cmd := &cobra.Command{
		Use:   "list [--workspace W]",
		Short: "List API keys (never their text)",
		Long:  "List every API key, or those of one workspace, newest first, revoked ones included." + keysHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withKeys(cmd, func(ctx context.Context, a *app.App) error {
				f := ports.APIKeyFilter{}
				if workspace != "" {
					ws, err := a.Workspaces.Resolve(ctx, workspace)
					if err != nil {
						return fmt.Errorf("workspace %q: %w", workspace, err)
					}
					f.WorkspaceID = ws.ID()
				}
				return printKeys(ctx, cmd.OutOrStdout(), a, f)
			})
		},
	}
	cmd.Flags().StringVar(&workspace, "workspace", "", "only the keys of this workspace (id or slug)")
	return cmd
}

// printKeys writes every key matching f as a table, page by page.
func printKeys(ctx context.Context, out io.Writer, a *app.App, f ports.APIKeyFilter) error {
	slugs := map[string]string{}
	slug := func(id string) string {
		if id == "" {
			return "(global)"
		}
		if s, ok := slugs[id]; ok {
			return s
		}
		s := id
		if ws, err := a.Workspaces.Resolve(ctx, id); err == nil {
			s = ws.Slug()
		}
		slugs[id] = s
		return s
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKSPACE\tROLE\tLABEL\tCREATED\tLAST USED\tREVOKED")
	for offset := 0; ; offset += app.MaxPageLimit {
		page, err := a.Keys.List(ctx, f, app.PageRequest{Limit: app.MaxPageLimit, Offset: offset})
		if err != nil {
			return err
		}
		for _, k := range page.Items {
			s := k.State()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, slug(s.WorkspaceID), s.Role, s.Label,
				when(&s.CreatedAt), when(s.LastUsedAt), when(s.RevokedAt))
		}
		if !page.HasMore {
			break
		}
	}
	return tw.Flush()
}

func newKeysRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key",
		Long:  "Revoke the API key with this id (global admin keys included)." + keysHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withKeys(cmd, func(ctx context.Context, a *app.App) error {
				k, err := a.Keys.RevokeAny(ctx, args[0])
				if err != nil {
					return fmt.Errorf("api key %q: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", k.ID())
				return nil
			})
		},
	}
}
