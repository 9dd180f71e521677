package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dossier/jobs/documents/providertest"
)

// Issue 10, must show 4: every page a user reaches, with real data (the
// full example project, a finished job with all twelve documents, a
// document with two versions and their diff, a thin project), at these
// widths:
//
//   - 320, 360 and 390 px (phones): the page does not scroll sideways:
//     document.documentElement.scrollWidth <= clientWidth. A wide table may
//     scroll inside its own box; the page may not.
//   - 1366 px (a laptop): no table column is clipped. A cell counts as
//     clipped when it ends past the right edge of an ancestor that clips
//     (overflow-x other than visible) and that ancestor cannot be scrolled
//     to it (it is not overflow-x auto/scroll, or its scroll width does not
//     reach the cell); or when the cell's own content is cut (its scroll
//     width exceeds its width and it hides the overflow). At 1366 px the
//     page does not scroll sideways either, and, stricter, a document
//     page's tables fit without scrolling at all (the risk register's last
//     column was cut off). The editor's half-width preview may scroll.

// widthCheck is what a page measures at one width.
type widthCheck struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Wide        []string `json:"wide"`
	Clipped     []string `json:"clipped"`
	Scrolling   []string `json:"scrolling"`
}

// measure runs in the page after a layout: the page's widths, the elements
// that reach past the viewport outside any scroller (to name the culprit),
// the clipped table cells, and the document tables that need scrolling.
const measure = `new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
	const de = document.documentElement, vw = de.clientWidth;
	const name = e => e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '') +
		(e.id ? '#' + e.id : '') + '.' + String(e.className).trim().split(/\s+/).slice(0, 4).join('.') +
		' "' + (e.textContent || '').trim().slice(0, 30) + '"';
	// An absolutely positioned element (sr-only text) escapes a scroller that
	// is not its containing block, so it counts as outside.
	const inScroller = e => { let from = e.parentElement;
		if (getComputedStyle(e).position === 'absolute') { // clipped only by scrollers around its containing block
			while (from && from !== document.body && getComputedStyle(from).position === 'static') from = from.parentElement;
		}
		for (let p = from; p && p !== document.body; p = p.parentElement) {
		if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
	const wide = Array.from(document.querySelectorAll('body *'))
		.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > vw + 1 && getComputedStyle(e).position !== 'fixed'; })
		.filter(e => !inScroller(e)).slice(0, 6).map(name);
	// Text that runs out of its box (a long unbreakable word) is named by
	// its parent. Screen-reader text (sr-only, clipped to nothing) is not
	// on screen.
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode()) && wide.length < 10;) {
		const ps = getComputedStyle(n.parentElement);
		if (ps.position === 'absolute' && ps.overflow === 'hidden' && n.parentElement.getBoundingClientRect().width <= 1) continue;
		const range = document.createRange(); range.selectNodeContents(n);
		if (range.getBoundingClientRect().right > vw + 1 && !inScroller(n.parentElement)) wide.push('text in ' + name(n.parentElement));
	}
	const clipped = [];
	for (const cell of document.querySelectorAll('#main td, #main th')) {
		const r = cell.getBoundingClientRect();
		if (r.width === 0) continue;
		const cs = getComputedStyle(cell);
		if (cell.scrollWidth > cell.clientWidth + 1 && cs.overflowX !== 'visible') { clipped.push('content cut: ' + name(cell)); continue; }
		// Up the clipping ancestors: a scroller that reaches the cell shows
		// it, and from there on what must be visible is the scroller's box.
		let right = r.right;
		for (let p = cell.parentElement; p && p !== document.documentElement; p = p.parentElement) {
			const ox = getComputedStyle(p).overflowX;
			if (ox === 'visible') continue;
			const pr = p.getBoundingClientRect();
			if (right <= pr.right + 1) continue;
			const reach = pr.left + p.clientLeft + p.scrollWidth - p.scrollLeft;
			if (!['auto', 'scroll'].includes(ox) || right > reach + 1) { clipped.push(name(cell) + ' cut by ' + name(p)); break; }
			right = pr.right;
		}
		if (r.right > vw + 1 && !inScroller(cell)) clipped.push('past the window: ' + name(cell));
	}
	const scrolling = Array.from(document.querySelectorAll('#main [data-testid="artifact-body"] table'))
		.filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.scrollWidth + ' > ' + t.clientWidth + ': ' + name(t));
	resolve({scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, wide, clipped: clipped.slice(0, 6), scrolling});
})))`

