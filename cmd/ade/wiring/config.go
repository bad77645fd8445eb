// Package wiring is ADE's go.uber.org/fx composition: one module per
// adapter, picked from the server's configuration. Driving adapters (HTTP)
// import the use cases, so the wiring that imports adapters lives here,
// apart from package app.
package wiring

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/webui"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Config is the server's configuration, read from ADE_* environment
// variables by ConfigFromEnv.
type Config struct {
	// HTTPAddr is where the server listens (ADE_HTTP_ADDR).
	HTTPAddr string
	// DataDir holds the embedded database and blobs (ADE_DATA_DIR).
	DataDir string
	// DatabaseURL selects the database (ADE_DATABASE_URL): empty for an
	// embedded SQLite file in DataDir, postgres://... for PostgreSQL,
	// sqlite:PATH for another SQLite file, memory:// for in-memory storage
	// that is lost at exit.
	DatabaseURL string
	// BlobURL selects the blob store (ADE_BLOB_URL): empty for file://
	// under DataDir/blobs, or any gocloud URL (file://, s3://, mem://).
	BlobURL string
	// MaxUploadBytes bounds an upload (ADE_MAX_UPLOAD_BYTES).
	MaxUploadBytes int64
	// DocumentRetention is the default document lifetime
	// (ADE_DOCUMENT_RETENTION_DAYS, in days).
	DocumentRetention time.Duration
	// JobTimeout bounds one extraction (ADE_JOB_TIMEOUT, a Go duration).
	JobTimeout time.Duration
	// LogFormat is "text" or "json" (ADE_LOG_FORMAT).
	LogFormat string
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM
	// (ADE_SHUTDOWN_TIMEOUT, a Go duration).
	ShutdownTimeout time.Duration
	// PurgeInterval is how often the maintenance sweep runs: expired
	// documents and idempotency keys, stale jobs (ADE_PURGE_INTERVAL, a Go
	// duration). One process runs it per interval, whatever their number.
	PurgeInterval time.Duration
	// BootstrapAdminKey, when set, becomes a global admin key at start-up
	// (ADE_BOOTSTRAP_ADMIN_KEY). It never prints.
	BootstrapAdminKey Secret
	// KeyCacheTTL is how long a key read from the database is trusted
	// (ADE_AUTH_CACHE_TTL): the longest a revocation made by another
	// process takes to reach this one.
	KeyCacheTTL time.Duration
	// InstanceLease is how long this process's lease lasts unless renewed
	// (ADE_INSTANCE_LEASE): after a crash, the longest before the debris
	// sweep of a restarted (or another) process reclaims the blobs it left.
	InstanceLease time.Duration
	// Limits are the per-key rate limit and the concurrency caps
	// (ADE_RATE_LIMIT, ADE_RATE_BURST, ADE_MAX_CONCURRENT_UPLOADS,
	// ADE_MAX_RUNNING_JOBS).
	Limits httpapi.Limits
	// SessionSecret seals the web UI's session cookies
	// (ADE_SESSION_SECRET, at least 32 bytes). Every process serving one
	// database needs the same value for a session to work on all of them.
	// It never prints.
	SessionSecret Secret
	// TrustedProxies are the addresses (IPs or CIDR prefixes) whose
	// X-Forwarded-Proto is believed (ADE_TRUSTED_PROXIES, comma-separated):
	// behind a TLS-terminating proxy listed here, the UI's cookies are
	// Secure.
	TrustedProxies []netip.Prefix
	// Transport bounds HTTP connections (ADE_HTTP_HEADER_TIMEOUT,
	// ADE_HTTP_BODY_TIMEOUT, ADE_HTTP_BODY_MIN_RATE, ADE_HTTP_IDLE_TIMEOUT,
	// ADE_HTTP_MAX_CONNECTIONS).
	Transport httpapi.Transport
	// Workers is how many jobs this process runs at once (ADE_WORKERS); 0
	// makes `ade serve` an API-only process.
	Workers int
	// JobMaxAttempts is how many times a job may start before it ends
	// failed with attempts_exhausted (ADE_JOB_MAX_ATTEMPTS).
	JobMaxAttempts int
	// JobStartDelay is how long a job's first attempt runs before its
	// start is stored; one that ends sooner stores its start with its end
	// (ADE_JOB_START_DELAY; 0 stores every start first).
	JobStartDelay time.Duration
	// WorkerLeaseTTL is how long a worker process may stay silent before
	// its running jobs are handed to another (ADE_WORKER_LEASE_TTL).
	WorkerLeaseTTL time.Duration
	// WebhookAllowPrivate lets webhooks reach loopback and private
	// addresses (ADE_WEBHOOK_ALLOW_PRIVATE).
	WebhookAllowPrivate bool
	// WebhookMaxAttempts bounds the attempts of one delivery
	// (ADE_WEBHOOK_MAX_ATTEMPTS); WebhookBackoff is the wait after the
	// first failed attempt, doubling up to an hour (ADE_WEBHOOK_BACKOFF).
	WebhookMaxAttempts int
	WebhookBackoff     time.Duration
	// ExtractionLimits bound every extraction (ADE_MAX_CELL_BYTES and the
	// other variables of LimitVariables).
	ExtractionLimits tabular.Limits
}

