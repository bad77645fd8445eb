package browser_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// badPayload has a validation error the editor must show at its path.
const badPayload = `{
  "extractor": "tabular",
  "fields": [
    {"name": "email", "synonyms": ["email"], "transforms": ["shout"]}
  ]
}`

// emulateNetworkConditions is the protocol's Network.emulateNetworkConditions,
// which the Chromium of Debian answers (its per-rule successor is newer).
var emulateNetworkConditions = cdp.Command[networkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// networkConditions are its parameters; throughputs in bytes a second, -1
// for no limit.
type networkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var _ = Describe("An operator, from sign-in to a downloaded table", Ordered, func() {
	var (
		op       *tab
		roster   string // the S01 workbook
		medium   string // a CSV large enough to show upload progress
		big      string // a CSV whose extraction takes seconds
		bigDocID string
		jobURL   string
	)

	BeforeAll(func() {
		op = newTab()
		status, out := api("POST", "/workspaces", strings.NewReader(`{"slug":"operations","name":"Operations"}`), "application/json")
		Expect(status).To(Equal(201), "%v", out)
		roster = filepath.Join(repoRoot, "adapters", "extractor", "tabular", "testdata", "ade-samples", "S01_clean_roster_alias_headers.xlsx")
		medium = filepath.Join(work, "contacts-march.csv")
		writeCSV(medium, 60_000)
		big = filepath.Join(work, "contacts-archive.csv")
		writeCSV(big, 1_500_000)
	})

	It("leads from / to sign-in, refuses a wrong key with a message, and signs in", func() {
		op.open("/")
		Expect(op.location()).To(Equal("/ui/sign-in"))
		op.shot("sign-in", 1280)
		op.fill("#api_key", "ade_notAKeyAnybodyHas0123456789abcdefghijk")
		op.clickAndWait("form[action='/ui/sign-in'] button[type=submit]")
		Expect(op.text("#problem")).To(ContainSubstring("That API key is not valid"))
		Expect(op.text("body")).NotTo(ContainSubstring(`"title"`), "a message, not JSON")

		op.fill("#api_key", adminKey)
		op.clickAndWait("form[action='/ui/sign-in'] button[type=submit]")
		Expect(op.location()).To(Equal("/ui/workspaces"))
		Expect(op.text("h1")).To(Equal("Workspaces"))
		Expect(strings.ToLower(op.text(".who"))).To(ContainSubstring("global admin"))
		cookies := op.eval("document.cookie").(string)
		Expect(cookies).NotTo(ContainSubstring("ade_session"), "the session cookie is HttpOnly")
		op.shot("workspaces", 1280)
	})

	It("shows a clear empty state", func() {
		op.clickAndWait("a[href='/ui/w/operations/documents']")
		Expect(op.text("#ledger")).To(ContainSubstring("No documents yet"))
		Expect(op.count("#ledger a[href='/ui/w/operations/upload']")).To(Equal(1))
	})

	It("uploads a workbook and a CSV with a progress bar each, showing the limit first", func() {
		op.open("/ui/w/operations/upload")
		Expect(op.text("#limit")).To(ContainSubstring("200.0 MiB"))
		// A slow link, so the bars move where a person can see them.
		op.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
			if err != nil {
				return err
			}
			_, err = cdp.Call(ctx, t, emulateNetworkConditions, networkConditions{DownloadThroughput: -1, UploadThroughput: 1 << 20})
			return err
		}))
		op.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{roster, medium}))
		Expect(op.count("#queue li")).To(Equal(2))
		op.setValue("#metadata", `{"source": "browser suite"}`)
		op.do(chromedp.Click(chromedp.CSS("#upload button[type=submit]")))
		// Part-way: a bar has moved but not finished.
		Eventually(func() any {
			return op.evalQuiet(`Array.from(document.querySelectorAll("#queue progress")).some(p => p.value > 0 && p.value < p.max)`)
		}).WithTimeout(15 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(true))
		op.shot("upload", 1280)
		Eventually(func() any {
			return op.evalQuiet(`document.querySelectorAll("#queue li.uploaded").length`)
		}).WithTimeout(60 * time.Second).Should(BeEquivalentTo(2))
		Expect(op.eval(`Array.from(document.querySelectorAll("#queue progress")).every(p => p.value === p.max)`)).To(Equal(true))
		Expect(op.text("#queue")).To(ContainSubstring("Uploaded: open S01_clean_roster_alias_headers.xlsx"))
		op.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulateNetworkConditions, networkConditions{DownloadThroughput: -1, UploadThroughput: -1})
			return err
		}))
		bigDocID = uploadByAPI("operations", big)
	})

	It("finds documents by name, as the person types", func() {
		op.open("/ui/w/operations/documents")
		Expect(op.count("#documents tbody tr")).To(Equal(3))
		op.shot("documents", 1280)
		op.do(chromedp.SendKeys(chromedp.CSS("#name"), "ROSTER"))
		Eventually(func() any { return op.evalQuiet(`document.querySelectorAll("#documents tbody tr").length`) }).
			WithTimeout(10 * time.Second).Should(BeEquivalentTo(1))
		Expect(op.text("#documents")).To(ContainSubstring("S01_clean_roster_alias_headers.xlsx"))
		Eventually(op.location).Should(MatchRegexp(`^/ui/w/operations/documents\?name=ROSTER(&origin=)?$`), "the search is in the address, for the back button")
	})

	It("shows a configuration's error at its path, tries the draft on a document, saves and activates it", func() {
		op.open("/ui/w/operations/configurations")
		Expect(op.text("main")).To(ContainSubstring("No configurations yet"))
		op.clickAndWait("main a[href='/ui/w/operations/configurations/new']")
		op.fill("#document_type", "roster")
		op.fill("#title", "People rosters")
		op.setValue("#payload", badPayload)
		op.clickAndWait("button[value=save]")
		Expect(op.text("#problem")).To(ContainSubstring("payload.fields[0].transforms"))
		Expect(op.eval(`document.querySelector("#payload").getAttribute("aria-invalid")`)).To(Equal("true"))
		Expect(op.eval(`document.querySelector("#payload").value`)).To(ContainSubstring(`"shout"`), "the draft is kept")
		op.shot("configuration-error", 1280)

		people, err := os.ReadFile(filepath.Join(repoRoot, "adapters", "extractor", "tabular", "testdata", "people.json"))
		Expect(err).NotTo(HaveOccurred())
		op.setValue("#payload", string(people))
		op.setValue("#document_id", op.eval(`Array.from(document.querySelectorAll("#document_id option")).find(o => o.textContent.startsWith("S01")).value`).(string))
		op.clickAndWait("button[value=try]")
		Expect(op.text("#trial h2")).To(MatchRegexp(`Trial on S01_clean_roster_alias_headers.xlsx: \d+ tables? found`))
		Expect(op.text("#trial")).To(ContainSubstring("Nothing was saved"))
		Expect(op.count("#trial table.data")).To(BeNumerically(">=", 1))
		op.shot("configuration-trial", 1280)
		status, out := api("GET", "/workspaces/operations/configurations", nil, "")
		Expect(status).To(Equal(200))
		Expect(out["items"]).To(BeEmpty(), "a trial saves nothing")

		op.clickAndWait("button[value=save]")
		Expect(op.location()).To(MatchRegexp(`^/ui/w/operations/configurations/[0-9A-Z]{26}$`))
		op.clickAndWait("form[action$='/activate'] button")
		Expect(op.text("main")).To(ContainSubstring("active"))
		op.shot("configurations", 1280)
	})

	It("runs a job from the document page and shows its tables, mapping, detection and outputs", func() {
		op.open("/ui/w/operations/documents?name=S01")
		op.clickAndWait("#documents tbody a")
		Expect(op.text("h1")).To(Equal("S01_clean_roster_alias_headers.xlsx"))
		Expect(op.text(".timeline")).To(ContainSubstring("document.uploaded"))
		op.clickAndWait("form[action$='/jobs'] button")
		jobURL = op.location()
		Expect(jobURL).To(MatchRegexp(`^/ui/w/operations/jobs/[0-9A-Z]{26}$`))
		// The page follows the job and reloads with the results.
		Eventually(func() any { return op.evalQuiet(`document.querySelector("[data-job-status]").textContent`) }).
			WithTimeout(30 * time.Second).Should(Equal("succeeded"))
		Eventually(func() any { return op.evalQuiet(`document.querySelectorAll("table.data").length > 0`) }).
			WithTimeout(10 * time.Second).Should(Equal(true))
		table := op.text("table.data")
		Expect(table).To(ContainSubstring("first_name"))
		Expect(op.text("article.table .facts")).To(MatchRegexp(`Range\s+A\d+:[A-Z]+\d+`))
		Expect(op.text("article.table details")).To(ContainSubstring("Header and mapping"))
		Expect(op.text("article.table table.mapping thead")).To(ContainSubstring("Type"))
		Expect(op.text("article.table table.mapping tbody")).To(MatchRegexp(`\w+ \(inferred\)`), "each column's inferred type")
		Expect(op.eval(`document.querySelector("article.table details:last-of-type ul.evidence li") !== null`)).To(Equal(true), "the why of the detection")
		Expect(op.text("main")).To(ContainSubstring("Metrics"))
		op.shot("job", 1280)
	})

	It("downloads an output", func() {
		dir := filepath.Join(work, "downloads")
		Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		events := true
		op.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
				BrowserContextID: chromedp.FromContext(op.ctx).BrowserContextID,
			})
			return err
		}))
		op.do(chromedp.Click(chromedp.CSS("main a[download][href*='/download']")))
		var file string
		Eventually(func() string {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), ".crdownload") {
					b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
					if len(b) > 0 {
						file = string(b)
						return file
					}
				}
			}
			return ""
		}).WithTimeout(20 * time.Second).ShouldNot(BeEmpty())
		Expect(strings.SplitN(file, "\n", 2)[0]).To(ContainSubstring("first_name"), "a clean table")
	})

	It("shows a running job's status change live, without reloading the list", func() {
		op.open("/ui/w/operations/documents/" + bigDocID)
		op.clickAndWait("form[action$='/jobs'] button")
		op.open("/ui/w/operations/jobs")
		Eventually(func() any { return op.evalQuiet(`document.body.getAttribute("data-watching")`) }).Should(Equal("true"))
		op.eval(`window.__stay = "same page"`)
		first := `document.querySelector("#jobs tbody tr [data-job-status]")`
		Expect(op.eval(first + `.textContent`)).To(BeElementOf("pending", "running"))
		op.shot("jobs", 1280)
		Eventually(func() any { return op.evalQuiet(first + `.textContent`) }).
			WithTimeout(90 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal("succeeded"))
		Expect(op.eval(`window.__stay`)).To(Equal("same page"), "updated in place")
		Expect(op.count("#jobs tbody tr:first-child form[data-cancel-for]")).To(Equal(0), "no cancel for a finished job")
		// Every job the page showed has ended: the server ends the stream
		// and the page does not reconnect.
		Eventually(func() any { return op.evalQuiet(`document.body.getAttribute("data-watch-ended")`) }).Should(Equal("true"))
		Expect(op.eval(`document.body.hasAttribute("data-watching")`)).To(Equal(false))
	})

	It("cancels a job", func() {
		op.open("/ui/w/operations/documents/" + bigDocID)
		op.clickAndWait("form[action$='/jobs'] button")
		Expect(op.count("form[data-cancel-for] button")).To(Equal(1))
		op.clickAndWait("form[data-cancel-for] button")
		Expect(op.text("[data-job-status]")).To(Equal("cancelled"))
		Expect(op.count("form[data-cancel-for]")).To(Equal(0))
	})

	It("cancels a running job: the worker stops it, and the page shows it cancelled", func() {
		// The 1.5 million rows take a worker seconds: the spec cancels as
		// soon as the page shows the job running.
		op.open("/ui/w/operations/documents/" + bigDocID)
		op.clickAndWait("form[action$='/jobs'] button")
		jobID := path.Base(op.location())
		// The page follows the job: running arrives through the stream.
		Eventually(func() any { return op.evalQuiet(`document.querySelector("[data-job-status]").textContent`) }).
			WithTimeout(60 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal("running"))
		op.clickAndWait("form[data-cancel-for] button")
		Expect(op.text("[data-job-status]")).To(Equal("cancelled"))
		Expect(op.count("form[data-cancel-for]")).To(Equal(0))
		// It was running when cancelled, and it recorded nothing.
		status, out := api("GET", "/workspaces/operations/jobs/"+jobID+"/events", nil, "")
		Expect(status).To(Equal(200))
		var types []string
		for _, it := range out["items"].([]any) {
			types = append(types, it.(map[string]any)["event_type"].(string))
		}
		Expect(types).To(Equal([]string{"job.created", "job.status.running", "job.status.cancelled"}))
		status, out = api("GET", "/workspaces/operations/jobs/"+jobID+"/results", nil, "")
		Expect(status).To(Equal(200))
		Expect(out["tables"]).To(BeEmpty())
		Expect(out["output_documents"]).To(BeEmpty())
	})

	It("stays readable at a phone's width, without sideways scrolling", func() {
		for _, page := range []struct{ path, name string }{
			{"/ui/w/operations/documents", "documents-phone"},
			{jobURL, "job-phone"},
			{"/ui/w/operations/upload", "upload-phone"},
		} {
			op.open(page.path)
			op.do(chromedp.EmulateViewport(375, 800))
			Expect(op.scrollWidth()).To(BeNumerically("<=", 375), page.path)
			op.shot(page.name, 375)
		}
	})

	It("reaches every control from the keyboard", func() {
		op.open("/ui/w/operations/upload")
		// Tab through the page: the skip link first, then the navigation,
		// and the upload form's controls in order, each with a label.
		var seen []string
		for range 30 {
			op.do(chromedp.KeyEvent("\t"))
			id := op.eval(`(document.activeElement.id || document.activeElement.getAttribute("href") || document.activeElement.textContent || "").trim()`).(string)
			seen = append(seen, id)
		}
		Expect(seen[0]).To(Equal("#main"), "the skip link comes first")
		Expect(seen).To(ContainElements("metadata", "expires_at", "file", "Upload"))
		Expect(op.eval(`Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea")).every(el => el.labels && el.labels.length > 0)`)).To(Equal(true))
	})

	It("signs out", func() {
		op.open("/ui/w/operations/documents")
		op.clickAndWait("form[action='/ui/sign-out'] button")
		Expect(op.location()).To(HavePrefix("/ui/sign-in"))
		op.open("/ui/w/operations/documents")
		Expect(op.location()).To(HavePrefix("/ui/sign-in"))
	})
})
