package e2e_test

import (
	"fmt"
	"net/http"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Load shape: bounded in count, loopback only.
const (
	loadClients = 8
	loadRounds  = 10
)

// describeLoad registers a bounded concurrent-load spec on the server srv
// returns: clients upload, submit and read back at once; every record must
// be there afterwards, every job terminal with its three events.
func describeLoad(srv func() *adeServer) {
	It("keeps every record under concurrent uploads and submissions", func() {
		s := srv()
		ws := "load-" + randomHex(6)
		s.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Load " + ws}).expect(http.StatusCreated)
		api := "/api/v1/workspaces/" + ws
		cfg := s.postJSON(api+"/configurations", map[string]any{
			"document_type": "roster", "title": "Roster", "payload": map[string]any{"extractor": "stub"},
		}).expect(http.StatusCreated).ID("configuration_id")

		var (
			mu     sync.Mutex
			jobs   = map[string]string{} // job id -> document id
			wg     sync.WaitGroup
			failed = 0
		)
		for c := range loadClients {
			wg.Go(func() {
				defer GinkgoRecover()
				for r := range loadRounds {
					body := fmt.Sprintf("%s%d,%d,client%d@example.com\n", rosterCSV, c, r, c)
					doc := s.upload(ws, &filePart{name: fmt.Sprintf("c%d-r%d.csv", c, r), contentType: "text/csv", data: []byte(body)}).
						expect(http.StatusCreated).ID("document_id")
					payload := map[string]any{"document_id": doc, "configuration_id": cfg}
					if r%5 == 4 {
						// Every fifth job asks the stub to fail: failures under load end terminal too.
						payload = map[string]any{"document_id": doc, "configuration_id": failingConfig(s, api)}
					}
					job := s.postJSON(api+"/jobs", payload).expect(http.StatusCreated).JSON()
					Expect(job["status"]).To(BeElementOf("succeeded", "failed"))
					mu.Lock()
					jobs[job["job_id"].(string)] = doc
					if job["status"] == "failed" {
						failed++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		total := loadClients * loadRounds
		Expect(jobs).To(HaveLen(total))
		Expect(failed).To(Equal(total / 5))
		docs := s.get(api + "/documents?limit=200").expect(http.StatusOK).Items()
		Expect(docs).To(HaveLen(total), "every upload is listed once")
		for id, doc := range jobs {
			got := s.get(api + "/jobs/" + id).expect(http.StatusOK).JSON()
			Expect(got["input_document_id"]).To(Equal(doc))
			Expect(got["status"]).To(BeElementOf("succeeded", "failed"))
			Expect(typesOf(s.get(api + "/jobs/" + id + "/events").Items())).To(HaveExactElements(
				"job.created", "job.status.running", BeElementOf("job.status.succeeded", "job.status.failed")))
		}
		Expect(s.get(api + "/jobs?status=running").Items()).To(BeEmpty())
		Expect(s.get(api + "/jobs?status=pending").Items()).To(BeEmpty())
	})
}

// failingConfig returns the id of a stub configuration that fails on
// purpose, creating it on first use in the workspace of api.
var failingConfigs sync.Map // api -> configuration id

func failingConfig(s *adeServer, api string) string {
	GinkgoHelper()
	if id, ok := failingConfigs.Load(api); ok {
		return id.(string)
	}
	id := s.postJSON(api+"/configurations", map[string]any{
		"document_type": "roster-failing", "title": "Failing", "payload": map[string]any{"extractor": "stub", "fail": "asked to fail"},
	}).expect(http.StatusCreated).ID("configuration_id")
	actual, _ := failingConfigs.LoadOrStore(api, id)
	return actual.(string)
}
