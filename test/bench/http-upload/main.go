// Command http-upload measures a large multipart upload over loopback to
// the real `ade serve` (SQLite + file://, built from this repository)
// against a minimal net/http server in a child process that streams the
// same multipart body to a file while hashing it. The body is generated
// deterministically and streamed by the client, never held in memory. It
// prints throughput, the ratio to the baseline and each server's peak RSS
// (VmHWM) as medians, split into anonymous memory (heap, stacks, buffers)
// and file-backed pages (mostly the executable's code and read-only data,
// which grow with the binary and not with the upload); it asserts nothing.
//
//	go run ./test/bench/http-upload                 # 1 GiB, 3 runs
//	go run ./test/bench/http-upload -size 256 -runs 1
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/ade-go/ade/test/benchkit"
	"io"
	"log"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Targets printed beside the figures.
const (
	targetRatio  = 0.9
	targetRSSMiB = 32
)

func main() {
	sizeMiB := flag.Int64("size", 1024, "document size in MiB")
	runs := flag.Int("runs", 3, "runs of each server")
	bufKiB := flag.Int("baseline-buffer", 1024, "KiB of bufio under the baseline's multipart parser (ade uses 1 MiB); 0 = r.MultipartReader() unbuffered")
	fsync := flag.Bool("baseline-fsync", true, "fsync the baseline's file before answering (ade's file:// store fsyncs by default)")
	dir := flag.String("dir", "", "parent directory for data (default: the system temp dir)")
	child := flag.String("serve-baseline", "", "internal: run the baseline server on this address")
	childDir := flag.String("baseline-dir", "", "internal: where the baseline server writes")
	flag.Parse()
	log.SetFlags(0)

	if *child != "" {
		if err := serveBaseline(*child, *childDir, *bufKiB<<10, *fsync); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*sizeMiB<<20, *runs, *dir, *bufKiB, *fsync); err != nil {
		log.Fatal(err)
	}
}

// result is one upload.
type result struct {
	mbps   float64
	rssKiB int64
	// idleKiB is the resident set once the server is ready, before the
	// upload.
	idleKiB int64
	// anonKiB is the anonymous (heap, stacks) part of the resident set
	// after the upload; the rest is file-backed, mostly the binary's pages.
	anonKiB int64
	// idleAnonKiB and idleFileKiB split idleKiB into anonymous and
	// file-backed pages.
	idleAnonKiB, idleFileKiB int64
	// peakAnonKiB and peakFileKiB are the largest RssAnon and RssFile seen
	// while the upload ran (sampled every 10 ms, and once after it).
	peakAnonKiB, peakFileKiB int64
}

