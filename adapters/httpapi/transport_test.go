package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Hostile and slow clients: every connection is bounded in time, the
// number of connections is capped, and shutdown ends whatever is left. The
// timeouts here are short so the specs run quickly; the limits they check
// are the same at any scale.
var _ = Describe("Connections", func() {
	// dial opens a raw connection to the server.
	dial := func(e *env) net.Conn {
		GinkgoHelper()
		c, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		return c
	}
	// closedByServer waits until the server closes c (a read returns EOF
	// or a reset after whatever answer it sent) and returns what it sent.
	closedByServer := func(c net.Conn, within time.Duration) string {
		GinkgoHelper()
		Expect(c.SetReadDeadline(time.Now().Add(within))).To(Succeed())
		got, err := io.ReadAll(c)
		var ne net.Error
		Expect(errors.As(err, &ne) && ne.Timeout()).To(BeFalse(), "the server still holds the connection after %s (read %q)", within, got)
		return string(got)
	}
	uploadHead := func(e *env, boundary string, length int) string {
		return "POST " + e.ws("/documents") + " HTTP/1.1\r\nHost: ade\r\nAuthorization: Bearer " + e.admin.Text +
			"\r\nContent-Type: multipart/form-data; boundary=" + boundary +
			"\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n"
	}

	Describe("timeouts", func() {
		var e *env
		BeforeEach(func() {
			e = newEnv(envOptions{transport: httpapi.Transport{
				HeaderTimeout: 400 * time.Millisecond, BodyTimeout: 400 * time.Millisecond, BodyMinRate: 64 << 10,
				IdleTimeout: 400 * time.Millisecond,
			}})
		})

		It("closes a connection that sends nothing once the header timeout passes", func() {
			c := dial(e)
			got := closedByServer(c, 10*time.Second)
			Expect(got).To(Or(BeEmpty(), HavePrefix("HTTP/1.1 408")))
		})

		It("answers 408 and closes a connection whose headers trickle in", func() {
			c := dial(e)
			_, err := io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: ade\r\n")
			Expect(err).NotTo(HaveOccurred())
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				// One header byte every 100 ms: each arrives well within the
				// timeout, the headers as a whole never do.
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := c.Write([]byte{'X'}); err != nil {
						return
					}
				}
			}()
			got := closedByServer(c, 10*time.Second)
			close(stop)
			<-done
			Expect(got).To(HavePrefix("HTTP/1.1 408"))
			Expect(got).To(ContainSubstring(`"code":"invalid_request"`))
		})

		It("closes a kept-alive connection once it has been idle for the idle timeout", func() {
			c := dial(e)
			_, err := io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: ade\r\n\r\n")
			Expect(err).NotTo(HaveOccurred())
			res, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.StatusCode).To(Equal(200))
			_, _ = io.Copy(io.Discard, res.Body)
			Expect(closedByServer(c, 10*time.Second)).To(BeEmpty())
		})

		It("answers 408 to an upload whose body trickles, and keeps nothing of it", func() {
			c := dial(e)
			head := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\nContent-Type: text/csv\r\n\r\n"
			_, err := io.WriteString(c, uploadHead(e, "B", len(head)+40000)+head)
			Expect(err).NotTo(HaveOccurred())
			done := make(chan struct{})
			go func() {
				defer close(done)
				// A byte every 100 ms: each read is served in time, but the
				// body falls ever further behind the minimum rate.
				for range 400 {
					time.Sleep(100 * time.Millisecond)
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
				}
			}()
			got := closedByServer(c, 15*time.Second)
			<-done
			Expect(got).To(HavePrefix("HTTP/1.1 408"))
			Expect(got).To(ContainSubstring(`"code":"invalid_request"`))
			Expect(e.documentCount()).To(BeZero())
			e.noBlobsLeft()
		})

		It("answers 408 to a JSON body that stops arriving", func() {
			c := dial(e)
			body := `{"slug":"slow","name":"` + strings.Repeat("n", 20000) + `"}`
			_, err := io.WriteString(c, "POST /api/v1/workspaces HTTP/1.1\r\nHost: ade\r\nAuthorization: Bearer "+e.admin.Text+
				"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body[:10000])
			Expect(err).NotTo(HaveOccurred())
			got := closedByServer(c, 10*time.Second)
			Expect(got).To(HavePrefix("HTTP/1.1 408"))
			Expect(e.get("/api/v1/workspaces").items()).To(HaveLen(1), "only the default workspace")
		})
	})

	It("lets a large upload at a steady rate run far longer than every timeout", func() {
		const size = 24 << 20
		e := newEnv(envOptions{maxUpload: 32 << 20, transport: httpapi.Transport{
			HeaderTimeout: time.Second, BodyTimeout: time.Second, BodyMinRate: 1 << 20, IdleTimeout: time.Second,
		}})
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		h := sha256.New()
		go func() {
			defer GinkgoRecover()
			hd := textproto.MIMEHeader{}
			hd.Set("Content-Disposition", `form-data; name="file"; filename="big.csv"`)
			hd.Set("Content-Type", "text/csv")
			part, err := mw.CreatePart(hd)
			Expect(err).NotTo(HaveOccurred())
			chunk := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
			// 64 KiB every 10 ms: about 6 MiB/s, for four seconds or so.
			for sent := 0; sent < size; sent += len(chunk) {
				time.Sleep(10 * time.Millisecond)
				h.Write(chunk)
				if _, err := part.Write(chunk); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			Expect(mw.WriteField("metadata", `{"rate":"steady"}`)).To(Succeed())
			Expect(mw.Close()).To(Succeed())
			Expect(pw.Close()).To(Succeed())
		}()
		req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		client := &nethttp.Client{Timeout: time.Minute}
		res, err := client.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.StatusCode).To(Equal(201), string(body))
		var doc map[string]any
		Expect(jsonUnmarshal(body, &doc)).To(Succeed())
		Expect(doc["byte_size"]).To(BeNumerically("==", size))
		Expect(doc["sha256"]).To(Equal(hex.EncodeToString(h.Sum(nil))))
	})

	Describe("the connection cap", func() {
		It("answers 503 with Retry-After past the cap, closes idle connections, and serves again", func() {
			const held, extra = 100, 400
			e := newEnv(envOptions{transport: httpapi.Transport{
				HeaderTimeout: 20 * time.Second, IdleTimeout: 2 * time.Second, MaxConnections: held,
			}})
			// 500 connections: the first 100 fill the cap, the other 400
			// come past it; then each makes one request, and the served
			// ones idle.
			conns := make([]net.Conn, 0, held+extra)
			for range held {
				conns = append(conns, dial(e))
			}
			Eventually(e.server.OpenConnections).Should(Equal(held))
			for range extra {
				conns = append(conns, dial(e))
			}
			type outcome struct {
				status int
				retry  string
			}
			outcomes := make([]outcome, len(conns))
			var wg sync.WaitGroup
			for i, c := range conns {
				wg.Go(func() {
					defer GinkgoRecover()
					_, _ = io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: ade\r\n\r\n")
					Expect(c.SetReadDeadline(time.Now().Add(20 * time.Second))).To(Succeed())
					res, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
					Expect(err).NotTo(HaveOccurred())
					_, _ = io.Copy(io.Discard, res.Body)
					outcomes[i] = outcome{status: res.StatusCode, retry: res.Header.Get("Retry-After")}
				})
			}
			wg.Wait()
			for i, o := range outcomes {
				if i < held {
					Expect(o.status).To(Equal(200), "connection %d is within the cap", i)
					continue
				}
				Expect(o.status).To(Equal(503), "connection %d is past the cap", i)
				Expect(o.retry).To(Equal("5"))
			}

			// The held connections idle out; then the server serves again.
			for _, c := range conns[:held] {
				Expect(closedByServer(c, 20*time.Second)).To(BeEmpty())
			}
			Eventually(e.server.OpenConnections).WithTimeout(10 * time.Second).Should(BeZero())
			Expect(e.get("/health/live").StatusCode).To(Equal(200))
			m := string(e.get("/metrics").body)
			Expect(m).To(ContainSubstring(fmt.Sprintf("ade_http_connections_refused_total %d", extra)))
		})

		It("answers a refused connection with a problem document", func() {
			e := newEnv(envOptions{transport: httpapi.Transport{HeaderTimeout: 5 * time.Second, MaxConnections: 1}})
			dial(e)
			Eventually(e.server.OpenConnections).Should(Equal(1))
			second := dial(e)
			_, _ = io.WriteString(second, "GET /health/live HTTP/1.1\r\nHost: ade\r\n\r\n")
			res, err := nethttp.ReadResponse(bufio.NewReader(second), nil)
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(res.Body)
			Expect(res.StatusCode).To(Equal(503))
			Expect(res.Header.Get("Retry-After")).To(Equal("5"))
			Expect(res.Header.Get("Content-Type")).To(Equal("application/problem+json"))
			Expect(res.Header.Get("X-Request-ID")).NotTo(BeEmpty())
			var p map[string]any
			Expect(jsonUnmarshal(body, &p)).To(Succeed())
			Expect(p).To(HaveKeyWithValue("code", "service_unavailable"))
			Expect(p).To(HaveKeyWithValue("request_id", res.Header.Get("X-Request-ID")))
			Expect(spec.Components.Schemas["Problem"].Value.VisitJSON(p)).To(Succeed())
		})
	})

	It("shuts down past slow clients: idle ones at once, in-flight requests until the drain deadline, then closes the rest", func() {
		e := newEnv(envOptions{transport: httpapi.Transport{
			HeaderTimeout: time.Minute, BodyTimeout: time.Minute, BodyMinRate: 1, IdleTimeout: time.Minute,
		}})
		// Two silent connections, two whose headers stop halfway, two whose
		// upload body stops halfway: six connections that would hold a
		// shutdown for a minute without a drain deadline.
		var conns []net.Conn
		for range 2 {
			conns = append(conns, dial(e))
		}
		for range 2 {
			c := dial(e)
			_, err := io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: ade\r\nX-Slow: ")
			Expect(err).NotTo(HaveOccurred())
			conns = append(conns, c)
		}
		for range 2 {
			c := dial(e)
			head := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\r\n"
			_, err := io.WriteString(c, uploadHead(e, "B", len(head)+100000)+head+strings.Repeat("x", 20000))
			Expect(err).NotTo(HaveOccurred())
			conns = append(conns, c)
		}
		Eventually(e.server.OpenConnections).Should(Equal(6))

		start := time.Now()
		Expect(e.server.ShutdownWithTimeout(2*time.Second)).To(Succeed(), "the drain deadline ends the shutdown, not an error")
		elapsed := time.Since(start)
		for _, c := range conns {
			closedByServer(c, 5*time.Second)
		}
		Expect(e.server.OpenConnections()).To(BeZero())
		Expect(elapsed).To(BeNumerically("<", 30*time.Second), "the shutdown ended at its drain deadline")
		Expect(e.logText()).To(ContainSubstring("drain deadline passed"))
		Expect(e.documentCount()).To(BeZero(), "the cut uploads stored nothing")
	})
})

