package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"dossier/jobs/documents/providertest"
)

// historyCheck is what the job page's history measures.
type historyCheck struct {
	Steps   []string `json:"steps"`
	Orphans []int    `json:"orphans"`
}

// headerBox is where the header's inner container sits.
type headerBox struct {
	X     float64 `json:"x"`
	Width float64 `json:"width"`
}

const measureHeaderBox = `(() => { const r = document.querySelector('header > div').getBoundingClientRect(); return {x: r.x, width: r.width}; })()`

// The header's content stays in place between pages: its inner container
// has the same x and width on the dashboard, a job page and a document
// page (a document page's wider main column made it jump sideways).
func TestUXHeaderIsTheSameOnEveryPage(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Header check")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	job := waitAPI(t, srv, token, jobID, "completed")
	if len(job.Documents) == 0 || job.Documents[0].ArtifactID == nil {
		t.Fatalf("the job wrote no document: %+v", job)
	}
	for _, px := range []int64{1440, 1280, 390} {
		act(t, ctx, fmt.Sprintf("%d px", px), chromedp.EmulateViewport(px, 900))
		var first headerBox
		for i, p := range []struct{ what, path string }{
			{"dashboard", "/"},
			{"job page", "/jobs/" + jobID},
			{"document page", "/artifacts/" + *job.Documents[0].ArtifactID},
		} {
			act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
			box := value(t, ctx, "the header's box", chromedp.Evaluate[headerBox](measureHeaderBox))
			if i == 0 {
				first = box
				continue
			}
			if box != first {
				t.Errorf("at %d px the header's container on the %s is at x %.1f, %.1f wide; on the dashboard at x %.1f, %.1f wide",
					px, p.what, box.X, box.Width, first.X, first.Width)
			}
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// A failed run, retried by hand and failed again, on a phone (390 px), its
// project named with 200 characters and no space, its provider's answer a
// long unbroken id: the job page does not scroll sideways
// (document.documentElement.scrollWidth <= clientWidth), the documents'
// record stays inside its card, and the run's history wraps by step (its
// arrows wrapped onto lines of their own, and "02:01:22· 1 of 3" ran the
// time into what happened).
func TestUXJobTimelineFitsAPhone(t *testing.T) {
	model := providertest.New()
	t.Cleanup(model.Close)
	longID := "req_" + strings.Repeat("9f3c2a7b", 16)
	model.FailWith("scope_statement", 503, `{"error":{"message":"Upstream overloaded for request `+longID+`: the_request_identifier_`+strings.Repeat("x", 80)+`","type":"server_error","code":"overloaded"}}`)
	srv := startServer(t, map[string]string{"GENERATOR": "openai", "OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "test-key",
		"OPENAI_MODEL": "test-model", "LLM_CONCURRENCY": "1", "JOB_MAX_RETRIES": "0"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, longName)
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter", "scope_statement", "risk_register")
	waitAPI(t, srv, token, jobID, "failed")
	// Retried by hand and failed again: the page tells the run's history.
	if code := api(t, srv, token, "POST", "/api/generation/jobs/"+jobID+"/retry", nil, nil); code != 202 {
		t.Fatalf("retry: %d", code)
	}
	waitAPI(t, srv, token, jobID, "failed")

	act(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844))
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("timeline-doc-error-summary")))
	act(t, ctx, "open the technical details", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#main details').forEach(d => d.open = true)`))
	m := value(t, ctx, "measure", chromedp.Evaluate[widthCheck](measure, chromedp.EvalAwaitPromise))
	if m.ScrollWidth > m.ClientWidth {
		t.Errorf("the job page at 390 px scrolls sideways (scrollWidth %d > clientWidth %d); too wide: %v", m.ScrollWidth, m.ClientWidth, m.Wide)
		screenshot(t, ctx, "job-timeline-390")
	}
	// Nothing in the timeline reaches past its card.
	past := value(t, ctx, "timeline overflow", chromedp.Evaluate[[]string](`(() => {
		const card = document.querySelector('[data-testid="job-timeline"]').getBoundingClientRect();
		return Array.from(document.querySelectorAll('[data-testid="job-timeline"] *'))
			.filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().right > card.right + 1)
			.slice(0, 5).map(e => e.tagName + '.' + String(e.className).slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().right) + ' > ' + Math.round(card.right));
	})()`))
	if len(past) > 0 {
		t.Errorf("timeline content past its card at 390 px: %v", past)
	}
	// The run's history wraps by step: no arrow alone on a line (they
	// did, between steps that each took a line), and a step reads
	// "<time> · <what>".
	history := value(t, ctx, "the history", chromedp.Evaluate[historyCheck](`(() => {
		const items = Array.from(document.querySelectorAll('[data-testid="job-history"] > li')).filter(e => e.getClientRects().length > 0);
		const orphans = [];
		items.forEach((e, i) => {
			if (e.dataset.testid === 'job-history-step') return;
			const prev = items[i - 1], next = items[i + 1], r = e.getBoundingClientRect();
			const same = o => o && Math.abs(o.getBoundingClientRect().top - r.top) < 4;
			if (!same(prev) && !same(next)) orphans.push(Math.round(r.top));
		});
		return {steps: Array.from(document.querySelectorAll('[data-testid="job-history-step"]')).map(e => e.textContent.replace(/\s+/g, ' ').trim()), orphans};
	})()`))
	if len(history.Steps) != 4 {
		t.Fatalf("the history has %d steps: %q", len(history.Steps), history.Steps)
	}
	if len(history.Orphans) > 0 {
		t.Errorf("at 390 px %d history arrows sit on lines of their own", len(history.Orphans))
		screenshot(t, ctx, "job-history-390")
	}
	for _, step := range history.Steps[1:] {
		if !strings.Contains(step, " · ") {
			t.Errorf("a history step reads %q: its time and what it did run together", step)
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}
