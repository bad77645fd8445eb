package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// stepTimeout bounds one browser step (a navigation, a wait, a click):
// chromedp waits for a selector until its context ends.
const stepTimeout = 20 * time.Second

// tab is one person's browser tab, in a browser context of its own (its
// own cookies).
type tab struct {
	ctx context.Context
}

// newTab opens a tab in a fresh browser context, closed after the
// container or spec.
func newTab() *tab {
	GinkgoHelper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	DeferCleanup(cancel)
	Expect(chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))).To(Succeed())
	return &tab{ctx: ctx}
}

func (t *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.ctx, stepTimeout)
}

// do runs actions, each spec step bounded by stepTimeout.
func (t *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	ctx, cancel := t.step()
	defer cancel()
	Expect(chromedp.Do(ctx, actions...)).To(Succeed())
}

func run[T any](t *tab, a chromedp.Action[T]) T {
	GinkgoHelper()
	ctx, cancel := t.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	Expect(err).NotTo(HaveOccurred())
	return v
}

func (t *tab) open(path string) { GinkgoHelper(); t.do(chromedp.Navigate(base + path)) }

func (t *tab) text(sel string) string {
	GinkgoHelper()
	return run(t, chromedp.Text(chromedp.CSS(sel)))
}

func (t *tab) location() string {
	GinkgoHelper()
	return strings.TrimPrefix(run(t, chromedp.Location()), base)
}

func (t *tab) eval(js string) any {
	GinkgoHelper()
	return run(t, chromedp.Evaluate[any](js))
}

func (t *tab) count(sel string) int {
	GinkgoHelper()
	n := run(t, chromedp.Evaluate[float64](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	return int(n)
}

// fill clears an input and types text into it, key by key.
func (t *tab) fill(sel, text string) {
	GinkgoHelper()
	t.setValue(sel, "")
	t.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets a field's value at once (long texts, selects) and fires
// its input and change events.
func (t *tab) setValue(sel, text string) {
	GinkgoHelper()
	sb, _ := json.Marshal(sel)
	tb, _ := json.Marshal(text)
	t.do(chromedp.WaitReady(chromedp.CSS(sel)))
	ok := t.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) return false; el.value = %s;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sb, tb))
	Expect(ok).To(Equal(true), "no element %s", sel)
}

// clickAndWait clicks and waits for the next page to load.
func (t *tab) clickAndWait(sel string) {
	GinkgoHelper()
	before := t.eval("window.__page = (window.__page||0) + 1; window.__page")
	t.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)))
	sb, _ := json.Marshal(sel)
	t.eval(fmt.Sprintf("document.querySelector(%s).click()", sb))
	Eventually(func() any {
		return t.evalQuiet("document.readyState === 'complete' && window.__page === undefined")
	}).WithTimeout(stepTimeout).Should(Equal(true), "no new page after clicking %s (marker %v)", sel, before)
}

// evalQuiet evaluates without failing the spec (for polling across a
// navigation).
func (t *tab) evalQuiet(js string) any {
	ctx, cancel := t.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	if err != nil {
		GinkgoWriter.Printf("evaluate %q: %v\n", js, err)
		return nil
	}
	return v
}

// shot writes a screenshot of the whole page at width into
// docs/screenshots/NAME.png, and restores the desktop width.
func (t *tab) shot(name string, width int64) {
	GinkgoHelper()
	t.do(chromedp.EmulateViewport(width, 900))
	png := run(t, chromedp.FullScreenshot(100))
	Expect(os.WriteFile(filepath.Join(shotsDir, name+".png"), png, 0o644)).To(Succeed())
	if width != 1280 {
		t.do(chromedp.EmulateViewport(1280, 900))
	}
}

// scrollWidth is the page's width in CSS pixels: larger than the viewport
// means the page scrolls sideways.
func (t *tab) scrollWidth() int {
	GinkgoHelper()
	return int(run(t, chromedp.Evaluate[float64]("document.documentElement.scrollWidth")))
}

