package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The operator console in a browser, with jobs running: an administrator
// sees the queue, the running jobs with their instance and lease, the
// failing jobs grouped by error, the usage and the instance; the console
// follows a document finishing without a reload (the admin event of
// /events); a bulk retry changes exactly the checked job.
func TestAdminConsoleWithJobsRunning(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{env: map[string]string{
		"WORKER_CONCURRENCY": "4", "LLM_CONCURRENCY": "4", "MAX_JOBS_PER_USER": "0", "INSTANCE_HEARTBEAT": "500ms",
		"JOB_MAX_RETRIES": "0",
	}})
	cli(t, srv, "user", "create", "--email", "root@example.com", "--password", password, "--name", "Root", "--admin")
	cli(t, srv, "user", "create", "--email", "alice@example.com", "--password", password, "--name", "Alice")
	token := tokenFor(t, srv, "alice@example.com")

	// Two jobs fail on a provider outage (one group), one completes. An
	// outage, not a rejected request: the bulk retry below must be one a
	// retry can fix (the console skips the others, as the API refuses
	// them). Each document makes its 3 attempts; no job-level retry.
	model.Fail("stakeholder_register", http.StatusInternalServerError)
	f1 := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Failing one"), "stakeholder_register")
	f2 := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Failing two"), "stakeholder_register")
	release(t, model, 6)
	waitAPI(t, srv, token, f1, "failed")
	waitAPI(t, srv, token, f2, "failed")
	model.Fail("stakeholder_register", 0)
	done := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Finished"), "scope_statement")
	release(t, model, 1)
	waitAPI(t, srv, token, done, "completed")

	// Two jobs run and wait at the gate, holding their leases.
	r1 := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Relaunch"), "scope_statement", "risk_register")
	r2 := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Migration"), "scope_statement", "risk_register")
	if _, err := model.WaitForCalls(2, gateWait); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, srv, token, r1, "processing")
	waitAPI(t, srv, token, r2, "processing")

	ctx := newBrowser(t)
	logIn(t, ctx, srv, "root@example.com")
	act(t, ctx, "open the console",
		chromedp.Navigate(srv.URL+"/admin"),
		chromedp.WaitVisible(testid("admin-page")),
	)
	count := func(sel string) int {
		return value(t, ctx, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	}
	text := func(sel string) string {
		return value(t, ctx, "read "+sel, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||''`, sel)))
	}
	if n := count(`[data-testid="running-job"]`); n != 2 {
		t.Fatalf("running jobs: %d, want 2", n)
	}
	for _, id := range []string{r1, r2} {
		row := fmt.Sprintf(`[data-testid="running-job"][data-job=%q]`, id)
		if inst := strings.TrimSpace(text(row + ` [data-testid="running-instance"]`)); inst == "" {
			t.Errorf("job %s: no instance shown", id)
		}
		if lease := text(row + ` [data-testid="running-lease"]`); !strings.Contains(lease, "expires in") {
			t.Errorf("job %s: lease %q", id, lease)
		}
	}
	if got := strings.TrimSpace(text(`[data-testid="depth-processing-total"]`)); got != "2" {
		t.Errorf("processing depth %q, want 2", got)
	}
	if got := text(`[data-testid="instance-leases"]`); got != "2 leases" {
		t.Errorf("instance leases %q, want 2 leases", got)
	}
	if n := count(`[data-testid="fail-group"]`); n != 1 {
		t.Errorf("failing groups: %d, want 1", n)
	}
	if n := count(`[data-testid="select-job"]`); n != 2 {
		t.Errorf("failing jobs: %d, want 2", n)
	}
	if got := text(`[data-testid="usage-row"]`); !strings.Contains(got, "alice@example.com") {
		t.Errorf("usage row %q", got)
	}

	// Live: a document finishes and the console shows it without a reload.
	value(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.__notReloaded = true`))
	release(t, model, 1)
	waitFor(t, ctx, "a running job at 50% on the console",
		`[...document.querySelectorAll('[data-testid="running-job"] progress')].some(p => p.value === 50)`, 15*time.Second)
	waitFor(t, ctx, "the throughput chart counts the document",
		`document.querySelector('[data-testid="chart-throughput-summary"]').textContent.includes('; 2 documents')`, 15*time.Second)
	if !value(t, ctx, "no reload", chromedp.Evaluate[bool](`window.__notReloaded === true`)) {
		t.Fatal("the page was reloaded; the console should update over its stream")
	}
	screenshot(t, ctx, "console")

	// Bulk retry of exactly the checked job.
	act(t, ctx, "retry one failing job",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#sel-%s`, f1))),
		chromedp.Click(testid("bulk-retry")),
		chromedp.WaitVisible(testid("bulk-result")),
	)
	if got := text(`[data-testid="bulk-result"]`); got != "Retried the selected job." {
		t.Errorf("bulk result %q", got)
	}
	var j apiJob
	api(t, srv, token, "GET", "/api/generation/jobs/"+f1, nil, &j)
	if j.Status != "queued" && j.Status != "processing" {
		t.Errorf("retried job %s is %s", f1, j.Status)
	}
	api(t, srv, token, "GET", "/api/generation/jobs/"+f2, nil, &j)
	if j.Status != "failed" {
		t.Errorf("unselected job %s is %s, want failed", f2, j.Status)
	}
	model.Open()
}