// Secret is a configuration value that must never be printed or logged:
// every way of formatting it shows a placeholder.
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (JSON and other encoders,
// a structured log of the whole configuration among them).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value itself, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// Defaults of the environment variables. Those the use cases or the HTTP
// adapter also apply to a zero option are theirs, named here once more so
// the binary's help can print them.
const (
	DefaultHTTPAddr        = "127.0.0.1:8000"
	DefaultDataDir         = "./var"
	DefaultLogFormat       = "text"
	DefaultShutdownTimeout = 30 * time.Second
	DefaultPurgeInterval   = time.Minute
	DefaultMaxUploadBytes  = app.DefaultMaxUploadBytes
	DefaultRetentionDays   = int64(app.DefaultDocumentRetention / (24 * time.Hour))
	DefaultJobTimeout      = app.DefaultJobTimeout
	DefaultKeyCacheTTL     = app.DefaultKeyCacheTTL
	DefaultRateLimit       = httpapi.DefaultRateLimit
	DefaultRateBurst       = httpapi.DefaultRateBurst
	DefaultMaxUploads      = httpapi.DefaultMaxUploads
	DefaultMaxJobs         = httpapi.DefaultMaxJobs
	DefaultInstanceLease   = app.DefaultInstanceLease
	DefaultWorkers         = 8
	DefaultJobMaxAttempts  = 3
	DefaultJobStartDelay   = app.DefaultJobStartDelay
	DefaultWorkerLeaseTTL  = 5 * time.Second
	DefaultWebhookAttempts = 8
	DefaultWebhookBackoff  = 30 * time.Second
	// MaxWorkers bounds ADE_WORKERS.
	MaxWorkers = 1000
)

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// binary), applying defaults, and reports every invalid value at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:    or(getenv("ADE_HTTP_ADDR"), DefaultHTTPAddr),
		DataDir:     or(getenv("ADE_DATA_DIR"), DefaultDataDir),
		DatabaseURL: strings.TrimSpace(getenv("ADE_DATABASE_URL")),
		BlobURL:     strings.TrimSpace(getenv("ADE_BLOB_URL")),
		LogFormat:   or(getenv("ADE_LOG_FORMAT"), DefaultLogFormat),
	}
	r := &envReader{getenv: getenv}
	r.server(&c)
	r.jobs(&c)
	r.auth(&c)
	r.limits(&c)
	var lerrs []error
	c.ExtractionLimits, lerrs = LimitsFromEnv(getenv)
	r.errs = append(r.errs, lerrs...)
	r.storage(&c)
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %w", errors.Join(r.errs...))
	}
	return c, nil
}

// envReader reads variables through getenv and collects what is wrong
// with their values.
type envReader struct {
	getenv func(string) string
	errs   []error
}

// bad records that variable name holds a value it must not, and why.
func (r *envReader) bad(name, value, why string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: %s", name, value, why))
}

