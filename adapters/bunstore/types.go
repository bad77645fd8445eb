package bunstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// sqliteTimeFormat is the fixed-width UTC text form timestamps take in
// SQLite. Fixed width (microseconds, always present) makes text order equal
// time order, so ORDER BY and comparisons work; microseconds match what a
// PostgreSQL timestamptz keeps, so both databases round-trip the same value.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

// pgTimeFormat is the literal form of a timestamptz value.
const pgTimeFormat = "2006-01-02 15:04:05.000000+00:00"

// dbTime is a timestamp column. It is written in UTC, truncated to the
// microsecond, and always read back in UTC.
type dbTime struct{ time.Time }

func newDBTime(t time.Time) dbTime { return dbTime{t.UTC().Truncate(time.Microsecond)} }

func newDBTimePtr(t *time.Time) *dbTime {
	if t == nil {
		return nil
	}
	v := newDBTime(*t)
	return &v
}

func (t *dbTime) ptr() *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// AppendQuery writes the timestamp literal. This is the one place the
// timestamp representation branches: PostgreSQL keeps a timestamptz;
// SQLite has no time type, so it stores fixed-width UTC text that sorts
// like the time it stands for.
func (t dbTime) AppendQuery(gen schema.QueryGen, b []byte) ([]byte, error) {
	u := t.UTC().Truncate(time.Microsecond)
	b = append(b, '\'')
	if gen.Dialect().Name() == dialect.PG {
		b = u.AppendFormat(b, pgTimeFormat)
	} else {
		b = u.AppendFormat(b, sqliteTimeFormat)
	}
	return append(b, '\''), nil
}

// Scan reads a timestamp: pgx returns time.Time (in the local zone), SQLite
// returns the stored text.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case nil:
		t.Time = time.Time{}
	default:
		return fmt.Errorf("scan timestamp: unsupported type %T", src)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Also accept the space-separated form SQLite's own functions write.
		v, err = time.Parse("2006-01-02 15:04:05.999999999Z07:00", s)
		if err != nil {
			return fmt.Errorf("scan timestamp %q: %w", s, err)
		}
	}
	t.Time = v.UTC()
	return nil
}

// toJSON encodes a value for a JSON column (jsonb on PostgreSQL, text on
// SQLite: both accept the same quoted literal).
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// fromJSON decodes a JSON column into dst; an empty column or JSON null
// leaves dst as is. Numbers decode as json.Number, so they come back with
// every digit they were stored with (the domain stores them so).
func fromJSON(s string, dst any) error {
	if s == "" || s == "null" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

// jsonSlice decodes a JSON array column into dst like fromJSON; the empty
// array, the common case, skips the decoder and gives an empty slice.
func jsonSlice[T any](s string, dst *[]T) error {
	if s == "[]" {
		*dst = []T{}
		return nil
	}
	return fromJSON(s, dst)
}

// jsonMap decodes a JSON object column. A stored JSON null comes back as a
// nil map and {} as an empty one, so nil and empty round-trip apart.
func jsonMap(s string) (map[string]any, error) {
	if s == "{}" {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := fromJSON(s, &m); err != nil {
		return nil, err
	}
	return m, nil
}
