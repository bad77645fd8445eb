package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

const rosterCSV = "first name,last name,email\nAvery,Smith,avery@example.com\nQuinn,Lee,quinn@example.com\n"

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// failingReader returns some bytes, then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.n)
	for i := range n {
		p[i] = 'x'
	}
	f.n -= n
	return n, nil
}

var _ = Describe("Documents", func() {
	var e *env
	BeforeEach(func() { e = newEnv(app.Config{MaxUploadBytes: 1024}) })

	upload := func(body io.Reader, mutate ...func(*app.UploadRequest)) (*domain.Document, error) {
		req := app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: body,
			Metadata: map[string]any{"source": "crm"}}
		for _, m := range mutate {
			m(&req)
		}
		return e.app.Documents.Upload(e.ctx, req)
	}

	expectNothingKept := func() {
		page, err := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Items).To(BeEmpty(), "no document row")
		for _, k := range e.blobs.putKeys() {
			_, err := e.blobs.Open(e.ctx, k, 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound), "no blob at %s", k)
		}
		events, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(events.Items).To(BeEmpty(), "no event")
	}

	It("streams an upload to the blob store with its size, sha256 and event", func() {
		d, err := upload(strings.NewReader(rosterCSV))
		Expect(err).NotTo(HaveOccurred())
		Expect(d.ByteSize()).To(Equal(int64(len(rosterCSV))))
		Expect(d.SHA256()).To(Equal(sum(rosterCSV)))
		Expect(d.ContentType()).To(Equal("text/csv"))
		Expect(d.ExpiresAt()).To(BeTemporally(">", epoch.Add(29*24*time.Hour)))

		_, rc, err := e.app.Documents.Open(e.ctx, e.ws, d.ID(), 0, -1)
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(rc)
		rc.Close()
		Expect(string(body)).To(Equal(rosterCSV))

		_, rc, err = e.app.Documents.Open(e.ctx, e.ws, d.ID(), 6, 4)
		Expect(err).NotTo(HaveOccurred())
		body, _ = io.ReadAll(rc)
		rc.Close()
		Expect(string(body)).To(Equal("name"))

		timeline, err := e.app.Documents.Events(e.ctx, e.ws, d.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(timeline.Items).To(HaveLen(3))
		Expect(timeline.Items[0].Type()).To(Equal(domain.EventDocumentUploaded))
		Expect(timeline.Items[1].Type()).To(Equal(domain.EventDocumentDownloaded))
	})

	It("keeps a specific declared type and sniffs generic ones", func() {
		d, err := upload(strings.NewReader(rosterCSV), func(r *app.UploadRequest) { r.ContentType = "application/x-custom" })
		Expect(err).NotTo(HaveOccurred())
		Expect(d.ContentType()).To(Equal("application/x-custom"))
		d, err = upload(strings.NewReader("%PDF-1.4\n"), func(r *app.UploadRequest) {
			r.ContentType = "application/octet-stream"
			r.Filename = "scan.bin"
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(d.ContentType()).To(Equal("application/pdf"))
	})

	It("refuses an oversize upload and keeps no blob and no row", func() {
		_, err := upload(strings.NewReader(strings.Repeat("a", 1025)))
		Expect(err).To(MatchError(domain.ErrTooLarge))
		var tl *domain.TooLargeError
		Expect(errors.As(err, &tl)).To(BeTrue())
		Expect(tl.LimitBytes).To(Equal(int64(1024)))
		Expect(e.blobs.putKeys()).To(HaveLen(1))
		expectNothingKept()
	})

	It("accepts an upload of exactly the limit", func() {
		d, err := upload(strings.NewReader(strings.Repeat("a", 1024)))
		Expect(err).NotTo(HaveOccurred())
		Expect(d.ByteSize()).To(Equal(int64(1024)))
	})

	It("keeps nothing when the body breaks mid-stream", func() {
		_, err := upload(&failingReader{n: 300})
		Expect(err).To(HaveOccurred())
		expectNothingKept()
	})

	DescribeTable("refuses invalid details before reading the body",
		func(mutate func(*app.UploadRequest), field string) {
			_, err := upload(strings.NewReader(rosterCSV), mutate)
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			Expect(fieldsOf(err)).To(ContainElement(field))
			Expect(e.blobs.putKeys()).To(BeEmpty())
			expectNothingKept()
		},
		Entry("metadata too large", func(r *app.UploadRequest) {
			r.Metadata = map[string]any{"x": strings.Repeat("a", domain.MaxMetadataBytes)}
		}, "metadata"),
		Entry("metadata not JSON-compatible", func(r *app.UploadRequest) { r.Metadata = map[string]any{"c": make(chan int)} }, "metadata"),
		Entry("expiry in the past", func(r *app.UploadRequest) {
			past := epoch.Add(-time.Hour)
			r.ExpiresAt = &past
		}, "expires_at"),
	)

	It("discards a staged upload whose late details are invalid", func() {
		staged, err := e.app.Documents.Stage(e.ctx, e.ws, "a.csv", "", strings.NewReader(rosterCSV))
		Expect(err).NotTo(HaveOccurred())
		past := epoch.Add(-time.Hour)
		_, err = e.app.Documents.Commit(e.ctx, staged, app.UploadDetails{ExpiresAt: &past})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		expectNothingKept()
	})

	It("stores a traversal filename as its last element", func() {
		d, err := upload(strings.NewReader(rosterCSV), func(r *app.UploadRequest) { r.Filename = "../../etc/passwd" })
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Filename()).To(Equal("passwd"))
	})

	It("soft-deletes once, removing the bytes and recording who and why", func() {
		d, err := upload(strings.NewReader(rosterCSV))
		Expect(err).NotTo(HaveOccurred())
		ctx := app.WithActor(e.ctx, domain.Actor{Type: domain.ActorUser, ID: "alice", Label: "Alice"})
		Expect(e.app.Documents.Delete(ctx, e.ws, d.ID(), "uploaded twice")).To(Succeed())

		_, err = e.app.Documents.Get(e.ctx, e.ws, d.ID())
		Expect(err).To(MatchError(domain.ErrNotFound))
		_, _, err = e.app.Documents.Open(e.ctx, e.ws, d.ID(), 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound))
		Expect(e.app.Documents.Delete(ctx, e.ws, d.ID(), "")).To(MatchError(domain.ErrNotFound))
		_, err = e.blobs.Open(e.ctx, d.BlobKey(), 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound))

		row, err := e.repos.Documents.Get(e.ctx, e.ws, d.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(row.State().DeletedBy).To(Equal("alice"))
		Expect(row.State().DeleteReason).To(Equal("uploaded twice"))

		timeline, err := e.app.Documents.Events(e.ctx, e.ws, d.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		last := timeline.Items[len(timeline.Items)-1].State()
		Expect(last.EventType).To(Equal(domain.EventDocumentDeleted))
		Expect(last.ActorID).To(Equal("alice"))
	})

	It("pages lists newest first and validates the page", func() {
		var ids []string
		for range 5 {
			d, err := upload(strings.NewReader(rosterCSV))
			Expect(err).NotTo(HaveOccurred())
			ids = append(ids, d.ID())
		}
		p, err := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{Limit: 2, Offset: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.HasMore).To(BeTrue())
		Expect([]string{p.Items[0].ID(), p.Items[1].ID()}).To(Equal([]string{ids[3], ids[2]}))
		p, err = e.app.Documents.List(e.ctx, e.ws, app.PageRequest{Limit: 2, Offset: 3})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.HasMore).To(BeFalse())
		Expect(p.Items).To(HaveLen(2))

		for _, bad := range []app.PageRequest{{Limit: 201}, {Limit: -1}, {Offset: -1}} {
			_, err = e.app.Documents.List(e.ctx, e.ws, bad)
			Expect(err).To(MatchError(domain.ErrInvalidInput), "%+v", bad)
		}
	})

	It("hides documents of other workspaces", func() {
		d, err := upload(strings.NewReader(rosterCSV))
		Expect(err).NotTo(HaveOccurred())
		other, err := e.app.Workspaces.Create(e.ctx, "other", "Other")
		Expect(err).NotTo(HaveOccurred())
		_, err = e.app.Documents.Get(e.ctx, other.ID(), d.ID())
		Expect(err).To(MatchError(domain.ErrNotFound))
		Expect(e.app.Documents.Delete(context.Background(), other.ID(), d.ID(), "")).To(MatchError(domain.ErrNotFound))
	})
})

