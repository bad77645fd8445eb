package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/webhooksender"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// receiver is a webhook endpoint that records deliveries and answers with
// the next status of its script (200 once the script runs out).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivered
	script []int
}

type delivered struct {
	header http.Header
	body   []byte
}

func newReceiver(script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivered{req.Header.Clone(), body})
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	DeferCleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.got...)
}

// verify checks a delivery's ADE-Signature the way a receiver does.
func verify(d delivered, secret string) {
	GinkgoHelper()
	sig := d.header.Get("ADE-Signature")
	parts := strings.Split(sig, ",")
	Expect(parts).To(HaveLen(2), sig)
	Expect(parts[0]).To(HavePrefix("t="))
	Expect(parts[1]).To(HavePrefix("v1="))
	t := strings.TrimPrefix(parts[0], "t=")
	_, err := strconv.ParseInt(t, 10, 64)
	Expect(err).NotTo(HaveOccurred())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "." + string(d.body)))
	Expect(hmac.Equal([]byte(strings.TrimPrefix(parts[1], "v1=")), []byte(hex.EncodeToString(mac.Sum(nil))))).To(BeTrue(), "signature matches")
}

var _ = Describe("Webhooks", func() {
	var e *env
	BeforeEach(func() {
		e = newEnvWith(4, webhooksender.New(webhooksender.Options{AllowPrivate: true, Timeout: 2 * time.Second}), app.Config{})
	})

	register := func(url string, events ...string) *domain.Webhook {
		GinkgoHelper()
		w, err := e.app.Webhooks.Create(e.ctx, app.CreateWebhookRequest{WorkspaceID: e.ws, URL: url, Events: events})
		Expect(err).NotTo(HaveOccurred())
		return w
	}
	deliveries := func(w *domain.Webhook) []domain.WebhookDelivery {
		GinkgoHelper()
		p, err := e.app.Webhooks.Deliveries(e.ctx, e.ws, w.ID(), app.PageRequest{Limit: 200})
		Expect(err).NotTo(HaveOccurred())
		return p.Items
	}

	It("delivers a signed job event to each webhook subscribed to it, once, and logs it", func() {
		ok, failed := newReceiver(), newReceiver()
		onSuccess := register(ok.URL+"/hook", domain.EventJobSucceeded, domain.EventJobSucceeded)
		Expect(onSuccess.State().Events).To(Equal([]string{domain.EventJobSucceeded}), "duplicates dropped")
		onFailure := register(failed.URL, domain.EventJobFailed)
		Expect(onSuccess.Secret()).To(HavePrefix("whsec_"))
		Expect(len(onSuccess.Secret())).To(BeNumerically(">=", 26))

		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())

		got := ok.deliveries()
		Expect(got).To(HaveLen(1))
		Expect(failed.deliveries()).To(BeEmpty())
		verify(got[0], onSuccess.Secret())
		Expect(got[0].header.Get("Content-Type")).To(Equal("application/json"))
		Expect(got[0].header.Get("ADE-Event-Type")).To(Equal(domain.EventJobSucceeded))
		var body map[string]any
		Expect(json.Unmarshal(got[0].body, &body)).To(Succeed())
		Expect(body).To(HaveKeyWithValue("event_type", domain.EventJobSucceeded))
		Expect(body).To(HaveKeyWithValue("entity_id", j.ID()))
		Expect(body).To(HaveKeyWithValue("event_id", got[0].header.Get("ADE-Event-ID")))

		log := deliveries(onSuccess)
		Expect(log).To(HaveLen(1))
		Expect(log[0].Attempt).To(Equal(1))
		Expect(log[0].StatusCode).To(Equal(200))
		Expect(log[0].Error).To(BeEmpty())
		Expect(log[0].EventType).To(Equal(domain.EventJobSucceeded))
		Expect(deliveries(onFailure)).To(BeEmpty())
	})

	It("retries with backoff until the receiver answers 2xx, logging every attempt", func() {
		flaky := newReceiver(500, 503)
		w := register(flaky.URL, domain.EventJobFailed)
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub", "fail": "nope"})
		_, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())
		Expect(flaky.deliveries()).To(HaveLen(3))
		log := deliveries(w)
		Expect(log).To(HaveLen(3))
		Expect([]int{log[2].StatusCode, log[1].StatusCode, log[0].StatusCode}).To(Equal([]int{500, 503, 200}))
		Expect([]int{log[2].Attempt, log[1].Attempt, log[0].Attempt}).To(Equal([]int{1, 2, 3}))
		Expect(log[2].Error).To(ContainSubstring("500"))
		// Every attempt carries the same event, signed afresh.
		for _, d := range flaky.deliveries() {
			verify(d, w.Secret())
			Expect(d.body).To(Equal(flaky.deliveries()[0].body))
		}
	})

	It("gives up after the last attempt when the receiver is down", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		down := "http://" + ln.Addr().String() + "/hook"
		Expect(ln.Close()).To(Succeed())
		w := register(down, domain.EventJobSucceeded)
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		_, err = e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())
		log := deliveries(w)
		Expect(log).To(HaveLen(fastRetries[ports.TaskDeliverWebhook].MaxAttempts))
		for _, d := range log {
			Expect(d.StatusCode).To(BeZero())
			Expect(d.Error).To(ContainSubstring("refused"))
		}
	})

	It("delivers a cancellation, and nothing to a deleted webhook", func() {
		r := newReceiver()
		live := register(r.URL+"/live", domain.EventJobCancelled)
		gone := register(r.URL+"/gone", domain.EventJobCancelled)
		Expect(e.app.Webhooks.Delete(e.ctx, e.ws, gone.ID())).To(Succeed())
		Expect(e.app.Webhooks.Delete(e.ctx, e.ws, gone.ID())).To(MatchError(domain.ErrNotFound))
		_, err := e.app.Webhooks.Get(e.ctx, e.ws, gone.ID())
		Expect(err).To(MatchError(domain.ErrNotFound))

		e.queue.Pause()
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		_, err = e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
		Expect(err).NotTo(HaveOccurred())
		e.queue.Resume()
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())
		got := r.deliveries()
		Expect(got).To(HaveLen(1))
		Expect(got[0].header.Get("ADE-Webhook-ID")).To(Equal(live.ID()))
		Expect(got[0].header.Get("ADE-Event-Type")).To(Equal(domain.EventJobCancelled))

		page, err := e.app.Webhooks.List(e.ctx, e.ws, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Items).To(HaveLen(1))
		evs, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{EntityType: domain.EntityWebhook, Ascending: true}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(types(evs.Items)).To(Equal([]string{domain.EventWebhookCreated, domain.EventWebhookCreated, domain.EventWebhookDeleted}))
		for _, ev := range evs.Items {
			raw, _ := json.Marshal(ev.State().Payload)
			Expect(string(raw)).NotTo(ContainSubstring("whsec_"), "an event never carries the secret")
		}
	})

	DescribeTable("refuses registrations that are malformed or reach the server's own network",
		func(allowPrivate bool, url string, events []string, kind error, field string) {
			e = newEnvWith(0, webhooksender.New(webhooksender.Options{AllowPrivate: allowPrivate, Timeout: time.Second}), app.Config{})
			_, err := e.app.Webhooks.Create(e.ctx, app.CreateWebhookRequest{WorkspaceID: e.ws, URL: url, Events: events})
			Expect(err).To(MatchError(kind))
			Expect(fieldsOf(err)).To(ContainElement(field))
			page, _ := e.app.Webhooks.List(e.ctx, e.ws, app.PageRequest{})
			Expect(page.Items).To(BeEmpty())
		},
		Entry("loopback address", false, "http://127.0.0.1:9/hook", []string{domain.EventJobFailed}, domain.ErrUnprocessable, "url"),
		Entry("loopback name", false, "http://localhost/hook", []string{domain.EventJobFailed}, domain.ErrUnprocessable, "url"),
		Entry("private address", false, "https://10.1.2.3/hook", []string{domain.EventJobFailed}, domain.ErrUnprocessable, "url"),
		Entry("link-local (cloud metadata)", false, "http://169.254.169.254/latest", []string{domain.EventJobFailed}, domain.ErrUnprocessable, "url"),
		Entry("IPv6 loopback", false, "http://[::1]/hook", []string{domain.EventJobFailed}, domain.ErrUnprocessable, "url"),
		Entry("not http", true, "ftp://example.com/x", []string{domain.EventJobFailed}, domain.ErrInvalidInput, "url"),
		Entry("credentials", true, "https://user:pw@example.com/x", []string{domain.EventJobFailed}, domain.ErrInvalidInput, "url"),
		Entry("no events", true, "https://example.com/x", []string{}, domain.ErrInvalidInput, "events"),
		Entry("not a terminal event", true, "https://example.com/x", []string{domain.EventJobCreated}, domain.ErrInvalidInput, "events[0]"),
	)
})
