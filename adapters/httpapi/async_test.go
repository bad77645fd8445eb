package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/ports"
)

var _ = Describe("Asynchronous jobs and idempotency", func() {
	var (
		e            *env
		docID, cfgID string
	)
	BeforeEach(func() {
		e = newEnv(envOptions{})
		docID = e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID = e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
	})

	submit := func(body map[string]any, headers map[string]string, check requestCheck) response {
		GinkgoHelper()
		b, _ := json.Marshal(body)
		req := e.newRequest(nethttp.MethodPost, e.ws("/jobs"), bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return e.do(req, check)
	}
	job := func() map[string]any { return map[string]any{"document_id": docID, "configuration_id": cfgID} }

	It("answers Prefer: respond-async with 202, the pending job and its Location; a worker ends it", func() {
		e.queue.Pause()
		r := submit(job(), map[string]string{"Prefer": "wait=10, respond-async"}, conforming)
		Expect(r.StatusCode).To(Equal(202), string(r.body))
		Expect(r.Header.Get("Preference-Applied")).To(Equal("respond-async"))
		j := r.json()
		Expect(j["status"]).To(Equal("pending"))
		Expect(j["attempts"]).To(BeNumerically("==", 0))
		Expect(r.Header.Get("Location")).To(Equal(e.ws("/jobs/" + j["job_id"].(string))))

		e.queue.Resume()
		Eventually(func() any { return e.get(r.Header.Get("Location")).json()["status"] }, 5*time.Second).Should(Equal("succeeded"))
	})

	It("answers a synchronous submission 202 with the job as it stands when no worker ends it in time", func() {
		e = newEnv(envOptions{syncWait: 200 * time.Millisecond, paused: true})
		docID = e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID = e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		r := submit(job(), nil, conforming)
		Expect(r.StatusCode).To(Equal(202), string(r.body))
		Expect(r.Header.Get("Preference-Applied")).To(BeEmpty())
		Expect(r.json()["status"]).To(Equal("pending"))
	})

	It("replays a repeated submission with its Idempotency-Key and refuses the key with another body", func() {
		first := submit(job(), map[string]string{"Idempotency-Key": "order-7"}, conforming)
		Expect(first.StatusCode).To(Equal(201), string(first.body))
		again := submit(job(), map[string]string{"Idempotency-Key": "order-7"}, conforming)
		Expect(again.StatusCode).To(Equal(201))
		Expect(again.body).To(Equal(first.body), "a terminal job answers byte for byte the same")
		Expect(e.get(e.ws("/jobs")).items()).To(HaveLen(1))

		other := job()
		delete(other, "configuration_id")
		other["document_type"] = "roster"
		expectProblem(submit(other, map[string]string{"Idempotency-Key": "order-7"}, conforming), 409, "conflict")
		expectProblem(submit(job(), map[string]string{"Idempotency-Key": "order-7", "Prefer": "respond-async"}, conforming), 409, "conflict")

		async := submit(job(), map[string]string{"Idempotency-Key": "order-8", "Prefer": "respond-async"}, conforming)
		Expect(async.StatusCode).To(Equal(202))
		replay := submit(job(), map[string]string{"Idempotency-Key": "order-8", "Prefer": "respond-async"}, conforming)
		Expect(replay.StatusCode).To(Equal(202), "the first response's status")
		Expect(replay.json()["job_id"]).To(Equal(async.json()["job_id"]))

		p := expectProblem(submit(job(), map[string]string{"Idempotency-Key": "no spaces"}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("Idempotency-Key"))
		Expect(e.get(e.ws("/jobs")).items()).To(HaveLen(2))
	})

	It("replays an upload with its Idempotency-Key and keeps nothing of the repeat", func() {
		up := func(content string) response {
			body, ct := multipartBody(part{name: "file", filename: "r.csv", contentType: "text/csv", data: []byte(content)},
				field("metadata", `{"k":"v"}`))
			req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Idempotency-Key", "upload-1")
			return e.do(req, conforming)
		}
		before := e.documentCount()
		first := up("x,y\n1,2\n")
		Expect(first.StatusCode).To(Equal(201), string(first.body))
		again := up("x,y\n1,2\n")
		Expect(again.StatusCode).To(Equal(201))
		Expect(again.body).To(Equal(first.body))
		Expect(e.documentCount()).To(Equal(before + 1))
		expectProblem(up("x,y\n3,4\n"), 409, "conflict")
		Expect(e.documentCount()).To(Equal(before + 1))
	})

	It("cancels a running job: 200 cancelled, its worker stops, and a second cancel is 409", func() {
		e = newEnv(envOptions{extractors: []ports.Extractor{waiter{}}})
		docID = e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID = e.configured("slow", map[string]any{"extractor": "waiter"})["configuration_id"].(string)
		r := submit(job(), map[string]string{"Prefer": "respond-async"}, conforming)
		Expect(r.StatusCode).To(Equal(202))
		id := r.json()["job_id"].(string)
		Eventually(waiterStarted, 5*time.Second).Should(Receive(Equal(id)))
		// The start is stored once the run has lasted the job start delay.
		Eventually(func() any { return e.get(e.ws("/jobs/" + id)).json()["status"] }, 5*time.Second).Should(Equal("running"))

		c := e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+id+"/cancel"), nil), conforming)
		Expect(c.StatusCode).To(Equal(200), string(c.body))
		Expect(c.json()["status"]).To(Equal("cancelled"))
		Eventually(waiterStopped, 5*time.Second).Should(Receive(Equal(id)))
		expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+id+"/cancel"), nil), conforming), 409, "conflict")
		Expect(eventTypes(e.get(e.ws("/jobs/" + id + "/events")))).To(Equal([]string{"job.created", "job.status.running", "job.status.cancelled"}))
	})

	It("feeds 50 idle event streams without reading the events again until one commits", func() {
		e = newEnv(envOptions{paused: true, countEvents: true})
		docID = e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID = e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		r := submit(job(), map[string]string{"Prefer": "respond-async"}, conforming)
		id := r.json()["job_id"].(string)
		const streams = 50
		var wg sync.WaitGroup
		bodies := make([][]byte, streams)
		opened := make(chan struct{}, streams)
		for i := range streams {
			wg.Go(func() {
				defer GinkgoRecover()
				resp, err := e.client.Do(e.newRequest(nethttp.MethodGet, e.ws("/jobs/"+id+"/events?stream=true"), nil))
				Expect(err).NotTo(HaveOccurred())
				defer resp.Body.Close()
				rd := bufio.NewReader(resp.Body)
				line, err := rd.ReadString('\n')
				Expect(err).NotTo(HaveOccurred())
				opened <- struct{}{}
				rest, err := io.ReadAll(rd)
				Expect(err).NotTo(HaveOccurred())
				bodies[i] = append([]byte(line), rest...)
			})
		}
		for range streams {
			Eventually(opened, 5*time.Second).Should(Receive())
		}
		reads := e.eventReads.Load()
		time.Sleep(time.Second)
		Expect(e.eventReads.Load()).To(Equal(reads), "idle streams read nothing")

		e.queue.Resume()
		wg.Wait()
		for _, b := range bodies {
			msgs := parseSSE(b)
			Expect(msgs).To(HaveLen(3))
			Expect(msgs[2].event).To(Equal("job.status.succeeded"))
		}
	})
})