// checkWidths checks the page in the tab at 320, 360 and 390 px (small and
// common phones) and at 1366 px.
func checkWidths(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	waitFor(t, ctx, what+": loaded", `document.readyState === 'complete' && document.querySelector('#main') !== null`, 10*time.Second)
	for _, w := range []struct {
		px, h int64
	}{{320, 700}, {360, 700}, {390, 844}, {1366, 900}} {
		act(t, ctx, fmt.Sprintf("%s at %d px", what, w.px), chromedp.EmulateViewport(w.px, w.h))
		m := value(t, ctx, fmt.Sprintf("%s: measure at %d px", what, w.px), chromedp.Evaluate[widthCheck](measure, chromedp.EvalAwaitPromise))
		if m.ScrollWidth > m.ClientWidth {
			t.Errorf("%s at %d px scrolls sideways (scrollWidth %d > clientWidth %d); too wide: %v", what, w.px, m.ScrollWidth, m.ClientWidth, m.Wide)
			screenshot(t, ctx, fmt.Sprintf("%s-%d", what, w.px))
		}
		if w.px == 1366 {
			if len(m.Clipped) > 0 {
				t.Errorf("%s at 1366 px: table columns clipped: %v", what, m.Clipped)
				screenshot(t, ctx, fmt.Sprintf("%s-clipped", what))
			}
			if len(m.Scrolling) > 0 {
				t.Errorf("%s at 1366 px: document tables need sideways scrolling: %v", what, m.Scrolling)
			}
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// titleCheck is what a page measures of its title: whether any of it is cut.
type titleCheck struct {
	Text         string  `json:"text"`
	ScrollWidth  int     `json:"scrollWidth"`
	ClientWidth  int     `json:"clientWidth"`
	Right        float64 `json:"right"`
	Viewport     float64 `json:"viewport"`
	TextOverflow string  `json:"textOverflow"`
	WhiteSpace   string  `json:"whiteSpace"`
}

func TestLayoutNoSidewaysScrollAndNoClippedColumns(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)

	// Signed out: the auth pages, fresh and after a failed submit.
	act(t, ctx, "log-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(testid("login-form")))
	checkWidths(t, ctx, "log-in page")
	act(t, ctx, "sign-up page", chromedp.Navigate(srv.URL+"/signup"), chromedp.WaitVisible(testid("signup-form")))
	checkWidths(t, ctx, "sign-up page")
	act(t, ctx, "a failed sign-up",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "not an email"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "short"),
		chromedp.Click(testid("signup-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[aria-invalid="true"]`)),
	)
	checkWidths(t, ctx, "sign-up page with errors")

	email := signUp(t, ctx, srv)
	checkWidths(t, ctx, "dashboard (new user)")
	for _, p := range []struct{ what, path string }{
		{"projects (none)", "/projects"},
		{"jobs (none)", "/jobs"},
		{"new project form", "/projects/new"},
		{"example project form", "/projects/new?example=1"},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		checkWidths(t, ctx, p.what)
	}
	projectID := exampleProject(t, ctx, srv)
	checkWidths(t, ctx, "project page (full example, no documents)")
	act(t, ctx, "generate page", chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"), chromedp.WaitVisible(testid("generate-form")))
	checkWidths(t, ctx, "generate page (form)")
	jobID := startGeneration(t, ctx, srv, projectID)
	checkWidths(t, ctx, "generate page (job running)")
	waitFor(t, ctx, "the job completes", cardIs(jobID, "completed"), 60*time.Second)
	checkWidths(t, ctx, "generate page (job ended)")

	job := fetchJob(t, ctx, jobID)
	artifacts := map[string]string{}
	for _, d := range job.Documents {
		if d.ArtifactID != nil {
			artifacts[d.Type] = *d.ArtifactID
		}
	}
	if len(artifacts) != 12 {
		t.Fatalf("the job wrote %d documents: %+v", len(artifacts), job)
	}

	// A second version of the risk register, so that its page has a history
	// and a diff, saved through the API with the page's session.
	status := value(t, ctx, "edit the risk register", chromedp.Evaluate[int](fmt.Sprintf(`(async () => {
		const csrf = document.querySelector('meta[name="csrf-token"]').content;
		const a = await (await fetch('/api/artifacts/%s', {headers: {Accept: 'application/json'}})).json();
		const r = await fetch('/api/projects/%s/documents/risk_register/versions', {method: 'POST',
			headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
			body: JSON.stringify({markdown: a.markdown.replace('## ', '## Reviewed: ') + '\n\nA long closing line that a reviewer added to see how the diff wraps on a narrow screen, with a URL https://example.com/a/very/long/path/that/does/not/break/easily/anywhere-at-all', baseArtifactId: a.id})});
		return r.status;
	})()`, artifacts["risk_register"], projectID), chromedp.EvalAwaitPromise))
	if status != 201 {
		t.Fatalf("saving a version answered %d", status)
	}

	for _, p := range []struct{ what, path string }{
		{"dashboard (with a finished job)", "/"},
		{"projects", "/projects"},
		{"project page (full example, with documents and a run)", "/projects/" + projectID},
		{"project edit form", "/projects/" + projectID + "/edit"},
		{"jobs", "/jobs"},
		{"jobs: completed", "/jobs?status=completed"},
		{"jobs: failed (empty)", "/jobs?status=failed"},
		{"job page", "/jobs/" + jobID},
		{"notifications", "/notifications"},
		{"API tokens", "/settings/tokens"},
		{"not-found page", "/no/such/page"},
		{"a missing project", "/projects/00000000-0000-0000-0000-000000000000"},
		{"document edit page", "/projects/" + projectID + "/documents/risk_register/edit"},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		checkWidths(t, ctx, p.what)
	}

	act(t, ctx, "create a token",
		chromedp.Navigate(srv.URL+"/settings/tokens"),
		chromedp.WaitVisible(testid("token-form")),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "a deploy script on the build server"),
		chromedp.Click(testid("token-create")),
		chromedp.WaitVisible(testid("token-copy")),
	)
	checkWidths(t, ctx, "API tokens with a new token")
	act(t, ctx, "API tokens listed", chromedp.Navigate(srv.URL+"/settings/tokens"), chromedp.WaitVisible(testid("token-form")))
	checkWidths(t, ctx, "API tokens listed")

	// The job page's title ("Customer Portal Relaunch · Run #1") wraps on a
	// phone: none of it is cut off or hidden behind an ellipsis; nor is its
	// card's (the same card as on the dashboard and in the Jobs list).
	for _, at := range []struct{ path, testID string }{{"/jobs/" + jobID, "job-title"}, {"/jobs/" + jobID, "job-card-title"}} {
		act(t, ctx, at.path, chromedp.Navigate(srv.URL+at.path), chromedp.WaitVisible(testid(at.testID)))
		for _, px := range []int64{320, 360, 390} {
			act(t, ctx, fmt.Sprintf("%s at %d px", at.path, px), chromedp.EmulateViewport(px, 844))
			m := value(t, ctx, "measure the title", chromedp.Evaluate[titleCheck](`(() => {
				const h = document.querySelector('[data-testid="`+at.testID+`"]'), s = getComputedStyle(h);
				return {text: h.textContent.trim(), scrollWidth: h.scrollWidth, clientWidth: h.clientWidth,
					right: h.getBoundingClientRect().right, viewport: document.documentElement.clientWidth,
					textOverflow: s.textOverflow, whiteSpace: s.whiteSpace};
			})()`))
			if !strings.HasPrefix(m.Text, "Customer Portal Relaunch") {
				t.Fatalf("the %s is %q", at.testID, m.Text)
			}
			if m.ScrollWidth > m.ClientWidth || m.Right > m.Viewport || m.TextOverflow == "ellipsis" || m.WhiteSpace == "nowrap" {
				t.Errorf("the %s %q is cut at %d px: scrollWidth %d > clientWidth %d, right %.0f of %.0f, text-overflow %s, white-space %s",
					at.testID, m.Text, px, m.ScrollWidth, m.ClientWidth, m.Right, m.Viewport, m.TextOverflow, m.WhiteSpace)
				screenshot(t, ctx, fmt.Sprintf("%s-%d", at.testID, px))
			}
		}
	}
	// The job card's document names wrap on a phone too ("Scope Statement",
	// not "Scope State…").
	act(t, ctx, "job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("doc-link")))
	for _, px := range []int64{320, 360, 390} {
		act(t, ctx, fmt.Sprintf("job page at %d px", px), chromedp.EmulateViewport(px, 844))
		cut := value(t, ctx, "measure the document names", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="doc-link"], [data-testid="doc-title"]'))
			.filter(e => { const s = getComputedStyle(e); return e.scrollWidth > e.clientWidth + 1 || s.textOverflow === 'ellipsis' || s.whiteSpace === 'nowrap'
				|| e.getBoundingClientRect().right > document.documentElement.clientWidth; })
			.map(e => e.textContent.trim())`))
		if len(cut) > 0 {
			t.Errorf("document names cut at %d px: %v", px, cut)
			screenshot(t, ctx, fmt.Sprintf("doc-names-%d", px))
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))

	// The jobs tabs are all on screen on a phone, none cut off.
	act(t, ctx, "jobs at 390 px", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitVisible(testid("jobs-tabs")), chromedp.EmulateViewport(390, 844))
	cut := value(t, ctx, "tabs off screen", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="jobs-tabs"] a'))
		.filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth; })
		.map(a => a.textContent.trim())`))
	if len(cut) > 0 {
		t.Errorf("jobs tabs cut off at 390 px: %v", cut)
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))

	// Every document, the risk register above all: its page, and the
	// project's document page with two versions and the diff open.
	for typ, id := range artifacts {
		act(t, ctx, typ, chromedp.Navigate(srv.URL+"/artifacts/"+id), chromedp.WaitVisible(testid("artifact-body")))
		checkWidths(t, ctx, "artifact page: "+typ)
	}
	act(t, ctx, "the risk register at 1366 px", chromedp.Navigate(srv.URL+"/artifacts/"+artifacts["risk_register"]),
		chromedp.WaitVisible(testid("artifact-body")), chromedp.EmulateViewport(1366, 900))
	screenshot(t, ctx, "risk-register-1366")
	act(t, ctx, "at 390 px", chromedp.EmulateViewport(390, 844))
	screenshot(t, ctx, "risk-register-390")
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	act(t, ctx, "the risk register's document page with its diff",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/risk_register"),
		chromedp.WaitVisible(testid("compare-submit")),
		chromedp.Click(testid("compare-submit")),
		chromedp.WaitVisible(testid("diff-lines")),
	)
	checkWidths(t, ctx, "document page with a diff: risk_register")

	// A project with a name and nothing else: its page and the warning of
	// thin documents on its generate page.
	act(t, ctx, "a thin project",
		chromedp.Navigate(srv.URL+"/projects/new"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "A project with a rather long name that has to wrap somewhere on a phone"),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)
	checkWidths(t, ctx, "project page (name only)")
	thinID := value(t, ctx, "thin project id", chromedp.Evaluate[string](`document.querySelector('[data-testid="project-page"]').dataset.id`))
	act(t, ctx, "its generate page", chromedp.Navigate(srv.URL+"/projects/"+thinID+"/generate"), chromedp.WaitVisible(testid("thin-warning")))
	checkWidths(t, ctx, "generate page with the thin warning")
	if n := value(t, ctx, "thin items", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="thin-warning"] li').length`)); n != 12 {
		t.Errorf("the thin warning lists %d documents for a project with a name only; want 12", n)
	}
	if s := value(t, ctx, "schedule", chromedp.Text(testid("thin-schedule"))); !strings.Contains(s, "no milestones") {
		t.Errorf("the schedule's warning says %q", s)
	}

	// The API documentation, and the operator console for an administrator.
	act(t, ctx, "API docs", chromedp.Navigate(srv.URL+"/api/docs"), chromedp.WaitVisible(chromedp.CSS(`body`)))
	waitFor(t, ctx, "API docs loaded", `document.readyState === 'complete'`, 10*time.Second)
	for _, px := range []int64{390, 1366} {
		act(t, ctx, "API docs viewport", chromedp.EmulateViewport(px, 900))
		m := value(t, ctx, "API docs measure", chromedp.Evaluate[widthCheck](measure, chromedp.EvalAwaitPromise))
		if m.ScrollWidth > m.ClientWidth {
			t.Errorf("API docs at %d px scroll sideways (%d > %d): %v", px, m.ScrollWidth, m.ClientWidth, m.Wide)
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	cli(t, srv, "user", "promote", "--email", email)
	act(t, ctx, "admin console", chromedp.Navigate(srv.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`#main`)))
	checkWidths(t, ctx, "admin console")
}

// wideDraft is a draft a model might stream: a wide table and a long URL.
var wideDraft = "# Risk Register\n\nSee https://example.com/a/very/long/path/that/does/not/break/easily/anywhere-at-all/ever for the method.\n\n" +
	"| Rank | Risk | Probability | Impact | Score | Band | Owner | Mitigation |\n|---|---|---|---|---|---|---|---|\n" +
	"| 1 | Core claims system API cannot handle portal load at peak | 3 | 5 | 15 | High | Tomasz Nowak | Load-test the gateway in February; add a read cache for claim status |\n" +
	"| 2 | Legacy claim history contains inconsistent records | 4 | 3 | 12 | Medium | Marco Rossi | Profile the data in week 2 and agree reconciliation rules |\n\n" +
	"The end of the draft, still being written.\n"

// A document's draft growing under its row (drafts, issue 11) fits a
// phone and clips no column on a laptop, on the generate page and the job
// page.
func TestLayoutDraftsFit(t *testing.T) {
	gate := providertest.NewChunkGate()
	model := providertest.New()
	t.Cleanup(model.Close)
	const chunks = 20
	model.SetStream(providertest.Stream{Content: func(string, int) string { return wideDraft }, Chunks: chunks, Gate: gate})
	srv := startServer(t, map[string]string{
		"GENERATOR": "openai", "OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "test-key",
		"OPENAI_MODEL": "test-model", "LLM_CONCURRENCY": "1",
	})
	t.Cleanup(func() { gate.Release(chunks) })
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, ctx, srv)
	// The charter depends on nothing, so its stream is the only one. All
	// but its last chunk: the document is still being written.
	jobID := apiDraftJob(t, srv, token, projectID, "project_charter")
	gate.Release(chunks - 1)
	if err := gate.WaitSent("project_charter", chunks-1, gateWait); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ what, path string }{
		{"generate page with a draft", "/projects/" + projectID + "/generate"},
		{"job page with a draft", "/jobs/" + jobID},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		waitFor(t, ctx, p.what+": the draft shows", `[...document.querySelectorAll('[data-draft-text]')].some(t => !t.hidden && t.innerText.includes('Legacy claim history'))`, gateWait)
		checkWidths(t, ctx, p.what)
	}
}

// headerCheck is what the header measures at one width: the page's widths
// and the header's controls that reach past the window's edges.
type headerCheck struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Out         []string `json:"out"`
	BadgeCount  string   `json:"badgeCount"`
}

