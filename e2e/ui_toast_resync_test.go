package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A tab in the background holds an announcement's toast; its stream is
// down (a dropped connection) when the visible tab shows the announcement
// and acknowledges it, so it never hears the "shown" event. When its
// stream comes back, the toast goes, and an ending announced meanwhile
// that no tab has shown is announced to it. So it is whether the stream
// resumes from the tab's position or cannot (no position, one ahead of
// the user's, or more than 200 changes behind): a resync replays only
// what is still unshown, not what was shown.
func TestUIToastShownElsewhereGoesWhenTheStreamComesBack(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	front := newBrowser(t)
	tr := newTabTrace(t)
	tr.follow(t, front, "front")
	email := signUp(t, front, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Back again")
	back := backgroundTab(t, front)
	tr.follow(t, back, "back")
	act(t, back, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, back, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if v := value(t, back, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "hidden" {
		t.Fatalf("the background tab is %q", v)
	}
	// The visible tab leaves the app as it does at the end of each case:
	// until the page it leaves (the dashboard, stream open) has let go, it
	// would show and acknowledge the first announcement itself.
	tr.add("test", "front leaves")
	leaveApp(t, front, back)
	tr.add("test", "front left")

	toasts := func(t *testing.T) []string {
		return value(t, back, "the toasts", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-announce]')).map(t => t.dataset.tag)`))
	}
	for _, tc := range []struct {
		name string
		// behind does what the tab misses besides the acknowledgement.
		behind func(t *testing.T)
		// since is the position the stream comes back from: "" keeps
		// the tab's, "none" drops it.
		since string
	}{
		{name: "from the tab's position"},
		{name: "from no position", since: "none"},
		{name: "from a position ahead of the user's", since: "1000000000"},
		{name: "from more than 200 changes behind", behind: func(t *testing.T) {
			at := time.Now().UTC().Format("2006-01-02 15:04:05.000000000-07:00")
			sqlite(t, srv, fmt.Sprintf(`INSERT INTO notifications (id, user_id, kind, title, created_at, shown_at, read_at)
				SELECT lower(hex(randomblob(16))), u.id, 'job_completed', 'Old news', '%[1]s', '%[1]s', '%[1]s'
				FROM users u, (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 201) SELECT i FROM n)
				WHERE u.email = '%[2]s'`, at, email))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr.add("test", "=== %s", tc.name)
			shown := apiJobCreate(t, srv, token, projectID, "project_charter")
			waitAPI(t, srv, token, shown, "completed")
			waitFor(t, back, "the hidden tab holds the toast", fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]') !== null`, shown), 5*time.Second)
			tr.add("test", "shown job %s", shown)
			id := value(t, back, "its notification", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]').dataset.announce`, shown)))

			act(t, back, "the stream drops", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))`))
			waitFor(t, back, "the stream is closed", `window.__dossierOpenEventSources === 0`, 5*time.Second)
			tr.add("test", "stream closed; front navigates")
			act(t, front, "a page in the visible tab", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
			tr.add("test", "front loaded")
			// What the tab keeps of a toast it showed (the toast itself goes
			// 6 s after it is shown, sooner than a loaded machine may let
			// the test look at it).
			waitFor(t, front, "it shows the toast and acknowledges it", fmt.Sprintf(`sessionStorage.getItem('dossier-shown-' + %q) !== null`, id), 5*time.Second)
			waitShown(t, srv, id)
			tr.add("test", "acked; front leaves")
			leaveApp(t, front, back)
			tr.add("test", "front left")

			unshown := apiJobCreate(t, srv, token, projectID, "project_charter")
			waitAPI(t, srv, token, unshown, "completed")
			if tc.behind != nil {
				tc.behind(t)
			}

			tr.add("test", "unshown job %s; stream comes back", unshown)
			act(t, back, "the stream comes back", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				window.__sourcesBefore = window.__dossierEventSources;
				window.__dossierSynced = false;
				const since = %q, b = document.body, u = new URL(b.getAttribute('sse-connect'), location.href);
				if (since === 'none') u.searchParams.delete('since');
				else if (since !== '') u.searchParams.set('since', since);
				b.setAttribute('sse-connect', u.pathname + u.search);
				window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
			})()`, tc.since)))
			waitFor(t, back, "the stream's first batch", `window.__dossierEventSources > window.__sourcesBefore && window.__dossierSynced === true`, 10*time.Second)
			want := "job-" + unshown
			eventually(t, 5*time.Second, 100*time.Millisecond, func() (bool, string) {
				got := toasts(t)
				return len(got) == 1 && got[0] == want, fmt.Sprintf("the tab holds the toasts %q; want only %q (%q was shown in the other tab)", got, want, "job-"+shown)
			})

			// The visible tab shows that one too: the hidden tab hears it.
			act(t, front, "a page in the visible tab", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
			waitFor(t, back, "the hidden tab drops the toast", `document.querySelector('[data-announce]') === null`, 5*time.Second)
			leaveApp(t, front, back)
		})
	}
}

// leaveApp navigates the tab out of the app and waits until the page it
// left has let go. Chromium commits the next page (the navigation returns)
// before the old one's pagehide has run: on a loaded machine, a few hundred
// milliseconds later. Until then the old page still says it is "visible",
// with its stream open. It used to show and acknowledge whatever was
// announced to it then (in this test the next job's ending, which then
// never reached the other tab, and which the next page of this tab, same
// sessionStorage, held as shown here and dropped); it no longer does (a
// page acknowledges nothing from its beforeunload on: see
// TestUIToastNotAcknowledgedByAPageBeingLeft), and the wait keeps this
// test's steps apart. The witness, another tab of the app (same origin,
// same localStorage), hears the old page's pagehide.
func leaveApp(t *testing.T, tab, witness context.Context) {
	t.Helper()
	mark := fmt.Sprintf("%d", time.Now().UnixNano())
	act(t, tab, "leave the app", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`window.addEventListener('pagehide', () => localStorage.setItem('e2e-left', %q))`, mark)),
		chromedp.Navigate("about:blank"))
	waitFor(t, witness, "the page left has let go", fmt.Sprintf(`localStorage.getItem('e2e-left') === %q`, mark), 20*time.Second)
}

// waitShown waits until the notification is marked shown in the server's
// SQLite database: the acknowledgement has landed.
func waitShown(t *testing.T, srv *Server, id string) {
	t.Helper()
	path, ok := strings.CutPrefix(srv.DatabaseURL, "sqlite:")
	if !ok {
		t.Fatalf("not a SQLite database: %s", srv.DatabaseURL)
	}
	eventually(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		out, err := exec.Command("sqlite3", "-cmd", ".timeout 10000", path,
			fmt.Sprintf(`SELECT count(*) FROM notifications WHERE id = '%s' AND shown_at IS NOT NULL`, id)).CombinedOutput()
		if err != nil {
			t.Fatalf("sqlite3: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out)) == "1", fmt.Sprintf("notification %s is not marked shown", id)
	})
}
