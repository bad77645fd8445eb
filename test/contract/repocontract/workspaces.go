package repocontract

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeWorkspaces registers the contract of ports.WorkspaceRepository.
func describeWorkspaces(get func() *world) {
	Describe("WorkspaceRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("finds a workspace by id and by slug with every field intact", func() {
			got, err := w.repos.Workspaces.Get(w.ctx, w.ws.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.ws.State()))
			Expect(got.State().CreatedAt.Location()).To(Equal(time.UTC))

			got, err = w.repos.Workspaces.Get(w.ctx, "globex")
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.other.State()))
		})

		It("answers ErrNotFound for an unknown id or slug", func() {
			_, err := w.repos.Workspaces.Get(w.ctx, newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Workspaces.Get(w.ctx, "nope")
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("refuses a duplicate id or slug with ErrConflict", func() {
			dup := domain.RehydrateWorkspace(domain.WorkspaceState{
				ID: w.ws.ID(), Slug: "fresh", Name: "Fresh", CreatedAt: w.clock.Next(), UpdatedAt: w.clock.Next(),
			})
			Expect(w.repos.Workspaces.Create(w.ctx, dup)).To(MatchError(domain.ErrConflict))
			Expect(w.repos.Workspaces.Create(w.ctx, w.newWorkspace("acme"))).To(MatchError(domain.ErrConflict))
		})

		It("lists newest first with limit and offset", func() {
			third := w.createWorkspace("initech")
			all, err := w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 10})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(all)).To(Equal([]string{third.ID(), w.other.ID(), w.ws.ID()}))

			page, err := w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 1, Offset: 1})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(page)).To(Equal([]string{w.other.ID()}))

			page, err = w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 10, Offset: 3})
			Expect(err).NotTo(HaveOccurred())
			Expect(page).To(BeEmpty())
		})
	})
}