const measureHeader = `new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
	const de = document.documentElement, vw = de.clientWidth;
	const bar = document.querySelector('body > header'), out = [];
	for (const e of bar.querySelectorAll('a, summary, [data-testid="user-menu"]')) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || getComputedStyle(e).display === 'none') continue;
		if (r.left < -0.5 || r.right > vw + 0.5) out.push((e.dataset.testid || e.tagName.toLowerCase()) + ' "' + e.textContent.trim().replace(/\s+/g, ' ') + '" at ' + Math.round(r.left) + '..' + Math.round(r.right));
	}
	// Nor do the controls overlap (a squeezed link runs under the next).
	const boxes = Array.from(bar.querySelectorAll('nav a, [data-testid="job-badge"], [data-testid="bell"], summary'))
		.filter(e => getComputedStyle(e).display !== 'none').map(e => {
			const r = e.getBoundingClientRect(), w = Math.max(r.width, e.scrollWidth);
			return {e, left: r.left, right: r.left + w};
		});
	for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
		const a = boxes[i], b = boxes[j];
		if (a.left < b.right - 0.5 && b.left < a.right - 0.5) out.push('overlap: ' + (a.e.dataset.testid || a.e.textContent.trim()) + ' and ' + (b.e.dataset.testid || b.e.textContent.trim().replace(/\s+/g, ' ')));
	}
	// The badge's count as a sighted user sees it: its text outside the
	// 1-px sr-only boxes.
	const badge = document.querySelector('[data-testid="job-badge"]');
	let badgeCount = '';
	if (badge && getComputedStyle(badge).display !== 'none') {
		const walker = document.createTreeWalker(badge, NodeFilter.SHOW_TEXT);
		for (let n; (n = walker.nextNode());) { if (n.parentElement.getBoundingClientRect().width > 1) badgeCount += n.textContent; }
		badgeCount = badgeCount.trim();
	}
	resolve({scrollWidth: de.scrollWidth, clientWidth: vw, out, badgeCount});
})))`

