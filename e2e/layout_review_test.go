package e2e

import (
	"fmt"
	"strings"
	"testing"

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
