package jobs

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/documents/providertest"
	"dossier/models"
	"dossier/models/modelstest"
)

// A provider's long Retry-After is honoured (issue 13.1): the document's
// retry policy hands over to the job-level retry, whose run_at is at least
// the provider's time, and no claim picks the job up before it.
func TestLongRetryAfterSetsRunAt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		prov := providertest.New()
		t.Cleanup(prov.Close)
		prov.FailRetryAfter("project_charter", 429, "20")
		gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: prov.BaseURL(), APIKey: "k", Model: "m", AttemptTimeout: 5 * time.Second})
		require.NoError(t, err)
		e.processor(gen, func(c *Config) {
			c.Retry = documents.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxRetryAfter: 2 * time.Second}
		})
		u := e.user("ra")
		before := e.db.Now(context.Background())
		job := e.job(u, e.project(u, "RetryAfter"), []string{"project_charter"}, nil)
		j := e.waitJob(job.ID, 10*time.Second, "the job-level retry", func(j *models.Job) bool {
			return j.Status == models.StatusQueued && j.RetryCount == 1
		})
		assert.Equal(t, 1, prov.Total(), "the 429 was not retried in process")
		assert.False(t, j.RunAt.Before(before.Add(20*time.Second)), "run_at %s is before the provider's time %s", j.RunAt, before.Add(20*time.Second))

		// No claim takes it before its time: not a second before, and at
		// its time it is taken.
		early, err := e.db.Claim(context.Background(), models.ClaimParams{Worker: "other", Limit: 5, Lease: time.Minute, Now: j.RunAt.Add(-time.Second)})
		require.NoError(t, err)
		assert.Empty(t, early)
		// The running processor's sweeps (every 100 ms) leave it alone too.
		for range 10 {
			wait(50 * time.Millisecond)
			require.Equal(t, 1, prov.Total())
		}
		snap, err := e.db.Snapshot(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusQueued, snap.Job.Status)
		on, err := e.db.Claim(context.Background(), models.ClaimParams{Worker: "other", Limit: 5, Lease: time.Minute, Now: j.RunAt.Add(time.Second)})
		require.NoError(t, err)
		require.Len(t, on, 1)
	})
}

// Once a cancel is requested, the fenced commit refuses the job's documents
// (issue 13.11): a document that finishes after the cancel is not stored,
// and the job ends cancelled, even when the run learns of the cancel only
// from the refused commit.
func TestCancelRefusesLateDocuments(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		gen := newFakeGen()
		gen.set(func(g *fakeGen) { g.block, g.ignoreCtx = make(chan struct{}), true })
		// A heartbeat too slow to see the cancel: only the commit can.
		e.processor(gen, func(c *Config) { c.HeartbeatInterval = 4 * time.Second })
		u := e.user("late")
		job := e.job(u, e.project(u, "Late"), []string{"project_charter"}, nil)
		recv(t, gen.started, 5*time.Second, "the document to start")
		// Straight to the database: no event reaches the run.
		_, err := e.db.RequestCancel(context.Background(), u.ID, job.ID, time.Now())
		require.NoError(t, err)
		close(gen.block)
		j := e.waitJob(job.ID, 10*time.Second, "the end", func(j *models.Job) bool { return j.Terminal() })
		assert.Equal(t, models.StatusCancelled, j.Status)
		assert.Zero(t, j.CompletedDocuments)
		arts, err := e.db.JobArtifacts(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Empty(t, arts, "a document finished after the cancel is not stored")
	})
}

// proxy is a TCP proxy to PostgreSQL that a test can cut: the database
// seems to go away (connections dropped, new ones refused) and come back.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

// cut drops every connection; setDown keeps new ones out.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.cut()
	}
}

// A database outage does not spend the job's retries (issue 13.10): the
// run waits for the database and resumes, and the job completes with
// retry_count 0.
func TestDatabaseOutageSpendsNoRetry(t *testing.T) {
	dbURL := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	px := newProxy(t, u.Host)
	u.Host = px.ln.Addr().String()
	db, err := models.Open(context.Background(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	direct, err := models.Open(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { direct.Close() })

	e := newEnvDB(t, db)
	gen := newFakeGen()
	gen.set(func(g *fakeGen) { g.block = make(chan struct{}) })
	e.processor(gen, func(c *Config) { c.LeaseDuration = 20 * time.Second; c.HeartbeatInterval = 200 * time.Millisecond })
	usr := e.user("outage")
	job := e.job(usr, e.project(usr, "Outage"), []string{"project_charter", "scope_statement"}, nil)
	recv(t, gen.started, 10*time.Second, "the first document")

	// The database goes away while the document is being written, and its
	// commit fails for as long as it is away.
	px.setDown(true)
	close(gen.block)
	failing := time.Now().Add(2 * time.Second)
	for time.Now().Before(failing) {
		j, err := direct.JobByID(context.Background(), job.ID)
		require.NoError(t, err)
		require.Equal(t, models.StatusProcessing, j.Status)
		wait(100 * time.Millisecond)
	}
	px.setDown(false)

	j := waitDirect(t, direct, job.ID, 20*time.Second)
	assert.Equal(t, models.StatusCompleted, j.Status)
	assert.Equal(t, 0, j.RetryCount, "the outage spent none of the job's retries")
	for k, n := range artifactCounts(t, direct) {
		assert.Equal(t, 1, n, k)
	}
}

func waitDirect(t *testing.T, db *models.DB, id string, timeout time.Duration) *models.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := db.JobByID(context.Background(), id)
		require.NoError(t, err)
		if j.Terminal() || time.Now().After(deadline) {
			return j
		}
		wait(50 * time.Millisecond)
	}
}

// Only models speaks to the database: no package outside it reaches GORM
// (tests and the benchmark may, through ForTests).
func TestNoGormOutsideModels(t *testing.T) {
	root := ".."
	bad := regexp.MustCompile(`\.ForTests\(\)|"gorm\.io/gorm"`)
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			switch info.Name() {
			case "models", "node_modules", "bench", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assert.False(t, bad.Match(b), "%s reaches GORM; give models a named method instead", path)
		return nil
	})
	require.NoError(t, err)
}
