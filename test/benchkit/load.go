package benchkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoadOptions shape one load phase.
type LoadOptions struct {
	// Clients is the number of concurrent clients.
	Clients int
	// Duration is the measured time of the phase.
	Duration time.Duration
	// Warmup is an unmeasured run before it.
	Warmup time.Duration
	// MaxRequests bounds the requests of the phase.
	MaxRequests int64
}

// Phase is the outcome of one load phase.
type Phase struct {
	OK, Failed int64
	PerSec     float64
	P50, P99   time.Duration
	FirstError string
}

// String renders the phase's figures on one line.
func (p Phase) String() string {
	s := fmt.Sprintf("%8.0f /s  p50 %7s  p99 %7s  (%d ok", p.PerSec, roundLatency(p.P50), roundLatency(p.P99), p.OK)
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d FAILED: %s", p.Failed, p.FirstError)
	}
	return s + ")"
}

func roundLatency(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// Load runs do from o.Clients goroutines: first for o.Warmup (discarded),
// then for o.Duration or until o.MaxRequests requests.
func Load(o LoadOptions, do func(i int64) error) Phase {
	if o.Warmup > 0 {
		w := o
		w.Duration, w.Warmup = o.Warmup, 0
		_ = Load(w, do)
	}
	var next, ok, failed atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, o.Clients)
	deadline := time.Now().Add(o.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1<<14)
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= o.MaxRequests {
					break
				}
				t := time.Now()
				err := do(i)
				d := time.Since(t)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
				mine = append(mine, d)
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	p := Phase{OK: ok.Load(), Failed: failed.Load(), PerSec: float64(ok.Load()) / elapsed.Seconds()}
	if s, _ := firstErr.Load().(string); s != "" {
		p.FirstError = s
	}
	if len(all) > 0 {
		p.P50 = all[len(all)*50/100]
		p.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return p
}

// Process is a started server.
type Process struct {
	cmd    *exec.Cmd
	done   chan error
	stderr *strings.Builder
}

// StartServer starts cmd and waits until addr answers /health/ready.
func StartServer(cmd *exec.Cmd, addr string) (*Process, error) {
	p := &Process{cmd: cmd, done: make(chan error, 1), stderr: &strings.Builder{}}
	cmd.Stderr = &LimitedWriter{W: p.stderr, N: 64 << 10}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- cmd.Wait() }()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("exited before it was ready: %w\n%s", err, p.stderr.String())
		default:
		}
		if res, err := c.Get("http://" + addr + "/health/ready"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = p.Stop()
	return nil, fmt.Errorf("not ready after 30s\n%s", p.stderr.String())
}

// Stderr is what the server wrote on its standard error (the first 64 KiB).
func (p *Process) Stderr() string { return p.stderr.String() }

// Stop sends SIGTERM and waits for the exit (killing it after 30 s).
func (p *Process) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // after a kill the exit status says nothing new
		return errors.New("did not exit within 30s of SIGTERM")
	}
}

// FreshSchema creates an empty schema in the database of pgURL and returns
// a URL whose search_path is that schema, and a function dropping it.
func FreshSchema(pgURL string) (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ade_bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("options", "-csearch_path="+schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, pgURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			_ = conn.Close(ctx)
		}
	}
	return u.String(), drop, nil
}

// CPUTime is the processor time (user and system) the server has used so
// far, from /proc (Linux); zero elsewhere.
func (p *Process) CPUTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 14th and 15th fields.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// NewClient is a keep-alive client for up to 64 concurrent requests to
// one server.
func NewClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64, DisableCompression: true},
	}
}

// Fetch sends req with the benchmark's admin key (unless the request
// names another), reads the whole response and fails unless its status is
// want.
func Fetch(c *http.Client, req *http.Request, want int) ([]byte, error) {
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+AdminKey)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return b, fmt.Errorf("%s %s: status %d: %.200s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return b, nil
}

// LoadFlags registers the flags of LoadOptions on the command line, with
// duration as the default measured time of a phase.
func LoadFlags(o *LoadOptions, duration time.Duration) {
	flag.IntVar(&o.Clients, "clients", 32, "concurrent clients")
	flag.DurationVar(&o.Duration, "duration", duration, "measured time of each phase")
	flag.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured warm-up before each phase")
	flag.Int64Var(&o.MaxRequests, "max-requests", 2_000_000, "bound on the requests of one phase")
}

// OnPostgres runs fn on a fresh schema of pgURL and drops it afterwards;
// with no URL it says the PostgreSQL figures are skipped and runs nothing.
func OnPostgres(pgURL string, fn func(schemaURL string) error) error {
	if pgURL == "" {
		fmt.Println("PostgreSQL: SKIPPED (no -db and ADE_TEST_DATABASE_URL is empty; start one with: export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1))")
		return nil
	}
	schemaURL, drop, err := FreshSchema(pgURL)
	if err != nil {
		return err
	}
	defer drop()
	return fn(schemaURL)
}