func fieldsOf(err error) []string {
	var ve *domain.ValidationError
	Expect(errors.As(err, &ve)).To(BeTrue(), "a ValidationError: %v", err)
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

var _ = Describe("Workspace resolution", func() {
	It("finds a workspace by id or slug and keeps answering from its cache", func() {
		e := newEnv(app.Config{})
		other, err := e.app.Workspaces.Create(e.ctx, "ops", "Ops")
		Expect(err).NotTo(HaveOccurred())
		byID, err := e.app.Workspaces.Resolve(e.ctx, other.ID())
		Expect(err).NotTo(HaveOccurred())
		bySlug, err := e.app.Workspaces.Resolve(e.ctx, "ops")
		Expect(err).NotTo(HaveOccurred())
		Expect(byID.ID()).To(Equal(other.ID()))
		Expect(bySlug.ID()).To(Equal(other.ID()))
		_, err = e.app.Workspaces.Resolve(e.ctx, "nope")
		Expect(err).To(MatchError(domain.ErrNotFound))
		// A miss is not cached: the workspace is found once it exists.
		_, err = e.app.Workspaces.Create(e.ctx, "nope", "Nope")
		Expect(err).NotTo(HaveOccurred())
		_, err = e.app.Workspaces.Resolve(e.ctx, "nope")
		Expect(err).NotTo(HaveOccurred())
	})

	It("records no download when the bytes cannot be opened", func() {
		e := newEnv(app.Config{})
		d, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "a.csv", Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.blobs.Delete(e.ctx, d.BlobKey())).To(Succeed())
		_, _, err = e.app.Documents.Open(e.ctx, e.ws, d.ID(), 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound))
		timeline, err := e.app.Documents.Events(e.ctx, e.ws, d.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(types(timeline.Items)).To(Equal([]string{domain.EventDocumentUploaded}))
	})
})

