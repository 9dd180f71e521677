package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"dossier/jobs/documents/providertest"
	"dossier/models/modelstest"
)

// Issue 11, must show 3: the page shows a document's draft growing, then
// its link. The OpenAI-compatible fake streams each document in chunks that
// the test releases (providertest.ChunkGate), so what the page has shown at
// each moment is decided by the test, not by the clock.

// hostileDraft is a document as a hostile model might write it, in three
// parts marked ALPHA, BRAVO and CHARLIE, then the rest.
var hostileDraft = strings.Join([]string{
	"# Project Charter\n\nALPHA The charter says *why* the project exists. <script>window.__pwned = 'script'</script>\n\n",
	"<img src=x onerror=\"window.__pwned = 'onerror'\">\n\n<div hx-get=\"/draft-probe?from=model\" hx-trigger=\"load\">hx</div>\n\n",
	"- BRAVO first item <a href=\"javascript:window.__pwned='href'\" onclick=\"window.__pwned='click'\">x</a>\n",
	"- second item [a link](javascript:window.__pwned='md-link') and `<script>as code</script>`\n\n",
	"| CHARLIE risk | score |\n|---|---|\n| <b onmouseover=\"window.__pwned='row'\">late</b> | 12 |\n\n",
	"<iframe src=\"javascript:window.__pwned='iframe'\"></iframe>\n\n",
	"DELTA the end of the charter, with a last line that is long enough to take a chunk or two.\n",
}, "")

const hostileChunks = 40

// draftServer starts dossier on the fake model, whose answers stream
// hostileDraft through gate.
func draftServer(t *testing.T, gate *providertest.ChunkGate, o serverOpts) (*Server, *providertest.Provider) {
	t.Helper()
	model := providertest.New()
	t.Cleanup(model.Close)
	model.SetStream(providertest.Stream{Content: func(string, int) string { return hostileDraft }, Chunks: hostileChunks, Gate: gate})
	env := map[string]string{
		"GENERATOR": "openai", "OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "test-key",
		"OPENAI_MODEL": "test-model", "LLM_CONCURRENCY": "2",
	}
	for k, v := range o.env {
		env[k] = v
	}
	o.env = env
	return startServerWith(t, o), model
}

