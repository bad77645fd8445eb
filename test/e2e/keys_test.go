package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// keyLine is the line a first start prints.
var keyLine = regexp.MustCompile(`(?m)^admin api key: (ade_[A-Z2-7]{52})$`)

// runKeys runs `ade keys args...` on the database of srv and returns its
// standard output, failing the spec unless it exits 0.
func runKeys(srv *adeServer, args ...string) string {
	GinkgoHelper()
	p := runAdeCommand(srv.env, append([]string{"keys"}, args...)...)
	code := p.exitCode(60 * time.Second)
	Expect(code).To(Equal(0), "ade keys %v\n%s", args, p.output())
	return p.stdout.String()
}

// noKeyMaterial fails when data holds a key, or any 12 characters in a row
// of the part after its prefix; it checks that data does hold each key's
// hash, so the bytes searched are the right ones.
func noKeyMaterial(what string, data []byte, keys ...string) {
	GinkgoHelper()
	Expect(len(data)).To(BeNumerically(">", 0), what)
	for _, k := range keys {
		secret := strings.TrimPrefix(k, "ade_")
		for i := 0; i+12 <= len(secret); i++ {
			Expect(bytes.Contains(data, []byte(secret[i:i+12]))).To(BeFalse(),
				"%s holds characters %d-%d of a key", what, i, i+12)
		}
		Expect(bytes.Contains(data, []byte(sha256Hex([]byte(k))))).To(BeTrue(), "%s holds the key's hash", what)
	}
}

var _ = Describe("API keys on SQLite + file://", Ordered, func() {
	describeKeys(sqliteFiles())
})

var _ = Describe("API keys on PostgreSQL + S3", Ordered, func() {
	describeKeys(postgresS3())
})

