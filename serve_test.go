package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents/providertest"
	"dossier/models"
)

// runToExit runs dossier with the arguments and waits, at most within, for
// it to exit; it returns the exit code and everything it wrote. A process
// still running at the deadline is killed and fails the test.
func runToExit(t *testing.T, env []string, within time.Duration, args ...string) (int, string) {
	t.Helper()
	p := launch(t, env, args...)
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), p.out.String()
		}
		require.NoError(t, err)
		return 0, p.out.String()
	case <-time.After(within):
		t.Fatalf("dossier %v still running after %s:\n%s", args, within, p.out.String())
		return 0, ""
	}
}

// A start that fails on a taken port (METRICS_ADDR for a worker, ADDR for
// web+worker) exits non-zero without having claimed a job: the queued job
// is still queued, no retry spent, and the model was never called. The
// processor used to start before the listeners were bound, and the error
// returned without stopping it, leaving the claimed job processing until
// its lease expired and the sweep spent a retry on it.
func TestTakenPortClaimsNothing(t *testing.T) {
	provider := providertest.New()
	// Closed after the processes' cleanups: a held call ends with them.
	t.Cleanup(provider.Close)
	provider.Hold() // a claimed job's first call would wait here
	env := postgresEnv(t, provider, "SWEEP_INTERVAL=100ms")
	web := start(t, env, "--role", "web")
	_, jobID := setupJob(t, env, web)

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	db, err := models.Connect(context.Background(), envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
		// holdExit makes the failed start's exit take seconds: its
		// heartbeat's row removal waits (5 s) for the test's lock on the
		// instances table, ample time for a claim to land had the
		// processor been started.
		holdExit bool
	}{
		{"worker, METRICS_ADDR taken", []string{"METRICS_ADDR=" + taken.Addr().String()}, []string{"serve", "--role", "worker"}, "METRICS_ADDR", true},
		{"all, ADDR taken", []string{"ADDR=" + taken.Addr().String()}, []string{"serve"}, "listen on", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.holdExit {
				tx := db.ForTests().Begin()
				require.NoError(t, tx.Exec(`LOCK TABLE instances IN EXCLUSIVE MODE`).Error)
				defer tx.Rollback()
			}
			code, out := runToExit(t, append(append([]string(nil), env...), tc.env...), 30*time.Second, tc.args...)
			assert.NotZero(t, code, out)
			assert.Contains(t, out, tc.want)

			j, err := db.JobByID(context.Background(), jobID)
			require.NoError(t, err)
			assert.Equal(t, models.StatusQueued, j.Status, "the job was not claimed")
			assert.Zero(t, j.RetryCount, "no retry spent")
			assert.Zero(t, provider.Total(), "the model was never called")
		})
	}
}

// A SIGTERM that arrives while the process starts ends it gracefully (exit
// 0, nothing claimed) once the start reaches the point where it would have
// started the processor. The signal handler used to be registered only
// after the start, so that such a signal killed the process. The start is
// held in its migrations, behind the test's hold of their advisory lock,
// until the signal is sent.
func TestSIGTERMWhileStarting(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	env := postgresEnv(t, provider)
	ctx := context.Background()
	db, err := models.Connect(ctx, envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	sqlDB, err := db.ForTests().DB()
	require.NoError(t, err)
	holder, err := sqlDB.Conn(ctx)
	require.NoError(t, err)
	defer holder.Close()
	const gooseLockID = 4097083626 // goose's lock.DefaultLockID
	_, err = holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, gooseLockID)
	require.NoError(t, err)

	p := launch(t, env, "serve", "--role", "worker")
	cmd, out, done := p.cmd, p.out, p.done
	// The process is in its start once it has tried for the lock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		require.NoError(t, db.ForTests().Raw(`SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`).Scan(&n).Error)
		if n > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the start never reached its migrations:\n%s", out.String())
		<-time.After(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_, err = holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, gooseLockID)
	require.NoError(t, err)

	select {
	case err := <-done:
		require.NoError(t, err, "exit status 0:\n%s", out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("dossier did not exit after SIGTERM:\n%s", out.String())
	}
	assert.Contains(t, out.String(), "shutting down before the start completed")
	assert.NotContains(t, out.String(), "worker running")
}

// A second SIGTERM during the graceful shutdown exits at once, with status
// 1, instead of waiting out SHUTDOWN_TIMEOUT (it used to be ignored). The
// lease is not released: the job stays processing until it expires.
func TestSecondSIGTERMExitsAtOnce(t *testing.T) {
	p, env, jobID := heldRun(t, "SHUTDOWN_TIMEOUT=2m", "LEASE_DURATION=30s")

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	p.waitOutput("shutting down", 20*time.Second)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		assert.Equal(t, 1, exit.ExitCode())
	case <-time.After(15 * time.Second):
		t.Fatalf("the second SIGTERM did not end the drain:\n%s", p.out.String())
	}
	assert.Contains(t, p.out.String(), "second signal")

	db, err := models.Connect(context.Background(), envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	j, err := db.JobByID(context.Background(), jobID)
	require.NoError(t, err)
	assert.Equal(t, models.StatusProcessing, j.Status, "left to its lease")
}

// SHUTDOWN_TIMEOUT=0 means no drain: SIGTERM aborts the in-flight document
// and releases the job at once, without spending a retry. 0 used to become
// the 25 s default while the log said timeout=0s.
func TestShutdownTimeoutZeroReleasesAtOnce(t *testing.T) {
	p, env, jobID := heldRun(t, "SHUTDOWN_TIMEOUT=0", "LEASE_DURATION=30s")

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err, "exit status 0")
	case <-time.After(15 * time.Second): // the abort grace is 3 s; the default drain 25 s
		t.Fatalf("dossier drained with SHUTDOWN_TIMEOUT=0:\n%s", p.out.String())
	}
	assert.Contains(t, p.out.String(), "timeout=0s")

	db, err := models.Connect(context.Background(), envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	j, err := db.JobByID(context.Background(), jobID)
	require.NoError(t, err)
	assert.Equal(t, models.StatusQueued, j.Status, "released for another instance")
	assert.Zero(t, j.RetryCount)
}