// draftText is what the page shows of a document's draft: its text, or
// "<none>" without a visible draft element.
func draftText(t *testing.T, ctx context.Context, docType string) string {
	t.Helper()
	return value(t, ctx, "read the draft", chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const d = document.querySelector('[data-testid="draft-%s"]');
		const text = d && d.querySelector('[data-draft-text]');
		if (!d || d.hidden || !text || text.hidden) return '<none>';
		return text.innerText;
	})()`, docType)))
}

// hostileInDraft lists what should never be in a draft: script-like
// elements, attributes that run code or make htmx act (on*, hx-*,
// data-hx-*), javascript: URLs; and whether any of the model's scripts ran.
func hostileInDraft(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return value(t, ctx, "inspect the drafts", chromedp.Evaluate[[]string](`(() => {
		const bad = [];
		document.querySelectorAll('[data-draft-text]').forEach(root => {
			root.querySelectorAll('script, iframe, object, embed, img, form').forEach(e => bad.push('element ' + e.tagName));
			root.querySelectorAll('*').forEach(e => {
				for (const a of e.attributes) {
					const n = a.name.toLowerCase();
					if (n.startsWith('on') || n.startsWith('hx-') || n.startsWith('data-hx')) bad.push(e.tagName + ' ' + n);
					if (/^\s*javascript:/i.test(a.value)) bad.push(e.tagName + ' ' + n + '=' + a.value);
				}
			});
		});
		if (window.__pwned) bad.push('ran: ' + window.__pwned);
		return bad;
	})()`))
}

// watchDraftGrow releases the document in three steps and reads the page
// after each (markers ALPHA, BRAVO, CHARLIE), checking the draft for
// hostile markup while it streams; then releases the rest and checks that
// the document's link replaces the draft.
func watchDraftGrow(t *testing.T, ctx context.Context, srv *Server, gate *providertest.ChunkGate, token, jobID string) {
	t.Helper()
	waitFor(t, ctx, "the charter is being written", `document.querySelector('[data-testid="job-doc-project_charter"]')?.dataset.status === 'generating'`, gateWait)
	// Control: the inspection finds hostile markup when there is some. It
	// is planted in a draft text element of its own, which no stream event
	// targets: one planted in the live draft could be replaced by the
	// stream's first draft event before the inspection reads it.
	value(t, ctx, "plant markup", chromedp.Evaluate[bool](`(() => { const t = document.createElement('div'); t.setAttribute('data-draft-text', ''); t.hidden = true;
		const b = document.createElement('b'); b.setAttribute('onclick', 'x'); b.setAttribute('hx-get', '/x'); t.id = 'planted'; t.append(b); document.body.append(t); return true; })()`))
	if bad := hostileInDraft(t, ctx); len(bad) != 2 {
		t.Fatalf("the inspection found %v in planted markup, want onclick and hx-get", bad)
	}
	value(t, ctx, "remove it", chromedp.Evaluate[bool](`(document.getElementById('planted').remove(), true)`))
	// Control: an hx-get that htmx processes on this page does reach the
	// server, and the probe counter sees it (the model's draft holds one,
	// which must not).
	probes := countProbes(t, ctx)
	value(t, ctx, "plant an hx-get", chromedp.Evaluate[bool](`(() => { const d = document.createElement('div'); d.id = 'planted-hx';
		d.setAttribute('hx-get', '/draft-probe?from=control'); d.setAttribute('hx-trigger', 'load'); d.setAttribute('hx-swap', 'none');
		document.body.append(d); htmx.process(d); return true; })()`))
	probes.wait(t, "control")
	value(t, ctx, "remove it", chromedp.Evaluate[bool](`(document.getElementById('planted-hx').remove(), true)`))
	var seen []string
	for _, marker := range []string{"ALPHA", "BRAVO", "CHARLIE"} {
		// Release chunks until the marker has been written, then wait for
		// the page to show it.
		for !strings.Contains(hostileDraft[:min(len(hostileDraft), gate.Released()*len(hostileDraft)/hostileChunks)], marker) {
			gate.Release(2)
		}
		if err := gate.WaitSent("project_charter", gate.Released(), gateWait); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the draft shows "+marker, fmt.Sprintf(`document.querySelector('[data-testid="draft-project_charter"] [data-draft-text]')?.innerText.includes(%q)`, marker), gateWait)
		text := draftText(t, ctx, "project_charter")
		if bad := hostileInDraft(t, ctx); len(bad) > 0 {
			t.Fatalf("hostile markup in the draft at %s: %v\n%s", marker, bad, text)
		}
		if len(seen) > 0 {
			prev := seen[len(seen)-1]
			if len(text) <= len(prev) {
				t.Fatalf("the draft did not grow: %q, then %q", prev, text)
			}
		}
		// The markers so far show in order, and nothing past them yet
		// (the gate holds the rest).
		at := -1
		for _, m := range append(markersUpTo(marker), marker) {
			i := strings.Index(text, m)
			if i <= at {
				t.Fatalf("at %s the draft shows %s out of order: %q", marker, m, text)
			}
			at = i
		}
		if strings.Contains(text, "DELTA") {
			t.Fatalf("at %s the draft shows text not yet written: %q", marker, text)
		}
		seen = append(seen, text)
		t.Logf("at %s the draft shows %d characters: %q", marker, len(text), text)
	}
	screenshot(t, ctx, "draft")
	if !strings.Contains(seen[2], "<script>as code</script>") {
		t.Errorf("model text that looks like markup shows as text: %q", seen[2])
	}

	gate.Release(hostileChunks)
	waitFor(t, ctx, "the link replaces the draft", `!document.querySelector('[data-testid="draft-project_charter"]') && !!document.querySelector('[data-testid="job-doc-project_charter"] [data-testid="doc-link"]')`, gateWait)
	var job apiJob
	api(t, srv, token, "GET", "/api/generation/jobs/"+jobID, nil, &job)
	var artifact string
	for _, d := range job.Documents {
		if d.Type == "project_charter" && d.ArtifactID != nil {
			artifact = *d.ArtifactID
		}
	}
	href := value(t, ctx, "the link", chromedp.Evaluate[string](`document.querySelector('[data-testid="job-doc-project_charter"] [data-testid="doc-link"]').getAttribute('href')`))
	if artifact == "" || href != "/artifacts/"+artifact {
		t.Fatalf("the row links to %q; the document is %q", href, artifact)
	}
	if bad := hostileInDraft(t, ctx); len(bad) > 0 {
		t.Fatalf("hostile markup ran: %v", bad)
	}
	// The model's hx-get never left the page. A request sent now is logged
	// after any that the draft's markup caused, so once it is seen, the
	// count of the model's is final.
	value(t, ctx, "send a sentinel", chromedp.Evaluate[bool](`(fetch('/draft-probe?from=sentinel'), true)`))
	probes.wait(t, "sentinel")
	if n := probes.count("model"); n != 0 {
		t.Fatalf("the model's hx-get reached the server (%d requests): the attribute survived and htmx acted on it", n)
	}
}

// probeCounter counts the requests the tab sends to /draft-probe, by their
// from= parameter, as the browser's network log shows them.
type probeCounter struct {
	mu   sync.Mutex
	from map[string]int
}

func countProbes(t *testing.T, ctx context.Context) *probeCounter {
	t.Helper()
	p := &probeCounter{from: map[string]int{}}
	err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok {
			return
		}
		u, err := url.Parse(e.Request.URL)
		if err != nil || u.Path != "/draft-probe" {
			return
		}
		p.mu.Lock()
		p.from[u.Query().Get("from")]++
		p.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the network: %v", err)
	}
	return p
}

func (p *probeCounter) count(from string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.from[from]
}

// wait waits until a request from= from has been sent.
func (p *probeCounter) wait(t *testing.T, from string) {
	t.Helper()
	eventually(t, gateWait, 20*time.Millisecond, func() (bool, string) {
		return p.count(from) > 0, fmt.Sprintf("no request to /draft-probe?from=%s was sent", from)
	})
}

func markersUpTo(marker string) []string {
	all := []string{"ALPHA", "BRAVO", "CHARLIE"}
	for i, m := range all {
		if m == marker {
			return all[:i]
		}
	}
	return nil
}

// apiDraftJob creates a job of the given documents through the API.
func apiDraftJob(t *testing.T, srv *Server, token, projectID string, docs ...string) string {
	t.Helper()
	var job apiJob
	if code := api(t, srv, token, "POST", "/api/generation/jobs", map[string]any{"projectId": projectID, "documents": docs}, &job); code != 202 {
		t.Fatalf("create the job: %d", code)
	}
	return job.ID
}

// Must show 3 on the generate page: the draft grows at three moments, in
// order, as sanitised HTML, then the finished document's link replaces it.
func TestUIDraftGrowsThenBecomesTheDocument(t *testing.T) {
	gate := providertest.NewChunkGate()
	srv, _ := draftServer(t, gate, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, ctx, srv)
	jobID := apiDraftJob(t, srv, token, projectID, "project_charter")
	act(t, ctx, "open the generate page", chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"), chromedp.WaitVisible(testid("job-card")))
	watchDraftGrow(t, ctx, srv, gate, token, jobID)
}

// A page opened mid-document shows the draft so far at once, and one open
// at a time: the latest started, unless the user picks another.
func TestUIDraftOneOpenLatestByDefaultUserPicks(t *testing.T) {
	gate := providertest.NewChunkGate()
	srv, model := draftServer(t, gate, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, ctx, srv)
	jobID := apiDraftJob(t, srv, token, projectID, "project_charter", "stakeholder_register")

	// Both documents are being written (LLM_CONCURRENCY=2) and both have
	// their first marker before the page opens.
	gate.Release(2)
	for _, typ := range []string{"project_charter", "stakeholder_register"} {
		if err := gate.WaitSent(typ, 2, gateWait); err != nil {
			t.Fatalf("%v; calls %v", err, model.CallCounts())
		}
	}
	act(t, ctx, "open the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("job-card")))
	waitFor(t, ctx, "a draft shows the text so far", `[...document.querySelectorAll('[data-draft-text]')].some(t => !t.hidden && t.innerText.includes('ALPHA'))`, gateWait)
	latest := value(t, ctx, "the latest started", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-draft]')].sort((a, b) => Number(b.dataset.started) - Number(a.dataset.started))[0].dataset.draft`))
	other := map[string]string{"project_charter": "stakeholder_register", "stakeholder_register": "project_charter"}[latest]
	if got := openDrafts(t, ctx); got != latest {
		t.Fatalf("open drafts %q, want the latest started, %q", got, latest)
	}
	act(t, ctx, "pick the other draft", chromedp.Click(chromedp.CSS(`[data-testid="draft-`+other+`"] [data-testid="draft-toggle"]`)))
	if got := openDrafts(t, ctx); got != other {
		t.Fatalf("open drafts %q after picking %q", got, other)
	}
	// The pick holds as the drafts grow and the card is replaced.
	gate.Release(13)
	if err := gate.WaitSent(other, 15, gateWait); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the picked draft grows", fmt.Sprintf(`document.querySelector('[data-testid="draft-%s"] [data-draft-text]').innerText.includes('BRAVO')`, other), gateWait)
	if got := openDrafts(t, ctx); got != other {
		t.Fatalf("open drafts %q after growing, want %q", got, other)
	}
	if bad := hostileInDraft(t, ctx); len(bad) > 0 {
		t.Fatalf("hostile markup: %v", bad)
	}
	gate.Release(2 * hostileChunks)
	waitFor(t, ctx, "both documents link", `document.querySelectorAll('[data-testid="job-card"] [data-testid="doc-link"]').length === 2 && !document.querySelector('[data-draft]')`, gateWait)
}

