package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focused is the element that has the keyboard focus, as a person sees it:
// where it is on the page (page coordinates) and whether it can be seen.
type focused struct {
	Label  string  `json:"label"`
	InMain bool    `json:"inMain"`
	Seen   string  `json:"seen"` // "" when visible, else why not
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	W      float64 `json:"w"`
	H      float64 `json:"h"`
}

func (f focused) String() string { return fmt.Sprintf("%s@(%.0f,%.0f)", f.Label, f.X, f.Y) }

const focusedJS = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body || e === document.documentElement) return null;
	const r = e.getBoundingClientRect();
	let seen = "";
	if (r.width < 2 || r.height < 2) seen = "no box " + r.width + "x" + r.height;
	for (let p = e; p && !seen; p = p.parentElement) {
		const s = getComputedStyle(p);
		if (s.visibility === "hidden" || s.display === "none") seen = "hidden by " + p.tagName;
		else if (parseFloat(s.opacity) === 0) seen = "transparent (" + p.tagName + ")";
		else if (p.getAttribute("aria-hidden") === "true") seen = "inside aria-hidden " + p.tagName;
		else if (p.hasAttribute("inert")) seen = "inside inert " + p.tagName;
	}
	if (!seen && (r.bottom <= -window.scrollY || r.right <= -window.scrollX)) seen = "off the page";
	const name = (e.getAttribute("aria-label") || e.innerText || e.value || e.getAttribute("title") || "").trim().replace(/\s+/g, " ").slice(0, 40);
	const label = e.tagName.toLowerCase() + (e.dataset.testid ? "[" + e.dataset.testid + "]" : "") + " " + JSON.stringify(name);
	return {label, inMain: e.closest("#main") !== null, seen, x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
})()`

// tabThrough presses Tab from the top of the page until the focus leaves
// it (or comes round again), and returns the elements focused, in order.
func tabThrough(t *testing.T, ctx context.Context, max int) []focused {
	t.Helper()
	act(t, ctx, "focus the top of the page", chromedp.Evaluate[chromedp.Void](`(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); })()`))
	var out []focused
	for i := 0; i < max; i++ {
		act(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
		f := value(t, ctx, "the focused element", chromedp.Evaluate[*focused](focusedJS))
		if f == nil || (len(out) > 0 && f.Label == out[0].Label && f.X == out[0].X && f.Y == out[0].Y) {
			break
		}
		out = append(out, *f)
	}
	return out
}

// focusOrderProblems names what a person tabbing through would trip on:
// an element that takes the focus unseen, and, in the page's content, a
// step that goes back against the reading order (up within the same
// column, or left within the same row).
func focusOrderProblems(order []focused) []string {
	var out []string
	for i, f := range order {
		if f.Seen != "" {
			out = append(out, fmt.Sprintf("step %d, %s, takes the focus unseen: %s", i+1, f, f.Seen))
		}
		if i == 0 || !f.InMain || !order[i-1].InMain {
			continue
		}
		a := order[i-1]
		sameRow := f.Y < a.Y+a.H && a.Y < f.Y+f.H
		sameColumn := f.X < a.X+a.W && a.X < f.X+f.W
		switch {
		case sameRow && f.X+f.W <= a.X+1:
			out = append(out, fmt.Sprintf("step %d goes left in a row: %s after %s", i+1, f, a))
		case !sameRow && sameColumn && f.Y+f.H <= a.Y+1:
			out = append(out, fmt.Sprintf("step %d goes up in a column: %s after %s", i+1, f, a))
		}
	}
	return out
}

// Tabbing through a project's page follows what it shows: the header's
// links, then the heading's breadcrumb and the project's actions in the
// order they are laid out (the primary "Generate documents" first, on a
// phone as on a desktop), then the library, the runs and the rest; and
// nothing hidden takes the focus on the way.
func TestUIProjectPageFocusOrderFollowsTheLayout(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, ctx, srv)
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "risk_register"), "completed")

	check := func(width string) {
		act(t, ctx, "the project page ("+width+")",
			chromedp.Navigate(srv.URL+"/projects/"+projectID),
			chromedp.WaitVisible(testid("library-doc")),
		)
		waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
		order := tabThrough(t, ctx, 150)
		labels := make([]string, len(order))
		for i, f := range order {
			labels[i] = f.String()
		}
		t.Logf("%s focus order:\n  %s", width, strings.Join(labels, "\n  "))
		if len(order) < 10 {
			t.Fatalf("%s: only %d elements took the focus", width, len(order))
		}
		for _, p := range focusOrderProblems(order) {
			t.Errorf("%s: %s", width, p)
		}
		// The heading's actions, in the order they are tabbed to.
		var actions []string
		for _, f := range order {
			for _, id := range []string{"generate-documents", "edit-project", "duplicate-project", "export-project"} {
				if strings.Contains(f.Label, "["+id+"]") {
					actions = append(actions, id)
				}
			}
		}
		if want := []string{"generate-documents", "edit-project", "duplicate-project", "export-project"}; strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the project's actions are tabbed to as %v, want %v", width, actions, want)
		}
	}
	check("desktop")
	narrow(t, ctx, func() { check("phone") })
}