// panickyEvents is an event repository whose List panics, as a bug would.
type panickyEvents struct{ ports.EventRepository }

func (panickyEvents) List(context.Context, string, ports.EventFilter, ports.Page) ([]*domain.Event, error) {
	panic("bug: a nil map in secret_internal_table")
}

var _ = Describe("A handler that panics", func() {
	It("answers 500 internal with no detail, logs the stack under the request id, counts it, and keeps serving", func() {
		e := newEnv(envOptions{events: func(r ports.EventRepository) ports.EventRepository { return panickyEvents{r} }})
		r := e.get(e.ws("/events"))
		p := expectProblem(r, 500, "internal")
		Expect(string(r.body)).NotTo(ContainSubstring("secret_internal_table"))
		Expect(string(r.body)).NotTo(ContainSubstring("goroutine"))
		Expect(p["detail"]).To(Equal("the server failed to handle the request; quote the request id when reporting it"))
		log := e.logText()
		Expect(log).To(ContainSubstring(`"msg":"handler panicked"`))
		Expect(log).To(ContainSubstring(`"request_id":"` + r.Header.Get("X-Request-ID") + `"`))
		Expect(log).To(ContainSubstring("secret_internal_table"))
		Expect(log).To(MatchRegexp(`"stack":"goroutine \d+`))
		Expect(string(e.get("/metrics").body)).To(ContainSubstring("ade_http_panics_total 1"))
		Expect(e.get("/health/live").StatusCode).To(Equal(200))
		Expect(e.get(e.ws("/documents")).StatusCode).To(Equal(200))
	})
})
