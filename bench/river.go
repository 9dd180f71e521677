package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// River, as a library, on the same PostgreSQL server: the yardstick for
// Dossier's queue. It runs no-op jobs tuned for throughput (fetch cooldown
// and poll interval 1 ms, 100 workers), not at its capped defaults (a
// 100 ms cooldown caps 100 workers at 1,000 jobs/s).

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

const (
	riverWorkers = 100
	// dossierConcurrency is WORKER_CONCURRENCY for the comparison.
	dossierConcurrency = 64
)

// riverRun inserts n no-op jobs, then measures how fast a River client
// completes them.
func riverRun(ctx context.Context, url string, n int) float64 {
	pool, err := pgxpool.New(ctx, url)
	check(err)
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	check(err)
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	check(err)
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: riverWorkers}},
		Workers:           workers,
		FetchCooldown:     time.Millisecond,
		FetchPollInterval: time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
	})
	check(err)
	params := make([]river.InsertManyParams, n)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}}
	}
	for i := 0; i < n; i += 1000 {
		_, err := client.InsertMany(ctx, params[i:min(i+1000, n)])
		check(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	var done atomic.Int64
	if riverBefore != nil {
		riverBefore(url)
	}
	start := time.Now()
	check(client.Start(ctx))
	// River's completion events (sent once its completer has stored the
	// jobs) are counted; a subscription drops events when its buffer is
	// full, so when none has come for 50 ms the table is counted instead.
	quiet := time.NewTicker(50 * time.Millisecond)
	defer quiet.Stop()
	heard := false
	for done.Load() < int64(n) {
		select {
		case <-events:
			done.Add(1)
			heard = true
		case <-quiet.C:
			if !heard {
				var c int64
				check(pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&c))
				done.Store(c)
			}
			heard = false
		}
	}
	elapsed := time.Since(start)
	if riverAfter != nil {
		riverAfter(url)
	}
	stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	check(client.Stop(stopCtx))
	return float64(n) / elapsed.Seconds()
}

// dossierRun queues n 1-document jobs, then measures how fast a processor
// (with an instant generator, the group commit and the NOTIFY of `serve`)
// completes them. maxPerUser is MAX_JOBS_PER_USER (0: no cap).
func dossierRun(ctx context.Context, url string, n, maxPerUser int) (jobsPerSec, commitsPerDoc float64) {
	return dossierRunAt(ctx, url, n, maxPerUser, dossierConcurrency)
}

// dossierRunAt is dossierRun with concurrency jobs at once
// (WORKER_CONCURRENCY).
func dossierRunAt(ctx context.Context, url string, n, maxPerUser, concurrency int) (jobsPerSec, commitsPerDoc float64) {
	db, err := models.Open(ctx, url, models.Options{MaxConns: concurrency + 8})
	check(err)
	defer db.Close()
	if beforeQueue != nil {
		beforeQueue(db)
	}
	f := newServeFixture(db, 8)
	defer f.stop()
	ids := f.jobs(n, []string{"project_charter"})
	p := f.processorCapped("ratio", concurrency, instant{}, 4, maxPerUser)
	c0 := nextXID(db)
	if beforeRun != nil {
		beforeRun(db)
	}
	finished := jobsFinished()
	start := time.Now()
	check(p.Start(ctx))
	// Watch the processor's own count of finished runs, in process (as
	// River's side watches its completion events), not by polling the
	// database it is being measured on; then check the rows once.
	for jobsFinished() < finished+n && time.Since(start) < 5*time.Minute {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	f.waitDone(ids, time.Minute)
	c1 := nextXID(db)
	if afterRun != nil {
		afterRun(db)
	}
	p.Stop()
	return float64(n) / elapsed.Seconds(), float64(c1-c0) / float64(n)
}

// jobsFinished is the processors' count of runs ended completed
// (dossier_jobs_finished_total): a run counts once its end is committed.
// It reads the one counter (registering its twin hands back the
// registered one), not the whole registry with its /proc collectors.
func jobsFinished() int {
	if finishedVec == nil {
		finishedVec = registeredFinished()
	}
	var m dto.Metric
	check(finishedVec.WithLabelValues(models.StatusCompleted).Write(&m))
	return int(m.GetCounter().GetValue())
}

var finishedVec *prometheus.CounterVec

func registeredFinished() *prometheus.CounterVec {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_jobs_finished_total", Help: "Job runs ended, by resulting status.",
	}, []string{"status"})
	if err := prometheus.Register(vec); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			panic(err)
		}
		vec = are.ExistingCollector.(*prometheus.CounterVec)
	} else {
		panic("bench: dossier_jobs_finished_total is not registered by the jobs package")
	}
	return vec
}