// signIn signs the tab in with key through the sign-in form.
func (t *tab) signIn(key string) {
	GinkgoHelper()
	t.open("/")
	Expect(t.location()).To(HavePrefix("/ui/sign-in"))
	t.fill("#api_key", key)
	t.clickAndWait("form[action='/ui/sign-in'] button[type=submit]")
}

// api calls the HTTP API as the admin.
func api(method, path string, body io.Reader, contentType string) (int, map[string]any) {
	GinkgoHelper()
	req, err := http.NewRequest(method, base+"/api/v1"+path, body)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// createKey makes a key of workspace default with role.
func createKey(role, label string) (id, text string) {
	GinkgoHelper()
	b, _ := json.Marshal(map[string]any{"role": role, "label": label})
	status, out := api("POST", "/workspaces/default/api-keys", bytes.NewReader(b), "application/json")
	Expect(status).To(Equal(201), "%v", out)
	return out["api_key_id"].(string), out["key"].(string)
}

// uploadByAPI stores a local file as a document and returns its id.
func uploadByAPI(workspace, path string) string {
	GinkgoHelper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	Expect(err).NotTo(HaveOccurred())
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	_, err = io.Copy(fw, f)
	f.Close()
	Expect(err).NotTo(HaveOccurred())
	Expect(mw.Close()).To(Succeed())
	status, out := api("POST", "/workspaces/"+workspace+"/documents", &buf, mw.FormDataContentType())
	Expect(status).To(Equal(201), "%v", out)
	return out["document_id"].(string)
}

// documentCount is how many documents workspace default lists.
func documentCount() int {
	GinkgoHelper()
	status, out := api("GET", "/workspaces/default/documents?limit=200", nil, "")
	Expect(status).To(Equal(200))
	return len(out["items"].([]any))
}

// writeCSV writes a roster of n rows.
func writeCSV(path string, n int) {
	GinkgoHelper()
	var b strings.Builder
	b.WriteString("first name,last name,email\n")
	for i := range n {
		fmt.Fprintf(&b, "Avery%d,Smith%d,avery%d@example.com\n", i, i, i)
	}
	Expect(os.WriteFile(path, []byte(b.String()), 0o644)).To(Succeed())
}

// browserlessUser is a plain HTTP client with a cookie jar, signed in
// through the sign-in form like a browser, for crafted requests.
type browserlessUser struct {
	c    *http.Client
	csrf string
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func signInWithoutBrowser(key string) *browserlessUser {
	GinkgoHelper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := &browserlessUser{c: c}
	page := u.get("/ui/sign-in")
	m := csrfPattern.FindStringSubmatch(page)
	Expect(m).To(HaveLen(2))
	resp, err := c.PostForm(base+"/ui/sign-in", url.Values{"csrf_token": {m[1]}, "api_key": {key}})
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
	m = csrfPattern.FindStringSubmatch(u.get("/ui/w/default/documents"))
	Expect(m).To(HaveLen(2), "a signed-in page carries the session's token")
	u.csrf = m[1]
	return u
}

func (u *browserlessUser) get(path string) string {
	GinkgoHelper()
	resp, err := u.c.Get(base + path)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// postUpload posts a one-file upload form whose first part is token
// (none when empty), with extra headers.
func (u *browserlessUser) postUpload(token string, headers map[string]string) (int, string) {
	GinkgoHelper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if token != "" {
		Expect(mw.WriteField("csrf_token", token)).To(Succeed())
	}
	fw, _ := mw.CreateFormFile("file", "crafted.csv")
	_, _ = fw.Write([]byte("a,b\n1,2\n"))
	Expect(mw.Close()).To(Succeed())
	req, _ := http.NewRequest("POST", base+"/ui/w/default/documents", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := u.c.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// postForm posts a URL-encoded form.
func (u *browserlessUser) postForm(path string, form url.Values, headers map[string]string) (int, string) {
	GinkgoHelper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := u.c.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