var _ = Describe("Expiry", func() {
	It("purges expired documents in every workspace, once, keeping the record", func() {
		e := newEnv(app.Config{})
		other, err := e.app.Workspaces.Create(e.ctx, "other", "Other")
		Expect(err).NotTo(HaveOccurred())
		soon := epoch.Add(time.Hour)
		short, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "a.csv",
			Body: strings.NewReader(rosterCSV), ExpiresAt: &soon})
		Expect(err).NotTo(HaveOccurred())
		elsewhere, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: other.ID(), Filename: "b.csv",
			Body: strings.NewReader(rosterCSV), ExpiresAt: &soon})
		Expect(err).NotTo(HaveOccurred())
		long, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "c.csv",
			Body: strings.NewReader(rosterCSV)})
		Expect(err).NotTo(HaveOccurred())

		n, err := e.app.Maintenance.PurgeExpired(e.ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0), "nothing has expired yet")

		e.clock.jump(2 * time.Hour)
		n, err = e.app.Maintenance.PurgeExpired(e.ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(2))

		for _, d := range []*domain.Document{short, elsewhere} {
			_, err = e.app.Documents.Get(e.ctx, d.WorkspaceID(), d.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = e.blobs.Open(e.ctx, d.BlobKey(), 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound))
			row, err := e.repos.Documents.Get(e.ctx, d.WorkspaceID(), d.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(row.State().DeleteReason).To(Equal("expired"))
			Expect(row.State().DeletedBy).To(Equal(domain.SystemActor.ID))
			timeline, err := e.app.Documents.Events(e.ctx, d.WorkspaceID(), d.ID(), app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(types(timeline.Items)).To(Equal([]string{domain.EventDocumentUploaded, domain.EventDocumentPurged}))
		}
		_, err = e.app.Documents.Get(e.ctx, e.ws, long.ID())
		Expect(err).NotTo(HaveOccurred(), "an unexpired document stays")

		n, err = e.app.Maintenance.PurgeExpired(e.ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0), "a document is purged once")
	})
})