// server reads the listener, upload, retention, time-out and sweep variables.
func (r *envReader) server(c *Config) {
	getenv, bad := r.getenv, r.bad
	var err error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("ADE_HTTP_ADDR", c.HTTPAddr, "must be host:port")
	}
	if c.MaxUploadBytes, err = intVar(getenv, "ADE_MAX_UPLOAD_BYTES", DefaultMaxUploadBytes); err != nil || c.MaxUploadBytes < 1 {
		bad("ADE_MAX_UPLOAD_BYTES", getenv("ADE_MAX_UPLOAD_BYTES"), "must be a positive number of bytes")
	}
	days, err := intVar(getenv, "ADE_DOCUMENT_RETENTION_DAYS", DefaultRetentionDays)
	if err != nil || days < 1 || days > 36500 {
		bad("ADE_DOCUMENT_RETENTION_DAYS", getenv("ADE_DOCUMENT_RETENTION_DAYS"), "must be a whole number of days from 1 to 36500")
	}
	c.DocumentRetention = time.Duration(days) * 24 * time.Hour
	if c.JobTimeout, err = durationVar(getenv, "ADE_JOB_TIMEOUT", DefaultJobTimeout); err != nil || c.JobTimeout <= 0 {
		bad("ADE_JOB_TIMEOUT", getenv("ADE_JOB_TIMEOUT"), "must be a positive duration such as 5m")
	}
	if c.ShutdownTimeout, err = durationVar(getenv, "ADE_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout); err != nil || c.ShutdownTimeout <= 0 {
		bad("ADE_SHUTDOWN_TIMEOUT", getenv("ADE_SHUTDOWN_TIMEOUT"), "must be a positive duration such as 30s")
	}
	if c.PurgeInterval, err = durationVar(getenv, "ADE_PURGE_INTERVAL", DefaultPurgeInterval); err != nil || c.PurgeInterval < time.Second {
		bad("ADE_PURGE_INTERVAL", getenv("ADE_PURGE_INTERVAL"), "must be a duration of at least 1s such as 1m")
	}
}

// jobs reads the worker and webhook variables.
func (r *envReader) jobs(c *Config) {
	getenv, bad := r.getenv, r.bad
	workers, err := intVar(getenv, "ADE_WORKERS", DefaultWorkers)
	if err != nil || workers < 0 || workers > MaxWorkers {
		bad("ADE_WORKERS", getenv("ADE_WORKERS"), fmt.Sprintf("must be a whole number from 0 (API only) to %d", MaxWorkers))
	}
	c.Workers = int(workers)
	attempts, err := intVar(getenv, "ADE_JOB_MAX_ATTEMPTS", DefaultJobMaxAttempts)
	if err != nil || attempts < 1 || attempts > 100 {
		bad("ADE_JOB_MAX_ATTEMPTS", getenv("ADE_JOB_MAX_ATTEMPTS"), "must be a whole number from 1 to 100")
	}
	c.JobMaxAttempts = int(attempts)
	if c.JobStartDelay, err = durationVar(getenv, "ADE_JOB_START_DELAY", DefaultJobStartDelay); err != nil || c.JobStartDelay < 0 || c.JobStartDelay > time.Minute {
		bad("ADE_JOB_START_DELAY", getenv("ADE_JOB_START_DELAY"), "must be a duration from 0 (store every start first) to 1m such as 250ms")
	}
	if c.WorkerLeaseTTL, err = durationVar(getenv, "ADE_WORKER_LEASE_TTL", DefaultWorkerLeaseTTL); err != nil || c.WorkerLeaseTTL < time.Second {
		bad("ADE_WORKER_LEASE_TTL", getenv("ADE_WORKER_LEASE_TTL"), "must be a duration of at least 1s such as 5s")
	}
	switch v := strings.TrimSpace(getenv("ADE_WEBHOOK_ALLOW_PRIVATE")); v {
	case "", "false":
	case "true":
		c.WebhookAllowPrivate = true
	default:
		bad("ADE_WEBHOOK_ALLOW_PRIVATE", v, `must be "true" or "false"`)
	}
	hookAttempts, err := intVar(getenv, "ADE_WEBHOOK_MAX_ATTEMPTS", DefaultWebhookAttempts)
	if err != nil || hookAttempts < 1 || hookAttempts > 50 {
		bad("ADE_WEBHOOK_MAX_ATTEMPTS", getenv("ADE_WEBHOOK_MAX_ATTEMPTS"), "must be a whole number from 1 to 50")
	}
	c.WebhookMaxAttempts = int(hookAttempts)
	if c.WebhookBackoff, err = durationVar(getenv, "ADE_WEBHOOK_BACKOFF", DefaultWebhookBackoff); err != nil || c.WebhookBackoff < 10*time.Millisecond || c.WebhookBackoff > time.Hour {
		bad("ADE_WEBHOOK_BACKOFF", getenv("ADE_WEBHOOK_BACKOFF"), "must be a duration from 10ms to 1h such as 30s")
	}
}

