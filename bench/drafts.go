package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"dossier/handlers"
	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/jobs/documents/providertest"
	"dossier/jobs/events"
	"dossier/models"
)

// Live drafts across instances (issue 11), on PostgreSQL: a worker instance
// writes one document that the OpenAI-compatible fake streams in 50 chunks
// over 5 s; clients watch it on a second, web-only instance, half on its
// JSON job stream, half on the job page's /events stream (HTML drafts). It reports the bytes of draft events each client received per
// byte of the document, and the time from a chunk leaving the model to its
// text reaching a client (the 200 ms coalescing tick included), and what a
// NOTIFY costs with and without synchronous_commit.

const (
	draftChunks    = 50
	draftChunkSize = 160
	draftOver      = 5 * time.Second
)

var chunkMark = regexp.MustCompile(`\[c(\d{3})\]`)

// draftDocument is 50 chunks of 160 bytes, each starting with its number,
// so that a client can tell which chunk a delta carries.
func draftDocument() string {
	var b strings.Builder
	for i := range draftChunks {
		c := fmt.Sprintf("[c%03d] ", i)
		if i == 0 {
			c = "# Draft [c000] "
		}
		c += strings.Repeat("word ", (draftChunkSize-len(c)-1)/5)
		c += strings.Repeat(".", draftChunkSize-len(c)-1) + "\n"
		b.WriteString(c)
	}
	return b.String()
}

// benchDrafts runs the scenario with n clients.
func benchDrafts(name, dbURL string, n int) {
	ctx := context.Background()
	doc := draftDocument()
	var sentMu sync.Mutex
	sent := map[int]time.Time{}
	provider := providertest.New()
	defer provider.Close()
	provider.SetStream(providertest.Stream{
		Content: func(string, int) string { return doc }, Chunks: draftChunks, Over: draftOver,
		Sent: func(_ string, i int, at time.Time) { sentMu.Lock(); sent[i] = at; sentMu.Unlock() },
	})

	// Two instances: each with its own database handle, broker, draft hub
	// and bridges.
	type instance struct {
		db     *models.DB
		broker *events.Broker
		hub    *events.DraftHub
		stop   func()
	}
	open := func(id string) *instance {
		db, err := models.Open(ctx, dbURL)
		check(err)
		b := events.NewBroker(events.Config{Loader: db.Snapshot, Sync: db.SyncSince, Board: db.JobBoard, Project: db.ProjectActivity, Instance: id})
		check(b.Start(ctx))
		br := events.NewPGBridge(db.URL, b, nil)
		check(br.Start(ctx))
		h := events.NewDraftHub(events.DraftConfig{Instance: id})
		dbr := events.NewDraftBridge(db.URL, h, nil)
		check(dbr.Start(ctx))
		return &instance{db, b, h, func() { dbr.Stop(); br.Stop(); b.Stop(); db.Close() }}
	}
	web, worker := open("bench-web"), open("bench-worker")
	defer web.stop()
	defer worker.stop()
	time.Sleep(300 * time.Millisecond) // both LISTEN connections up

	u, err := web.db.CreateUser(ctx, fmt.Sprintf("drafts-%d@example.com", time.Now().UnixNano()), "Bench", "x")
	check(err)
	token, _, err := web.db.CreateAPIToken(ctx, u.ID, "bench")
	check(err)
	p := &models.Project{UserID: u.ID, Name: "Drafts"}
	check(web.db.CreateProject(ctx, p))
	client := jobs.NewClient(web.db, web.broker, nil)
	job, _, err := client.Create(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, MaxRetries: 0})
	check(err)

	s := handlers.NewServer(handlers.Config{Heartbeat: 15 * time.Second, Drafts: web.hub}, web.db, client, web.broker, nil)
	app := s.App()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go app.Listener(ln)
	defer func() { s.CloseStreams(); app.ShutdownWithTimeout(5 * time.Second) }()

	type result struct {
		html                 bool
		draftBytes, allBytes int
		lat                  []time.Duration
		text                 string
		err                  error
	}
	// n clients follow the JSON job stream, n the /events stream of the
	// job page (HTML drafts).
	results := make([]result, 2*n)
	var ready, done sync.WaitGroup
	for i := range 2 * n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			res := &results[i]
			res.html = i >= n
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				res.err = err
				ready.Done()
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(2 * time.Minute)) // never hang the bench
			path := "/api/generation/jobs/stream/" + url.PathEscape(job.ID) + "?format=json"
			if res.html {
				path = "/events?view=" + url.QueryEscape("job:"+job.ID)
			}
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", path, token)
			r := bufio.NewReader(conn)
			var name string
			var data []string
			readied := false
			seen := map[int]bool{}
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					res.err = err
					if !readied {
						ready.Done()
					}
					return
				}
				res.allBytes += len(line)
				if name == "draft" || strings.HasPrefix(line, "event: draft") {
					res.draftBytes += len(line)
				}
				line = strings.TrimRight(line, "\r\n")
				switch {
				case strings.HasPrefix(line, "event: "):
					name = line[len("event: "):]
				case strings.HasPrefix(line, "data: "):
					data = append(data, line[len("data: "):])
				case line == "" && data != nil:
					at := time.Now()
					body := strings.Join(data, "\n")
					switch {
					case name == "status" || name == "sync":
						if !readied {
							readied = true
							ready.Done()
						}
					case name == "draft":
						if !res.html {
							var d struct {
								Offset int    `json:"offset"`
								Delta  string `json:"delta"`
							}
							json.Unmarshal([]byte(body), &d)
							if d.Offset == 0 {
								res.text = d.Delta
							} else {
								res.text += d.Delta
							}
						}
						for _, m := range chunkMark.FindAllStringSubmatch(body, -1) {
							k, _ := strconv.Atoi(m[1])
							if !seen[k] {
								seen[k] = true
								sentMu.Lock()
								res.lat = append(res.lat, at.Sub(sent[k]))
								sentMu.Unlock()
							}
						}
					case name == "document" && strings.Contains(body, `"completed"`),
						res.html && name == "job-"+job.ID && strings.Contains(body, `data-status="completed"`):
						return
					}
					name, data = "", nil
				}
			}
		}()
	}
	ready.Wait()

	gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "x", Model: "bench"})
	check(err)
	proc, err := jobs.NewProcessor(worker.db, gen, worker.broker, jobs.Config{
		Worker: "bench-worker", Concurrency: 1, DocConcurrency: 1, SweepInterval: 100 * time.Millisecond,
		LeaseDuration: 30 * time.Second, Logger: slog.Default(), Drafts: worker.hub,
	})
	check(err)
	check(proc.Start(ctx))
	defer proc.Stop()
	done.Wait()

	for _, html := range []bool{false, true} {
		var lat []time.Duration
		var draftBytes, allBytes, failed, wrong, ok int
		for _, r := range results {
			if r.html != html {
				continue
			}
			if r.err != nil {
				failed++
				continue
			}
			ok++
			if !html && r.text != doc {
				wrong++
			}
			lat = append(lat, r.lat...)
			draftBytes += r.draftBytes
			allBytes += r.allBytes
		}
		kind, stream := "JSON job stream", "JSON"
		if html {
			kind, stream = "job page's /events stream, HTML drafts", "HTML"
		}
		if ok == 0 {
			add(name, "drafts to another instance ("+stream+")", "failed", fmt.Sprintf("%d clients failed", failed))
			continue
		}
		note := fmt.Sprintf("%d clients of the %s on a web-only instance; document %d B of Markdown in %d chunks over %s", ok, kind, len(doc), draftChunks, draftOver)
		if html {
			note += fmt.Sprintf(" (%d B as HTML)", len(documents.RenderHTML(doc)))
		}
		if wrong > 0 || failed > 0 {
			note += fmt.Sprintf("; %d clients' text differed, %d failed", wrong, failed)
		}
		add(name, "draft bytes on the wire ÷ document size, "+stream, fmt.Sprintf("%.2f (whole stream %.2f)", float64(draftBytes)/float64(ok)/float64(len(doc)), float64(allBytes)/float64(ok)/float64(len(doc))), note)
		add(name, fmt.Sprintf("chunk leaves model → delta at client, %s, %d clients", stream, ok), fmt.Sprintf("p50 %s, p99 %s, max %s", pct(lat, 50), pct(lat, 99), pct(lat, 100)), "another instance, through NOTIFY; includes the 200 ms coalescing tick")
	}
	benchNotifyCost(name, dbURL)
}

