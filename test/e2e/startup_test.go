package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("ade serve start-up and shutdown", func() {
	// baseEnv is a valid SQLite + file:// configuration on a free port.
	baseEnv := func() map[string]string {
		return map[string]string{"ADE_HTTP_ADDR": freeAddr(), "ADE_DATA_DIR": GinkgoT().TempDir()}
	}
	// expectExit waits for the process to exit within d and returns its
	// status.
	expectExit := func(p *adeProcess, d time.Duration) int {
		GinkgoHelper()
		code := p.exitCode(d)
		if code == -1 {
			_ = p.cmd.Process.Kill()
			<-p.done
			Fail(fmt.Sprintf("ade serve still running after %s\n%s", d, p.output()))
		}
		return code
	}

	It("exits non-zero naming the address when the port is busy", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		env := baseEnv()
		env["ADE_HTTP_ADDR"] = ln.Addr().String()
		p := runAde(env)
		Expect(expectExit(p, 20*time.Second)).NotTo(Equal(0), p.output())
		Expect(p.stderr.String()).To(And(ContainSubstring(ln.Addr().String()), MatchRegexp(`(?i)address already in use|in use|listen`)), p.output())
	})

	// oneClearLine checks that a failed start said why in one line, with no
	// dependency-injection chain, log lines or stack trace.
	oneClearLine := func(p *adeProcess) {
		GinkgoHelper()
		out := strings.TrimSpace(p.stderr.String())
		Expect(strings.Split(out, "\n")).To(HaveLen(1), p.output())
		Expect(out).To(HavePrefix("ade: "))
		Expect(out).NotTo(ContainSubstring("could not build"))
		Expect(out).NotTo(ContainSubstring("func"))
		Expect(out).NotTo(ContainSubstring("goroutine"))
	}

	It("exits with status 2 on an invalid ADE_DATABASE_URL", func() {
		env := baseEnv()
		env["ADE_DATABASE_URL"] = "mysql://root@127.0.0.1/ade"
		p := runAde(env)
		Expect(expectExit(p, 10*time.Second)).To(Equal(2), p.output())
		Expect(p.stderr.String()).To(ContainSubstring("ADE_DATABASE_URL"))
	})

	It("exits with status 2 listing every invalid value", func() {
		env := baseEnv()
		env["ADE_MAX_UPLOAD_BYTES"] = "lots"
		env["ADE_LOG_FORMAT"] = "xml"
		p := runAde(env)
		Expect(expectExit(p, 10*time.Second)).To(Equal(2), p.output())
		Expect(p.stderr.String()).To(And(ContainSubstring("ADE_MAX_UPLOAD_BYTES"), ContainSubstring("ADE_LOG_FORMAT")))
	})

	It("exits non-zero quickly with a clear message when PostgreSQL is unreachable", func() {
		env := baseEnv()
		env["ADE_DATABASE_URL"] = "postgres://x:s3cret-pw@127.0.0.1:1/db?sslmode=disable"
		start := time.Now()
		p := runAde(env)
		Expect(expectExit(p, 20*time.Second)).NotTo(Equal(0), p.output())
		Expect(time.Since(start)).To(BeNumerically("<", 15*time.Second))
		Expect(p.stderr.String()).To(MatchRegexp(`(?i)database|postgres|connect`), p.output())
		Expect(p.stderr.String()+p.stdout.String()).NotTo(ContainSubstring("s3cret-pw"), "the password must not be printed")
		oneClearLine(p)
	})

	It("says in one line why a database refuses it", func() {
		env := baseEnv()
		env["ADE_DATABASE_URL"] = "sqlite:" + filepath.Join(GinkgoT().TempDir(), "missing", "dir", "ade.db")
		env["ADE_DATA_DIR"] = GinkgoT().TempDir()
		p := runAde(env)
		Expect(expectExit(p, 20*time.Second)).To(Equal(1), p.output())
		Expect(p.stderr.String()).To(HavePrefix("ade: database sqlite:"), p.output())
		oneClearLine(p)
	})

	It("logs what an operator needs at start, not the dependency graph", func() {
		srv := startServer(sqliteFiles(), serverOptions{})
		logs := srv.stderr.String()
		Expect(logs).To(ContainSubstring(`"msg":"listening"`), srv.output())
		Expect(logs).NotTo(ContainSubstring("before run"))
		Expect(logs).NotTo(ContainSubstring(`"kind":"provide"`))
		Expect(logs).NotTo(ContainSubstring("OnStart hook"))
	})

	It("lets an in-flight upload finish on SIGTERM, then exits 0", func() {
		srv := startServer(sqliteFiles(), serverOptions{})
		DeferCleanup(func() {
			if CurrentSpecReport().Failed() {
				GinkgoWriter.Println(srv.output())
			}
		})
		ws := "drain-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Drain"}).expect(http.StatusCreated)

		// A multipart body written slowly through a pipe: half, SIGTERM,
		// the rest.
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		data := bytes.Repeat([]byte("slow,upload\n"), 4096)
		req, err := http.NewRequest(http.MethodPost, srv.base+"/api/v1/workspaces/"+ws+"/documents", pr)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+adminKey)
		type result struct {
			status int
			body   []byte
			err    error
		}
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- result{err: err}
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			done <- result{status: res.StatusCode, body: b}
		}()
		hd := textproto.MIMEHeader{}
		hd.Set("Content-Disposition", `form-data; name="file"; filename="slow.csv"`)
		hd.Set("Content-Type", "text/csv")
		part, err := mw.CreatePart(hd)
		Expect(err).NotTo(HaveOccurred())
		_, err = part.Write(data[:len(data)/2])
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(300 * time.Millisecond) // the request is in the handler

		Expect(srv.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		time.Sleep(500 * time.Millisecond)
		Expect(srv.exited()).To(BeFalse(), "the server exited with an upload in flight\n%s", srv.output())
		_, err = part.Write(data[len(data)/2:])
		Expect(err).NotTo(HaveOccurred())
		Expect(mw.Close()).To(Succeed())
		Expect(pw.Close()).To(Succeed())

		var res result
		Eventually(done).WithTimeout(15 * time.Second).Should(Receive(&res))
		Expect(res.err).NotTo(HaveOccurred())
		Expect(res.status).To(Equal(http.StatusCreated), string(res.body))
		var doc map[string]any
		Expect(json.Unmarshal(res.body, &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("byte_size", BeNumerically("==", len(data))))
		Expect(doc).To(HaveKeyWithValue("sha256", sha256Hex(data)))
		Expect(srv.exitCode(stopTimeout)).To(Equal(0), srv.output())
	})

	It("exits 0 at the drain deadline when six slow clients hold connections at SIGTERM", func() {
		srv := startServer(sqliteFiles(), serverOptions{env: map[string]string{"ADE_SHUTDOWN_TIMEOUT": "2s"}})
		host := strings.TrimPrefix(srv.base, "http://")
		dial := func() net.Conn {
			GinkgoHelper()
			c, err := net.Dial("tcp", host)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(c.Close)
			return c
		}
		// Two silent connections, two whose headers stop halfway, two whose
		// upload body stops halfway.
		for range 2 {
			dial()
		}
		for range 2 {
			_, err := io.WriteString(dial(), "GET /health/live HTTP/1.1\r\nHost: ade\r\nX-Slow: ")
			Expect(err).NotTo(HaveOccurred())
		}
		head := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\r\n"
		for range 2 {
			_, err := io.WriteString(dial(), "POST /api/v1/workspaces/default/documents HTTP/1.1\r\nHost: ade\r\n"+
				"Authorization: Bearer "+adminKey+"\r\nContent-Type: multipart/form-data; boundary=B\r\n"+
				fmt.Sprintf("Content-Length: %d\r\n\r\n", len(head)+100000)+head+strings.Repeat("x", 1000))
			Expect(err).NotTo(HaveOccurred())
		}
		time.Sleep(300 * time.Millisecond) // the requests reached the server
		Expect(srv.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Expect(expectExit(srv.adeProcess, 20*time.Second)).To(Equal(0), srv.output())
		Expect(srv.stderr.String()).To(ContainSubstring("drain deadline passed"), srv.output())
		Expect(filesUnder(filepath.Join(srv.dataDir, "blobs"))).To(BeEmpty(), "the cut uploads left nothing")
	})
})
