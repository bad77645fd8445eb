package bunstore_test

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/oklog/ulid/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("Job changes on PostgreSQL", func() {
	var (
		db    *bunstore.DB
		repos ports.Repositories
		sizes <-chan int
		hold  func()
		wait  func() int
		send  func()
		ws    *domain.Workspace
		doc   *domain.Document
		cfg   *domain.Configuration
		now   time.Time
	)
	next := func() time.Time { now = now.Add(time.Second); return now }
	newEvent := func(eventType, jobID string) *domain.Event {
		e, err := domain.NewEvent(domain.EventState{ID: ulid.Make().String(), WorkspaceID: ws.ID(), EventType: eventType,
			EntityType: domain.EntityJob, EntityID: jobID, OccurredAt: next(), ActorType: domain.ActorSystem, Source: "worker"})
		Expect(err).NotTo(HaveOccurred())
		return e
	}
	newJob := func(documentID string) *domain.Job {
		j, err := domain.NewJob(domain.NewJobParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(), DocumentType: cfg.DocumentType(),
			ConfigurationID: cfg.ID(), ConfigurationVersion: cfg.Version(), InputDocumentID: documentID, Now: next()})
		Expect(err).NotTo(HaveOccurred())
		return j
	}
	// submission is a new job's change; start, its pending -> running one.
	submission := func(j *domain.Job) ports.JobChange {
		return ports.JobChange{Job: j, Events: []*domain.Event{newEvent(domain.EventJobCreated, j.ID())}}
	}
	start := func(j *domain.Job, in *ports.JobInputs) ports.JobChange {
		run := domain.RehydrateJob(j.State())
		Expect(run.Start(next())).To(Succeed())
		return ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{newEvent(domain.EventJobRunning, j.ID())}, Inputs: in}
	}
	stored := func(j *domain.Job) (domain.JobStatus, int) {
		GinkgoHelper()
		got, err := repos.Jobs.Get(ctx, ws.ID(), j.ID())
		if err != nil {
			Expect(err).To(MatchError(domain.ErrNotFound))
			return "", 0
		}
		evs, err := repos.Events.List(ctx, ws.ID(), ports.EventFilter{EntityType: domain.EntityJob, EntityID: j.ID()}, ports.Page{})
		Expect(err).NotTo(HaveOccurred())
		return got.Status(), len(evs)
	}
	// together applies changes from goroutines of their own while the
	// batch slot is held, and sends them once all wait: one batch.
	together := func(changes []ports.JobChange) []error {
		GinkgoHelper()
		errs := make([]error, len(changes))
		hold()
		var wg sync.WaitGroup
		for i, c := range changes {
			wg.Go(func() { errs[i] = repos.Jobs.Apply(ctx, c) })
		}
		Eventually(wait).Should(Equal(len(changes)))
		send()
		wg.Wait()
		return errs
	}

	BeforeEach(func() {
		db = openPostgres()
		Expect(db.Migrate(ctx)).To(Succeed())
		repos = db.Repositories()
		hold, wait, send, sizes = bunstore.HoldJobChanges(db)
		now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		var err error
		ws, err = domain.NewWorkspace(ulid.Make().String(), "batch", "Batch", next())
		Expect(err).NotTo(HaveOccurred())
		Expect(repos.Workspaces.Create(ctx, ws)).To(Succeed())
		doc, err = domain.NewDocument(domain.NewDocumentParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(), Filename: "r.csv",
			ContentType: "text/csv", ByteSize: 8, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			BlobKey: "blobs/" + ulid.Make().String(), ExpiresAt: now.Add(24 * time.Hour), Now: next()})
		Expect(err).NotTo(HaveOccurred())
		Expect(repos.Documents.Create(ctx, doc)).To(Succeed())
		cfg, err = domain.NewConfiguration(domain.NewConfigurationParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(),
			DocumentType: "r", Title: "R", Version: 1, Payload: map[string]any{"extractor": "stub"}, Now: next()})
		Expect(err).NotTo(HaveOccurred())
		Expect(repos.Configurations.Create(ctx, cfg)).To(Succeed())
	})

	It("finds jobs, documents and configurations by id through their primary keys, also in plans made before the tables had statistics", func() {
		// PostgreSQL keeps a prepared statement's generic plan, made while
		// its tables were new (not yet analyzed), until they are analyzed.
		// Such a plan, forced here on a new schema, must still find each
		// row through its table's primary key: an index that leads with
		// workspace_id would scan the workspace's rows on every call.
		waiting, running := newJob(doc.ID()), newJob(doc.ID())
		for _, j := range []*domain.Job{waiting, running} {
			Expect(repos.Jobs.Apply(ctx, submission(j))).To(Succeed())
		}
		started := start(running, nil)
		Expect(repos.Jobs.Apply(ctx, started)).To(Succeed())
		done := domain.RehydrateJob(started.Job.State())
		Expect(done.Succeed(next(), domain.Outcome{Metrics: map[string]any{"rows_extracted": 1}})).To(Succeed())
		table, err := domain.NewTable(domain.TableState{ID: ulid.Make().String(), WorkspaceID: ws.ID(), JobID: running.ID(),
			DocumentID: doc.ID(), Title: "T", RowCount: 1, Columns: []string{"a"}, CreatedAt: now})
		Expect(err).NotTo(HaveOccurred())
		type statement struct {
			query string
			args  []any
		}
		byChange := func(c ports.JobChange) statement {
			q, args, err := bunstore.JobChangeStatement(c)
			Expect(err).NotTo(HaveOccurred())
			return statement{q, args}
		}
		statements := map[string]statement{
			"a start reading its inputs": byChange(start(waiting, &ports.JobInputs{})),
			"an end with its table": byChange(ports.JobChange{Job: done, From: domain.JobRunning, Attempts: 1,
				Events: []*domain.Event{newEvent(domain.EventJobSucceeded, running.ID())}, Tables: []*domain.Table{table}, NoWebhooks: true}),
			"a job read":           {bunstore.GetJobSQL, []any{ws.ID(), waiting.ID()}},
			"a job and its inputs": {bunstore.GetRunSQL, []any{ws.ID(), waiting.ID()}},
			"a job's inputs":       {bunstore.InputsByIDSQL, []any{ws.ID(), doc.ID(), ws.ID(), cfg.ID()}},
		}
		Expect(bunstore.WithPgxConn(ctx, db, func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
			Expect(err).NotTo(HaveOccurred())
			for name, st := range statements {
				found := 0
				for table, index := range genericPlanScans(conn, st.query, st.args) {
					if table == "jobs" || table == "documents" || table == "configurations" {
						Expect(index).To(Equal(table+"_pkey"), "%s: %s", name, table)
						found++
					}
				}
				Expect(found).To(BeNumerically(">", 0), name)
			}
			return nil
		})).To(Succeed())
	})

	It("gives each change of one batch its own outcome: stored, refused by its guard, or reading its inputs", func() {
		pending, moved := newJob(doc.ID()), newJob(doc.ID())
		for _, j := range []*domain.Job{pending, moved} {
			Expect(repos.Jobs.Apply(ctx, submission(j))).To(Succeed())
		}
		Expect(<-sizes).To(Equal(1))
		Expect(<-sizes).To(Equal(1))
		Expect(repos.Jobs.Apply(ctx, start(moved, nil))).To(Succeed())
		Expect(<-sizes).To(Equal(1))

		fresh := []*domain.Job{newJob(doc.ID()), newJob(doc.ID()), newJob(doc.ID())}
		var in ports.JobInputs
		var late ports.JobInputs
		changes := []ports.JobChange{submission(fresh[0]), start(pending, &in), submission(fresh[1]), start(moved, &late), submission(fresh[2])}
		errs := together(changes)
		Expect(<-sizes).To(Equal(len(changes)), "one batch")

		Expect(errs[0]).NotTo(HaveOccurred())
		Expect(errs[1]).NotTo(HaveOccurred())
		Expect(errs[2]).NotTo(HaveOccurred())
		Expect(errs[3]).To(MatchError(domain.ErrConflict), "the job had moved on")
		Expect(errs[4]).NotTo(HaveOccurred())
		Expect(in.Configuration.State()).To(Equal(cfg.State()))
		Expect(in.Document.State()).To(Equal(doc.State()))
		Expect(late).To(Equal(ports.JobInputs{}), "a refused change reads nothing")
		for _, j := range fresh {
			st, evs := stored(j)
			Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
		}
		st, evs := stored(pending)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobRunning, 2}))
		st, evs = stored(moved)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobRunning, 2}), "the refused start stored nothing")
	})

	It("sends every change again alone when PostgreSQL refuses one, so only that one fails", func() {
		good := []*domain.Job{newJob(doc.ID()), newJob(doc.ID()), newJob(doc.ID())}
		orphan := newJob(ulid.Make().String()) // its input document does not exist
		taken := newJob(doc.ID())
		Expect(repos.Jobs.Apply(ctx, submission(taken))).To(Succeed())
		Expect(<-sizes).To(Equal(1))

		errs := together([]ports.JobChange{submission(good[0]), submission(orphan), submission(good[1]), submission(taken), submission(good[2])})
		Expect(<-sizes).To(Equal(5), "one batch")
		Expect(errs[1]).To(MatchError(domain.ErrUnprocessable), "a foreign key the job breaks")
		Expect(errs[3]).To(MatchError(domain.ErrConflict), "a taken id")
		for _, i := range []int{0, 2, 4} {
			Expect(errs[i]).NotTo(HaveOccurred())
		}
		for _, j := range good {
			st, evs := stored(j)
			Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
		}
		st, evs := stored(orphan)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobStatus(""), 0}), "nothing of the refused change")
		st, evs = stored(taken)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}), "the first job with the id is untouched")
	})

	It("reads a submission's inputs in the batch with the changes waiting with it, also one PostgreSQL refuses in part", func() {
		good, orphan := newJob(doc.ID()), newJob(ulid.Make().String()) // the orphan's document does not exist
		kept, refused := submission(good), submission(orphan)
		var byID, byType, missing ports.JobInputs
		errs := make([]error, 5)
		hold()
		var wg sync.WaitGroup
		wg.Go(func() { errs[0] = repos.Jobs.Apply(ctx, kept) })
		wg.Go(func() { byID, errs[1] = repos.Jobs.Inputs(ctx, ws.ID(), doc.ID(), cfg.ID(), "") })
		wg.Go(func() { errs[2] = repos.Jobs.Apply(ctx, refused) })
		wg.Go(func() { byType, errs[3] = repos.Jobs.Inputs(ctx, ws.ID(), doc.ID(), "", cfg.DocumentType()) })
		unknownDoc, unknownCfg := ulid.Make().String(), ulid.Make().String()
		wg.Go(func() { missing, errs[4] = repos.Jobs.Inputs(ctx, ws.ID(), unknownDoc, unknownCfg, "") })
		Eventually(wait).Should(Equal(5))
		send()
		wg.Wait()
		Expect(<-sizes).To(Equal(5), "one batch, the reads in it")

		Expect(errs[2]).To(MatchError(domain.ErrUnprocessable), "the refused change")
		for _, i := range []int{0, 1, 3, 4} {
			Expect(errs[i]).NotTo(HaveOccurred())
		}
		Expect(byID.Document.State()).To(Equal(doc.State()))
		Expect(byID.Configuration.State()).To(Equal(cfg.State()))
		Expect(byType.Document.State()).To(Equal(doc.State()))
		Expect(byType.Configuration).To(BeNil(), "the configuration is not active")
		Expect(missing).To(Equal(ports.JobInputs{}))
		st, evs := stored(good)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
	})

	It("reads jobs with their inputs in the batch, one that does not exist failing alone, not the changes with it", func() {
		earlier := newJob(doc.ID())
		Expect(repos.Jobs.Apply(ctx, submission(earlier))).To(Succeed())
		Eventually(sizes).Should(Receive(Equal(1)))
		kept := newJob(doc.ID())
		var run ports.JobRun
		errs := make([]error, 3)
		hold()
		var wg sync.WaitGroup
		wg.Go(func() { run, errs[0] = repos.Jobs.GetRun(ctx, ws.ID(), earlier.ID()) })
		wg.Go(func() { _, errs[1] = repos.Jobs.GetRun(ctx, ws.ID(), ulid.Make().String()) })
		wg.Go(func() { errs[2] = repos.Jobs.Apply(ctx, submission(kept)) })
		Eventually(wait).Should(Equal(3))
		send()
		wg.Wait()
		Expect(<-sizes).To(Equal(3), "one batch, the reads in it")

		Expect(errs[0]).NotTo(HaveOccurred())
		Expect(errs[1]).To(MatchError(domain.ErrNotFound))
		Expect(errs[2]).NotTo(HaveOccurred(), "the change was stored, and its caller is told so")
		Expect(run.Job.State()).To(Equal(earlier.State()))
		Expect(run.Document.State()).To(Equal(doc.State()))
		Expect(run.Configuration.State()).To(Equal(cfg.State()))
		st, evs := stored(kept)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
	})

	It("sends at most 32 changes in one batch, and the rest in the next", func() {
		jobs := make([]*domain.Job, 40)
		changes := make([]ports.JobChange, len(jobs))
		for i := range jobs {
			jobs[i] = newJob(doc.ID())
			changes[i] = submission(jobs[i])
		}
		for _, err := range together(changes) {
			Expect(err).NotTo(HaveOccurred())
		}
		var first, second int
		Eventually(sizes).Should(Receive(&first))
		Eventually(sizes).Should(Receive(&second))
		Expect([]int{first, second}).To(Equal([]int{32, 8}))
		for _, j := range jobs {
			st, evs := stored(j)
			Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
		}
	})

	It("leaves out a change whose caller gave up before its batch went, and sends the rest", func() {
		kept, dropped := newJob(doc.ID()), newJob(doc.ID())
		gone, cancel := context.WithCancel(ctx)
		errs := make(chan error, 2)
		hold()
		go func() { errs <- repos.Jobs.Apply(gone, submission(dropped)) }()
		Eventually(wait).Should(Equal(1))
		cancel()
		go func() { errs <- repos.Jobs.Apply(ctx, submission(kept)) }()
		Eventually(wait).Should(Equal(2))
		send()
		Expect([]error{<-errs, <-errs}).To(ContainElements(MatchError(context.Canceled), BeNil()))
		Expect(<-sizes).To(Equal(1), "the batch carried only the change still waited for")
		st, evs := stored(kept)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobPending, 1}))
		st, evs = stored(dropped)
		Expect([]any{st, evs}).To(Equal([]any{domain.JobStatus(""), 0}))
	})
})

