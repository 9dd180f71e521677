package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents/providertest"
	"dossier/models"
	"dossier/models/modelstest"
)

// These tests run the real binary, as an operator would: kill it, stop it,
// restart it, and drive it over HTTP with a bearer token.

var binary string

// syncBuffer is a bytes.Buffer that a running process writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dossier-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dossier")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dossier:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one running dossier process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer
	url  string
	done chan error
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// command runs a one-shot dossier command and returns its stdout.
func command(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "dossier %v: %s", args, stderr.String())
	return stdout.String()
}

// launch starts dossier with the arguments and env (added to this
// process's): killed at the test's end if still running, its output logged
// if the test failed.
func launch(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &proc{t: t, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("dossier output:\n%s", out.String())
		}
	})
	return p
}

// waitOutput waits, at most within, for the process to write want.
func (p *proc) waitOutput(want string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(p.out.String(), want) {
		require.True(p.t, time.Now().Before(deadline), "dossier never wrote %q:\n%s", want, p.out.String())
		<-time.After(20 * time.Millisecond)
	}
}

// start runs `dossier serve` with the arguments on a free ADDR and waits
// until it answers /healthz.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	p := launch(t, append(env[:len(env):len(env)], "ADDR="+addr), append([]string{"serve"}, args...)...)
	p.url = "http://" + addr
	out := p.out
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("dossier exited early: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("dossier did not become healthy:\n%s", out.String())
	return nil
}

