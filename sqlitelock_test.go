package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models/modelstest"
)

// result is how a dossier process ended.
type result struct {
	code   int
	stderr string
}

// runToEnd runs the binary to its end (at most a minute) and returns its
// exit code and stderr.
func runToEnd(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("dossier %v: %v", args, err)
		}
		return result{code: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("dossier %v still running after a minute: %s", args, stderr.String())
		return result{}
	}
}

// oneLine asserts stderr is exactly one line and returns it.
func oneLine(t *testing.T, stderr string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, "stderr: %s", stderr)
	return lines[0]
}

// A second process on the SQLite file of a running one stops at once with
// exit code 1 and one line that says why and names the first one's pid; the
// first one keeps serving.
func TestSecondProcessOnSQLiteRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	env := []string{"DATABASE_URL=sqlite:" + db, "TEMPLATE_DELAY=10ms"}
	first := start(t, env)

	r := runToEnd(t, append(env, "ADDR="+freeAddr(t)), "serve")
	assert.Equal(t, 1, r.code)
	line := oneLine(t, r.stderr)
	assert.Contains(t, line, "database "+db+" is in use by another dossier process")
	assert.Contains(t, line, fmt.Sprintf("(pid %d)", first.cmd.Process.Pid))
	assert.Contains(t, line, "PostgreSQL")

	resp, err := http.Get(first.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the first process still serves")

	// One-shot commands work beside the server, without migrating its
	// database; migrate refuses.
	command(t, env, "user", "create", "--email", "beside@example.com", "--password", "long enough")
	token := strings.TrimSpace(command(t, env, "token", "create", "--email", "beside@example.com"))
	assert.NotEmpty(t, token)
	r = runToEnd(t, env, "migrate")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, oneLine(t, r.stderr), "stop it to run migrate")

	// Once the first process is gone, the file is free again.
	require.NoError(t, first.cmd.Process.Kill())
	<-first.done
	start(t, env)
}

// --role web or worker split live progress across processes, which SQLite
// cannot carry: refused with one line, on a file and on an in-memory
// database (which no other process would even see; it used to start).
func TestRolesRefusedOnSQLite(t *testing.T) {
	for _, url := range []string{"sqlite:" + filepath.Join(t.TempDir(), "d.db"), "sqlite::memory:", "sqlite:file:d?mode=memory&cache=shared"} {
		env := []string{"DATABASE_URL=" + url, "ADDR=" + freeAddr(t)}
		for _, role := range []string{"web", "worker"} {
			r := runToEnd(t, env, "serve", "--role", role)
			assert.Equal(t, 1, r.code, "%s %s", url, role)
			line := oneLine(t, r.stderr)
			assert.Contains(t, line, "--role "+role+" needs PostgreSQL", "%s %s", url, role)
		}
	}
}

// Two processes started at the same moment on a fresh SQLite file: one
// serves, the other refuses with its line; never a half-migrated file
// ("table users already exists").
func TestSQLiteProcessesStartedTogether(t *testing.T) {
	for round := range 3 {
		env := []string{"DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "d.db"), "TEMPLATE_DELAY=10ms"}
		type proc struct {
			cmd    *exec.Cmd
			stderr *syncBuffer
			done   chan struct{}
			url    string
		}
		procs := make([]*proc, 2)
		for i := range procs {
			addr := freeAddr(t)
			cmd := exec.Command(binary, "serve")
			cmd.Env = append(os.Environ(), append(env, "ADDR="+addr)...)
			p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{}), url: "http://" + addr}
			cmd.Stderr = p.stderr
			procs[i] = p
		}
		for _, p := range procs { // back to back: both reach the lock together
			require.NoError(t, p.cmd.Start())
			go func() { p.cmd.Wait(); close(p.done) }()
		}
		// Exactly one of them exits, with code 1 and the line.
		var loser, winner *proc
		select {
		case <-procs[0].done:
			loser, winner = procs[0], procs[1]
		case <-procs[1].done:
			loser, winner = procs[1], procs[0]
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: both still running", round)
		}
		assert.Equal(t, 1, loser.cmd.ProcessState.ExitCode(), "round %d", round)
		assert.Contains(t, oneLine(t, loser.stderr.String()), "is in use by another dossier process", "round %d", round)
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(winner.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-winner.done:
				t.Fatalf("round %d: the winner exited too: %s", round, winner.stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
			require.True(t, time.Now().Before(deadline), "round %d: winner not ready: %s", round, winner.stderr.String())
		}
		winner.cmd.Process.Kill()
		<-winner.done
	}
}

// Instances started together on one fresh PostgreSQL database migrate it
// once, under goose's advisory lock: every `dossier migrate` succeeds, and
// the migrations were applied exactly once between them.
func TestPostgresMigrationsStartedTogether(t *testing.T) {
	url := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	env := []string{"DATABASE_URL=" + url}
	const n = 4
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "migrate")
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, string(out))
			results[i] = string(out)
		}()
	}
	wg.Wait()
	applied := 0
	for _, out := range results {
		var k int
		var dialect string
		_, err := fmt.Sscanf(out, "migrations applied: %d (%s", &k, &dialect)
		require.NoError(t, err, out)
		applied += k
	}
	entries, err := os.ReadDir("migrations/postgres")
	require.NoError(t, err)
	assert.Equal(t, len(entries), applied, "each migration applied once: %q", results)
}