// genericPlanScans prepares query, plans it generically (the session sets
// plan_cache_mode) with args as its parameters, and returns the index each
// table is read through ("" for a scan of the table itself).
func genericPlanScans(conn *pgx.Conn, query string, args []any) map[string]string {
	GinkgoHelper()
	name := "plan_" + ulid.Make().String()
	sd, err := conn.Prepare(ctx, name, query)
	Expect(err).NotTo(HaveOccurred())
	// EXECUTE takes its parameters as literals: each argument in
	// PostgreSQL's text form for its parameter's type.
	lits := make([]string, len(args))
	for i, a := range args {
		text, err := conn.TypeMap().Encode(sd.ParamOIDs[i], pgtype.TextFormatCode, a, nil)
		Expect(err).NotTo(HaveOccurred())
		lits[i] = "NULL"
		if text != nil {
			lits[i] = "'" + strings.ReplaceAll(string(text), "'", "''") + "'"
		}
	}
	var plan []struct{ Plan planNode }
	Expect(conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE \""+name+"\"("+strings.Join(lits, ", ")+")").Scan(&plan)).To(Succeed())
	scans := map[string]string{}
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.Relation != "" && n.Type != "ModifyTable" {
			scans[n.Relation] = n.Index
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plan[0].Plan)
	return scans
}

// planNode is a node of EXPLAIN's JSON output.
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}
