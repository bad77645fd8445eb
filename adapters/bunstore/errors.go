package bunstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/ade-go/ade/domain"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite extended result codes (sqlite3.h).
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
	sqliteBusy                 = 5
	sqliteLocked               = 6
)

// translate maps a database error to the domain's errors, prefixed with the
// operation: no rows -> ErrNotFound, unique violations -> ErrConflict,
// foreign key violations -> ErrUnprocessable (the row refers to something
// that does not exist), connection failures -> ErrUnavailable. Context
// errors and domain errors pass through unchanged (wrapped).
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := classify(err)
	if kind == nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, kind, err)
}

func classify(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return domain.ErrConflict
		case pgErr.Code == "23503":
			return domain.ErrUnprocessable
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "57P03":
			// connection exceptions, admin shutdown, cannot connect now
			return domain.ErrUnavailable
		}
		return nil
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
			return domain.ErrConflict
		case sqliteConstraintForeignKey:
			return domain.ErrUnprocessable
		case sqliteBusy, sqliteLocked:
			return domain.ErrUnavailable
		}
		return nil
	}
	// Drivers that report constraint failures only as text (a cgo SQLite
	// build of sqliteshim).
	if msg := err.Error(); strings.Contains(msg, "UNIQUE constraint failed") {
		return domain.ErrConflict
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		// A connection that died in use: the server went away mid-query.
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) ||
		(errors.As(err, &netErr) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)) {
		return domain.ErrUnavailable
	}
	return nil
}