// auth reads the bootstrap key, the key cache and the instance lease.
func (r *envReader) auth(c *Config) {
	getenv, bad := r.getenv, r.bad
	var err error
	c.BootstrapAdminKey = Secret(strings.TrimSpace(getenv("ADE_BOOTSTRAP_ADMIN_KEY")))
	if c.BootstrapAdminKey != "" && !domain.WellFormedAPIKey(c.BootstrapAdminKey.Reveal()) {
		// The value is a secret: never echo it.
		r.errs = append(r.errs, fmt.Errorf("ADE_BOOTSTRAP_ADMIN_KEY: must be %q followed by %d to %d letters, digits, '_' or '-' "+
			"(for example: ade_$(openssl rand -hex 32))", domain.APIKeyPrefix, domain.MinAPIKeySecretChars, domain.MaxAPIKeyChars-len(domain.APIKeyPrefix)))
	}
	if c.KeyCacheTTL, err = durationVar(getenv, "ADE_AUTH_CACHE_TTL", DefaultKeyCacheTTL); err != nil ||
		c.KeyCacheTTL < 100*time.Millisecond || c.KeyCacheTTL > 10*time.Minute {
		bad("ADE_AUTH_CACHE_TTL", getenv("ADE_AUTH_CACHE_TTL"), "must be a duration from 100ms to 10m such as 5s")
	}
	if c.InstanceLease, err = durationVar(getenv, "ADE_INSTANCE_LEASE", DefaultInstanceLease); err != nil ||
		c.InstanceLease < time.Second || c.InstanceLease > time.Hour {
		bad("ADE_INSTANCE_LEASE", getenv("ADE_INSTANCE_LEASE"), "must be a duration from 1s to 1h such as 30s")
	}
}