// benchRiverRatio interleaves Dossier and River on the same server, three
// rounds, and prints the ratio of their jobs per second.
func benchRiverRatio(base string) {
	ctx := context.Background()
	const n = 3000
	var ratios, fairRatios, equalRatios []float64
	var dossierRates, fairRates, equalRates, riverRates, commits []float64
	for round := range 3 {
		du, drop := newPostgresDB(base)
		d, c := dossierRun(ctx, du, n, 0)
		drop()
		eu, drop := newPostgresDB(base)
		ed, _ := dossierRunAt(ctx, eu, n, 0, riverWorkers)
		drop()
		fu, drop := newPostgresDB(base)
		fd, _ := dossierRun(ctx, fu, n, 1)
		drop()
		ru, drop := newPostgresDB(base)
		r := riverRun(ctx, ru, n)
		drop()
		dossierRates, fairRates, equalRates, riverRates, commits = append(dossierRates, d), append(fairRates, fd), append(equalRates, ed), append(riverRates, r), append(commits, c)
		ratios, fairRatios, equalRatios = append(ratios, d/r), append(fairRatios, fd/r), append(equalRatios, ed/r)
		progress("round %d: dossier %.0f jobs/s (fair claim %.0f, %d at once %.0f), river %.0f jobs/s", round+1, d, fd, riverWorkers, ed, r)
	}
	add("postgres", fmt.Sprintf("dossier throughput, %d jobs × 1 docs", n), spread(dossierRates, "%.0f"), fmt.Sprintf("jobs/s; instant generator, WORKER_CONCURRENCY=%d, LLM_CONCURRENCY=4, MAX_JOBS_PER_USER=0, group commit, NOTIFY in the transaction", dossierConcurrency))
	add("postgres", fmt.Sprintf("dossier throughput, fair claim, %d jobs × 1 docs", n), spread(fairRates, "%.0f"), fmt.Sprintf("jobs/s; as above with MAX_JOBS_PER_USER=1 (the default), 8 users; ratio to river %s", spread(fairRatios, "%.3f")))
	add("postgres", fmt.Sprintf("dossier throughput, %d at once, %d jobs × 1 docs", riverWorkers, n), spread(equalRates, "%.0f"), fmt.Sprintf("jobs/s; as the first row with WORKER_CONCURRENCY=%d, River's worker count; ratio to river %s", riverWorkers, spread(equalRatios, "%.3f")))
	add("postgres", fmt.Sprintf("river throughput, %d jobs", n), spread(riverRates, "%.0f"), fmt.Sprintf("jobs/s; River v0.51.2 as a library, no-op worker, %d workers, FetchCooldown = FetchPollInterval = 1ms", riverWorkers))
	add("postgres", fmt.Sprintf("write commits per document, %d jobs × 1 docs", n), spread(commits, "%.2f"), fmt.Sprintf("transaction ids taken (NOTIFY included: it is sent inside the state change), concurrency %d", dossierConcurrency))
	// The ratio line runs both queues with 100 jobs at once, River's worker
	// count; the second line is Dossier at 64, the setting of the commit rows.
	ratioLine = "dossier/river jobs-per-second ratio: " + spread(equalRatios, "%.3f")
	equalLine = fmt.Sprintf("dossier/river jobs-per-second ratio, dossier at WORKER_CONCURRENCY=%d: %s", dossierConcurrency, spread(ratios, "%.3f"))
	ratioConfig = fmt.Sprintf("  Dossier: 1-document jobs, instant generator, WORKER_CONCURRENCY=%d (River's worker count), LLM_CONCURRENCY=4, MAX_JOBS_PER_USER=0, NOTIFY bridge attached as in serve.\n"+
		"  River v0.51.2 (library, riverpgxv5): no-op jobs, %d workers, FetchCooldown and FetchPollInterval 1 ms.\n"+
		"  Same PostgreSQL server, fresh database each, interleaved, 3 rounds of %d jobs.\n"+
		"  The second line runs Dossier with WORKER_CONCURRENCY=%d, the commit rows' setting, in the same rounds.", riverWorkers, riverWorkers, n, dossierConcurrency)
}

var ratioLine, equalLine, ratioConfig, graphLine string

// benchDeepQueue runs both queues once more with four times the ratio's
// jobs queued before they start, interleaved: a queue's cost must not grow
// with its depth. (It did: with 12,000 jobs queued, PostgreSQL's cost
// estimate of the claim passed jit_above_cost, every claim was
// JIT-compiled, 60 to 80 ms each, and the queue ran 4 times slower; the
// app's connections now turn JIT off.)
func benchDeepQueue(base string) {
	ctx := context.Background()
	const n = 12000
	du, drop := newPostgresDB(base)
	d, _ := dossierRun(ctx, du, n, 0)
	drop()
	ru, drop := newPostgresDB(base)
	r := riverRun(ctx, ru, n)
	drop()
	progress("deep queue: dossier %.0f jobs/s, river %.0f jobs/s", d, r)
	add("postgres", fmt.Sprintf("deep queue, %d jobs × 1 docs: dossier, river", n), fmt.Sprintf("%.0f, %.0f (ratio %.3f)", d, r, d/r),
		"jobs/s, one run each, all jobs queued before the start; configurations as in the ratio line")
}

