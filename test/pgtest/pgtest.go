// Package pgtest gives test suites PostgreSQL schemas of their own on the
// server named by ADE_TEST_DATABASE_URL, so that runs in parallel never
// share tables and every run migrates an empty schema (an edited migration
// always reaches the tests).
//
// A schema is created on first use and dropped when the caller's cleanup
// runs; schemas a killed run left behind are dropped by the next run once
// they are a day old. Without ADE_TEST_DATABASE_URL the calling spec is
// skipped, or failed when CI=true (suites that need PostgreSQL must run in
// CI).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// EnvURL is the environment variable naming the test server's database.
const EnvURL = "ADE_TEST_DATABASE_URL"

// schemaPrefix starts every schema this package creates; the creation
// time follows it, so stale schemas can be recognised.
const schemaPrefix = "adet_"

// staleAfter is the age past which a schema is a killed run's debris.
const staleAfter = 24 * time.Hour

// AdminURL returns ADE_TEST_DATABASE_URL, or skips the current spec (fails
// it when CI=true) when it is not set.
func AdminURL() string {
	GinkgoHelper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			Fail(EnvURL + " is empty but CI=true: the PostgreSQL specs must run in CI " +
				"(export " + EnvURL + "=$(bash .ci/postgres.sh | tail -1))")
		}
		Skip(EnvURL + " is not set: skipping the PostgreSQL specs " +
			"(export " + EnvURL + "=$(bash .ci/postgres.sh | tail -1) to include them)")
	}
	return u
}

// FreshSchema creates an empty schema for the current spec (or container,
// when called from BeforeAll), drops it when that node's cleanup runs, and
// returns a database URL whose search_path is the schema. label names the
// suite in the schema's name.
func FreshSchema(label string) string {
	GinkgoHelper()
	admin := AdminURL()
	name, err := create(admin, label)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(drop(admin, name)).To(Succeed()) })
	return withSearchPath(admin, name)
}

// CreateSchema is FreshSchema for plain Go tests and fuzz targets: it
// creates an empty schema on the server at admin and returns a URL whose
// search_path is it, and the function that drops it.
func CreateSchema(admin, label string) (string, func() error, error) {
	name, err := create(admin, label)
	if err != nil {
		return "", nil, err
	}
	u, err := searchPathURL(admin, name)
	if err != nil {
		_ = drop(admin, name)
		return "", nil, err
	}
	return u, func() error { return drop(admin, name) }, nil
}

// Schema is one schema shared by a whole suite run: created on the first
// URL call, dropped by Drop (register it with AfterSuite).
type Schema struct {
	label string
	mu    sync.Mutex
	admin string
	name  string
}

// NewSchema returns a suite schema; label names the suite in its name.
func NewSchema(label string) *Schema { return &Schema{label: label} }

// URL creates the schema on first use and returns a database URL whose
// search_path is the schema.
func (s *Schema) URL() string {
	GinkgoHelper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name == "" {
		admin := AdminURL()
		name, err := create(admin, s.label)
		Expect(err).NotTo(HaveOccurred())
		s.admin, s.name = admin, name
	}
	return withSearchPath(s.admin, s.name)
}

// Drop drops the schema if URL created it.
func (s *Schema) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name == "" {
		return
	}
	Expect(drop(s.admin, s.name)).To(Succeed())
	s.name = ""
}

func connect(admin string) (*pgx.Conn, context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		cancel()
		return nil, nil, nil, fmt.Errorf("connect to %s: %w", EnvURL, err)
	}
	return conn, ctx, cancel, nil
}

// create makes a schema named after label, the time and random bits, and
// drops the stale schemas of earlier runs on the way.
func create(admin, label string) (string, error) {
	conn, ctx, cancel, err := connect(admin)
	if err != nil {
		return "", err
	}
	defer cancel()
	defer conn.Close(ctx)
	if err := dropStale(ctx, conn); err != nil {
		return "", err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := schemaPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + sanitize(label) + "_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	return name, nil
}

func drop(admin, name string) error {
	conn, ctx, cancel, err := connect(admin)
	if err != nil {
		return err
	}
	defer cancel()
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", name, err)
	}
	return nil
}

// dropStale drops this package's schemas created more than staleAfter
// ago: a run killed before its cleanup leaves them.
func dropStale(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", schemaPrefix+"%")
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	for _, n := range names {
		stamp, _, _ := strings.Cut(strings.TrimPrefix(n, schemaPrefix), "_")
		sec, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) < staleAfter {
			continue
		}
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{n}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop stale schema %s: %w", n, err)
		}
	}
	return nil
}

// sanitize keeps the letters, digits and underscores of label, lowercased.
func sanitize(label string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(label) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// withSearchPath returns admin with the schema as its search_path.
func withSearchPath(admin, schema string) string {
	u, err := searchPathURL(admin, schema)
	Expect(err).NotTo(HaveOccurred())
	return u
}

// searchPathURL returns admin with the schema as its search_path (a
// startup option, so every connection of a pool uses it).
func searchPathURL(admin, schema string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	q := u.Query()
	q.Set("options", "-csearch_path="+schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