// limits reads the per-key limits and the HTTP transport bounds.
func (r *envReader) limits(c *Config) {
	getenv, bad := r.getenv, r.bad
	var err error
	if c.Limits.Rate, err = floatVar(getenv, "ADE_RATE_LIMIT", DefaultRateLimit); err != nil || !(c.Limits.Rate > 0) || c.Limits.Rate > 1e9 {
		bad("ADE_RATE_LIMIT", getenv("ADE_RATE_LIMIT"), "must be a positive number of requests per second")
	}
	for _, v := range []struct {
		name string
		dst  *int
		def  int64
		what string
	}{
		{"ADE_RATE_BURST", &c.Limits.Burst, DefaultRateBurst, "requests"},
		{"ADE_MAX_CONCURRENT_UPLOADS", &c.Limits.Uploads, DefaultMaxUploads, "uploads"},
		{"ADE_MAX_RUNNING_JOBS", &c.Limits.Jobs, DefaultMaxJobs, "jobs"},
	} {
		n, err := intVar(getenv, v.name, v.def)
		if err != nil || n < 1 || n > 1_000_000_000 {
			bad(v.name, getenv(v.name), "must be a positive whole number of "+v.what)
		}
		*v.dst = int(n)
	}
	c.SessionSecret = Secret(strings.TrimSpace(getenv("ADE_SESSION_SECRET")))
	if c.SessionSecret != "" && len(c.SessionSecret) < webui.MinSessionSecretBytes {
		// A secret: never echo it.
		r.errs = append(r.errs, fmt.Errorf("ADE_SESSION_SECRET: must be at least %d bytes (for example: $(openssl rand -hex 32))", webui.MinSessionSecretBytes))
	}
	if c.TrustedProxies, err = prefixesVar(getenv("ADE_TRUSTED_PROXIES")); err != nil {
		bad("ADE_TRUSTED_PROXIES", getenv("ADE_TRUSTED_PROXIES"), err.Error())
	}
	for _, v := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"ADE_HTTP_HEADER_TIMEOUT", &c.Transport.HeaderTimeout, httpapi.DefaultHeaderTimeout},
		{"ADE_HTTP_BODY_TIMEOUT", &c.Transport.BodyTimeout, httpapi.DefaultBodyTimeout},
		{"ADE_HTTP_IDLE_TIMEOUT", &c.Transport.IdleTimeout, httpapi.DefaultIdleTimeout},
	} {
		if *v.dst, err = durationVar(getenv, v.name, v.def); err != nil || *v.dst < 100*time.Millisecond || *v.dst > 24*time.Hour {
			bad(v.name, getenv(v.name), "must be a duration from 100ms to 24h such as 30s")
		}
	}
	if c.Transport.BodyMinRate, err = intVar(getenv, "ADE_HTTP_BODY_MIN_RATE", httpapi.DefaultBodyMinRate); err != nil || c.Transport.BodyMinRate < 1 {
		bad("ADE_HTTP_BODY_MIN_RATE", getenv("ADE_HTTP_BODY_MIN_RATE"), "must be a positive number of bytes per second")
	}
	if n, err := intVar(getenv, "ADE_HTTP_MAX_CONNECTIONS", httpapi.DefaultMaxConnections); err != nil || n < 1 || n > 1_000_000 {
		bad("ADE_HTTP_MAX_CONNECTIONS", getenv("ADE_HTTP_MAX_CONNECTIONS"), "must be a whole number of connections from 1 to 1000000")
	} else {
		c.Transport.MaxConnections = int(n)
	}
}

// storage checks the log format and the database and blob URLs.
func (r *envReader) storage(c *Config) {
	bad := r.bad
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("ADE_LOG_FORMAT", c.LogFormat, `must be "text" or "json"`)
	}
	if c.DatabaseURL != "" {
		if err := checkDatabaseURL(c.DatabaseURL); err != nil {
			bad("ADE_DATABASE_URL", redactURL(c.DatabaseURL), err.Error())
		}
	}
	if c.BlobURL != "" {
		if u, err := url.Parse(c.BlobURL); err != nil || u.Scheme == "" {
			bad("ADE_BLOB_URL", c.BlobURL, "must be a URL such as file:///srv/ade/blobs, s3://bucket?region=... or mem://")
		}
	}
}

// LimitVariable is one environment variable that sets an extraction
// limit.
type LimitVariable struct {
	Name  string
	Limit string // the limit's name, as messages and metrics give it
	set   func(l *tabular.Limits, v int64)
	get   func(l tabular.Limits) int64
}

