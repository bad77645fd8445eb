package app_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// concurrently runs f n times at once and returns the errors, in no order.
func concurrently(n int, f func(i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// failures describes the errors of errs that are not nil, counting
// conflicts apart.
func failures(errs []error) string {
	var conflicts, others int
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
			continue
		case errors.Is(err, domain.ErrConflict):
			conflicts++
		default:
			others++
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		return ""
	}
	return fmt.Sprintf("%d of %d failed: %d conflicts, %d other errors; first: %v", conflicts+others, len(errs), conflicts, others, first)
}

// The same use-case specs on every backend: the in-memory store serialises
// every transaction, so only SQLite and PostgreSQL show real races.
var _ = Describe("Concurrent use cases", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var e *env
			BeforeEach(func() { e = newEnvOn(b, app.Config{}) })

			create := func(docType string) (*domain.Configuration, error) {
				return e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{
					WorkspaceID: e.ws, DocumentType: docType, Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
			}

			It("numbers 20 concurrent creations of one document type 1..20, all succeeding", func() {
				versions := make([]int, 20)
				errs := concurrently(20, func(i int) error {
					c, err := create("roster")
					if err == nil {
						versions[i] = c.Version()
					}
					return err
				})
				Expect(failures(errs)).To(BeEmpty())
				Expect(versions).To(ConsistOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20))
				page, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{EventType: domain.EventConfigurationCreated}, app.PageRequest{Limit: 200})
				Expect(err).NotTo(HaveOccurred())
				Expect(page.Items).To(HaveLen(20), "one configuration.created per version")
			})

			It("lets 20 concurrent activations of one type all succeed, leaving exactly one active", func() {
				cfgs := make([]*domain.Configuration, 20)
				for i := range cfgs {
					c, err := create("roster")
					Expect(err).NotTo(HaveOccurred())
					cfgs[i] = c
				}
				_, err := create("invoice") // another type, untouched
				Expect(err).NotTo(HaveOccurred())
				errs := concurrently(20, func(i int) error {
					_, err := e.app.Configurations.Activate(e.ctx, e.ws, cfgs[i].ID())
					return err
				})
				Expect(failures(errs)).To(BeEmpty())

				active := true
				page, err := e.app.Configurations.List(e.ctx, e.ws, ports.ConfigurationFilter{DocumentType: "roster", IsActive: &active}, app.PageRequest{})
				Expect(err).NotTo(HaveOccurred())
				Expect(page.Items).To(HaveLen(1))
				// The events tell the activations' order: each names the
				// version it replaced, so they form one chain ending at the
				// active version.
				events, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{EventType: domain.EventConfigurationActivated, Ascending: true}, app.PageRequest{Limit: 200})
				Expect(err).NotTo(HaveOccurred())
				Expect(events.Items).To(HaveLen(20), "one configuration.activated per activation")
				previous := ""
				for _, ev := range events.Items {
					Expect(ev.State().Payload["previous_configuration_id"]).To(Equal(previous))
					previous = ev.State().EntityID
				}
				Expect(previous).To(Equal(page.Items[0].ID()))
			})

			It("ends 100 concurrent submissions terminal with no lost update", func() {
				doc, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: strings.NewReader(rosterCSV)})
				Expect(err).NotTo(HaveOccurred())
				cfg, err := create("roster")
				Expect(err).NotTo(HaveOccurred())
				ids := make([]string, 100)
				errs := concurrently(100, func(i int) error {
					j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
					if err == nil {
						ids[i] = j.ID()
					}
					return err
				})
				Expect(failures(errs)).To(BeEmpty())
				seen := map[string]bool{}
				for _, id := range ids {
					seen[id] = true
					j, err := e.app.Jobs.Get(e.ctx, e.ws, id)
					Expect(err).NotTo(HaveOccurred())
					Expect(j.Status()).To(Equal(domain.JobSucceeded))
					Expect(j.Attempts()).To(Equal(1))
					p, err := e.app.Jobs.Events(e.ctx, e.ws, id, ports.EventFilter{}, app.PageRequest{})
					Expect(err).NotTo(HaveOccurred())
					Expect(types(p.Items)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
				}
				Expect(seen).To(HaveLen(100))
				p, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{}, app.PageRequest{Limit: 200})
				Expect(err).NotTo(HaveOccurred())
				Expect(p.Items).To(HaveLen(100))
			})
		})
	}
})