// On a small phone (320 and 360 px) with a generation running, the header
// fits: the badge (its count visible), the bell and the user menu are on
// screen and the page does not scroll sideways.
func TestLayoutHeaderFitsSmallPhones(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	t.Cleanup(func() { model.Release(100) }) // before the server stops: no wait for the held documents
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	jobID := startGeneration(t, ctx, srv, projectID)
	for _, p := range []struct{ what, path string }{
		{"jobs", "/jobs"},
		{"dashboard", "/"},
		{"projects", "/projects"},
		{"job page", "/jobs/" + jobID},
		{"notifications", "/notifications"},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		waitFor(t, ctx, p.what+": the badge shows the job", `document.querySelector('[data-testid="job-badge"]')?.dataset.active === '1'`, 5*time.Second)
		for _, px := range []int64{320, 360, 390} {
			act(t, ctx, fmt.Sprintf("%s at %d px", p.what, px), chromedp.EmulateViewport(px, 700))
			m := value(t, ctx, "measure the header", chromedp.Evaluate[headerCheck](measureHeader, chromedp.EvalAwaitPromise))
			if m.ScrollWidth > m.ClientWidth || len(m.Out) > 0 {
				t.Errorf("%s at %d px with a job running: scrollWidth %d, clientWidth %d; off screen: %v", p.what, px, m.ScrollWidth, m.ClientWidth, m.Out)
				screenshot(t, ctx, fmt.Sprintf("header-%s-%d", strings.ReplaceAll(p.what, " ", "-"), px))
			}
			if m.BadgeCount != "1" {
				t.Errorf("%s at %d px: the badge shows %q, want its count 1", p.what, px, m.BadgeCount)
			}
		}
		act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	}
}