// openDrafts names the drafts whose text shows, comma-separated.
func openDrafts(t *testing.T, ctx context.Context) string {
	t.Helper()
	return value(t, ctx, "open drafts", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-draft]')].filter(d => !d.hidden && !d.querySelector('[data-draft-text]').hidden).map(d => d.dataset.draft).join(',')`))
}

// Must show 3 across instances: the tab is on a web-only instance, the
// document is written by a worker instance, both on PostgreSQL.
func TestUIDraftAcrossInstances(t *testing.T) {
	url := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	gate := providertest.NewChunkGate()
	draftServer(t, gate, serverOpts{env: map[string]string{"DATABASE_URL": url}, args: []string{"--role", "worker"}, worker: true})
	web := startServerWith(t, serverOpts{env: map[string]string{"DATABASE_URL": url}, args: []string{"--role", "web"}})
	ctx := newBrowser(t)
	email := signUp(t, ctx, web)
	token := tokenFor(t, web, email)
	projectID := exampleProject(t, ctx, web)
	jobID := apiDraftJob(t, web, token, projectID, "project_charter")
	act(t, ctx, "open the job page", chromedp.Navigate(web.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("job-card")))
	watchDraftGrow(t, ctx, web, gate, token, jobID)
}

// A cancelled document's draft disappears, and when the job is retried
// the document's draft starts again from its beginning.
func TestUIDraftGoesOnCancelAndStartsAgainOnRetry(t *testing.T) {
	gate := providertest.NewChunkGate()
	srv, _ := draftServer(t, gate, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, ctx, srv)
	jobID := apiDraftJob(t, srv, token, projectID, "project_charter")
	act(t, ctx, "open the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("job-card")))
	gate.Release(15) // BRAVO is in the 14th chunk
	waitFor(t, ctx, "the draft shows BRAVO", `document.querySelector('[data-testid="draft-project_charter"] [data-draft-text]')?.innerText.includes('BRAVO')`, gateWait)

	act(t, ctx, "cancel", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(testid("job-cancel")))
	waitFor(t, ctx, "the job is cancelled and its draft gone", cardIs(jobID, "cancelled")+` && !document.querySelector('[data-draft]')`, gateWait)

	// The retried document is written again; the gate lets the new answer
	// through to where the first one stopped, so only its first part shows.
	act(t, ctx, "retry", chromedp.Click(testid("job-retry")))
	waitFor(t, ctx, "the draft starts again", `document.querySelector('[data-testid="draft-project_charter"] [data-draft-text]')?.innerText.includes('ALPHA')`, gateWait)
	text := draftText(t, ctx, "project_charter")
	if !strings.HasPrefix(text, "Project Charter") || strings.Count(text, "ALPHA") != 1 {
		t.Fatalf("the retried draft shows %q", text)
	}
	gate.Release(hostileChunks)
	waitFor(t, ctx, "the link replaces the draft", cardIs(jobID, "completed")+` && !document.querySelector('[data-draft]') && !!document.querySelector('[data-testid="job-doc-project_charter"] [data-testid="doc-link"]')`, gateWait)
}