var _ = Describe("Webhooks", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("registers, lists, reads, delivers with a log, and deletes", func() {
		var mu sync.Mutex
		var got []nethttp.Header
		receiver := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			mu.Lock()
			got = append(got, r.Header.Clone())
			n := len(got)
			mu.Unlock()
			if n == 1 {
				w.WriteHeader(503)
				return
			}
			w.WriteHeader(204)
		}))
		DeferCleanup(receiver.Close)

		r := e.postJSON(e.ws("/webhooks"), map[string]any{"url": receiver.URL + "/ade", "events": []string{"job.status.succeeded"}})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		hook := r.json()
		id := hook["webhook_id"].(string)
		Expect(hook["secret"]).To(HavePrefix("whsec_"))
		Expect(r.Header.Get("Location")).To(Equal(e.ws("/webhooks/" + id)))

		listed := e.get(e.ws("/webhooks")).items()
		Expect(listed).To(HaveLen(1))
		Expect(listed[0].(map[string]any)).NotTo(HaveKey("secret"), "the secret is shown once")
		Expect(e.get(e.ws("/webhooks/" + id)).json()).NotTo(HaveKey("secret"))

		docID := e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID := e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		Expect(e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}).StatusCode).To(Equal(201))
		Expect(e.queue.WaitIdle(context.Background())).To(Succeed())

		log := e.get(e.ws("/webhooks/" + id + "/deliveries")).items()
		Expect(log).To(HaveLen(2))
		latest, earliest := log[0].(map[string]any), log[1].(map[string]any)
		Expect(earliest["attempt"]).To(BeNumerically("==", 1))
		Expect(earliest["status_code"]).To(BeNumerically("==", 503))
		Expect(earliest["error"]).To(ContainSubstring("503"))
		Expect(latest["attempt"]).To(BeNumerically("==", 2))
		Expect(latest["status_code"]).To(BeNumerically("==", 204))
		Expect(latest["error"]).To(BeNil())
		mu.Lock()
		Expect(got[1].Get("ADE-Signature")).To(MatchRegexp(`^t=\d+,v1=[0-9a-f]{64}$`))
		mu.Unlock()

		d := e.do(e.newRequest(nethttp.MethodDelete, e.ws("/webhooks/"+id), nil), conforming)
		Expect(d.StatusCode).To(Equal(204))
		expectProblem(e.get(e.ws("/webhooks/"+id)), 404, "not_found")
		expectProblem(e.get(e.ws("/webhooks/"+id+"/deliveries")), 404, "not_found")
		expectProblem(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/webhooks/"+id), nil), conforming), 404, "not_found")
		Expect(eventTypes(e.get(e.ws("/events?entity_type=webhook")))).To(Equal([]string{"webhook.deleted", "webhook.created"}))
	})

	DescribeTable("refuses bad registrations",
		func(body map[string]any, status int, code, field string, check requestCheck) {
			p := expectProblem(e.postJSON(e.ws("/webhooks"), body, check), status, code)
			Expect(fieldsOf(p)).To(ContainElement(field))
		},
		Entry("no url", map[string]any{"events": []string{"job.status.failed"}}, 400, "invalid_request", "url", nonconforming),
		Entry("no events", map[string]any{"url": "https://example.com/x", "events": []string{}}, 400, "invalid_request", "events", nonconforming),
		Entry("a non-terminal event", map[string]any{"url": "https://example.com/x", "events": []string{"job.created"}}, 400, "invalid_request", "events[0]", nonconforming),
		Entry("an ftp url", map[string]any{"url": "ftp://example.com/x", "events": []string{"job.status.failed"}}, 400, "invalid_request", "url", proseOnly),
	)

	It("refuses a URL of the server's own network with 422 unless private addresses are allowed", func() {
		e = newEnv(envOptions{strictWebhooks: true})
		p := expectProblem(e.postJSON(e.ws("/webhooks"), map[string]any{"url": "http://127.0.0.1:8080/x", "events": []string{"job.status.failed"}}), 422, "unprocessable")
		Expect(fieldsOf(p)).To(ConsistOf("url"))
		Expect(e.get(e.ws("/webhooks")).items()).To(BeEmpty())
	})
})

// waiter is an extractor that waits for its context to end, reporting
// when it starts and stops waiting.
type waiter struct{}

var waiterStarted, waiterStopped = make(chan string, 8), make(chan string, 8)

func (waiter) Name() string                         { return "waiter" }
func (waiter) ValidatePayload(map[string]any) error { return nil }
func (waiter) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	waiterStarted <- req.JobID
	<-ctx.Done()
	waiterStopped <- req.JobID
	return ports.ExtractionResult{}, ctx.Err()
}
