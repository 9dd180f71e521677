// Command bench measures Dossier's throughput, latency and memory, and
// prints a table. Run it with `make bench`; set BENCH_DATABASE_URL (or
// TEST_DATABASE_URL) to a PostgreSQL URL to include PostgreSQL rows. These
// are measurements, never assertions: shared machines vary.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"dossier/handlers"
	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// instant is a generator with no latency: the bench measures Dossier, not
// the model.
type instant struct{}

func (instant) Generate(_ context.Context, req documents.Request) (documents.Document, error) {
	return documents.Document{Type: req.Type, Title: req.Type, Markdown: "# " + req.Type + "\n\nbenchmark document\n"}, nil
}

type row struct{ db, metric, value, note string }

var rows []row

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "  "+format+"\n", args...) }

func add(db, metric, value, note string) {
	rows = append(rows, row{db, metric, value, note})
	fmt.Fprintf(os.Stderr, "  %-10s %-44s %s\n", db, metric, value)
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dir, err := os.MkdirTemp("", "dossier-bench-")
	check(err)
	defer os.RemoveAll(dir)

	targets := []struct{ name, url string }{{"sqlite", "sqlite:" + filepath.Join(dir, "bench.db")}}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" {
		pg, drop := newPostgresDB(base)
		defer drop()
		targets = append(targets, struct{ name, url string }{"postgres", pg})
	} else {
		fmt.Fprintln(os.Stderr, "bench: no BENCH_DATABASE_URL or TEST_DATABASE_URL; PostgreSQL rows skipped")
	}
	for _, tg := range targets {
		if only := os.Getenv("BENCH_DB"); only != "" && only != tg.name || !part("throughput", "trigger", "graph", "streams", "drafts") {
			continue
		}
		db, err := models.Open(context.Background(), tg.url, models.Options{MaxConns: dossierConcurrency + 8})
		check(err)
		if part("throughput") {
			benchThroughput(tg.name, db, 200, []string{"project_charter"})
			benchThroughput(tg.name, db, 20, nil)
		}
		if part("trigger") {
			benchTrigger(tg.name, db)
		}
		if part("graph") {
			benchGraphBound(tg.name, db)
		}
		if tg.name == "sqlite" && part("streams") {
			benchStreams(tg.name, db, envInt("BENCH_STREAMS", 500))
		} else if tg.name == "postgres" && part("drafts") {
			benchDrafts(tg.name, tg.url, envInt("BENCH_DRAFT_CLIENTS", 100)) // drafts.go
		}
		db.Close()
	}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" && part("river") {
		benchRiverRatio(base)
	}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" && part("deep") {
		benchDeepQueue(base) // river.go
	}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" && os.Getenv("BENCH_ONLY") == "dossier" {
		benchDossierOnce(base) // profile.go
	}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" && os.Getenv("BENCH_ONLY") == "cpu" {
		benchCPU(base) // profile.go
	}
	if base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL")); base != "" && os.Getenv("BENCH_ONLY") == "ab" {
		benchAB(base) // profile.go
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nDossier benchmark, %s, %s/%s, %d CPUs, %s\n\n", time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintln(w, "database\tmetric\tresult\tnote")
	fmt.Fprintln(w, "--------\t------\t------\t----")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.db, r.metric, r.value, r.note)
	}
	w.Flush()
	fmt.Println()
	for _, l := range []string{ratioLine, equalLine, graphLine} {
		if l != "" {
			fmt.Println(l)
		}
	}
	if ratioLine != "" {
		fmt.Println(ratioConfig)
	}
}

type fixture struct {
	since  time.Time // jobs queued since then are this fixture's
	db     *models.DB
	broker *events.Broker
	client *jobs.Client
	users  []*models.User
}

func newFixture(db *models.DB, users int) *fixture {
	ctx := context.Background()
	broker := events.NewBroker(events.Config{Loader: db.Snapshot})
	check(broker.Start(ctx))
	f := &fixture{db: db, broker: broker, client: jobs.NewClient(db, broker, nil), since: time.Now().UTC()}
	for i := range users {
		u, err := db.CreateUser(ctx, fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i), "Bench", "x")
		check(err)
		f.users = append(f.users, u)
	}
	return f
}

