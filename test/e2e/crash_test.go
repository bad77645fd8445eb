package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/pgtest"
)

// postgresFiles runs on a fresh schema of the server at
// ADE_TEST_DATABASE_URL (one per container, so a restarted server finds
// its predecessor's rows) with blobs in the data directory.
func postgresFiles() *backend {
	var dbURL string
	return &backend{
		name:    "PostgreSQL + file://",
		prepare: func() { dbURL = pgtest.FreshSchema("crash") },
		storage: func(s *adeServer) map[string]string {
			s.blobKeys = func() []string { return filesUnder(filepath.Join(s.dataDir, "blobs")) }
			return map[string]string{"ADE_DATABASE_URL": dbURL, "ADE_BLOB_URL": ""}
		},
	}
}

// crashPayload is a tabular configuration that writes a CSV output per
// table, so a job stores blobs of its own.
const crashPayload = `{"extractor":"tabular","fields":[{"name":"first_name","synonyms":["given name"]},` +
	`{"name":"last_name","synonyms":["surname"]},{"name":"email","synonyms":["e-mail"]}],"output_format":"csv"}`

// A server killed with SIGKILL in the middle of 20 uploads and 20 jobs,
// then restarted on the same database and blob store, keeps every promise
// it made: each upload and job it answered as a success is still there as
// answered, no blob is left without its document row (the crash debris is
// reclaimed once the dead process's lease lapses), no document row lacks
// its bytes, and no job output exists without its succeeded job.
var _ = Describe("kill -9 during uploads and jobs", Label("fault"), func() {
	for _, b := range []*backend{sqliteFiles(), postgresFiles()} {
		Context("on "+b.name, Ordered, func() {
			BeforeAll(func() { b.prepare() })

			It("leaves no orphan blob, no half-written row, and every answered success true after a restart", func() {
				env := map[string]string{"ADE_INSTANCE_LEASE": "1s", "ADE_PURGE_INTERVAL": "1s", "ADE_SHUTDOWN_TIMEOUT": "2s"}
				srv := startServer(b, serverOptions{env: env})
				slug := "crash-" + randomHex(4)
				wsID := srv.postJSON("/api/v1/workspaces", map[string]any{"slug": slug, "name": "Crash"}).expect(http.StatusCreated).ID("workspace_id")
				api := "/api/v1/workspaces/" + slug

				var big strings.Builder
				big.WriteString("Given Name,Surname,E-mail\n")
				for i := range 20000 {
					fmt.Fprintf(&big, "Person%d,Family%d,p%d@example.com\n", i, i, i)
				}
				input := srv.upload(slug, &filePart{name: "big.csv", contentType: "text/csv", data: []byte(big.String())}).
					expect(http.StatusCreated).ID("document_id")
				cfg := srv.postJSON(api+"/configurations", `{"document_type":"people","title":"People","payload":`+crashPayload+`}`).
					expect(http.StatusCreated).ID("configuration_id")

				// Requests of the storm, sent without assertions: the
				// server dies under them.
				raw := &http.Client{Timeout: 60 * time.Second}
				post := func(path, contentType string, body []byte) (int, map[string]any) {
					req, _ := http.NewRequest(http.MethodPost, srv.base+path, bytes.NewReader(body))
					req.Header.Set("Content-Type", contentType)
					req.Header.Set("Authorization", "Bearer "+adminKey)
					res, err := raw.Do(req)
					if err != nil {
						return 0, nil
					}
					defer res.Body.Close()
					var m map[string]any
					if json.NewDecoder(res.Body).Decode(&m) != nil {
						return 0, nil
					}
					return res.StatusCode, m
				}

				var (
					mu         sync.Mutex
					uploadedOK = map[string]string{} // document id: sha256 the client computed
					jobsOK     = map[string]string{} // job id: status answered
					jobsDone   atomic.Int32
					uploadsOK  atomic.Int32
					wg         sync.WaitGroup
				)
				for i := range 20 {
					wg.Go(func() {
						status, m := post(api+"/jobs", "application/json",
							[]byte(`{"document_id":"`+input+`","configuration_id":"`+cfg+`"}`))
						if status == http.StatusCreated || status == http.StatusOK {
							mu.Lock()
							jobsOK[m["job_id"].(string)] = m["status"].(string)
							mu.Unlock()
							jobsDone.Add(1)
						}
					})
					if i%2 == 0 {
						// A complete upload, answered or cut off.
						wg.Go(func() {
							data := []byte(strings.Repeat(fmt.Sprintf("row %d %s\n", i, randomHex(8)), 8000))
							body, ct := multipartBody(&filePart{name: fmt.Sprintf("u%d.txt", i), contentType: "text/plain", data: data})
							status, m := post(api+"/documents", ct, body)
							if status == http.StatusCreated {
								sum := sha256.Sum256(data)
								mu.Lock()
								uploadedOK[m["document_id"].(string)] = hex.EncodeToString(sum[:])
								mu.Unlock()
								uploadsOK.Add(1)
							}
						})
						continue
					}
					// An upload whose body stops half-way: its bytes are
					// being stored when the server dies.
					body, ct := multipartBody(&filePart{name: fmt.Sprintf("half%d.txt", i), contentType: "text/plain",
						data: bytes.Repeat([]byte("half-written line\n"), 40000)})
					conn, err := net.Dial("tcp", strings.TrimPrefix(srv.base, "http://"))
					Expect(err).NotTo(HaveOccurred())
					DeferCleanup(conn.Close)
					head := fmt.Sprintf("POST %s/documents HTTP/1.1\r\nHost: ade\r\nAuthorization: Bearer %s\r\n"+
						"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", api, adminKey, ct, len(body))
					_, err = conn.Write(append([]byte(head), body[:len(body)/2]...))
					Expect(err).NotTo(HaveOccurred())
				}

				Eventually(func() bool { return jobsDone.Load() >= 3 && uploadsOK.Load() >= 5 }).
					WithTimeout(90*time.Second).WithPolling(5*time.Millisecond).Should(BeTrue(), srv.output())
				srv.kill()
				wg.Wait()
				GinkgoWriter.Printf("killed with %d of 20 jobs and %d of 10 complete uploads answered as successes\n", len(jobsOK), len(uploadedOK))

				srv = startServer(b, serverOptions{dataDir: srv.dataDir, env: env})
				blobDir := filepath.Join(srv.dataDir, "blobs")
				documents := func() []map[string]any {
					var all []map[string]any
					for offset := 0; ; offset += 200 {
						page := srv.get(fmt.Sprintf("%s/documents?limit=200&offset=%d", api, offset)).Items()
						all = append(all, page...)
						if len(page) < 200 {
							return all
						}
					}
				}
				// The blobs on disk are exactly the documents' bytes, once the
				// dead process's lease lapsed and a sweep ran.
				Eventually(func() []string {
					want := map[string]bool{filepath.Join(blobDir, "documents", wsID, input): true}
					for _, d := range documents() {
						// A job's outputs live under the job's prefix.
						key := filepath.Join(blobDir, "documents", wsID, d["document_id"].(string))
						if job, ok := d["produced_by_job_id"].(string); ok && job != "" {
							key = filepath.Join(blobDir, "outputs", wsID, job, d["document_id"].(string))
						}
						want[key] = true
					}
					var diff []string
					files := append(filesUnder(filepath.Join(blobDir, "documents", wsID)), filesUnder(filepath.Join(blobDir, "outputs", wsID))...)
					for _, f := range files {
						if !want[f] {
							diff = append(diff, "orphan: "+f)
						}
						delete(want, f)
					}
					for f := range want {
						diff = append(diff, "missing: "+f)
					}
					return diff
				}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(BeEmpty(), srv.output())

				for id, sum := range uploadedOK {
					Expect(srv.get(api + "/documents/" + id).expect(http.StatusOK).JSON()).To(HaveKeyWithValue("sha256", sum))
					got := sha256.Sum256(srv.get(api + "/documents/" + id + "/download").expect(http.StatusOK).Body)
					Expect(hex.EncodeToString(got[:])).To(Equal(sum))
				}
				jobs := map[string]string{}
				for _, j := range srv.get(api + "/jobs?limit=200").Items() {
					jobs[j["job_id"].(string)] = j["status"].(string)
				}
				for id, status := range jobsOK {
					Expect(jobs).To(HaveKeyWithValue(id, status), "job %s was answered %s", id, status)
				}
				// The restarted server keeps working the jobs left pending or
				// running: one listed so may have ended since. A job's outputs
				// commit with its success, so a job read after outputs were
				// seen has succeeded.
				current := func(id string) string {
					if jobs[id] != "succeeded" {
						jobs[id] = srv.get(api + "/jobs/" + id).expect(http.StatusOK).JSON()["status"].(string)
					}
					return jobs[id]
				}
				for id := range jobs {
					res := srv.get(api + "/jobs/" + id + "/results").expect(http.StatusOK).JSON()
					status := jobs[id]
					if status != "succeeded" && len(res["output_documents"].([]any)) > 0 {
						status = current(id)
					}
					if status != "succeeded" {
						Expect(res["output_documents"]).To(BeEmpty(), "job %s is %s", id, status)
						continue
					}
					Expect(res["output_documents"]).NotTo(BeEmpty(), "job %s succeeded", id)
					for _, o := range res["output_documents"].([]any) {
						oid := o.(map[string]any)["document_id"].(string)
						srv.get(api + "/documents/" + oid + "/download").expect(http.StatusOK)
					}
				}
				for _, d := range documents() {
					if job, ok := d["produced_by_job_id"].(string); ok {
						Expect(jobs).To(HaveKey(job), "output %s of job %s", d["document_id"], job)
						Expect(current(job)).To(Equal("succeeded"), "output %s of job %s", d["document_id"], job)
					}
				}
				// And the restarted server works.
				srv.upload(slug, &filePart{name: "after.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated)
			})
		})
	}
})
