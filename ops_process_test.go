package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// Operating Dossier with the real binary: administrators, the instances
// list, and who may read /metrics.

func TestUserCreateAdminPromoteAndDemote(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/a.db"
	env := []string{"DATABASE_URL=" + dbURL}
	out := command(t, env, "user", "create", "--email", "root@example.com", "--password", "correct horse", "--admin")
	assert.Contains(t, out, "administrator created")
	out = command(t, env, "user", "create", "--email", "ann@example.com", "--password", "correct horse")
	assert.Contains(t, out, "user created")

	isAdmin := func(email string) bool {
		db, err := models.Connect(context.Background(), dbURL)
		require.NoError(t, err)
		defer db.Close()
		u, err := db.UserByEmail(context.Background(), email)
		require.NoError(t, err)
		return u.IsAdmin
	}
	assert.True(t, isAdmin("root@example.com"))
	assert.False(t, isAdmin("ann@example.com"))

	out = command(t, env, "user", "promote", "--email", "ANN@example.com")
	assert.Contains(t, out, "administrator: ann <ann@example.com>")
	assert.True(t, isAdmin("ann@example.com"))

	out = command(t, env, "user", "demote", "--email", "ann@example.com")
	assert.Contains(t, out, "no longer an administrator: ann <ann@example.com>")
	assert.False(t, isAdmin("ann@example.com"))
	assert.True(t, isAdmin("root@example.com"), "only the named user is demoted")

	for _, verb := range []string{"promote", "demote"} {
		cmd := exec.Command(binary, "user", verb, "--email", "nobody@example.com")
		cmd.Env = append(os.Environ(), env...)
		msg, err := cmd.CombinedOutput()
		require.Error(t, err, verb)
		assert.Contains(t, string(msg), `no user with email "nobody@example.com"`, verb)
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// /metrics is open by default (as documented), needs the bearer token when
// METRICS_TOKEN is set, and moves to its own listener with METRICS_ADDR.
func TestMetricsAccess(t *testing.T) {
	sqlite := func() string { return "DATABASE_URL=sqlite:" + t.TempDir() + "/m.db" }

	open := start(t, []string{sqlite()})
	status, body := get(t, open.url+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "go_goroutines")

	locked := start(t, []string{sqlite(), "METRICS_TOKEN=s3cret-metrics"})
	for _, token := range []string{"", "wrong", "s3cret"} {
		status, body = get(t, locked.url+"/metrics", token)
		assert.Equal(t, http.StatusUnauthorized, status, "token %q", token)
		assert.NotContains(t, body, "go_goroutines")
	}
	status, body = get(t, locked.url+"/metrics", "s3cret-metrics")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "dossier_queue_wait_seconds")

	addr := freeAddr(t)
	apart := start(t, []string{sqlite(), "METRICS_ADDR=" + addr})
	status, body = get(t, apart.url+"/metrics", "")
	assert.NotEqual(t, http.StatusOK, status, "not on the public address")
	assert.NotContains(t, body, "go_goroutines")
	status, body = get(t, "http://"+addr+"/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "go_goroutines")
}

// Two instances on one PostgreSQL both show on the console; one that stops
// cleanly leaves the list at once, one that is killed after the heartbeat
// timeout (three intervals).
func TestInstancesOnOnePostgres(t *testing.T) {
	dbURL := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	env := []string{"DATABASE_URL=" + dbURL, "INSTANCE_HEARTBEAT=200ms", "SWEEP_INTERVAL=1s"}
	command(t, env, "user", "create", "--email", "root@example.com", "--password", "correct horse", "--admin")
	token := strings.TrimSpace(command(t, env, "token", "create", "--email", "root@example.com"))

	a := start(t, env)
	b := start(t, env, "--role", "web")
	instances := func() map[string]string {
		status, body := get(t, a.url+"/admin", token)
		require.Equal(t, http.StatusOK, status)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		require.NoError(t, err)
		out := map[string]string{}
		doc.Find(`[data-testid="instance"]`).Each(func(_ int, s *goquery.Selection) {
			out[s.AttrOr("data-instance", "")] = s.Text()
		})
		return out
	}
	roles := func(m map[string]string) []string {
		var out []string
		for _, text := range m {
			switch {
			case strings.Contains(text, "web ·"):
				out = append(out, "web")
			case strings.Contains(text, "all ·"):
				out = append(out, "all")
			}
		}
		return out
	}
	waitFor := func(what string, cond func(map[string]string) bool) map[string]string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			m := instances()
			if cond(m) {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: instances %v", what, m)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	both := waitFor("two instances", func(m map[string]string) bool { return len(m) == 2 })
	assert.ElementsMatch(t, []string{"all", "web"}, roles(both))

	// A clean stop (SIGTERM) deletes the row.
	require.NoError(t, b.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-b.done)
	left := waitFor("the stopped instance gone", func(m map[string]string) bool { return len(m) == 1 })
	assert.Equal(t, []string{"all"}, roles(left))

	// A killed one stays until it is older than the timeout (600ms here).
	c := start(t, env, "--role", "web")
	waitFor("the new instance", func(m map[string]string) bool { return len(m) == 2 })
	require.NoError(t, c.cmd.Process.Kill())
	<-c.done
	killedAt := time.Now()
	left = waitFor("the killed instance dropped", func(m map[string]string) bool { return len(m) == 1 })
	assert.Equal(t, []string{"all"}, roles(left))
	assert.GreaterOrEqual(t, time.Since(killedAt), 300*time.Millisecond, "not before its last heartbeat is stale")
}

// scrape reads /metrics and returns one series: a histogram's count, or a
// counter's or gauge's value (labels must all match).
func scrape(t *testing.T, url string) func(name string, labels ...string) float64 {
	t.Helper()
	status, body := get(t, url+"/metrics", "")
	require.Equal(t, http.StatusOK, status)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	return func(name string, labels ...string) float64 {
		f := families[name]
		if f == nil {
			return 0
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
		return 0
	}
}

// The real binary's /metrics: histograms and the queue-depth gauge move when
// a job runs.
func TestMetricsEndpointMovesWhenJobsRun(t *testing.T) {
	env := []string{"DATABASE_URL=sqlite:" + t.TempDir() + "/m.db", "TEMPLATE_DELAY=5ms", "SWEEP_INTERVAL=200ms"}
	p := start(t, env)
	before := scrape(t, p.url)
	require.Zero(t, before("dossier_queue_wait_seconds"))
	require.Zero(t, before("dossier_document_duration_seconds", "type", "scope_statement"))
	require.Zero(t, before("dossier_model_call_seconds", "outcome", "ok"))

	token, id := setupJob(t, env, p)
	p.waitJob(token, id, 30*time.Second, func(j jobView) bool { return j.Status == "completed" })

	after := scrape(t, p.url)
	assert.Equal(t, 1.0, after("dossier_queue_wait_seconds"), "one claim")
	assert.Equal(t, 1.0, after("dossier_document_duration_seconds", "type", "scope_statement"))
	assert.Equal(t, 1.0, after("dossier_document_duration_seconds", "type", "raci_matrix"))
	assert.Equal(t, 10.0, after("dossier_model_call_seconds", "outcome", "ok"), "one call per document")
	assert.Equal(t, 1.0, after("dossier_documents_generated_total", "type", "schedule"))
	// The gauge is cached for 5 s: poll until it shows the completed job.
	deadline := time.Now().Add(15 * time.Second)
	for scrape(t, p.url)("dossier_queue_depth", "status", "completed") != 1 {
		require.True(t, time.Now().Before(deadline), "queue depth never showed the completed job")
		time.Sleep(200 * time.Millisecond)
	}
	assert.Greater(t, after("go_goroutines"), 0.0, "Go runtime metrics")
}