func (f *fixture) jobs(n int, docs []string) []string {
	ctx := context.Background()
	resolved, err := documents.Resolve(docs)
	check(err)
	_, _, data, pack := models.ExampleProject()
	var ids []string
	for i := range n {
		u := f.users[i%len(f.users)]
		p := &models.Project{UserID: u.ID, Name: fmt.Sprintf("Bench %d", i), Data: data, CompanyIntelligencePack: pack}
		check(f.db.CreateProject(ctx, p))
		j, _, err := f.client.Create(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, ProjectData: data, Company: &pack, Documents: resolved, MaxRetries: 3})
		check(err)
		ids = append(ids, j.ID)
	}
	return ids
}

func (f *fixture) processor(worker string, concurrency int, gen documents.Generator, docConcurrency int) *jobs.Processor {
	return f.processorCapped(worker, concurrency, gen, docConcurrency, 0)
}

// processorCapped is processor with MAX_JOBS_PER_USER (0: no cap).
func (f *fixture) processorCapped(worker string, concurrency int, gen documents.Generator, docConcurrency, maxPerUser int) *jobs.Processor {
	p, err := jobs.NewProcessor(f.db, gen, f.broker, jobs.Config{
		Worker: worker, Concurrency: concurrency, DocConcurrency: docConcurrency, SweepInterval: time.Second,
		LeaseDuration: 30 * time.Second, Logger: slog.Default(), MaxPerUser: maxPerUser,
	})
	check(err)
	return p
}

func (f *fixture) waitDone(ids []string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var n int64
		if len(ids) <= 100 {
			check(f.db.ForTests().Raw(`SELECT COUNT(*) FROM document_generation_jobs WHERE status = 'completed'
				AND id IN ?`, ids).Scan(&n).Error)
		} else {
			// Every job of the fixture: one cheap count, not a long IN list.
			check(f.db.ForTests().Raw(`SELECT COUNT(*) FROM document_generation_jobs WHERE status = 'completed'
				AND queued_at >= ?`, f.since).Scan(&n).Error)
		}
		if int(n) >= len(ids) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	panic("bench: jobs did not complete in time")
}

// nextXID is PostgreSQL's next transaction id. Only writing transactions
// take one, so its delta counts write commits exactly (pg_stat_database
// counts reads too, and lags).
func nextXID(db *models.DB) int64 {
	if db.Dialect != models.Postgres {
		return 0
	}
	var n int64
	check(db.ForTests().Raw(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&n).Error)
	return n
}

// benchThroughput queues n jobs, then runs them on one processor with an
// instant generator: what the queue itself sustains.
func benchThroughput(name string, db *models.DB, n int, docs []string) {
	f := newServeFixture(db, 4)
	defer f.stop()
	ids := f.jobs(n, docs)
	perJob := len(docs)
	if perJob == 0 {
		perJob = len(documents.Keys())
	}
	p := f.processor("bench-"+name, 8, instant{}, 4)
	c0 := nextXID(db)
	start := time.Now()
	check(p.Start(context.Background()))
	f.waitDone(ids, 5*time.Minute)
	elapsed := time.Since(start)
	p.Stop()
	c1 := nextXID(db)
	docsN := n * perJob
	label := fmt.Sprintf("%d jobs × %d docs", n, perJob)
	add(name, "throughput, "+label, fmt.Sprintf("%.0f jobs/s, %.0f docs/s", float64(n)/elapsed.Seconds(), float64(docsN)/elapsed.Seconds()), "instant generator, WORKER_CONCURRENCY=8")
	if db.Dialect == models.Postgres && docsN > 0 {
		add(name, "write commits per document, "+label, fmt.Sprintf("%.2f", float64(c1-c0)/float64(docsN)), "transaction ids taken (claims, group commits with their NOTIFY, heartbeats), WORKER_CONCURRENCY=8")
	}
}

