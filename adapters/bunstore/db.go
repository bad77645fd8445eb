package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// DB is an open ADE database: PostgreSQL or an embedded SQLite file.
type DB struct {
	bun *bun.DB
	// dsn reopens the database for migrations, which run on a connection
	// of their own (see Migrate).
	dsn    string
	driver string
	feed   *Feed
	// writers is SQLite's write gate (nil on PostgreSQL): see enterWriter.
	writers chan struct{}
	// tasks is the queue sharing the database (SetTaskWriter).
	tasks atomic.Pointer[TaskWriter]
	// batch sends concurrent job changes together (PostgreSQL only).
	batch *changeBatcher
}

// sqlitePragmas are the connection settings every SQLite connection gets:
// WAL so readers do not block the writer, a busy timeout so writers queue
// instead of failing, foreign keys on, and BEGIN IMMEDIATE for every
// transaction so a read-then-write transaction takes the write lock first
// (SQLite's stand-in for SELECT ... FOR UPDATE).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// Open connects to databaseURL and checks that the database answers.
//
// postgres:// and postgresql:// URLs open PostgreSQL through pgx;
// sqlite:PATH, file:PATH or a plain file path open (and create) an
// embedded SQLite database. A database that does not answer fails with an
// error matching domain.ErrUnavailable. Open does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	if strings.TrimSpace(databaseURL) == "" {
		return nil, errors.New("open database: empty database URL")
	}
	var db *DB
	var err error
	if isPostgresURL(databaseURL) {
		db, err = openPostgres(databaseURL)
	} else {
		db, err = openSQLite(databaseURL)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func openPostgres(databaseURL string) (*DB, error) {
	sqldb, err := openPostgresSQL(databaseURL)
	if err != nil {
		return nil, err
	}
	// Bun writes its arguments into the SQL text, so statements rarely
	// repeat: describe-and-execute in one round trip beats pgx's statement
	// cache, which would prepare (and evict) every statement.
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(32)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{bun: bun.NewDB(sqldb, pgdialect.New()), dsn: databaseURL, driver: "pgx"}
	db.feed = newFeed(db)
	db.batch = newChangeBatcher(db)
	return db, nil
}

func openPostgresSQL(databaseURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// The parse error may quote the password: do not wrap it.
		return nil, errors.New("open database: invalid PostgreSQL URL")
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	return stdlib.OpenDB(*cfg), nil
}

// SQLiteDSN turns sqlite:PATH, file:PATH or a plain path into the driver
// DSN with ADE's pragmas. Query parameters already on the URL are kept,
// and a pragma the URL sets (`_pragma=busy_timeout(2000)`) replaces ADE's
// default for it: the driver applies only the first of two.
func SQLiteDSN(databaseURL string) string {
	path := databaseURL
	switch {
	case strings.HasPrefix(path, "sqlite://"):
		path = strings.TrimPrefix(path, "sqlite://")
	case strings.HasPrefix(path, "sqlite:"):
		path = strings.TrimPrefix(path, "sqlite:")
	case strings.HasPrefix(path, "file:"):
		path = strings.TrimPrefix(path, "file:")
	}
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	var defaults []string
	for _, p := range strings.Split(sqlitePragmas, "&") {
		name, _, _ := strings.Cut(p, "(")
		if strings.HasPrefix(p, "_pragma=") && strings.Contains("&"+query, "&"+name+"(") {
			continue
		}
		defaults = append(defaults, p)
	}
	dsn := "file:" + path + "?" + strings.Join(defaults, "&")
	if query != "" {
		dsn += "&" + query
	}
	return dsn
}

func openSQLite(databaseURL string) (*DB, error) {
	if strings.Contains(databaseURL, ":memory:") || strings.Contains(databaseURL, "mode=memory") {
		// Every pooled connection (and the migration connection) would see
		// a database of its own.
		return nil, errors.New("open database: in-memory SQLite is not supported: use a file, or the memory adapter")
	}
	dsn := SQLiteDSN(databaseURL)
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// One writer at a time is SQLite's model; a few connections let WAL
	// readers run beside it.
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	db := &DB{bun: bun.NewDB(sqldb, sqlitedialect.New()), dsn: dsn, driver: sqliteshim.ShimName,
		writers: make(chan struct{}, 1)}
	db.feed = newFeed(db)
	return db, nil
}

// Bun returns the underlying *bun.DB, for benchmarks and diagnostics.
func (db *DB) Bun() *bun.DB { return db.bun }

// SQL returns the underlying *sql.DB.
func (db *DB) SQL() *sql.DB { return db.bun.DB }

// Dialect names the database: "pg" or "sqlite".
func (db *DB) Dialect() string { return db.bun.Dialect().Name().String() }

func (db *DB) isPostgres() bool { return db.bun.Dialect().Name() == dialect.PG }

// Ping checks that the database answers; failures match
// domain.ErrUnavailable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.bun.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// Close stops the event feed and closes every connection.
func (db *DB) Close() error {
	db.feed.close()
	return db.bun.Close()
}

// URL returns the URL (PostgreSQL) or driver DSN (SQLite) the database was
// opened with, for adapters that open connections of their own to it. It
// may hold a password: never log it.
func (db *DB) URL() string { return db.dsn }

// Feed returns the database's event feed.
func (db *DB) Feed() *Feed { return db.feed }

// Repositories returns the repositories, transaction boundary and event
// sink, all sharing this database.
func (db *DB) Repositories() ports.Repositories {
	return ports.Repositories{
		Tx:             &Transactor{db: db},
		Workspaces:     &WorkspaceRepository{db: db},
		Documents:      &DocumentRepository{db: db},
		Configurations: &ConfigurationRepository{db: db},
		Jobs:           &JobRepository{db: db},
		Tables:         &TableRepository{db: db},
		EventSink:      &EventSink{db: db},
		Events:         &EventRepository{db: db},
		APIKeys:        &APIKeyRepository{db: db},
		BlobIntents:    &BlobIntentRepository{db: db},
		Instances:      &InstanceRepository{db: db},
		Feed:           db.feed,
		Idempotency:    &IdempotencyRepository{db: db},
		Webhooks:       &WebhookRepository{db: db},
		Deliveries:     &DeliveryRepository{db: db},
	}
}