func run(size int64, runs int, parent string, bufKiB int, fsync bool) error {
	work, err := os.MkdirTemp(parent, "ade-http-upload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	bin, err := benchkit.BuildAde(work)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	fmt.Printf("hashing the %d MiB body once ...\n", size>>20)
	want, err := expectedSHA(size)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}

	var ade, base []result
	for i := range runs {
		// Alternate the order so that neither always runs on a warm cache.
		order := []string{"ade", "baseline"}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, which := range order {
			dataDir := filepath.Join(work, fmt.Sprintf("%s-%d", which, i))
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return err
			}
			addr, err := benchkit.FreeAddr()
			if err != nil {
				return err
			}
			var cmd *exec.Cmd
			var url string
			if which == "ade" {
				cmd = exec.Command(bin, "serve")
				cmd.Env = append(benchkit.CleanEnv(),
					"ADE_HTTP_ADDR="+addr, "ADE_DATA_DIR="+dataDir,
					"ADE_MAX_UPLOAD_BYTES="+strconv.FormatInt(size+(1<<20), 10),
					"ADE_LOG_FORMAT=json", "ADE_JOB_TIMEOUT=5m")
				cmd.Env = append(cmd.Env, benchkit.AuthEnv()...)
				url = "http://" + addr + "/api/v1/workspaces/default/documents"
			} else {
				cmd = exec.Command(self, "-serve-baseline", addr, "-baseline-dir", dataDir,
					"-baseline-buffer", strconv.Itoa(bufKiB), "-baseline-fsync="+strconv.FormatBool(fsync))
				cmd.Env = benchkit.CleanEnv()
				url = "http://" + addr + "/upload"
			}
			r, err := measure(client, cmd, addr, url, size, want)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", which, i+1, err)
			}
			fmt.Printf("  run %d %-8s %7.1f MB/s  peak RSS %6.1f MiB = anonymous %5.1f + file-backed %5.1f  (when ready %5.1f = %4.1f + %4.1f MiB)\n",
				i+1, which, r.mbps, mib(r.rssKiB), mib(r.peakAnonKiB), mib(r.peakFileKiB), mib(r.idleKiB), mib(r.idleAnonKiB), mib(r.idleFileKiB))
			if which == "ade" {
				ade = append(ade, r)
			} else {
				base = append(base, r)
			}
			if err := os.RemoveAll(dataDir); err != nil {
				return err
			}
		}
	}

	adeMBps, baseMBps := median(ade, func(r result) float64 { return r.mbps }), median(base, func(r result) float64 { return r.mbps })
	adeRSS, baseRSS := median(ade, func(r result) float64 { return float64(r.rssKiB) / 1024 }), median(base, func(r result) float64 { return float64(r.rssKiB) / 1024 })
	adeIdle := median(ade, func(r result) float64 { return float64(r.idleKiB) / 1024 })
	adeAnon := median(ade, func(r result) float64 { return float64(r.anonKiB) / 1024 })
	adePeakAnon, adePeakFile := median(ade, func(r result) float64 { return mib(r.peakAnonKiB) }), median(ade, func(r result) float64 { return mib(r.peakFileKiB) })
	basePeakAnon, basePeakFile := median(base, func(r result) float64 { return mib(r.peakAnonKiB) }), median(base, func(r result) float64 { return mib(r.peakFileKiB) })
	adeIdleAnon, adeIdleFile := median(ade, func(r result) float64 { return mib(r.idleAnonKiB) }), median(ade, func(r result) float64 { return mib(r.idleFileKiB) })
	ratio := adeMBps / baseMBps
	fmt.Printf("\nhttp-upload: %d MiB multipart over loopback, medians of %d runs\n", size>>20, runs)
	fmt.Printf("  %-50s %8.1f MB/s  peak RSS %6.1f MiB\n", "ade serve (SQLite + file://, fsync)", adeMBps, adeRSS)
	bufDesc := fmt.Sprintf("%d KiB bufio", bufKiB)
	if bufKiB == 0 {
		bufDesc = "unbuffered"
	}
	fmt.Printf("  %-50s %8.1f MB/s  peak RSS %6.1f MiB\n", fmt.Sprintf("baseline net/http (%s, fsync=%t)", bufDesc, fsync), baseMBps, baseRSS)
	fmt.Printf("  throughput ratio ade/baseline: %.2f (target >= %.1f) %s\n", ratio, targetRatio, benchkit.Verdict(ratio >= targetRatio))
	fmt.Printf("  ade peak RSS: %.1f MiB (target <= %d MiB) %s\n    (%.1f MiB resident before the upload began; %.1f MiB anonymous after it, the rest file-backed pages)\n", adeRSS, targetRSSMiB, benchkit.Verdict(adeRSS <= targetRSSMiB), adeIdle, adeAnon)
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("%d MiB multipart upload over loopback, ade serve (SQLite + file://, fsync, default timeouts)", size>>20),
		ADE:       fmt.Sprintf("%.0f MB/s", adeMBps),
		Baseline:  fmt.Sprintf("net/http streaming the part to a file with sha256 (%s, fsync=%t): %.0f MB/s", bufDesc, fsync, baseMBps),
		Ratio:     benchkit.Ratio(ratio), Target: fmt.Sprintf(">= %.1f", targetRatio), Met: ratio >= targetRatio,
	})
	benchkit.Report(benchkit.Result{
		Benchmark: "upload peak RSS of ade serve",
		ADE:       fmt.Sprintf("%.1f MiB (%.1f MiB anonymous, %.1f MiB file-backed pages of the executable)", adeRSS, adePeakAnon, adePeakFile),
		Baseline:  fmt.Sprintf("net/http: %.1f MiB", baseRSS),
		Target:    fmt.Sprintf("<= %d MiB", targetRSSMiB), Met: adeRSS <= targetRSSMiB,
	})
	fmt.Printf("  resident set split, peaks while uploading (sampled every 10 ms):\n")
	fmt.Printf("    %-9s anonymous (heap, stacks, buffers) %5.1f MiB   file-backed (executable and libraries) %5.1f MiB\n", "ade", adePeakAnon, adePeakFile)
	fmt.Printf("    %-9s anonymous (heap, stacks, buffers) %5.1f MiB   file-backed (executable and libraries) %5.1f MiB\n", "baseline", basePeakAnon, basePeakFile)
	fmt.Printf("    ade when ready: anonymous %.1f MiB, file-backed %.1f MiB. File-backed pages are pages of the\n", adeIdleAnon, adeIdleFile)
	fmt.Printf("    executable the process reads but never writes (page cache, shared and reclaimable; the kernel maps up to 64 KiB around\n")
	fmt.Printf("    each page touched); they grow with the binary's code, not with the upload. The upload itself adds\n")
	fmt.Printf("    %.1f MiB to the resident set.\n", adeRSS-adeIdle)
	return nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// measure starts the server, uploads the body once, checks the server's
