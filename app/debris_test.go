package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// failingDeletes is a blob store whose Delete fails while broken is set.
type failingDeletes struct {
	ports.BlobStore
	broken bool
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if f.broken {
		return errors.New("disk unplugged")
	}
	return f.BlobStore.Delete(ctx, key)
}

// A process that dies between storing bytes and recording their row (or
// between recording a deletion and removing the bytes) leaves a blob
// intent behind; another process, or its restart, removes those bytes
// once the dead process's lease has lapsed, and never touches the intents
// of a process at work.
var _ = Describe("Crash debris", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var (
				e     *env
				blobs *failingDeletes
				// peer is a second process on the same database and blob
				// store, with a clock of its own.
				peer      *app.App
				peerClock *stepClock
			)
			BeforeEach(func() {
				e = newEnvOn(b, app.Config{InstanceLease: time.Minute, MaxUploadBytes: 1 << 20})
				blobs = &failingDeletes{BlobStore: e.blobs}
				exs, err := app.NewExtractors(stub.Extractor{})
				Expect(err).NotTo(HaveOccurred())
				peerClock = &stepClock{}
				// The peer runs no task: it only enqueues.
				peerQueue, _, _ := storetest.Queue(e.store, 0, fastRetries)
				peer, err = app.New(app.Deps{Repos: e.repos, Queue: peerQueue, Blobs: blobs, Extractors: exs, Clock: peerClock,
					IDs: system.NewULIDs(), Config: app.Config{InstanceLease: time.Minute},
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				Expect(err).NotTo(HaveOccurred())
				Expect(peer.Debris.RenewLease(e.ctx)).To(Succeed())
				Expect(e.app.Debris.RenewLease(e.ctx)).To(Succeed())
			})
			exists := func(key string) bool {
				GinkgoHelper()
				rc, err := e.blobs.Open(e.ctx, key, 0, -1)
				if errors.Is(err, domain.ErrNotFound) {
					return false
				}
				Expect(err).NotTo(HaveOccurred())
				Expect(rc.Close()).To(Succeed())
				return true
			}
			stagedKey := func() string {
				GinkgoHelper()
				keys := e.blobs.putKeys()
				Expect(keys).NotTo(BeEmpty())
				return keys[len(keys)-1]
			}

			It("leaves the bytes of a live process's upload alone, and removes them once its lease lapsed", func() {
				staged, err := e.app.Documents.Stage(e.ctx, e.ws, "r.csv", "", strings.NewReader(rosterCSV))
				Expect(err).NotTo(HaveOccurred())
				key := stagedKey()

				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(0))
				Expect(exists(key)).To(BeTrue())

				// The first process stops renewing (it died): a lease later,
				// the peer reclaims its bytes.
				peerClock.jump(2 * time.Minute)
				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(1))
				Expect(exists(key)).To(BeFalse())
				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(0), "an intent is reclaimed once")

				// Had it been only slow, its commit now fails and records nothing.
				_, err = e.app.Documents.Commit(e.ctx, staged, app.UploadDetails{})
				Expect(err).To(MatchError(domain.ErrUnavailable))
				docs, err := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{})
				Expect(err).NotTo(HaveOccurred())
				Expect(docs.Items).To(BeEmpty())
			})

			It("resolves the intent of a committed upload, so the sweep never removes a document's bytes", func() {
				d, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "r.csv", Body: strings.NewReader(rosterCSV)})
				Expect(err).NotTo(HaveOccurred())
				Expect(e.app.Debris.ReleaseLease(e.ctx)).To(Succeed())
				peerClock.jump(48 * time.Hour)
				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(0))
				Expect(exists(d.BlobKey())).To(BeTrue())
			})

			It("resolves the intents of a failed upload and a discarded one", func() {
				_, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "r.csv",
					Body: strings.NewReader(strings.Repeat("x", 1<<20+1))})
				Expect(err).To(MatchError(domain.ErrTooLarge))
				staged, err := e.app.Documents.Stage(e.ctx, e.ws, "r.csv", "", strings.NewReader(rosterCSV))
				Expect(err).NotTo(HaveOccurred())
				e.app.Documents.Discard(e.ctx, staged)
				Expect(e.app.Debris.ReleaseLease(e.ctx)).To(Succeed())
				left, err := e.repos.BlobIntents.Abandoned(e.ctx, epoch.Add(time.Hour), epoch, 0)
				Expect(err).NotTo(HaveOccurred())
				Expect(left).To(BeEmpty())
			})

			It("removes the bytes of a deleted document whose removal failed, once its process is gone", func() {
				d, err := peer.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "r.csv", Body: strings.NewReader(rosterCSV)})
				Expect(err).NotTo(HaveOccurred())
				blobs.broken = true
				Expect(peer.Documents.Delete(e.ctx, e.ws, d.ID(), "")).To(Succeed())
				Expect(exists(d.BlobKey())).To(BeTrue(), "the removal failed")
				blobs.broken = false

				Expect(e.app.Debris.Reclaim(e.ctx)).To(Equal(0), "the peer still holds its lease")
				Expect(peer.Debris.ReleaseLease(e.ctx)).To(Succeed())
				Expect(e.app.Debris.Reclaim(e.ctx)).To(Equal(1))
				Expect(exists(d.BlobKey())).To(BeFalse())
			})

			It("keeps the intent of bytes it could not remove, for the next sweep", func() {
				_, err := peer.Documents.Stage(e.ctx, e.ws, "r.csv", "", strings.NewReader(rosterCSV))
				Expect(err).NotTo(HaveOccurred())
				key := stagedKey()
				Expect(peer.Debris.ReleaseLease(e.ctx)).To(Succeed())
				peerClock.jump(time.Hour)
				blobs.broken = true
				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(0))
				Expect(exists(key)).To(BeTrue())
				blobs.broken = false
				Expect(peer.Debris.Reclaim(e.ctx)).To(Equal(1))
				Expect(exists(key)).To(BeFalse())
			})
		})
	}
})