// LimitVariables are the ADE_MAX_* variables of the extraction limits,
// in the order docs/configuration.md lists them.
var LimitVariables = []LimitVariable{
	{"ADE_MAX_CELL_BYTES", read.LimitCellBytes, func(l *tabular.Limits, v int64) { l.CellBytes = int(v) }, func(l tabular.Limits) int64 { return int64(l.CellBytes) }},
	{"ADE_MAX_ROW_BYTES", read.LimitRowBytes, func(l *tabular.Limits, v int64) { l.RowBytes = int(v) }, func(l tabular.Limits) int64 { return int64(l.RowBytes) }},
	{"ADE_MAX_CELLS_PER_ROW", read.LimitCellsPerRow, func(l *tabular.Limits, v int64) { l.CellsPerRow = int(v) }, func(l tabular.Limits) int64 { return int64(l.CellsPerRow) }},
	{"ADE_MAX_CELLS", read.LimitCells, func(l *tabular.Limits, v int64) { l.Cells = v }, func(l tabular.Limits) int64 { return l.Cells }},
	{"ADE_MAX_SHARED_STRINGS_BYTES", read.LimitSharedStringsBytes, func(l *tabular.Limits, v int64) { l.SharedStringsBytes = v }, func(l tabular.Limits) int64 { return l.SharedStringsBytes }},
	{"ADE_MAX_UNPACKED_BYTES", read.LimitUnpackedBytes, func(l *tabular.Limits, v int64) { l.UnpackedBytes = v }, func(l tabular.Limits) int64 { return l.UnpackedBytes }},
	{"ADE_MAX_XLS_CELLS", read.LimitXLSCells, func(l *tabular.Limits, v int64) { l.XLSCells = v }, func(l tabular.Limits) int64 { return l.XLSCells }},
	{"ADE_MAX_TABLES", tabular.LimitTables, func(l *tabular.Limits, v int64) { l.Tables = int(v) }, func(l tabular.Limits) int64 { return int64(l.Tables) }},
	{"ADE_MAX_OUTPUT_BYTES", tabular.LimitOutputBytes, func(l *tabular.Limits, v int64) { l.OutputBytes = v }, func(l tabular.Limits) int64 { return l.OutputBytes }},
	{"ADE_MAX_RESULT_BYTES", tabular.LimitResultBytes, func(l *tabular.Limits, v int64) { l.ResultBytes = v }, func(l tabular.Limits) int64 { return l.ResultBytes }},
}

// Value returns the variable's limit in l.
func (v LimitVariable) Value(l tabular.Limits) int64 { return v.get(l) }

// maxLimit keeps every limit within what an int holds on any platform.
const maxLimit = math.MaxInt32

// LimitsFromEnv reads the ADE_MAX_* variables through getenv: unset means
// the default, anything but a whole number from 1 to 2147483647 is an
// error naming the variable. The server and `ade extract` read the same
// variables.
func LimitsFromEnv(getenv func(string) string) (tabular.Limits, []error) {
	var l tabular.Limits
	var errs []error
	for _, v := range LimitVariables {
		raw := strings.TrimSpace(getenv(v.Name))
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 || n > maxLimit {
			errs = append(errs, fmt.Errorf("%s=%q: must be a whole number from 1 to %d (%s)", v.Name, raw, maxLimit, v.Limit))
			continue
		}
		v.set(&l, n)
	}
	return l.WithDefaults(), errs
}

// SpoolRoot is where extractions spool their temporary files: each
// process gets a directory of its own under it (system.OpenSpoolDir).
func (c Config) SpoolRoot() string { return filepath.Join(c.DataDir, "tmp") }

// DatabaseTarget returns the database URL to open: the configured one, or
// the embedded SQLite file in the data directory.
func (c Config) DatabaseTarget() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite:" + filepath.Join(c.DataDir, "ade.db")
}

// BlobTarget returns the blob store URL to open: the configured one, or
// file:// under the data directory.
func (c Config) BlobTarget() (string, error) {
	if c.BlobURL != "" {
		return c.BlobURL, nil
	}
	abs, err := filepath.Abs(filepath.Join(c.DataDir, "blobs"))
	if err != nil {
		return "", fmt.Errorf("blob directory: %w", err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// IsMemoryDatabase reports whether storage is in memory (lost at exit).
func (c Config) IsMemoryDatabase() bool { return c.DatabaseURL == "memory://" }

func checkDatabaseURL(s string) error {
	switch {
	case s == "memory://":
		return nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return errors.New("a PostgreSQL URL needs a host: postgres://user:pass@host:5432/db")
		}
		return nil
	case strings.HasPrefix(s, "sqlite:"), strings.HasPrefix(s, "file:"):
		return nil
	default:
		return errors.New("must be postgres://..., sqlite:PATH or memory://")
	}
}

// redactURL hides a URL's password, for messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

func intVar(getenv func(string) string, name string, def int64) (int64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

func floatVar(getenv func(string) string, name string, def float64) (float64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	return strconv.ParseFloat(v, 64)
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	return time.ParseDuration(v)
}

// prefixesVar reads a comma-separated list of IP addresses and CIDR
// prefixes.
func prefixesVar(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("must be IP addresses or CIDR prefixes, comma-separated, such as 10.0.0.5,192.168.0.0/16")
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
