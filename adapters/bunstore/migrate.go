package bunstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_lock key that serialises Migrate
// across processes on PostgreSQL ("ade-migrate" as a number).
const migrationLockKey int64 = 0x6164652d6d6967

// Names of bun's bookkeeping tables.
const (
	migrationsTable     = "ade_migrations"
	migrationLocksTable = "ade_migration_locks"
)

// columnTypes fills the migration templates. This is the one place column
// types branch: PostgreSQL has jsonb and timestamptz; SQLite keeps JSON as
// text and timestamps as fixed-width UTC text (see dbTime). PG is set on
// PostgreSQL, for the few statements whose syntax differs.
type columnTypes struct {
	JSON string
	Time string
	PG   bool
}

func loadMigrations() (*migrate.Migrations, error) {
	ms := migrate.NewMigrations()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return ms, nil
}

// Migrate brings the schema up to date. It is idempotent, marks a
// migration applied only once it succeeded, and is safe when several
// processes start at once:
//
//   - PostgreSQL: the migrations run under pg_advisory_lock on a connection
//     of their own. A crashed process's session ends, and with it the lock
//     (bun's own lock is a row, which outlives a crash).
//   - SQLite: the migrations run inside one BEGIN IMMEDIATE transaction on
//     a connection of their own: the database's write lock serialises
//     concurrent starts, and SQLite's transactional DDL makes the whole run
//     all or nothing.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	// A pool of exactly one connection: the lock (a session lock or an open
	// transaction) lives on that connection, and every statement the
	// migrator issues goes through it.
	var mdb *bun.DB
	var types columnTypes
	if db.isPostgres() {
		sqldb, err := openPostgresSQL(db.dsn)
		if err != nil {
			return err
		}
		mdb = bun.NewDB(sqldb, pgdialect.New())
		types = columnTypes{JSON: "jsonb", Time: "timestamptz", PG: true}
	} else {
		sqldb, err := sql.Open(sqliteshim.ShimName, db.dsn)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		mdb = bun.NewDB(sqldb, sqlitedialect.New())
		types = columnTypes{JSON: "TEXT", Time: "TEXT"}
	}
	defer mdb.Close()
	mdb.SetMaxOpenConns(1)
	mdb.SetMaxIdleConns(1)

	migrator := migrate.NewMigrator(mdb, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithUpsert(true),
		migrate.WithTemplateData(types),
	)
	run := func() error {
		if err := migrator.Init(ctx); err != nil {
			return err
		}
		_, err := migrator.Migrate(ctx)
		return err
	}

	if db.isPostgres() {
		if _, err := mdb.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
			return translate("migrate: lock", err)
		}
		err := run()
		// Unlock with a fresh context: ctx may be the reason run failed.
		_, uerr := mdb.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey)
		if err != nil {
			return translate("migrate", err)
		}
		return translate("migrate: unlock", uerr)
	}

	if _, err := mdb.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return translate("migrate: lock", err)
	}
	if err := run(); err != nil {
		_, rerr := mdb.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return translate("migrate", errors.Join(err, rerr))
	}
	if _, err := mdb.ExecContext(ctx, "COMMIT"); err != nil {
		return translate("migrate: commit", err)
	}
	return nil
}