func (p *proc) api(method, path, token string, body any, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	require.NoError(p.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(p.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

type jobView struct {
	ID                 string `json:"id"`
	Status             string `json:"status"`
	CompletedDocuments int    `json:"completedDocuments"`
	TotalDocuments     int    `json:"totalDocuments"`
}

// setupJob creates a user, a token, a project and a 10-document job.
func setupJob(t *testing.T, env []string, p *proc) (token, jobID string) {
	t.Helper()
	command(t, env, "user", "create", "--email", "ops@example.com", "--password", "correct horse", "--name", "Ops")
	token = strings.TrimSpace(command(t, env, "token", "create", "--email", "ops@example.com"))
	require.True(t, strings.HasPrefix(token, models.TokenPrefix), token)
	name, desc, data, pack := models.ExampleProject()
	var project struct{ ID string }
	require.Equal(t, http.StatusCreated, p.api("POST", "/api/projects", token, map[string]any{
		"name": name, "description": desc, "data": data, "companyIntelligencePack": pack,
	}, &project))
	docs := []string{"project_charter", "business_case", "scope_statement", "stakeholder_register", "risk_register",
		"communication_plan", "work_breakdown_structure", "schedule", "budget_estimate", "raci_matrix"}
	var job jobView
	require.Equal(t, http.StatusAccepted, p.api("POST", "/api/generation/jobs", token, map[string]any{"projectId": project.ID, "documents": docs}, &job))
	require.Equal(t, 10, job.TotalDocuments)
	return token, job.ID
}

func (p *proc) waitJob(token, id string, timeout time.Duration, cond func(jobView) bool) jobView {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var j jobView
	for time.Now().Before(deadline) {
		p.api("GET", "/api/generation/jobs/"+id, token, nil, &j)
		if cond(j) {
			return j
		}
		<-time.After(50 * time.Millisecond)
	}
	p.t.Fatalf("job %s: timed out; last %+v", id, j)
	return j
}

func postgresEnv(t *testing.T, provider *providertest.Provider, extra ...string) []string {
	url := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	return append([]string{
		"DATABASE_URL=" + url, "GENERATOR=openai", "OPENAI_BASE_URL=" + provider.BaseURL(),
		"OPENAI_API_KEY=test", "OPENAI_MODEL=test-model", "LLM_CONCURRENCY=1", "WORKER_CONCURRENCY=1",
		"SWEEP_INTERVAL=200ms", "LEASE_DURATION=2s",
	}, extra...)
}

// checkExactlyOnce asserts each document of the job exists exactly once.
func checkExactlyOnce(t *testing.T, dbURL, jobID string, want int) {
	t.Helper()
	db, err := models.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer db.Close()
	var rows []struct {
		DocumentType string
		N            int
	}
	require.NoError(t, db.ForTests().Raw(`SELECT document_type, COUNT(*) AS n FROM artifacts WHERE job_id = ? GROUP BY document_type`, jobID).Scan(&rows).Error)
	assert.Len(t, rows, want)
	for _, r := range rows {
		assert.Equal(t, 1, r.N, r.DocumentType)
	}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// A worker killed mid-job: the restarted process resumes from the
// checkpoints, each document exists exactly once, and the model was called
// at most twice more than the number of documents: the crash loses the call
// in flight (LLM_CONCURRENCY=1) and, since a run starts the next document
// while the last one commits, a document finished whose commit had not
// landed yet (seen once on a loaded machine, 12 calls).
func TestCrashRecoverySIGKILL(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.SetDelay(150 * time.Millisecond)
	env := postgresEnv(t, provider)

	p1 := start(t, env)
	token, jobID := setupJob(t, env, p1)
	p1.waitJob(token, jobID, 30*time.Second, func(j jobView) bool { return j.CompletedDocuments >= 3 })
	require.NoError(t, p1.cmd.Process.Signal(syscall.SIGKILL))
	<-p1.done

	p2 := start(t, env)
	done := p2.waitJob(token, jobID, 60*time.Second, func(j jobView) bool { return j.Status == "completed" || j.Status == "failed" })
	require.Equal(t, "completed", done.Status)
	assert.Equal(t, 10, done.CompletedDocuments)
	checkExactlyOnce(t, envValue(env, "DATABASE_URL"), jobID, 10)
	assert.LessOrEqual(t, provider.Total(), 12, "the model was called at most twice more than the number of documents")
	assert.GreaterOrEqual(t, provider.Total(), 10)
}

// SIGTERM drains, releases the lease and exits 0 in time; a restarted
// process completes the job.
func TestGracefulShutdownSIGTERM(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.SetDelay(400 * time.Millisecond)
	const shutdownTimeout = 2 * time.Second
	env := postgresEnv(t, provider, "SHUTDOWN_TIMEOUT="+shutdownTimeout.String(), "LEASE_DURATION=30s")

	p1 := start(t, env)
	token, jobID := setupJob(t, env, p1)
	p1.waitJob(token, jobID, 30*time.Second, func(j jobView) bool { return j.CompletedDocuments >= 2 })
	sent := time.Now()
	require.NoError(t, p1.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p1.done:
		require.NoError(t, err, "exit status 0")
	case <-time.After(shutdownTimeout + 10*time.Second):
		t.Fatal("dossier did not exit after SIGTERM")
	}
	assert.Less(t, time.Since(sent), shutdownTimeout+5*time.Second)

	db, err := models.Connect(context.Background(), envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	var live int64
	require.NoError(t, db.ForTests().Raw(`SELECT COUNT(*) FROM document_generation_jobs WHERE status = 'processing' AND lease_expires_at > ?`, time.Now()).Scan(&live).Error)
	assert.Zero(t, live, "no job left processing with a live lease")
	j, err := db.JobByID(context.Background(), jobID)
	require.NoError(t, err)
	assert.Equal(t, models.StatusQueued, j.Status, "released for another instance")

	p2 := start(t, env)
	done := p2.waitJob(token, jobID, 60*time.Second, func(j jobView) bool { return j.Status == "completed" })
	assert.Equal(t, 10, done.CompletedDocuments)
	checkExactlyOnce(t, envValue(env, "DATABASE_URL"), jobID, 10)
}

// The README's API walkthrough: a script drives the whole flow with curl and
// a token.
func TestAPIScript(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("DOSSIER_REQUIRE_POSTGRES") != "" {
			t.Fatal("jq is required (.ci/run installs it)")
		}
		t.Skip("API script test skipped: jq not installed")
	}
	dir := t.TempDir()
	env := []string{"DATABASE_URL=sqlite:" + filepath.Join(dir, "d.db"), "TEMPLATE_DELAY=20ms", "SWEEP_INTERVAL=200ms"}
	p := start(t, env)
	command(t, env, "user", "create", "--email", "script@example.com", "--password", "correct horse")
	token := strings.TrimSpace(command(t, env, "token", "create", "--email", "script@example.com"))

	zip := filepath.Join(dir, "docs.zip")
	cmd := exec.Command("bash", "scripts/api-demo.sh")
	cmd.Env = append(os.Environ(), "DOSSIER_URL="+p.url, "DOSSIER_TOKEN="+token, "DOSSIER_OUT="+zip)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	text := string(out)
	assert.Contains(t, text, "completed")
	assert.Contains(t, text, "Risk Register")
	assert.Equal(t, 12, strings.Count(text, "chars)"), text)
	info, err := os.Stat(zip)
	require.NoError(t, err)
	assert.Greater(t, info.Size(), int64(1000))

	// Without the token, the API answers 401 in the JSON error shape.
	resp, err := http.Get(p.url + "/api/projects")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Equal(t, "unauthorized", e.Error.Code)
}

// Scale-out: a web-only and a worker-only process share one PostgreSQL. A
// job created through the web instance is claimed by the worker at once,
// through NOTIFY (the sweep is an hour, so nothing else would claim it).
func TestWebAndWorkerRoles(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	env := postgresEnv(t, provider, "SWEEP_INTERVAL=1h")

	worker := launch(t, env, "serve", "--role", "worker")
	// The worker is up once its LISTEN connection is: wait for its log line.
	worker.waitOutput("worker running", 20*time.Second)

	web := start(t, env, "--role", "web")
	token, jobID := setupJob(t, env, web)
	done := web.waitJob(token, jobID, 30*time.Second, func(j jobView) bool { return j.Status == "completed" })
	assert.Equal(t, 10, done.CompletedDocuments)

	require.NoError(t, worker.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-worker.done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not exit after SIGTERM")
	}
}

// `go run .` with no configuration: SQLite at data/dossier.db, created on
// first run, migrations applied.
func TestDefaultsServeSQLite(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cmd := exec.Command(binary)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "GENERATOR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "ADDR="+addr)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			var body struct{ Status, Database string }
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			assert.Equal(t, "sqlite", body.Database)
			break
		}
		require.True(t, time.Now().Before(deadline), "not serving: %s", out.String())
		<-time.After(50 * time.Millisecond)
	}
	_, err := os.Stat(filepath.Join(dir, "data", "dossier.db"))
	require.NoError(t, err, "the SQLite file is created on first run")
	db, err := models.Connect(context.Background(), "sqlite:"+filepath.Join(dir, "data", "dossier.db"))
	require.NoError(t, err)
	defer db.Close()
	n, err := db.MigrateReport(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "migrations were applied at start")
	assert.Contains(t, out.String(), "generator=template")
}

// Two real processes on one PostgreSQL: the job is created through A and
// processed by A; a client streaming from B (web only) sees every document
// stored, and progress that never goes back, through done. (A stream sends
// states: two documents stored close together may reach B in one load, so
// progress can go from 5 to 7 of 10; each document still has its event.)
func TestStreamFromAnotherInstance(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.SetDelay(150 * time.Millisecond)
	env := postgresEnv(t, provider)
	a := start(t, env)
	b := start(t, env, "--role", "web")
	token, jobID := setupJob(t, env, a)

	req, err := http.NewRequest("GET", b.url+"/api/generation/jobs/stream/"+jobID+"?format=json", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "no", resp.Header.Get("X-Accel-Buffering"))

	type event struct {
		name string
		job  jobView
		doc  struct{ Type, Status string }
	}
	events := make(chan event, 1000)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev := event{name: name}
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.job)
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.doc)
				events <- ev
			}
		}
	}()
	var progress []int
	stored := map[string]bool{}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended before done")
			switch ev.name {
			case "progress":
				if len(progress) > 0 {
					require.GreaterOrEqual(t, ev.job.CompletedDocuments, progress[len(progress)-1], "progress never goes back: %v", progress)
				}
				progress = append(progress, ev.job.CompletedDocuments)
			case "document":
				if ev.doc.Status == models.DocCompleted {
					stored[ev.doc.Type] = true
				}
			}
			if ev.name != "done" {
				continue
			}
			assert.Equal(t, "completed", ev.job.Status)
			assert.Equal(t, 10, ev.job.CompletedDocuments)
			assert.Len(t, stored, 10, "B's client saw each document stored: %v", stored)
			assert.Greater(t, len(progress), 1, "and progress on the way: %v", progress)
			_, more := <-events
			assert.False(t, more, "the server closes the stream after done")
			return
		case <-deadline:
			t.Fatalf("no done event from instance B; progress seen: %v", progress)
		}
	}
}