// sha256, reads the server's VmHWM and stops it with SIGTERM.
func measure(client *http.Client, cmd *exec.Cmd, addr, url string, size int64, want string) (result, error) {
	var stderr strings.Builder
	cmd.Stderr = &benchkit.LimitedWriter{W: &stderr, N: 64 << 10}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return errors.New("did not exit within 30s of SIGTERM")
		}
	}
	if err := waitReady(addr, done); err != nil {
		_ = stop()
		return result{}, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	idle, err := procStatus(cmd.Process.Pid, "VmRSS:")
	idleAnon, anonErr := procStatus(cmd.Process.Pid, "RssAnon:")
	idleFile, fileErr := procStatus(cmd.Process.Pid, "RssFile:")
	if err = errors.Join(err, anonErr, fileErr); err != nil {
		_ = stop()
		return result{}, err
	}
	// Sample the anonymous and file-backed resident sets while the upload
	// runs: VmHWM is a peak of their sum only.
	var peakAnon, peakFile atomic.Int64
	sample := func() {
		if v, err := procStatus(cmd.Process.Pid, "RssAnon:"); err == nil && v > peakAnon.Load() {
			peakAnon.Store(v)
		}
		if v, err := procStatus(cmd.Process.Pid, "RssFile:"); err == nil && v > peakFile.Load() {
			peakFile.Store(v)
		}
	}
	sample()
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampling:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	defer func() {
		select {
		case <-sampling:
		default:
			close(sampling)
		}
		<-sampled
	}()
	body, contentType, length := uploadBody(size)
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		_ = stop()
		return result{}, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+benchkit.AdminKey) // the baseline ignores it
	req.ContentLength = length
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		_ = stop()
		return result{}, fmt.Errorf("upload: %w\n%s", err, stderr.String())
	}
	reply, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	elapsed := time.Since(start)
	if res.StatusCode != http.StatusCreated {
		_ = stop()
		return result{}, fmt.Errorf("upload answered %d: %s", res.StatusCode, reply)
	}
	var doc struct {
		SHA256   string `json:"sha256"`
		ByteSize int64  `json:"byte_size"`
	}
	if err := json.Unmarshal(reply, &doc); err != nil {
		_ = stop()
		return result{}, fmt.Errorf("upload reply: %w: %s", err, reply)
	}
	if doc.SHA256 != want || doc.ByteSize != size {
		_ = stop()
		return result{}, fmt.Errorf("server stored %d bytes with sha256 %s, want %d bytes %s", doc.ByteSize, doc.SHA256, size, want)
	}
	close(sampling)
	<-sampled
	sample()
	rss, rssErr := procStatus(cmd.Process.Pid, "VmHWM:")
	anon, anonErr := procStatus(cmd.Process.Pid, "RssAnon:")
	rssErr = errors.Join(rssErr, anonErr)
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		return result{}, fmt.Errorf("stop: %w\n%s", err, stderr.String())
	}
	if rssErr != nil {
		return result{}, rssErr
	}
	return result{mbps: float64(size) / 1e6 / elapsed.Seconds(), rssKiB: rss, idleKiB: idle, anonKiB: anon,
		idleAnonKiB: idleAnon, idleFileKiB: idleFile, peakAnonKiB: peakAnon.Load(), peakFileKiB: peakFile.Load()}, nil
}

