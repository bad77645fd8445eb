// Package benchkit holds what the benchmark programs under test/bench
// share: loopback addresses, a clean environment for child servers, the
// repository root, medians and the target verdict.
package benchkit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FreeAddr returns a loopback address with a port free at the time of the
// call.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// CleanEnv is the process environment without ADE_* variables, so a child
// server gets only the settings the benchmark gives it.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADE_") {
			env = append(env, kv)
		}
	}
	return env
}

// RepoRoot finds the module root above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ade-go/ade\n") {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("run from inside the ade repository (no go.mod of github.com/ade-go/ade above the working directory)")
		}
		dir = up
	}
}

// Verdict labels a figure against its target.
func Verdict(ok bool) string {
	if ok {
		return "[meets target]"
	}
	return "[MISSES TARGET]"
}

// Median returns the median of v (0 for none), leaving v sorted.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// LimitedWriter keeps the first N bytes written to W and drops the rest,
// so a chatty child process cannot fill memory.
type LimitedWriter struct {
	W io.Writer
	N int
}

// Write implements io.Writer; it never fails.
func (l *LimitedWriter) Write(p []byte) (int, error) {
	if l.N > 0 {
		k := min(len(p), l.N)
		_, _ = l.W.Write(p[:k])
		l.N -= k
	}
	return len(p), nil
}

// BuildAde builds the ade binary from the repository into dir and returns
// its path.
func BuildAde(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ade")
	fmt.Printf("building %s ...\n", bin)
	build := exec.Command("go", "build", "-o", bin, "./cmd/ade")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ade: %v\n%s", err, out)
	}
	return bin, nil
}

// AdminKey is the global admin API key benchmark servers start with; the
// benchmarks send it with every request to ade.
const AdminKey = "ade_benchGlobalAdmin0123456789abcdefghijklmnopqrstuvwxyz"

// AuthEnv is the environment that starts `ade serve` with AdminKey as its
// bootstrap key and per-key limits no benchmark reaches (the limiter
// still runs on every request).
func AuthEnv() []string {
	return []string{
		"ADE_BOOTSTRAP_ADMIN_KEY=" + AdminKey,
		"ADE_RATE_LIMIT=1000000000", "ADE_RATE_BURST=1000000000",
		"ADE_MAX_CONCURRENT_UPLOADS=100000", "ADE_MAX_RUNNING_JOBS=100000",
	}
}

// SelfCPU is this process's CPU time so far, user and system.
func SelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)), nil
}

// PeakRSSKiB is this process's peak resident set size in KiB, VmHWM from
// /proc/self/status. (The rusage of a child started by fork and exec also
// counts the parent's memory at the fork: a child measures itself.)
func PeakRSSKiB() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
