package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// badgeCheck is where a job row puts its status badge, against the first
// line of its title.
type badgeCheck struct {
	Rows   int      `json:"rows"`
	Wrong  []string `json:"wrong"`
	Status []string `json:"status"`
}

// measureBadges: for every job row of the list, the status badge sits
// beside the title (its box meets the title's first line, to its right,
// inside the row), not under the row's meta line.
const measureBadges = `(() => {
	const out = {rows: 0, wrong: [], status: []};
	for (const row of document.querySelectorAll(%s + ' [data-testid="job-row"]')) {
		out.rows++;
		const title = row.querySelector('[data-testid="job-row-title"]'), badge = row.querySelector('.badge');
		const range = document.createRange(); range.selectNodeContents(title);
		const line = range.getClientRects()[0], b = badge.getBoundingClientRect(), r = row.getBoundingClientRect();
		out.status.push(badge.textContent.trim());
		const beside = b.top < line.bottom && b.bottom > line.top && b.left >= line.right - 1 && b.right <= r.right + 1 && b.width > 0;
		if (!beside) out.wrong.push(title.textContent.trim() + ': badge ' + Math.round(b.left) + ',' + Math.round(b.top) + '-' + Math.round(b.bottom) +
			'; title line ' + Math.round(line.left) + '..' + Math.round(line.right) + ',' + Math.round(line.top) + '-' + Math.round(line.bottom) + '; row right ' + Math.round(r.right));
	}
	return out;
})()`

// On a phone (390 px) a job row's status badge sat under the meta line,
// out of sight of the title it qualifies; it stays beside the title, at
// 390 px and at 1280 px, in the jobs list and in the dashboard's "Recent",
// for a short title and for one that wraps.
func TestLayoutJobRowStatusBesideTitle(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	for _, name := range []string{"Budget", "Customer Portal Relaunch 2027 with a longer name"} {
		projectID := apiProject(t, srv, token, name)
		waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")
	}
	for _, at := range []struct {
		what, path, list string
		px               int64
	}{
		{"jobs", "/jobs", `[data-testid="jobs-live"]`, 390},
		{"dashboard", "/", `[data-testid="dash-recent"]`, 390},
		{"jobs", "/jobs", `[data-testid="jobs-live"]`, 1280},
		{"dashboard", "/", `[data-testid="dash-recent"]`, 1280},
	} {
		act(t, ctx, fmt.Sprintf("%s at %d px", at.what, at.px), chromedp.EmulateViewport(at.px, 844),
			chromedp.Navigate(srv.URL+at.path), chromedp.WaitVisible(testid("job-row-title")))
		m := value(t, ctx, "measure the badges", chromedp.Evaluate[badgeCheck](fmt.Sprintf(measureBadges, jsString(at.list))))
		if m.Rows != 2 || strings.Join(m.Status, ",") != "Completed,Completed" {
			t.Fatalf("%s at %d px: %d rows, statuses %q", at.what, at.px, m.Rows, m.Status)
		}
		if len(m.Wrong) > 0 {
			t.Errorf("%s at %d px: the status is not beside the title: %v", at.what, at.px, m.Wrong)
			screenshot(t, ctx, fmt.Sprintf("status-%s-%d", at.what, at.px))
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// "Start from an example project" replaced a half-typed new-project form
// without a word. It asks first when the form holds what the user typed
// (declined, nothing is sent and the typing stays; accepted, the example
// comes in), as the form asks before the page is left; a blank form, or
// one holding the example untouched, is replaced without a question.
func TestUIExampleProjectAsksBeforeReplacingTyping(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	dialogs := watchDialogs(t, ctx)
	signUp(t, ctx, srv)

	const example = "Customer Portal Relaunch"
	name := func(step string) string {
		return value(t, ctx, step, chromedp.Evaluate[string](`document.querySelector('#f-name').value`))
	}
	useExample := func(step string, accept bool) (asked []string) {
		t.Helper()
		before := dialogs.count()
		dialogs.setAccept(accept)
		act(t, ctx, step,
			chromedp.Evaluate[chromedp.Void](`window.__exampleRequests = 0; window.__countExample || document.addEventListener('htmx:beforeRequest', e => {
				if (e.detail.elt.dataset.testid === 'use-example') window.__exampleRequests++;
			}); window.__countExample = true`),
			chromedp.Click(testid("use-example")))
		return dialogs.all()[before:]
	}
	waitExample := func(step string) {
		t.Helper()
		waitFor(t, ctx, step, `document.querySelector('#f-name')?.value === 'Customer Portal Relaunch' && !!document.querySelector('#f-name').form.__savedState`, 10*time.Second)
	}

	// Blank: no question, the example comes in.
	act(t, ctx, "the new-project form", chromedp.Navigate(srv.URL+"/projects/new"), chromedp.WaitVisible(testid("project-form")))
	if asked := useExample("example on a blank form", false); len(asked) > 0 {
		t.Fatalf("a blank form asked %q", asked)
	}
	waitExample("the example fills the blank form")
	// The example untouched: replacing it asks nothing either.
	if asked := useExample("example over the untouched example", false); len(asked) > 0 {
		t.Fatalf("the untouched example asked %q", asked)
	}
	waitFor(t, ctx, "the example is fetched again", `window.__exampleRequests === 1`, 10*time.Second)
	waitExample("the example again")

	// Typed: asked; declined, nothing is sent and the typing stays.
	act(t, ctx, "the new-project form again", chromedp.Navigate(srv.URL+"/projects/new"), chromedp.WaitVisible(testid("project-form")))
	act(t, ctx, "type a name", chromedp.SendKeys(chromedp.CSS(`#f-name`), "My own project"))
	asked := useExample("example over typing, declined", false)
	if len(asked) != 1 || !strings.HasPrefix(asked[0], "confirm: ") || !strings.Contains(asked[0], "example project") {
		t.Fatalf("typing then the example asked %q; want one confirm about the example", asked)
	}
	if n := value(t, ctx, "requests", chromedp.Evaluate[int](`window.__exampleRequests`)); n != 0 {
		t.Fatalf("declined, the example was still fetched (%d requests)", n)
	}
	if got := name("the name after declining"); got != "My own project" {
		t.Fatalf("after declining the name is %q", got)
	}

	// Accepted: the example replaces it, and the page can be left freely.
	if asked := useExample("example over typing, accepted", true); len(asked) != 1 {
		t.Fatalf("typing then the example asked %q; want one confirm", asked)
	}
	waitExample("the example replaces the typing")
	if got := name("the name after accepting"); got != example {
		t.Fatalf("after accepting the name is %q", got)
	}
	leaveFreely(t, ctx, dialogs, "leave the example untouched", chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/jobs"]`)), chromedp.WaitVisible(testid("jobs-live")))
	dialogs.setAccept(true)
}
