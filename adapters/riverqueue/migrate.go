package riverqueue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/domain"
)

// migrationLockKey serialises River's migrations across processes on
// PostgreSQL ("ade-river" as a number); rivermigrate takes no lock itself.
const migrationLockKey int64 = 0x6164652d72697672

// Migrate brings River's tables and the lease table up to date in db. It
// is idempotent and safe when several processes start at once: on
// PostgreSQL under an advisory lock held on a connection of its own, on
// SQLite in one BEGIN IMMEDIATE transaction.
func Migrate(ctx context.Context, db *bunstore.DB) error {
	if db.Dialect() == "pg" {
		return migratePostgres(ctx, db)
	}
	return migrateSQLite(ctx, db)
}

const leaseTableSQL = `CREATE TABLE IF NOT EXISTS ` + leaseTable + ` (
    id           TEXT PRIMARY KEY,
    heartbeat_ms BIGINT NOT NULL
)`

func migratePostgres(ctx context.Context, db *bunstore.DB) error {
	cfg, err := pgx.ParseConfig(db.URL())
	if err != nil {
		return errors.New("migrate queue: invalid PostgreSQL URL")
	}
	conn := stdlib.OpenDB(*cfg)
	defer conn.Close()
	// One connection: the session lock and every statement share it.
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("migrate queue: lock: %w: %w", domain.ErrUnavailable, err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	m, err := rivermigrate.New(riverdatabasesql.New(conn), nil)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := conn.ExecContext(ctx, leaseTableSQL); err != nil {
		return fmt.Errorf("migrate queue: lease table: %w", err)
	}
	return nil
}

func migrateSQLite(ctx context.Context, db *bunstore.DB) error {
	conn, err := sql.Open(sqliteshim.ShimName, db.URL())
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	// The DSN opens every transaction with BEGIN IMMEDIATE: the database's
	// write lock serialises concurrent starts.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	m, err := rivermigrate.New(riversqlite.New(conn), nil)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	//nolint:staticcheck // River's SQLite migrations run in one transaction, which is what serialises them here.
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := tx.ExecContext(ctx, leaseTableSQL); err != nil {
		return fmt.Errorf("migrate queue: lease table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	return nil
}