func describeKeys(b *backend) {
	BeforeAll(func() { b.prepare() })

	It("lets `ade keys` create, list and revoke keys while the server runs; a revoked key stops within the cache TTL", func() {
		srv := startServer(b, serverOptions{env: map[string]string{"ADE_AUTH_CACHE_TTL": "2s"}})
		ws := "cli-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "CLI"}).expect(http.StatusCreated)

		key := strings.TrimSpace(runKeys(srv, "create", "--workspace", ws, "--role", "editor", "--label", "nightly import"))
		Expect(key).To(MatchRegexp(`^ade_[A-Z2-7]{52}$`))
		editor := srv.as(key)
		editor.upload(ws, &filePart{name: "a.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated)
		expectProblem(editor.postJSON("/api/v1/workspaces/"+ws+"/configurations",
			map[string]any{"document_type": "t", "title": "T", "payload": map[string]any{"extractor": "stub"}}), http.StatusForbidden, "forbidden")

		global := strings.TrimSpace(runKeys(srv, "create", "--global", "--label", "ops"))
		srv.as(global).postJSON("/api/v1/workspaces", map[string]any{"slug": "by-" + randomHex(4), "name": "By ops"}).expect(http.StatusCreated)

		listing := runKeys(srv, "list", "--workspace", ws)
		Expect(listing).To(ContainSubstring("nightly import"))
		Expect(listing).To(ContainSubstring("editor"))
		Expect(listing).NotTo(ContainSubstring(key[4:20]))
		var id string
		for _, line := range strings.Split(listing, "\n") {
			if strings.Contains(line, "nightly import") {
				id = strings.Fields(line)[0]
			}
		}
		Expect(id).To(MatchRegexp(ulidPattern.String()))
		all := runKeys(srv, "list")
		Expect(all).To(ContainSubstring("(global)"))
		Expect(all).To(ContainSubstring("ops"))

		events := srv.get("/api/v1/workspaces/" + ws + "/events?entity_type=api_key").Items()
		Expect(events).To(HaveLen(1))
		Expect(events[0]).To(HaveKeyWithValue("source", "cli"))
		Expect(events[0]).To(HaveKeyWithValue("payload", map[string]any{"role": "editor", "label": "nightly import"}))

		Expect(runKeys(srv, "revoke", id)).To(ContainSubstring("revoked " + id))
		revokedAt := time.Now()
		Eventually(func() int { return editor.get("/api/v1/workspaces/" + ws + "/documents").Status }).
			WithTimeout(3 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal(http.StatusUnauthorized))
		Expect(time.Since(revokedAt)).To(BeNumerically("<", 3*time.Second))

		p := runAdeCommand(srv.env, "keys", "revoke", id)
		Expect(p.exitCode(60*time.Second)).To(Equal(2), p.output())
		Expect(p.stderr.String()).To(ContainSubstring("the API key is already revoked"))
		p = runAdeCommand(srv.env, "keys", "create", "--workspace", "nowhere", "--role", "viewer")
		Expect(p.exitCode(60*time.Second)).To(Equal(2), p.output())
		p = runAdeCommand(srv.env, "keys", "create", "--workspace", ws, "--role", "owner")
		Expect(p.exitCode(60*time.Second)).To(Equal(2), p.output())
		Expect(p.stdout.String()).To(BeEmpty())
	})

	It("keeps no key material in the database, only hashes", func() {
		srv := startServer(b, serverOptions{})
		ws := "dump-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Dump"}).expect(http.StatusCreated)
		viaAPI := srv.postJSON("/api/v1/workspaces/"+ws+"/api-keys", map[string]any{"role": "admin", "label": "api"}).expect(http.StatusCreated).JSON()["key"].(string)
		viaCLI := strings.TrimSpace(runKeys(srv, "create", "--workspace", ws, "--role", "viewer"))
		revoked := srv.postJSON("/api/v1/workspaces/"+ws+"/api-keys", map[string]any{"role": "viewer"}).expect(http.StatusCreated).JSON()
		srv.do(http.MethodDelete, "/api/v1/workspaces/"+ws+"/api-keys/"+revoked["api_key_id"].(string), nil).expect(http.StatusNoContent)
		for _, k := range []string{viaAPI, viaCLI, adminKey} {
			srv.as(k).get("/api/v1/workspaces").expect(http.StatusOK)
		}
		keys := []string{viaAPI, viaCLI, revoked["key"].(string), adminKey}
		srv.stop() // flushes last use and lets SQLite settle its files

		if dsn := srv.env["ADE_DATABASE_URL"]; dsn != "" {
			noKeyMaterial("a dump of every table", dumpTables(dsn), keys...)
			return
		}
		var all []byte
		for _, name := range []string{"ade.db", "ade.db-wal", "ade.db-shm"} {
			b, err := os.ReadFile(filepath.Join(srv.dataDir, name))
			if err == nil {
				all = append(all, b...)
			}
		}
		noKeyMaterial("the SQLite files", all, keys...)
	})

	It("ends a revoked key's access on every server sharing the database within the documented 5 s", func() {
		a := startServer(b, serverOptions{})
		shared := serverOptions{}
		if dsn := a.env["ADE_DATABASE_URL"]; dsn == "" {
			// SQLite: the second server opens the same file.
			shared.dataDir = a.dataDir
		}
		second := startServer(b, shared)
		ws := "two-" + randomHex(4)
		a.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Two"}).expect(http.StatusCreated)
		created := a.postJSON("/api/v1/workspaces/"+ws+"/api-keys", map[string]any{"role": "viewer", "label": "shared"}).expect(http.StatusCreated).JSON()
		key, id := created["key"].(string), created["api_key_id"].(string)
		onA, onB := a.as(key), second.as(key)
		onB.get("/api/v1/workspaces/" + ws + "/documents").expect(http.StatusOK) // cached on B now
		onA.get("/api/v1/workspaces/" + ws + "/documents").expect(http.StatusOK)

		a.do(http.MethodDelete, "/api/v1/workspaces/"+ws+"/api-keys/"+id, nil).expect(http.StatusNoContent)
		revokedAt := time.Now()
		expectProblem(onA.get("/api/v1/workspaces/"+ws+"/documents"), http.StatusUnauthorized, "unauthenticated")
		Eventually(func() int { return onB.get("/api/v1/workspaces/" + ws + "/documents").Status }).
			WithTimeout(7 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal(http.StatusUnauthorized))
		elapsed := time.Since(revokedAt)
		GinkgoWriter.Printf("revocation reached the second server after %s\n", elapsed.Round(time.Millisecond))
		Expect(elapsed).To(BeNumerically("<=", 5*time.Second+500*time.Millisecond))
	})
}

// dumpTables copies every table of the database (the schema of the URL's
// search_path) out as text, as pg_dump's data would be.
func dumpTables(dsn string) []byte {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	Expect(err).NotTo(HaveOccurred())
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	Expect(err).NotTo(HaveOccurred())
	Expect(tables).To(ContainElement("api_keys"))
	var out bytes.Buffer
	for _, t := range tables {
		_, err := conn.PgConn().CopyTo(ctx, &out, "COPY "+t+" TO STDOUT")
		Expect(err).NotTo(HaveOccurred(), t)
	}
	return out.Bytes()
}

