package fault_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/pgtest"
)

// cuttableProxy forwards TCP connections to a target until it is cut:
// then it drops every open connection and refuses new ones, as a database
// server that went away would, until it heals.
type cuttableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	down   bool
}

func newCuttableProxy(target string) *cuttableProxy {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	p := &cuttableProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	DeferCleanup(func() {
		_ = ln.Close()
		p.cut()
	})
	return p
}

func (p *cuttableProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
		go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
	}
}

func (p *cuttableProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *cuttableProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// gate is an extractor that writes an output, says it is waiting, then
// waits until the spec opens it.
type gate struct{ waiting, open chan struct{} }

func (gate) Name() string                         { return "gate" }
func (gate) ValidatePayload(map[string]any) error { return nil }
func (g gate) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	w, err := req.Outputs.Create(ctx, "out.csv", "text/csv")
	if err != nil {
		return ports.ExtractionResult{}, err
	}
	if _, err := io.WriteString(w, "a,b\n1,2\n"); err != nil {
		return ports.ExtractionResult{}, err
	}
	if err := w.Close(); err != nil {
		return ports.ExtractionResult{}, err
	}
	close(g.waiting)
	select {
	case <-g.open:
	case <-ctx.Done():
		return ports.ExtractionResult{}, ctx.Err()
	}
	return ports.ExtractionResult{Tables: []ports.ExtractedTable{{Title: "t", RowCount: 1, Columns: []string{"a", "b"}}}}, nil
}

var _ = Describe("when PostgreSQL goes away in the middle of a job", func() {
	It("ends the job with its real outcome once the database answers again, written by the same attempt, once", func() {
		ctx := context.Background()
		u, err := url.Parse(pgtest.FreshSchema("outage"))
		Expect(err).NotTo(HaveOccurred())
		proxy := newCuttableProxy(u.Host)
		u.Host = proxy.ln.Addr().String()
		q := u.Query()
		q.Set("connect_timeout", "1")
		u.RawQuery = q.Encode()
		db, err := bunstore.Open(ctx, u.String())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		Expect(db.Migrate(ctx)).To(Succeed())

		bs, err := blobstore.Open(ctx, "mem://")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(bs.Close)
		g := gate{waiting: make(chan struct{}), open: make(chan struct{})}
		exs, err := app.NewExtractors(g)
		Expect(err).NotTo(HaveOccurred())
		// The queue is River on the same database, behind the same proxy:
		// its task commits with the job (an in-memory queue would hand
		// the task out before the job's row commits), and the cut takes
		// the queue's connections away too.
		Expect(riverqueue.Migrate(ctx, db)).To(Succeed())
		queue, err := riverqueue.Open(ctx, db, riverqueue.Config{Workers: 1})
		Expect(err).NotTo(HaveOccurred())
		a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: queue, Blobs: bs, Extractors: exs,
			Clock: system.Clock{}, IDs: system.NewULIDs(), Config: app.Config{TerminalRetry: time.Minute},
			Logger: slog.New(slog.NewTextHandler(GinkgoWriter, nil))})
		Expect(err).NotTo(HaveOccurred())
		Expect(queue.Start(ctx, a.Tasks)).To(Succeed())
		DeferCleanup(queue.Stop)
		ws, err := a.Workspaces.EnsureDefault(ctx)
		Expect(err).NotTo(HaveOccurred())
		doc, err := a.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: ws.ID(), Filename: "in.csv", Body: strings.NewReader("a,b\n1,2\n")})
		Expect(err).NotTo(HaveOccurred())
		cfg, err := a.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: ws.ID(), DocumentType: "t", Title: "T",
			Payload: map[string]any{"extractor": "gate"}})
		Expect(err).NotTo(HaveOccurred())

		job, err := a.Jobs.Enqueue(ctx, app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Eventually(g.waiting, 30*time.Second).Should(BeClosed(), "the extraction runs")

		proxy.cut()
		_, err = a.Jobs.Get(ctx, ws.ID(), job.ID())
		Expect(err).To(MatchError(domain.ErrUnavailable), "the database is gone")
		close(g.open) // the extraction ends while the database is away
		time.Sleep(1500 * time.Millisecond)
		proxy.heal()

		var done *domain.Job
		Eventually(func() error {
			j, err := a.Jobs.Get(ctx, ws.ID(), job.ID())
			if err != nil {
				return err
			}
			if !j.Status().IsTerminal() {
				return errors.New("still " + string(j.Status()))
			}
			done = j
			return nil
		}, 30*time.Second, 50*time.Millisecond).Should(Succeed())
		Expect(done.Status()).To(Equal(domain.JobSucceeded), "not failed, not internal")
		Expect(done.Attempts()).To(Equal(1), "the attempt that ran wrote its end")
		res, err := a.Jobs.Results(ctx, ws.ID(), job.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Tables.Items).To(HaveLen(1))
		Expect(res.OutputDocuments).To(HaveLen(1))
		evs, err := a.Jobs.Events(ctx, ws.ID(), job.ID(), ports.EventFilter{}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		terminal := 0
		for _, e := range evs.Items {
			if e.Type() == domain.EventJobSucceeded || e.Type() == domain.EventJobFailed {
				terminal++
			}
		}
		Expect(terminal).To(Equal(1))
	})
})
