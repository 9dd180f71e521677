package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Layout defects a reviewer found driving Chromium at 390 and 1280 px: a
// long project name widened pages, a job row with a retry history squeezed
// its title to "Cu…", run titles lost their number behind an ellipsis, the
// tokens list hid Revoke off screen, and an error summary's link scrolled
// its field's label under the header.

// longName is a project name with no break opportunity, as long as the
// field allows (200 characters).
var longName = strings.Repeat("Customer_Portal_Relaunch_", 8)

// nameCheck is what a page measures of itself and of the project names on
// it.
type nameCheck struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Names       int      `json:"names"`
	Cut         []string `json:"cut"`
}

// measureNames: the page's widths, and every project name shown (the live
// name spans) that runs past the window, is cut by an ellipsis or hidden
// by an ancestor that clips it.
const measureNames = `new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
	const de = document.documentElement, vw = de.clientWidth, cut = [];
	const shown = Array.from(document.querySelectorAll('#main [data-testid="project-name-live"]'))
		.filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 1);
	for (const e of shown) {
		const r = e.getBoundingClientRect(), where = (e.closest('[data-testid]:not([data-testid="project-name-live"])')?.dataset.testid || e.parentElement.tagName);
		if (r.right > vw + 1 || r.left < -1) { cut.push(where + ': past the window (' + Math.round(r.left) + '..' + Math.round(r.right) + ')'); continue; }
		for (let p = e; p && p !== document.body; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.textOverflow === 'ellipsis' && s.overflowX !== 'visible') { cut.push(where + ': ellipsis on ' + p.tagName); break; }
			if (s.overflowX !== 'visible' && p !== e && r.right > p.getBoundingClientRect().right + 1) { cut.push(where + ': clipped by ' + p.tagName + '.' + String(p.className).slice(0, 40)); break; }
		}
	}
	resolve({scrollWidth: de.scrollWidth, clientWidth: vw, names: shown.length, cut});
})))`

