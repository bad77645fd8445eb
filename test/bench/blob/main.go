// Command blob measures streaming a large body into a file:// blob store
// through Store.Put against a baseline of copying the same bytes to an
// os.File while hashing them, in the same directory and process. It prints
// medians and the peak RSS; it asserts nothing.
//
//	go run ./test/bench/blob -size 256 -runs 5
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/benchkit"
)

func main() {
	sizeMiB := flag.Int("size", 256, "body size in MiB")
	runs := flag.Int("runs", 5, "runs of each variant")
	dir := flag.String("dir", "", "directory for the files (default: a new temp dir)")
	flag.Parse()
	if err := run(int64(*sizeMiB)<<20, *runs, *dir); err != nil {
		log.Fatal(err)
	}
}

type variant struct {
	name string
	do   func(ctx context.Context, i int) (string, error) // returns sha256 hex
	mbps []float64
	rss  int64 // peak RSS while this variant ran, KiB
}

func run(size int64, runs int, parent string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp(parent, "ade-blob-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	durable, err := blobstore.Open(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "durable")))
	if err != nil {
		return err
	}
	defer durable.Close()
	fast, err := blobstore.Open(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "fast")), blobstore.WithSync(false))
	if err != nil {
		return err
	}
	defer fast.Close()

	put := func(s *blobstore.Store) func(context.Context, int) (string, error) {
		return func(ctx context.Context, i int) (string, error) {
			key := "docs/run-" + strconv.Itoa(i)
			info, err := s.Put(ctx, key, newGen(size), ports.PutOptions{MaxBytes: size, ContentType: "application/octet-stream"})
			if err != nil {
				return "", err
			}
			if info.Size != size {
				return "", fmt.Errorf("put stored %d bytes, want %d", info.Size, size)
			}
			return info.SHA256, s.Delete(ctx, key)
		}
	}
	variants := []*variant{
		{name: "baseline io.Copy+sha256", do: baseline(dir, size, false)},
		{name: "Store.Put file:// (no fsync)", do: put(fast)},
		{name: "baseline io.Copy+sha256+fsync", do: baseline(dir, size, true)},
		{name: "Store.Put file:// (fsync, default)", do: put(durable)},
	}

	fmt.Printf("body %d MiB, %d runs each, dir %s (%s), GOMAXPROCS %d\n",
		size>>20, runs, dir, fsType(dir), runtime.GOMAXPROCS(0))
	var want string
	for r := range runs {
		for _, v := range variants {
			resetPeakRSS()
			start := time.Now()
			sum, err := v.do(ctx, r)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			el := time.Since(start)
			if want == "" {
				want = sum
			} else if sum != want {
				return fmt.Errorf("%s: sha256 %s, want %s", v.name, sum, want)
			}
			v.mbps = append(v.mbps, float64(size)/1e6/el.Seconds())
			v.rss = max(v.rss, peakRSSKiB())
		}
	}
	for _, v := range variants {
		fmt.Printf("%-36s median %7.0f MB/s  (runs: %s)  peak RSS %d MiB\n",
			v.name, median(v.mbps), join(v.mbps), v.rss>>10)
	}
	fmt.Printf("ratio Put/baseline, no fsync: %.2f (target >= 0.80)\n", median(variants[1].mbps)/median(variants[0].mbps))
	fmt.Printf("ratio Put/baseline, fsync:    %.2f (target >= 0.80)\n", median(variants[3].mbps)/median(variants[2].mbps))
	fmt.Printf("process peak RSS: %d MiB\n", processPeakRSSKiB()>>10)
	for _, pair := range [][2]int{{3, 2}, {1, 0}} {
		ade, base := variants[pair[0]], variants[pair[1]]
		ratio := median(ade.mbps) / median(base.mbps)
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("blob put, %d MiB to file://, %s", size>>20, map[bool]string{true: "fsync", false: "no fsync"}[pair[0] == 3]),
			ADE:       fmt.Sprintf("%.0f MB/s", median(ade.mbps)),
			Baseline:  fmt.Sprintf("%s: %.0f MB/s", base.name, median(base.mbps)),
			Ratio:     benchkit.Ratio(ratio), Target: ">= 0.80", Met: ratio >= 0.8,
		})
	}
	return nil
}

// baseline copies the body to a plain file through a sha256 tee, with the
// same 1 MiB buffer Put uses (io.Copy's 32 KiB default would flatter Put).
func baseline(dir string, size int64, sync bool) func(context.Context, int) (string, error) {
	return func(_ context.Context, i int) (string, error) {
		name := filepath.Join(dir, "baseline-"+strconv.Itoa(i))
		f, err := os.Create(name)
		if err != nil {
			return "", err
		}
		defer os.Remove(name)
		h := sha256.New()
		if _, err := io.CopyBuffer(io.MultiWriter(f, h), newGen(size), make([]byte, 1<<20)); err != nil {
			f.Close()
			return "", err
		}
		if sync {
			if err := f.Sync(); err != nil {
				f.Close()
				return "", err
			}
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
}

// gen yields size deterministic bytes: a 1 MiB xorshift pattern, each
// repetition perturbed by its index so that no two MiB are equal. It
// implements only Read, as a network body would.
type gen struct {
	left  int64
	block []byte
	off   int
	rep   uint64
}

func newGen(size int64) *gen {
	b := make([]byte, 1<<20)
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := range 8 {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	return &gen{left: size, block: b}
}

func (g *gen) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) {
		if g.off == len(g.block) {
			g.off = 0
			g.rep++
		}
		c := copy(p[n:], g.block[g.off:])
		if g.off == 0 {
			p[n] ^= byte(g.rep) // whatever the read sizes, same bytes
		}
		n += c
		g.off += c
	}
	g.left -= int64(n)
	return n, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func join(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strings.Join(parts, " ")
}

// resetPeakRSS resets VmHWM (Linux >= 4.0); harmless where unsupported.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func peakRSSKiB() int64 { return procStatus("VmHWM:") }

var processPeak int64

func processPeakRSSKiB() int64 { return max(processPeak, peakRSSKiB()) }

func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if field == "VmHWM:" {
				processPeak = max(processPeak, n)
			}
			return n
		}
	}
	return 0
}

func fsType(dir string) string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "?"
	}
	best, typ := "", "?"
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.HasPrefix(dir, f[1]) && len(f[1]) > len(best) {
			best, typ = f[1], f[2]
		}
	}
	return typ + " at " + best
}