// A taken port stops the start with an error, not a hang.
func TestListenErrorExits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "ADDR="+ln.Addr().String(), "DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, out.String(), "listen on")
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("dossier hung on a taken port:\n%s", out.String())
	}
}

// A worker frozen (SIGSTOP) past its lease while another instance takes
// the job over, then resumed (SIGCONT): none of the frozen worker's writes
// is accepted, no document is stored twice, and the job's progress never
// goes backwards.
func TestZombieWorkerSIGSTOP(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.SetDelay(300 * time.Millisecond)
	env := postgresEnv(t, provider)
	dbURL := envValue(env, "DATABASE_URL")
	db, err := models.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer db.Close()

	// Watch the job row from the side, all along.
	type seen struct {
		done     int
		token    int64
		lockedBy string
	}
	var mu sync.Mutex
	var history []seen
	var jobID string
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	watch := func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			mu.Lock()
			id := jobID
			mu.Unlock()
			if id == "" {
				continue
			}
			var row struct {
				CompletedDocuments int
				FencingToken       int64
				LockedBy           *string
			}
			if err := db.ForTests().Raw(`SELECT completed_documents, fencing_token, locked_by FROM document_generation_jobs WHERE id = ?`, id).Scan(&row).Error; err != nil {
				continue
			}
			s := seen{done: row.CompletedDocuments, token: row.FencingToken}
			if row.LockedBy != nil {
				s.lockedBy = *row.LockedBy
			}
			mu.Lock()
			history = append(history, s)
			mu.Unlock()
		}
	}
	go watch()

	p1 := start(t, env)
	token, id := setupJob(t, env, p1)
	mu.Lock()
	jobID = id
	mu.Unlock()
	p1.waitJob(token, id, 30*time.Second, func(j jobView) bool { return j.CompletedDocuments >= 2 })
	var frozenWorker string
	require.NoError(t, db.ForTests().Raw(`SELECT locked_by FROM document_generation_jobs WHERE id = ?`, id).Scan(&frozenWorker).Error)
	require.NotEmpty(t, frozenWorker)

	// Freeze it mid-document; another instance takes over once the lease
	// (2 s) has expired, and gets further.
	require.NoError(t, p1.cmd.Process.Signal(syscall.SIGSTOP))
	frozenAt := p1.waitJobDirect(db, id)
	p2 := start(t, env)
	p2.waitJob(token, id, 30*time.Second, func(j jobView) bool { return j.CompletedDocuments >= frozenAt+2 })

	// Resume the zombie: its in-flight document returns, and its commit
	// and heartbeats meet a fencing token that has moved on.
	require.NoError(t, p1.cmd.Process.Signal(syscall.SIGCONT))
	done := p2.waitJob(token, id, 60*time.Second, func(j jobView) bool { return j.Status == "completed" || j.Status == "failed" })
	require.Equal(t, "completed", done.Status)
	assert.Equal(t, 10, done.CompletedDocuments)
	close(stopWatch)
	<-watched

	checkExactlyOnce(t, dbURL, id, 10)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, history)
	resumed := false
	for i := 1; i < len(history); i++ {
		prev, cur := history[i-1], history[i]
		assert.GreaterOrEqual(t, cur.done, prev.done, "progress went backwards at sample %d", i)
		assert.GreaterOrEqual(t, cur.token, prev.token, "the fencing token went backwards at sample %d", i)
		if prev.lockedBy == frozenWorker && cur.lockedBy != frozenWorker {
			resumed = true
		}
		if resumed {
			assert.NotEqual(t, frozenWorker, cur.lockedBy, "the zombie got the job back")
		}
	}
	assert.True(t, resumed, "another instance took the job over")
	// The zombie noticed, wrote nothing, and is still alive and well.
	require.Eventually(t, func() bool { return strings.Contains(p1.out.String(), "lease lost") }, 10*time.Second, 50*time.Millisecond,
		"the resumed worker saw its lease lost:\n%s", p1.out.String())
	assert.NotContains(t, p1.out.String(), "job write failed")
	resp, err := http.Get(p1.url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
}

// waitJobDirect reads the job's completed documents from the database (the
// process is frozen and cannot answer).
func (p *proc) waitJobDirect(db *models.DB, id string) int {
	var n int
	require.NoError(p.t, db.ForTests().Raw(`SELECT completed_documents FROM document_generation_jobs WHERE id = ?`, id).Scan(&n).Error)
	return n
}