// Every page that names a project, with a 200-character name that has no
// space: the page does not scroll sideways at 390 px (nor at 1280), and
// the name wraps, whole, inside the window (no ellipsis, nothing clipped).
func TestLayoutLongProjectNameWraps(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, longName)
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	job := waitAPI(t, srv, token, jobID, "completed")
	if len(job.Documents) == 0 || job.Documents[0].ArtifactID == nil {
		t.Fatalf("the job wrote no document: %+v", job)
	}
	for _, p := range []struct {
		what, path string
		names      int // at least this many names shown
	}{
		{"dashboard", "/", 1},
		{"projects", "/projects", 1},
		{"project page", "/projects/" + projectID, 1},
		{"generate page", "/projects/" + projectID + "/generate", 1},
		{"edit page", "/projects/" + projectID + "/edit", 1},
		{"jobs", "/jobs", 0},
		{"job page", "/jobs/" + jobID, 2},
		{"document page", "/artifacts/" + *job.Documents[0].ArtifactID, 1},
		{"document edit page", "/projects/" + projectID + "/documents/project_charter/edit", 1},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		for _, px := range []int64{390, 1280} {
			act(t, ctx, fmt.Sprintf("%s at %d px", p.what, px), chromedp.EmulateViewport(px, 844))
			m := value(t, ctx, "measure", chromedp.Evaluate[nameCheck](measureNames, chromedp.EvalAwaitPromise))
			if m.ScrollWidth > m.ClientWidth || len(m.Cut) > 0 || m.Names < p.names {
				wide := value(t, ctx, "what is too wide", chromedp.Evaluate[widthCheck](measure, chromedp.EvalAwaitPromise)).Wide
				t.Errorf("%s at %d px with a 200-character name: scrollWidth %d, clientWidth %d; %d names shown (want %d or more); cut: %v; too wide: %v",
					p.what, px, m.ScrollWidth, m.ClientWidth, m.Names, p.names, m.Cut, wide)
				screenshot(t, ctx, fmt.Sprintf("%s-%d", strings.ReplaceAll(p.what, " ", "-"), px))
			}
		}
		act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	}
	// The run's title in the lists names the project too (in its text).
	act(t, ctx, "jobs", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitVisible(testid("job-row-title")))
	act(t, ctx, "jobs at 390 px", chromedp.EmulateViewport(390, 844))
	m := value(t, ctx, "measure", chromedp.Evaluate[nameCheck](measureNames, chromedp.EvalAwaitPromise))
	if m.ScrollWidth > m.ClientWidth {
		t.Errorf("jobs at 390 px with a 200-character name: scrollWidth %d > clientWidth %d", m.ScrollWidth, m.ClientWidth)
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// rowCheck is what a job row measures.
type rowCheck struct {
	Title      string   `json:"title"`
	TitleWidth float64  `json:"titleWidth"`
	RowWidth   float64  `json:"rowWidth"`
	Cut        bool     `json:"cut"`
	HistoryTop float64  `json:"historyTop"`
	TitleBot   float64  `json:"titleBottom"`
	History    string   `json:"history"`
	Overlaps   []string `json:"overlaps"`
}

// measureRow: the row's title (its text, width, and whether any of it is
// cut), where its retry history sits, and the pieces of text that overlap.
const measureRow = `(() => {
	const row = document.querySelector(%s + ' [data-testid="job-row"]'), title = row.querySelector('[data-testid="job-row-title"]');
	const earlier = row.querySelector('[data-testid="job-row-earlier"]'), ts = getComputedStyle(title);
	const rr = row.getBoundingClientRect(), tr = title.getBoundingClientRect();
	const boxes = [], walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode());) {
		if (!n.textContent.trim() || n.parentElement.closest('.sr-only')) continue;
		const range = document.createRange(); range.selectNodeContents(n);
		for (const r of range.getClientRects()) if (r.width > 0) boxes.push({node: n, text: n.textContent.trim().slice(0, 24), r});
	}
	const overlaps = [];
	for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
		const a = boxes[i].r, b = boxes[j].r;
		if (boxes[i].node === boxes[j].node) continue;
		if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps.push(boxes[i].text + ' / ' + boxes[j].text);
	}
	return {title: title.textContent.trim(), titleWidth: tr.width, rowWidth: rr.width,
		cut: title.scrollWidth > title.clientWidth + 1 || ts.textOverflow === 'ellipsis' || tr.right > rr.right + 1,
		historyTop: earlier ? earlier.getBoundingClientRect().top : 0, titleBottom: tr.bottom,
		history: earlier ? earlier.textContent.trim() : '', overlaps: overlaps.slice(0, 5)};
})()`

// A run cancelled and retried twice, in the Jobs list and the dashboard's
// "Recent generations": on a phone its title keeps a line of its own,
// whole ("… · Run #1", no ellipsis), the history wraps below it, and no
// text overlaps; on a laptop the dashboard's narrow column shows the whole
// title too.
func TestLayoutJobRowWithRetryHistory(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	t.Cleanup(func() { model.Release(100) })
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Customer Portal Relaunch 2027")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter", "scope_statement")
	for i := range 3 {
		if i > 0 {
			if code := api(t, srv, token, "POST", "/api/generation/jobs/"+jobID+"/retry", nil, nil); code != 202 {
				t.Fatalf("retry: %d", code)
			}
		}
		if code := api(t, srv, token, "POST", "/api/generation/jobs/"+jobID+"/cancel", nil, nil); code != 202 {
			t.Fatalf("cancel: %d", code)
		}
		waitAPI(t, srv, token, jobID, "cancelled")
	}
	for _, at := range []struct {
		what, path, list string
		px               int64
	}{
		{"jobs", "/jobs", `[data-testid="jobs-live"]`, 390},
		{"dashboard", "/", `[data-testid="dash-recent"]`, 390},
		{"dashboard", "/", `[data-testid="dash-recent"]`, 1280},
		{"jobs", "/jobs", `[data-testid="jobs-live"]`, 1280},
	} {
		act(t, ctx, at.what, chromedp.EmulateViewport(at.px, 844), chromedp.Navigate(srv.URL+at.path), chromedp.WaitVisible(testid("job-row-earlier")))
		m := value(t, ctx, "measure the row", chromedp.Evaluate[rowCheck](fmt.Sprintf(measureRow, jsString(at.list))))
		if !strings.HasSuffix(m.Title, "· Run #1") || m.History != "cancelled, retried, cancelled, retried →" {
			t.Fatalf("%s: the row reads %q, %q", at.what, m.Title, m.History)
		}
		bad := m.Cut || len(m.Overlaps) > 0
		if at.px == 390 {
			// The title has the row's width, less its padding, and the
			// history starts below it.
			bad = bad || m.TitleWidth < m.RowWidth*0.75 || m.HistoryTop < m.TitleBot
		}
		if bad {
			t.Errorf("%s at %d px: title %q cut %v, %.0f px wide in a row of %.0f; history top %.0f, title bottom %.0f; overlapping text: %v",
				at.what, at.px, m.Title, m.Cut, m.TitleWidth, m.RowWidth, m.HistoryTop, m.TitleBot, m.Overlaps)
			screenshot(t, ctx, fmt.Sprintf("%s-%d", at.what, at.px))
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// revokeCheck is where the tokens page puts a row's Revoke button.
type revokeCheck struct {
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	Buttons     int      `json:"buttons"`
	Hidden      []string `json:"hidden"`
}

// On a phone the tokens list fits the window: each row's Revoke button is
// on screen without scrolling anything sideways, and so are the token's
// name, prefix and dates.
func TestLayoutTokensRevokeOnPhone(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	for _, name := range []string{"a deploy script on the build server", "nightly-export-to-the-reporting-warehouse"} {
		act(t, ctx, "create a token",
			chromedp.Navigate(srv.URL+"/settings/tokens"),
			chromedp.WaitVisible(testid("token-form")),
			chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), name),
			chromedp.Click(testid("token-create")),
			chromedp.WaitVisible(testid("token-copy")),
		)
	}
	act(t, ctx, "the tokens", chromedp.Navigate(srv.URL+"/settings/tokens"), chromedp.WaitVisible(testid("token-revoke")))
	for _, px := range []int64{320, 390, 1280} {
		act(t, ctx, fmt.Sprintf("at %d px", px), chromedp.EmulateViewport(px, 844))
		m := value(t, ctx, "measure", chromedp.Evaluate[revokeCheck](`new Promise(resolve => requestAnimationFrame(() => {
			const de = document.documentElement, vw = de.clientWidth, hidden = [];
			const rows = document.querySelectorAll('[data-testid="token-row"]');
			for (const row of rows) for (const e of row.querySelectorAll('[data-testid="token-revoke"], td > *, td')) {
				if (!e.textContent.trim() || e.getClientRects().length === 0) continue; // empty, or not displayed at this width
				const r = e.getBoundingClientRect();
				let out = r.left < -1 || r.right > vw + 1;
				// Not hidden in a scroller either: every ancestor shows it as it is.
				for (let p = e.parentElement; !out && p && p !== document.body; p = p.parentElement) {
					if (getComputedStyle(p).overflowX === 'visible') continue;
					const pr = p.getBoundingClientRect();
					out = r.right > pr.right + 1 || r.left < pr.left - 1;
				}
				if (out) hidden.push(e.tagName + ' "' + e.textContent.trim().slice(0, 30) + '" at ' + Math.round(r.left) + '..' + Math.round(r.right));
			}
			resolve({scrollWidth: de.scrollWidth, clientWidth: vw, buttons: document.querySelectorAll('[data-testid="token-revoke"]').length, hidden});
		}))`, chromedp.EvalAwaitPromise))
		if m.Buttons != 2 || m.ScrollWidth > m.ClientWidth || len(m.Hidden) > 0 {
			t.Errorf("tokens at %d px: %d Revoke buttons, scrollWidth %d, clientWidth %d; off screen or scrolled away: %v", px, m.Buttons, m.ScrollWidth, m.ClientWidth, m.Hidden)
			screenshot(t, ctx, fmt.Sprintf("tokens-%d", px))
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// labelCheck is where a field's label is after the error summary's link
// was followed.
type labelCheck struct {
	Hash         string  `json:"hash"`
	LabelTop     float64 `json:"labelTop"`
	LabelBottom  float64 `json:"labelBottom"`
	HeaderBottom float64 `json:"headerBottom"`
	HeaderTop    float64 `json:"headerTop"`
	Height       float64 `json:"height"`
	ScrollY      float64 `json:"scrollY"`
}

// Following an error summary's link to a field far down the new-project
// form shows the field's label: below the top of the window and the
// sticky header, not above or under them.
func TestLayoutErrorSummaryLinkShowsLabel(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	// The refused form holds the example's input: leaving it for the next
	// width asks first.
	watchDialogs(t, ctx).setAccept(true)
	signUp(t, ctx, srv)
	for _, px := range []int64{1280, 390} {
		act(t, ctx, fmt.Sprintf("at %d px", px), chromedp.EmulateViewport(px, 800))
		act(t, ctx, "a risk without its impact",
			chromedp.Navigate(srv.URL+"/projects/new?example=1"),
			chromedp.WaitVisible(testid("project-form")),
			chromedp.SetValue(chromedp.CSS(`select[name$="].impact"][name^="data.risks["]`), ""),
			chromedp.Click(testid("project-save")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-errors"] a[href*="impact"]`)),
		)
		href := value(t, ctx, "the link", chromedp.Evaluate[string](`document.querySelector('[data-testid="form-errors"] a[href*="impact"]').getAttribute('href')`))
		act(t, ctx, "follow the link", chromedp.Click(chromedp.CSS(`[data-testid="form-errors"] a[href*="impact"]`)))
		waitFor(t, ctx, "the page scrolled to the field", `location.hash === `+jsString(href)+` && window.scrollY > 300`, 5*time.Second)
		m := value(t, ctx, "measure", chromedp.Evaluate[labelCheck](`new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
			const label = document.querySelector('label[for="' + location.hash.slice(1) + '"]'), r = label.getBoundingClientRect();
			resolve({hash: location.hash, labelTop: r.top, labelBottom: r.bottom, headerBottom: document.querySelector('body > header').getBoundingClientRect().bottom,
				headerTop: document.querySelector('body > header').getBoundingClientRect().top, height: window.innerHeight, scrollY: window.scrollY});
		})))`, chromedp.EvalAwaitPromise))
		// The header stays at the top however far the page scrolled (the
		// body was the window's height, so the sticky header left with it
		// after one screen).
		if m.HeaderTop != 0 {
			t.Errorf("at %d px, scrolled %.0f, the header's top is at %.0f, not at the window's top", px, m.ScrollY, m.HeaderTop)
		}
		// The header is sticky: a label under it is hidden too.
		if m.LabelTop < max(0, m.HeaderBottom) || m.LabelBottom > m.Height {
			t.Errorf("at %d px, after following %s the label is at %.0f..%.0f, the header ends at %.0f (window %.0f high, scrolled %.0f)",
				px, m.Hash, m.LabelTop, m.LabelBottom, m.HeaderBottom, m.Height, m.ScrollY)
			screenshot(t, ctx, fmt.Sprintf("errlink-%d", px))
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}
