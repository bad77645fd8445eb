package wiring

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/webui"
	"github.com/ade-go/ade/app"
)

// sessionSecretFile is where a single-node server (the embedded SQLite
// database) keeps the session secret it generated, so sessions survive a
// restart.
const sessionSecretFile = "session.secret"

// UIModule mounts the web UI (GET / and /ui/) on the HTTP module's Fiber
// app, before it starts listening. At stop it ends the UI's event streams
// and waits for the jobs it started, before the HTTP server drains (fx
// stops modules in reverse order).
var UIModule = fx.Module("webui",
	fx.Invoke(func(lc fx.Lifecycle, c Config, a *app.App, srv *httpapi.Server, log *slog.Logger) error {
		secret, err := sessionSecret(c, log)
		if err != nil {
			return err
		}
		ui, err := webui.Mount(srv.App, webui.Options{
			App: a, Logger: log, MaxUploadBytes: c.MaxUploadBytes, SessionSecret: secret, TrustedProxies: c.TrustedProxies,
		})
		if err != nil {
			return err
		}
		lc.Append(fx.StopHook(func(ctx context.Context) error { return ui.Shutdown(ctx) }))
		return nil
	}),
)

// sessionSecret returns ADE_SESSION_SECRET; without it, a single-node
// server (embedded SQLite) keeps a generated secret in its data directory,
// and any other server makes one for this process only and says so.
func sessionSecret(c Config, log *slog.Logger) ([]byte, error) {
	if c.SessionSecret != "" {
		return []byte(c.SessionSecret.Reveal()), nil
	}
	if c.DatabaseURL != "" {
		log.Warn("ADE_SESSION_SECRET is not set: web UI sessions are valid on this process only, until it stops; " +
			"give every process the same secret")
		return nil, nil
	}
	path := filepath.Join(c.DataDir, sessionSecretFile)
	for attempt := 0; ; attempt++ {
		b, err := os.ReadFile(path)
		switch {
		case err == nil && len(strings.TrimSpace(string(b))) >= webui.MinSessionSecretBytes:
			return []byte(strings.TrimSpace(string(b))), nil
		case err == nil && attempt < 50:
			// Another process has just created it and is writing it.
			time.Sleep(20 * time.Millisecond)
			continue
		case err == nil:
			return nil, fmt.Errorf("session secret: %s holds fewer than %d bytes: remove it or set ADE_SESSION_SECRET", path, webui.MinSessionSecretBytes)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("session secret: %w", err)
		}
		created, err := createSecretFile(c.DataDir, path)
		if err != nil {
			return nil, err
		}
		if created != nil {
			log.Info("generated the web UI session secret", "file", path)
			return created, nil
		}
		// Another process created it first: read the winner's.
	}
}

// createSecretFile writes a new secret to path unless the file exists
// (nil, nil then).
func createSecretFile(dir, path string) ([]byte, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	// O_EXCL: of two processes starting together, one writes and both
	// read the winner's secret.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	if _, err := f.WriteString(secret); err != nil {
		f.Close()
		return nil, fmt.Errorf("session secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	return []byte(secret), nil
}