// procStatus reads a size field of /proc/<pid>/status (VmHWM: the peak
// resident set; VmRSS: the current one) in KiB.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func waitReady(addr string, done <-chan error) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("server exited before it was ready: %v", err)
		default:
		}
		if res, err := c.Get("http://" + addr + "/health/ready"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server not ready after 30s")
}

// The body: a 1 MiB block of seeded pseudo-random bytes, repeated. Reading
// it costs the client almost nothing.
const blockSize = 1 << 20

var block = func() []byte {
	b := make([]byte, blockSize)
	r := rand.New(rand.NewChaCha8([32]byte{'a', 'd', 'e'}))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// genReader yields n bytes of the repeated block.
type genReader struct{ off, n int64 }

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n-g.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], block[(g.off+int64(n))%blockSize:])
	}
	g.off += int64(n)
	return n, nil
}

func expectedSHA(size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, &genReader{n: size}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// uploadBody returns a streamed multipart/form-data body with one file
// part of size generated bytes, its Content-Type and its exact length.
func uploadBody(size int64) (io.Reader, string, int64) {
	var head strings.Builder
	w := multipart.NewWriter(&head)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="bench.bin"`)
	h.Set("Content-Type", "application/octet-stream")
	if _, err := w.CreatePart(h); err != nil {
		panic(err)
	}
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	if strings.Contains(string(block), "--"+w.Boundary()) {
		panic("the boundary occurs in the body")
	}
	r := io.MultiReader(strings.NewReader(head.String()), &genReader{n: size}, strings.NewReader(tail))
	return r, w.FormDataContentType(), int64(head.Len()) + size + int64(len(tail))
}

// serveBaseline is the child process: a minimal net/http server that
// streams the file part to a file through sha256 and answers like ade.
func serveBaseline(addr, dir string, bufSize int, fsync bool) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"status":"ok"}`) })
	n := 0
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		var mr *multipart.Reader
		if bufSize > 0 {
			_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
				return
			}
			mr = multipart.NewReader(bufio.NewReaderSize(r.Body, bufSize), params["boundary"])
		} else {
			var err error
			if mr, err = r.MultipartReader(); err != nil {
				http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
				return
			}
		}
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "file" {
			http.Error(w, "no file part", http.StatusBadRequest)
			return
		}
		n++
		f, err := os.Create(filepath.Join(dir, "upload-"+strconv.Itoa(n)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		h := sha256.New()
		written, err := io.Copy(io.MultiWriter(f, h), part)
		if err == nil && fsync {
			err = f.Sync()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sha256": hex.EncodeToString(h.Sum(nil)), "byte_size": written})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
