package browser_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("A viewer", Ordered, func() {
	var (
		viewer        *tab
		keyID, keyTxt string
	)
	BeforeAll(func() {
		keyID, keyTxt = createKey("viewer", "auditor")
		viewer = newTab()
		viewer.signIn(keyTxt)
	})

	It("lands on its workspace's documents and sees no upload form, link or job button", func() {
		Expect(viewer.location()).To(Equal("/ui/w/default/documents"))
		Expect(strings.ToLower(viewer.text(".who"))).To(ContainSubstring("viewer"))
		Expect(viewer.count("a[href='/ui/w/default/upload']")).To(Equal(0))
		viewer.open("/ui/w/default/upload")
		Expect(viewer.text("h1")).To(Equal("Not allowed"))
		Expect(viewer.count("#upload")).To(Equal(0))
		viewer.open("/ui/w/default/configurations")
		Expect(viewer.count("a[href='/ui/w/default/configurations/new']")).To(Equal(0))
		Expect(viewer.count("form[action$='/activate']")).To(Equal(0))
	})

	It("cannot post an upload even with its own valid session and token", func() {
		u := signInWithoutBrowser(keyTxt)
		before := documentCount()
		status, body := u.postUpload(u.csrf, nil)
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(body).To(ContainSubstring("Not allowed"))
		Expect(documentCount()).To(Equal(before))
	})

	It("is signed out within the key cache delay once its key is revoked", func() {
		status, _ := api("DELETE", "/workspaces/default/api-keys/"+keyID, nil, "")
		Expect(status).To(Equal(http.StatusNoContent))
		Eventually(func() string {
			viewer.open("/ui/w/default/documents")
			return viewer.location()
		}).WithTimeout(5 * time.Second).WithPolling(200 * time.Millisecond).Should(HavePrefix("/ui/sign-in"))
		Expect(viewer.text("main")).To(ContainSubstring("Your session has ended"))
	})
})

var _ = Describe("Crafted requests against the UI", Ordered, func() {
	var editor *browserlessUser
	BeforeAll(func() {
		_, text := createKey("editor", "operator")
		editor = signInWithoutBrowser(text)
	})

	It("refuse an upload without the session's token, or with another, storing nothing", func() {
		before := documentCount()
		status, body := editor.postUpload("", nil)
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(body).To(ContainSubstring("The form has expired"))
		status, _ = editor.postUpload("forged-token-of-the-right-shape-0123456789abcdefgh", nil)
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(documentCount()).To(Equal(before))
		status, _ = editor.postUpload(editor.csrf, nil)
		Expect(status).To(Equal(http.StatusSeeOther), "the same form with the session's token is accepted")
		Expect(documentCount()).To(Equal(before + 1))
	})

	It("refuse a form from another site even with the right token", func() {
		status, _ := editor.postUpload(editor.csrf, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
		Expect(status).To(Equal(http.StatusForbidden))
		status, _ = editor.postForm("/ui/sign-out", url.Values{"csrf_token": {editor.csrf}}, map[string]string{"Origin": "https://evil.example"})
		Expect(status).To(Equal(http.StatusForbidden))
	})

	It("refuse a form whose token does not match, and a sign-in without the sign-in token", func() {
		status, _ := editor.postForm("/ui/sign-out", url.Values{"csrf_token": {"nope"}}, nil)
		Expect(status).To(Equal(http.StatusForbidden))
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := anon.PostForm(base+"/ui/sign-in", url.Values{"api_key": {adminKey}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusForbidden), "no login CSRF")
	})

	It("send a forged or tampered session cookie to sign-in", func() {
		jar := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", base+"/ui/w/default/documents", nil)
		req.AddCookie(&http.Cookie{Name: "ade_session", Value: "bm90IGEgc2Vzc2lvbg"})
		resp, err := jar.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
		Expect(resp.Header.Get("Location")).To(HavePrefix("/ui/sign-in"))
	})

	It("serve every page with a strict Content-Security-Policy", func() {
		resp, err := editor.c.Get(base + "/ui/w/default/documents")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		Expect(csp).To(ContainSubstring("script-src 'self'"))
		Expect(csp).NotTo(ContainSubstring("unsafe-inline"))
		Expect(csp).NotTo(ContainSubstring("unsafe-eval"))
	})
})