// benchNotifyCost is what one NOTIFY transaction costs, waiting for the WAL
// flush (the default) and not (the draft sender's setting).
func benchNotifyCost(name, dbURL string) {
	ctx := context.Background()
	for _, mode := range []string{"on", "off"} {
		conn, err := pgx.Connect(ctx, dbURL)
		check(err)
		_, err = conn.Exec(ctx, "SET synchronous_commit = "+mode)
		check(err)
		const n = 200
		start := time.Now()
		for i := range n {
			_, err := conn.Exec(ctx, "SELECT pg_notify('dossier_bench', $1)", strconv.Itoa(i))
			check(err)
		}
		per := time.Since(start) / n
		conn.Close(ctx)
		add(name, "one NOTIFY, synchronous_commit="+mode, per.Round(time.Microsecond).String(), fmt.Sprintf("mean of %d; the draft sender uses off, and one statement per batch", n))
	}
}

// BENCH_ONLY=drafts runs the drafts scenario alone (on BENCH_DATABASE_URL or
// TEST_DATABASE_URL) and prints its rows: `BENCH_ONLY=drafts go run .` in
// bench/.
func init() {
	if os.Getenv("BENCH_ONLY") != "drafts" {
		return
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := firstNonEmpty(os.Getenv("BENCH_DATABASE_URL"), os.Getenv("TEST_DATABASE_URL"))
	if base == "" {
		fmt.Fprintln(os.Stderr, "bench: BENCH_ONLY=drafts needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
		os.Exit(2)
	}
	pg, drop := newPostgresDB(base)
	benchDrafts("postgres", pg, envInt("BENCH_DRAFT_CLIENTS", 100))
	drop()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nDossier drafts benchmark, %s, %s/%s, %d CPUs, %s\n\n", time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintln(w, "database\tmetric\tresult\tnote")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.db, r.metric, r.value, r.note)
	}
	w.Flush()
	os.Exit(0)
}