// benchTrigger measures the on-create trigger: from job creation to claim,
// with an idle processor (the sweep is 1 s, so a fast claim is the trigger).
func benchTrigger(name string, db *models.DB) {
	f := newFixture(db, 1)
	defer f.broker.Stop()
	p := f.processor("trigger-"+name, 2, instant{}, 4)
	check(p.Start(context.Background()))
	f.client = jobs.NewClient(db, f.broker, p)
	defer p.Stop()
	var lat []time.Duration
	var ids []string
	defer func() { f.waitDone(ids, time.Minute) }()
	for range 20 {
		start := time.Now()
		id := f.jobs(1, []string{"project_charter"})[0]
		ids = append(ids, id)
		for {
			j, err := db.JobByID(context.Background(), id)
			check(err)
			if j.Status != models.StatusQueued {
				lat = append(lat, time.Since(start))
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	add(name, "create → claimed latency (p50 / max of 20)", fmt.Sprintf("%s / %s", pct(lat, 50), pct(lat, 100)), "in-process trigger; sweep every 1 s")
}

func pct(ds []time.Duration, p int) string {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i].Round(10 * time.Microsecond).String()
}

// benchStreams opens n SSE streams on one job over real sockets and
// measures the memory each costs and the fan-out latency of one change.
func benchStreams(name string, db *models.DB, n int) {
	ctx := context.Background()
	f := newFixture(db, 1)
	defer f.broker.Stop()
	u := f.users[0]
	token, _, err := db.CreateAPIToken(ctx, u.ID, "bench")
	check(err)
	id := f.jobs(1, []string{"project_charter"})[0]
	s := handlers.NewServer(handlers.Config{Heartbeat: 15 * time.Second}, db, f.client, f.broker, nil)
	app := s.App()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go app.Listener(ln)
	defer func() { s.CloseStreams(); app.ShutdownWithTimeout(5 * time.Second) }()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()

	type client struct {
		r    *bufio.Reader
		conn net.Conn
	}
	clients := make([]client, 0, n)
	for range n {
		conn, err := net.Dial("tcp", ln.Addr().String())
		check(err)
		fmt.Fprintf(conn, "GET /api/generation/jobs/stream/%s?format=json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", url.PathEscape(id), token)
		r := bufio.NewReader(conn)
		readUntil(r, "event: status") // headers and the current state first
		clients = append(clients, client{r, conn})
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	add(name, fmt.Sprintf("memory per SSE stream (%d streams)", n), fmt.Sprintf("%.1f KiB heap, %.1f goroutines", float64(after.HeapAlloc-before.HeapAlloc)/1024/float64(n), float64(g1-g0)/float64(n)), "client and server in one process; client side included")

	if d := os.Getenv("BENCH_SSE_PAUSE"); d != "" {
		pd, _ := time.ParseDuration(d)
		time.Sleep(pd)
	}
	// One state change, fanned out to every stream.
	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "bench", Limit: 1, Lease: time.Minute, Now: time.Now()})
	check(err)
	if len(claimed) != 1 || claimed[0].ID != id {
		panic("bench: the stream job was not the one claimed; is another job queued?")
	}
	start := time.Now()
	f.broker.Publish(events.Event{Kind: events.JobChanged, JobID: id, UserID: u.ID, Version: claimed[0].Version})
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readUntil(c.r, "processing")
			lat[i] = time.Since(start)
		}()
	}
	wg.Wait()
	add(name, fmt.Sprintf("fan-out of one change to %d streams", n), fmt.Sprintf("p50 %s, p99 %s, max %s", pct(lat, 50), pct(lat, 99), pct(lat, 100)), "one snapshot load per instance")
	for _, c := range clients {
		c.conn.Close()
	}
}

func readUntil(r *bufio.Reader, marker string) {
	var seen []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			panic(fmt.Sprintf("%v after %q", err, seen))
		}
		seen = append(seen, line)
		if strings.Contains(line, marker) {
			return
		}
	}
}

func newPostgresDB(base string) (string, func()) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	check(err)
	defer conn.Close(ctx)
	name := fmt.Sprintf("dossier_bench_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	check(err)
	u, err := url.Parse(base)
	check(err)
	u.Path = "/" + name
	return u.String(), func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
}

// part reports whether BENCH_ONLY (a comma-separated list of parts:
// throughput, trigger, graph, streams, drafts, river, deep) selects any of names;
// empty selects every part. BENCH_DB (sqlite or postgres) narrows the
// per-database parts to one database.
func part(names ...string) bool {
	only := os.Getenv("BENCH_ONLY")
	if only == "" {
		return true
	}
	for _, want := range strings.Split(only, ",") {
		for _, n := range names {
			if strings.TrimSpace(want) == n {
				return true
			}
		}
	}
	return false
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err != nil || n <= 0 {
		return def
	}
	return n
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