// spread formats min, median and max.
func spread(xs []float64, format string) string {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return fmt.Sprintf("min "+format+" median "+format+" max "+format, s[0], s[len(s)/2], s[len(s)-1])
}

// fixedLatency is a model that takes exactly d per document.
type fixedLatency struct{ d time.Duration }

func (g fixedLatency) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	select {
	case <-time.After(g.d):
	case <-ctx.Done():
		return documents.Document{}, ctx.Err()
	}
	return instant{}.Generate(ctx, req)
}

// graphBound is the least time a job of the catalog's documents can take
// with the model's latency d and llm calls at once: the longest dependency
// chain, or the documents' total work over the parallelism, whichever is
// longer.
func graphBound(order []string, d time.Duration, llm int) time.Duration {
	depth := map[string]int{}
	longest := 0
	for _, t := range order {
		dt, _ := documents.Lookup(t)
		dd := 1
		for _, dep := range dt.DependsOn {
			dd = max(dd, depth[dep]+1)
		}
		depth[t] = dd
		longest = max(longest, dd)
	}
	waves := (len(order) + llm - 1) / llm
	return time.Duration(max(longest, waves)) * d
}

// benchGraphBound runs one 12-document job at a time with a fixed-latency
// model and LLM_CONCURRENCY=4, and compares its time (creation to
// completion) with the dependency graph's bound.
func benchGraphBound(name string, db *models.DB) {
	const latency = 200 * time.Millisecond
	const llm = 4
	order, err := documents.Resolve(nil)
	check(err)
	bound := graphBound(order, latency, llm)
	f := newServeFixture(db, 1)
	defer f.stop()
	p := f.processor("graph", 2, documents.NewLimited(fixedLatency{latency}, llm, 0), llm)
	check(p.Start(context.Background()))
	defer p.Stop()
	f.client = jobs.NewClient(db, f.broker, p)
	var ratios []float64
	for range 5 {
		start := time.Now()
		ids := f.jobs(1, nil)
		f.waitDone(ids, time.Minute)
		ratios = append(ratios, float64(time.Since(start))/float64(bound))
		if os.Getenv("BENCH_GRAPH_TRACE") != "" {
			traceJob(db, ids[0], start)
		}
	}
	add(name, "12-doc job / graph bound", spread(ratios, "%.3f"), fmt.Sprintf("model latency %s fixed, LLM_CONCURRENCY=%d, bound %s (longest chain vs. work/parallelism), 5 jobs one at a time", latency, llm, bound))
	if name == "postgres" {
		graphLine = "12-doc job / graph bound ratio: " + spread(ratios, "%.3f")
	}
}

// traceJob prints when each document of a job started and finished,
// relative to start (BENCH_GRAPH_TRACE=1).
func traceJob(db *models.DB, id string, start time.Time) {
	var job struct{ StartedAt, CompletedAt time.Time }
	check(db.ForTests().Raw(`SELECT started_at, completed_at FROM document_generation_jobs WHERE id = ?`, id).Scan(&job).Error)
	var docs []struct {
		DocumentType           string
		Wave                   int
		StartedAt, CompletedAt time.Time
	}
	check(db.ForTests().Raw(`SELECT document_type, wave, started_at, completed_at FROM job_documents WHERE job_id = ? ORDER BY started_at`, id).Scan(&docs).Error)
	ms := func(t time.Time) int64 { return t.Sub(start).Milliseconds() }
	progress("job claimed +%dms, completed +%dms (stored); ended %dms", ms(job.StartedAt), ms(job.CompletedAt), time.Since(start).Milliseconds())
	for _, d := range docs {
		progress("  w%d %-28s %5d → %5d", d.Wave, d.DocumentType, ms(d.StartedAt), ms(d.CompletedAt))
	}
}

// serveFixture wires the database as `serve` does: a broker, and on
// PostgreSQL the LISTEN/NOTIFY bridge and NOTIFY inside transactions.
type serveFixture struct {
	*fixture
	bridge *events.Bridge
}

func newServeFixture(db *models.DB, users int) *serveFixture {
	f := &serveFixture{fixture: newFixture(db, users)}
	if db.Dialect == models.Postgres {
		db.SetNotifier(events.Notifier(f.broker.Instance()))
		f.bridge = events.NewPGBridge(db.URL, f.broker, slog.New(slog.DiscardHandler))
		check(f.bridge.Start(context.Background()))
	}
	return f
}

func (f *serveFixture) stop() {
	if f.bridge != nil {
		f.bridge.Stop()
	}
	f.broker.Stop()
}