var _ = Describe("the first start", func() {
	It("prints a generated global admin key once, on standard output only, and never again", func() {
		srv := startServer(sqliteFiles(), serverOptions{env: map[string]string{"ADE_BOOTSTRAP_ADMIN_KEY": ""}})
		m := keyLine.FindAllStringSubmatch(srv.stdout.String(), -1)
		Expect(m).To(HaveLen(1), srv.output())
		key := m[0][1]
		Expect(srv.stderr.String()).NotTo(ContainSubstring(key[4:]), "the key is not logged")
		expectProblem(srv.get("/api/v1/workspaces"), http.StatusUnauthorized, "unauthenticated")
		items := srv.as(key).get("/api/v1/workspaces").Items()
		Expect(idsOf(items, "slug")).To(ContainElement("default"))
		srv.stop()

		again := startServer(sqliteFiles(), serverOptions{dataDir: srv.dataDir, env: map[string]string{"ADE_BOOTSTRAP_ADMIN_KEY": ""}})
		Expect(again.stdout.String()).NotTo(ContainSubstring("admin api key"))
		again.as(key).get("/api/v1/workspaces").expect(http.StatusOK)
		// Its last use was recorded by the first server at stop.
		Expect(runKeys(again, "list")).To(MatchRegexp(`00000000000000000000000000\s+\(global\)\s+admin\s+bootstrap admin\s+\S+\s+\d{4}-`))
	})

	It("takes ADE_BOOTSTRAP_ADMIN_KEY instead, printing nothing", func() {
		srv := startServer(sqliteFiles(), serverOptions{})
		Expect(srv.stdout.String()).To(BeEmpty())
		srv.get("/api/v1/workspaces").expect(http.StatusOK)
	})

	It("refuses a weak ADE_BOOTSTRAP_ADMIN_KEY without printing it", func() {
		p := runAde(map[string]string{"ADE_HTTP_ADDR": freeAddr(), "ADE_DATA_DIR": GinkgoT().TempDir(), "ADE_BOOTSTRAP_ADMIN_KEY": "ade_hunter2"})
		Expect(p.exitCode(20*time.Second)).To(Equal(2), p.output())
		Expect(p.stderr.String()).To(ContainSubstring("ADE_BOOTSTRAP_ADMIN_KEY"))
		Expect(p.stderr.String() + p.stdout.String()).NotTo(ContainSubstring("hunter2"))
	})
})

var _ = Describe("per-key limits", func() {
	It("answer 429 with Retry-After and RateLimit headers, and recover", func() {
		srv := startServer(sqliteFiles(), serverOptions{env: map[string]string{
			"ADE_RATE_LIMIT": "1", "ADE_RATE_BURST": "2", "ADE_MAX_CONCURRENT_UPLOADS": "1",
		}})
		ws := "limits-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Limits"}).expect(http.StatusCreated)
		api := "/api/v1/workspaces/" + ws
		newKey := func() *client {
			GinkgoHelper()
			// Each key has a bucket of its own; the admin's refills meanwhile.
			time.Sleep(time.Second)
			return srv.as(srv.postJSON(api+"/api-keys", map[string]any{"role": "editor"}).expect(http.StatusCreated).JSON()["key"].(string))
		}

		By("the request rate")
		c := newKey()
		c.get(api + "/documents").expect(http.StatusOK)
		c.get(api + "/documents").expect(http.StatusOK)
		r := c.get(api + "/documents")
		p := expectProblem(r, http.StatusTooManyRequests, "rate_limited")
		Expect(p["detail"]).To(ContainSubstring("rate limit"))
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		Expect(err).NotTo(HaveOccurred())
		Expect(retry).To(BeNumerically(">=", 1))
		Expect(r.Header.Get("RateLimit-Limit")).To(Equal("2"))
		Expect(r.Header.Get("RateLimit-Remaining")).To(Equal("0"))
		Expect(r.Header.Get("RateLimit-Reset")).NotTo(BeEmpty())
		time.Sleep(time.Duration(retry) * time.Second)
		c.get(api + "/documents").expect(http.StatusOK)

		By("concurrent uploads")
		u := newKey()
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		req, err := http.NewRequest(http.MethodPost, srv.base+api+"/documents", pr)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+u.key)
		done := make(chan int, 1)
		go func() {
			defer GinkgoRecover()
			res, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			done <- res.StatusCode
		}()
		fw, err := mw.CreateFormFile("file", "slow.csv")
		Expect(err).NotTo(HaveOccurred())
		_, err = fw.Write(bytes.Repeat([]byte("slow,upload\n"), 2048))
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(300 * time.Millisecond) // the first upload is in its handler
		r = u.upload(ws, &filePart{name: "second.csv", contentType: "text/csv", data: []byte(rosterCSV)})
		p = expectProblem(r, http.StatusTooManyRequests, "rate_limited")
		Expect(p["detail"]).To(ContainSubstring("uploads in progress"))
		Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		Expect(mw.Close()).To(Succeed())
		Expect(pw.Close()).To(Succeed())
		Eventually(done).WithTimeout(10 * time.Second).Should(Receive(Equal(http.StatusCreated)))
		time.Sleep(time.Second) // a token for the next request
		u.upload(ws, &filePart{name: "third.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated)

		m := string(srv.get("/metrics").expect(http.StatusOK).Body)
		Expect(m).To(MatchRegexp(`ade_rate_limited_total\{limit="rate"\} [1-9]`))
		Expect(m).To(MatchRegexp(`ade_rate_limited_total\{limit="uploads"\} 1`))
		Expect(m).NotTo(ContainSubstring(strings.TrimPrefix(c.key, "ade_")))
		Expect(fmt.Sprint(srv.stderr.String())).NotTo(ContainSubstring(strings.TrimPrefix(u.key, "ade_")))
	})
})
