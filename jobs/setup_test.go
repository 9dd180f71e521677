package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
	"dossier/models/modelstest"
)

// fakeGen is a generator for tests: it counts calls, can block until
// released (or its context ends), and can fail with given errors.
type fakeGen struct {
	mu      sync.Mutex
	calls   map[string]int // by "project/type"
	order   []string       // project names in call order
	inCtx   int
	failFor map[string][]error // type → errors returned by successive calls
	block   chan struct{}      // when non-nil, calls wait for it to close
	// ignoreCtx makes a blocked call ignore cancellation: a hung worker.
	ignoreCtx bool
	started   chan string   // receives "type" when a call starts
	cancelled chan string   // receives "type" when a call sees ctx.Done
	marker    string        // appended to every document
	delay     time.Duration // per call
}

func newFakeGen() *fakeGen {
	return &fakeGen{calls: map[string]int{}, failFor: map[string][]error{}, started: make(chan string, 1024), cancelled: make(chan string, 1024)}
}

func (g *fakeGen) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	g.mu.Lock()
	g.calls[req.ProjectName+"/"+req.Type]++
	g.order = append(g.order, req.ProjectName)
	var err error
	if errs := g.failFor[req.Type]; len(errs) > 0 {
		err, g.failFor[req.Type] = errs[0], errs[1:]
	}
	block, ignore, marker, delay := g.block, g.ignoreCtx, g.marker, g.delay
	g.mu.Unlock()
	g.started <- req.Type
	if block != nil {
		if ignore {
			<-block
		} else {
			select {
			case <-block:
			case <-ctx.Done():
				g.cancelled <- req.Type
				return documents.Document{}, ctx.Err()
			}
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			g.cancelled <- req.Type
			return documents.Document{}, ctx.Err()
		}
	}
	if err != nil {
		return documents.Document{}, err
	}
	deps := ""
	for _, d := range req.Dependencies {
		deps += " " + d.Type
	}
	return documents.Document{
		Type: req.Type, Title: req.Type + " for " + req.ProjectName,
		Markdown: fmt.Sprintf("# %s\n\nProject %s. Depends on:%s.%s\n", req.Type, req.ProjectName, deps, marker),
		Usage:    documents.Usage{PromptTokens: 10, CompletionTokens: 20},
	}, nil
}

func (g *fakeGen) count(project, typ string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[project+"/"+typ]
}

func (g *fakeGen) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.calls {
		n += c
	}
	return n
}

func (g *fakeGen) set(fn func(g *fakeGen)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(g)
}

// env is a test bundle: a fresh database, a broker, a client.
type env struct {
	t      *testing.T
	db     *models.DB
	broker *events.Broker
	client *Client
}

func newEnv(t *testing.T, d models.Dialect) *env {
	t.Helper()
	db := modelstest.Open(t, d)
	return newEnvDB(t, db)
}

func newEnvDB(t *testing.T, db *models.DB) *env {
	broker := events.NewBroker(events.Config{Loader: db.Snapshot, Logger: quietLogger()})
	require.NoError(t, broker.Start(context.Background()))
	t.Cleanup(broker.Stop)
	return &env{t: t, db: db, broker: broker, client: NewClient(db, broker, nil)}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// processor starts a processor on the env with test-friendly defaults.
func (e *env) processor(gen documents.Generator, mod func(*Config)) *Processor {
	e.t.Helper()
	cfg := Config{
		Concurrency: 2, DocConcurrency: 2, SweepInterval: 100 * time.Millisecond,
		LeaseDuration: 5 * time.Second, HeartbeatInterval: 200 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second, JobRetryBase: 20 * time.Millisecond, JobRetryMax: 50 * time.Millisecond,
		Retry:  documents.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Logger: quietLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := NewProcessor(e.db, gen, e.broker, cfg)
	require.NoError(e.t, err)
	require.NoError(e.t, p.Start(context.Background()))
	e.t.Cleanup(p.Stop)
	if e.client.local == nil {
		e.client.local = p
	}
	return p
}

var userSeq atomic.Int64

func (e *env) user(name string) *models.User {
	e.t.Helper()
	u, err := e.db.CreateUser(context.Background(), fmt.Sprintf("%s-%d@example.com", name, userSeq.Add(1)), name, "x")
	require.NoError(e.t, err)
	return u
}

func (e *env) project(u *models.User, name string) *models.Project {
	e.t.Helper()
	_, desc, data, pack := models.ExampleProject()
	p := &models.Project{UserID: u.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(e.t, e.db.CreateProject(context.Background(), p))
	return p
}

// job creates a job through the client.
func (e *env) job(u *models.User, p *models.Project, docs []string, mod func(*models.NewJob)) *models.Job {
	e.t.Helper()
	resolved, err := documents.Resolve(docs)
	require.NoError(e.t, err)
	in := models.NewJob{UserID: u.ID, ProjectID: p.ID, ProjectData: p.Data, Company: &p.CompanyIntelligencePack, Documents: resolved, MaxRetries: 3}
	if mod != nil {
		mod(&in)
	}
	j, _, err := e.client.Create(context.Background(), in)
	require.NoError(e.t, err)
	return j
}

// waitJob polls the job until cond holds, or fails at the deadline.
func (e *env) waitJob(id string, timeout time.Duration, what string, cond func(*models.Job) bool) *models.Job {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var last *models.Job
	for time.Now().Before(deadline) {
		j, err := e.db.JobByID(context.Background(), id)
		require.NoError(e.t, err)
		if cond(j) {
			return j
		}
		last = j
		wait(10 * time.Millisecond)
	}
	e.t.Fatalf("job %s: timed out waiting for %s; last status %s, %d/%d docs, error %v", id, what, last.Status, last.CompletedDocuments, last.TotalDocuments, deref(last.ErrorMessage))
	return nil
}

func (e *env) waitStatus(id, status string, timeout time.Duration) *models.Job {
	return e.waitJob(id, timeout, "status "+status, func(j *models.Job) bool { return j.Status == status })
}

// wait is the poll interval of deadline loops (not a synchronisation).
func wait(d time.Duration) { <-time.After(d) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// recv waits for a value on ch, or fails at the deadline.
func recv[T any](t *testing.T, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// artifactCounts returns, per (job, type), the number of artifacts.
func artifactCounts(t *testing.T, db *models.DB) map[string]int {
	var rows []struct {
		JobID, DocumentType string
		N                   int
	}
	require.NoError(t, db.ForTests().Raw(`SELECT job_id, document_type, COUNT(*) AS n FROM artifacts GROUP BY job_id, document_type`).Scan(&rows).Error)
	out := map[string]int{}
	for _, r := range rows {
		out[r.JobID+"/"+r.DocumentType] = r.N
	}
	return out
}

var errRetryable = documents.Retryable(errors.New("upstream 503"), 0)
var errPermanent = documents.Permanent(errors.New("upstream 400: bad request"))

func forEachDialect(t *testing.T, fn func(t *testing.T, d models.Dialect)) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}
