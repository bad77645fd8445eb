package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The `ade client` commands against a real server: ids on stdout,
// progress and messages on stderr, JSON with --json, and the documented
// exit statuses.
var _ = Describe("ade client", Ordered, func() {
	var (
		srv  *adeServer
		env  map[string]string
		work string
	)
	// client runs `ade client args...` to its end and returns its exit
	// status, stdout and stderr.
	client := func(env map[string]string, args ...string) (int, string, string) {
		GinkgoHelper()
		p := runAdeCommand(env, append([]string{"client"}, args...)...)
		code := p.exitCode(2 * time.Minute)
		Expect(code).NotTo(Equal(-1), "ade client did not finish")
		return code, p.stdout.String(), p.stderr.String()
	}

	BeforeAll(func() {
		srv = startServer(sqliteFiles(), serverOptions{})
		env = map[string]string{"ADE_URL": srv.base, "ADE_API_KEY": adminKey}
		work = GinkgoT().TempDir()
	})

	It("uploads several files, a progress bar on stderr for the large one, ids on stdout", func() {
		big := filepath.Join(work, "big roster.csv")
		var b strings.Builder
		b.WriteString("first name,last name,email\n")
		for i := range 200_000 {
			fmt.Fprintf(&b, "Avery%d,Smith%d,avery%d@example.com\n", i, i, i)
		}
		Expect(os.WriteFile(big, []byte(b.String()), 0o644)).To(Succeed())
		small := filepath.Join(work, "small.csv")
		Expect(os.WriteFile(small, []byte("first name,email\nQuinn,quinn@example.com\n"), 0o644)).To(Succeed())

		code, stdout, stderr := client(env, "upload", "--progress", "always", "--metadata", `{"source":"cli"}`, big, small)
		Expect(code).To(Equal(0), stderr)
		ids := strings.Fields(stdout)
		Expect(ids).To(HaveLen(2))
		Expect(stderr).To(ContainSubstring("big roster.csv"))
		Expect(stderr).To(ContainSubstring("100%"))
		Expect(stderr).To(MatchRegexp(`\d+(\.\d+)? MB`), "sizes in bytes units")
		doc := srv.get("/api/v1/workspaces/default/documents/" + ids[0]).expect(200).JSON()
		Expect(doc["original_filename"]).To(Equal("big roster.csv"))
		Expect(doc["byte_size"]).To(BeEquivalentTo(len(b.String())))
		Expect(doc["metadata"]).To(Equal(map[string]any{"source": "cli"}))

		code, stdout, _ = client(env, "upload", "--json", small)
		Expect(code).To(Equal(0))
		var docs []map[string]any
		Expect(json.Unmarshal([]byte(stdout), &docs)).To(Succeed())
		Expect(docs).To(HaveLen(1))
		Expect(docs[0]["original_filename"]).To(Equal("small.csv"))
	})

	It("creates and activates a configuration, submits with --wait following the stream, reads results and downloads the output", func() {
		payload := filepath.Join(repoRoot, "adapters", "extractor", "tabular", "testdata", "people.json")
		code, stdout, stderr := client(env, "configs", "create", "--type", "roster", "--title", "People", "--payload", payload)
		Expect(code).To(Equal(0), stderr)
		cfgID := strings.TrimSpace(stdout)
		code, stdout, stderr = client(env, "configs", "activate", cfgID)
		Expect(code).To(Equal(0), stderr)
		Expect(stdout).To(ContainSubstring("roster v1 active"))
		code, stdout, _ = client(env, "configs", "list", "--json")
		Expect(code).To(Equal(0))
		var cfgs []map[string]any
		Expect(json.Unmarshal([]byte(stdout), &cfgs)).To(Succeed())
		Expect(cfgs).To(HaveLen(1))
		Expect(cfgs[0]["is_active"]).To(BeTrue())

		code, stdout, _ = client(env, "upload", filepath.Join(repoRoot, "adapters", "extractor", "tabular", "testdata", "ade-samples", "S01_clean_roster_alias_headers.xlsx"))
		Expect(code).To(Equal(0))
		docID := strings.TrimSpace(stdout)

		code, stdout, stderr = client(env, "submit", docID, "--type", "roster", "--wait", "--timeout", "2m")
		Expect(code).To(Equal(0), stderr)
		jobID := strings.TrimSpace(stdout)
		Expect(jobID).To(MatchRegexp(`^[0-9A-Z]{26}$`))
		Expect(stderr).To(ContainSubstring("job " + jobID + " succeeded"))

		code, stdout, _ = client(env, "results", jobID)
		Expect(code).To(Equal(0))
		Expect(stdout).To(ContainSubstring("Member Roster 1 (sheet Member Roster, A1:K111): 110 rows"))
		Expect(stdout).To(ContainSubstring("first_name"))
		code, stdout, _ = client(env, "results", "--json", jobID)
		Expect(code).To(Equal(0))
		var res struct {
			OutputDocuments []struct {
				ID string `json:"document_id"`
			} `json:"output_documents"`
		}
		Expect(json.Unmarshal([]byte(stdout), &res)).To(Succeed())
		Expect(res.OutputDocuments).NotTo(BeEmpty())

		out := filepath.Join(work, "clean.csv")
		code, stdout, stderr = client(env, "download", res.OutputDocuments[0].ID, "-o", out)
		Expect(code).To(Equal(0), stderr)
		Expect(strings.TrimSpace(stdout)).To(Equal(out))
		clean, err := os.ReadFile(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.SplitN(string(clean), "\n", 2)[0]).To(ContainSubstring("first_name"))
		entries, _ := os.ReadDir(work)
		for _, e := range entries {
			Expect(e.Name()).NotTo(HaveSuffix(".part"), "no partial download left behind")
		}
	})

	It("queues a job and returns at once; cancels it while it waits; gives up waiting at --timeout", func() {
		// An API-only server: no worker takes the job, which stays pending.
		idle := startServer(sqliteFiles(), serverOptions{env: map[string]string{"ADE_WORKERS": "0"}})
		ienv := map[string]string{"ADE_URL": idle.base, "ADE_API_KEY": adminKey}
		stub := filepath.Join(work, "stub.json")
		Expect(os.WriteFile(stub, []byte(`{"extractor":"stub"}`), 0o644)).To(Succeed())
		code, _, stderr := client(ienv, "configs", "create", "--type", "summary", "--title", "Summary", "--payload", stub, "--activate")
		Expect(code).To(Equal(0), stderr)
		code, stdout, stderr := client(ienv, "upload", filepath.Join(work, "small.csv"))
		Expect(code).To(Equal(0), stderr)
		docID := strings.TrimSpace(stdout)

		code, stdout, stderr = client(ienv, "submit", docID, "--type", "summary", "--json")
		Expect(code).To(Equal(0), stderr)
		var job map[string]any
		Expect(json.Unmarshal([]byte(stdout), &job)).To(Succeed())
		Expect(job["status"]).To(Equal("pending"), "queued, not waited for")
		jobID := job["job_id"].(string)

		code, _, stderr = client(ienv, "submit", docID, "--type", "summary", "--wait", "--timeout", "2s")
		Expect(code).To(Equal(6), stderr)
		Expect(stderr).To(ContainSubstring("wait for job"))

		code, stdout, stderr = client(ienv, "cancel", jobID)
		Expect(code).To(Equal(0), stderr)
		Expect(strings.TrimSpace(stdout)).To(Equal(jobID + " cancelled"))
		code, _, stderr = client(ienv, "cancel", jobID)
		Expect(code).To(Equal(3), stderr)
	})

	It("exits with the documented statuses", func() {
		code, _, stderr := client(map[string]string{"ADE_URL": srv.base, "ADE_API_KEY": "ade_notAKeyAnybodyHas0123456789abcdefghijk"}, "configs", "list")
		Expect(code).To(Equal(4), stderr)
		Expect(stderr).To(ContainSubstring("HTTP 401"))

		code, _, stderr = client(env, "submit", "01NOSUCHDOCUMENT0000000000", "--type", "roster")
		Expect(code).To(Equal(3), stderr)
		Expect(stderr).To(ContainSubstring("document_id"))

		code, _, _ = client(env, "submit", "x")
		Expect(code).To(Equal(2), "neither --type nor --configuration")
		code, _, _ = client(env, "upload", filepath.Join(work, "missing.csv"))
		Expect(code).To(Equal(2))
		code, _, _ = client(map[string]string{"ADE_URL": srv.base}, "configs", "list")
		Expect(code).To(Equal(2), "no key")

		code, _, _ = client(map[string]string{"ADE_URL": "http://" + freeAddr(), "ADE_API_KEY": adminKey}, "configs", "list")
		Expect(code).To(Equal(5), "nobody listens")

		// A job that fails: exit 1 with its error on stderr.
		failing := filepath.Join(work, "failing.json")
		Expect(os.WriteFile(failing, []byte(`{"extractor":"stub","fail":"on purpose"}`), 0o644)).To(Succeed())
		code, _, stderr = client(env, "configs", "create", "--type", "broken", "--title", "Broken", "--payload", failing, "--activate")
		Expect(code).To(Equal(0), stderr)
		code, stdout, _ := client(env, "upload", filepath.Join(work, "small.csv"))
		Expect(code).To(Equal(0))
		code, stdout, stderr = client(env, "submit", strings.TrimSpace(stdout), "--type", "broken", "--wait")
		Expect(code).To(Equal(1), stderr)
		Expect(stderr).To(ContainSubstring("failed: stub_failure: on purpose"))

		// Cancelling a job that has ended is a refusal.
		code, _, stderr = client(env, "cancel", strings.TrimSpace(stdout))
		Expect(code).To(Equal(3), stderr)
		Expect(stderr).To(ContainSubstring("HTTP 409"))
	})
})