// LLM_MAX_RETRY_AFTER=0 means no Retry-After is waited in process: a 429
// asking for 90 s hands the job over to the job-level retry at once (one
// model call, retry_count 1, run_at after the provider's time). 0 used to
// become the 2 minute default, so the run held its slot for 90 s, twice.
func TestMaxRetryAfterZeroHandsOverAtOnce(t *testing.T) {
	provider := providertest.New()
	t.Cleanup(provider.Close)
	provider.FailRetryAfter("project_charter", 429, "90")
	env := postgresEnv(t, provider, "LLM_MAX_RETRY_AFTER=0")
	p := start(t, env)
	before := time.Now()
	_, jobID := setupJob(t, env, p)

	db, err := models.Connect(context.Background(), envValue(env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	deadline := time.Now().Add(20 * time.Second)
	var j *models.Job
	for {
		j, err = db.JobByID(context.Background(), jobID)
		require.NoError(t, err)
		if j.RetryCount > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no job-level retry within 20 s: %s %+v", j.Status, provider.CallCounts())
		<-time.After(50 * time.Millisecond)
	}
	assert.Equal(t, models.StatusQueued, j.Status)
	assert.Equal(t, 1, j.RetryCount)
	assert.Equal(t, 1, provider.Calls("project_charter"), "the 429 was not retried in process")
	assert.False(t, j.RunAt.Before(before.Add(90*time.Second)), "run_at %s honours the provider's 90 s", j.RunAt)
}

// serve refuses what it used to ignore or pass unchecked, with one line and
// status 1 (the status of every other usage error), before it starts
// anything: a stray argument (`serve worker` started web and worker), an
// --addr that is not host:port (it logged "listening http://3000", then
// failed), --addr with --role worker (silently ignored), and --addr equal
// to METRICS_ADDR (checked for ADDR only).
func TestServeRefusesBadArguments(t *testing.T) {
	metrics := freeAddr(t)
	env := []string{"DATABASE_URL=sqlite:" + t.TempDir() + "/a.db", "ADDR=" + freeAddr(t), "METRICS_ADDR=" + metrics}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "worker"}, `serve takes no arguments, got "worker" (did you mean --role worker?)`},
		{[]string{"serve", "--role", "web", "now", "please"}, `serve takes no arguments, got "now please"`},
		{[]string{"serve", "--addr", "3000"}, `--addr must be host:port, got "3000"`},
		{[]string{"serve", "--addr", ""}, `--addr must be host:port, got ""`},
		{[]string{"serve", "--role", "worker", "--addr", "127.0.0.1:0"}, "--addr has no use with --role worker, which serves no HTTP (METRICS_ADDR serves its /metrics)"},
		{[]string{"serve", "--addr", metrics}, "--addr must differ from METRICS_ADDR"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out := runToExit(t, env, 10*time.Second, tc.args...)
			assert.Equal(t, 1, code, out)
			assert.Equal(t, "dossier: "+tc.want, strings.TrimSpace(out), "one line")
		})
	}
}

// --addr overrides ADDR, whose value then does not matter: an ADDR the
// check would refuse does not stop a start that names its own address.
func TestAddrFlagOverridesABadADDR(t *testing.T) {
	addr := freeAddr(t)
	p := launch(t, []string{"DATABASE_URL=sqlite:" + t.TempDir() + "/a.db", "ADDR=not-an-address"}, "serve", "--addr", addr)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			return
		}
		select {
		case err := <-p.done:
			t.Fatalf("dossier exited: %v\n%s", err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier did not serve on --addr %s:\n%s", addr, p.out.String())
		}
		<-time.After(20 * time.Millisecond)
	}
}

// heldRun starts dossier on PostgreSQL with settings, and a job whose first
// document is being written: its model call is held and never finishes by
// itself. It returns the process, its environment and the job's id.
func heldRun(t *testing.T, settings ...string) (*proc, []string, string) {
	t.Helper()
	provider := providertest.New()
	// Closed after the process's cleanup: a held call ends with it.
	t.Cleanup(provider.Close)
	provider.Hold()
	env := postgresEnv(t, provider, settings...)
	p := start(t, env)
	_, jobID := setupJob(t, env, p)
	_, err := provider.WaitForCalls(1, 20*time.Second)
	require.NoError(t, err)
	return p, env, jobID
}
