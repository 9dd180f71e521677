package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// A page restored from the back/forward cache keeps what the user typed
// in it, and its live regions follow the stream again. The editor holds
// unsaved text; the user follows a nav link and comes Back: the text is
// there, the page was not reloaded (a marker set before leaving survives),
// and a job started after the return shows in the header's badge, then
// leaves it when it ends.
func TestUIBackForwardRestoreKeepsTextAndStream(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	watchDialogs(t, ctx).setAccept(true) // leave the unsaved text when the editor asks
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Back and forward")
	first := apiJobCreate(t, srv, token, projectID, "project_charter")
	release(t, model, 1)
	waitAPI(t, srv, token, first, "completed")

	act(t, ctx, "the editor",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/project_charter/edit"),
		chromedp.WaitVisible(testid("edit-markdown")),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nMy unsaved draft."),
	)
	waitFor(t, ctx, "the editor's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))

	act(t, ctx, "follow a nav link",
		chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/jobs"]`)),
		chromedp.WaitVisible(testid("jobs-page")),
	)
	act(t, ctx, "come back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	pollThroughNavigations(t, ctx, "the editor is back", `document.querySelector('[data-testid="edit-markdown"]') !== null && document.readyState === 'complete'`, 10*time.Second)
	if !value(t, ctx, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		how := value(t, ctx, "how the page came", chromedp.Evaluate[string](`performance.getEntriesByType('navigation')[0]?.type || ''`))
		t.Fatalf("on Back the editor was loaded again (%s), not kept as it was: the back/forward cache restored it and the page reloaded, or it was not cached", how)
	}
	if v := value(t, ctx, "the draft", chromedp.Evaluate[string](`document.getElementById("edit-markdown").value`)); !strings.HasSuffix(strings.TrimSpace(v), "My unsaved draft.") {
		t.Fatalf("after Back the editor holds %q", v)
	}
	pollThroughNavigations(t, ctx, "the stream is open again", `window.__dossierOpenEventSources === 1`, 10*time.Second)

	// The live regions follow the stream again.
	second := apiJobCreate(t, srv, token, projectID, "project_charter")
	pollThroughNavigations(t, ctx, "the badge counts the new job", `document.getElementById('job-badge')?.dataset.active === '1'`, 10*time.Second)
	release(t, model, 1)
	waitAPI(t, srv, token, second, "completed")
	pollThroughNavigations(t, ctx, "the badge lets it go", `document.getElementById('job-badge')?.dataset.active === '0'`, 10*time.Second)
	if !value(t, ctx, "still no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		t.Fatal("the editor was reloaded")
	}
	if v := value(t, ctx, "the draft at the end", chromedp.Evaluate[string](`document.getElementById("edit-markdown").value`)); !strings.Contains(v, "My unsaved draft.") {
		t.Fatalf("the editor's text became %q", v)
	}
}

// pollThroughNavigations polls a JavaScript condition up to within, like
// waitFor, but by plain evaluations: it outlives a page being replaced
// under it (a reload destroys the context an evaluation runs in; a failed
// one is tried again), and works on a page restored from the back/forward
// cache, where chromedp's Poll and element queries wait for a document
// load that never comes.
func pollThroughNavigations(t *testing.T, ctx context.Context, step, expr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last error: %v)", step, within, last)
		}
		<-tick.C
	}
}

// A tab whose session ended elsewhere (logged out in another tab) does not
// say "Reconnecting…" for ever: when its stream is cut and refused, it goes
// to the login page, which would bring it back to where it was.
func TestUISessionEndedTabGoesToLogin(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	act(t, ctx, "the jobs page", chromedp.Navigate(srv.URL+"/jobs?status=active"), chromedp.WaitVisible(testid("jobs-page")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)

	other := newTab(t, ctx)
	act(t, other, "log out in another tab",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(testid("user-menu")),
		chromedp.Click(chromedp.CSS(`[data-testid="user-menu"] summary`)),
		chromedp.Click(testid("logout")),
		chromedp.WaitVisible(testid("login-form")),
	)

	// The stream is cut (the server restarts) and refused when it comes back.
	srv.kill(t)
	srv = srv.restart(t)
	pollThroughNavigations(t, ctx, "the tab reaches the login page",
		`location.pathname === '/login' && new URLSearchParams(location.search).get('next') === '/jobs?status=active' && document.querySelector('[data-testid="login-form"]') !== null`, 30*time.Second)
}

// A notification made two days ago and never shown (no visible tab
// acknowledged it) is announced by a toast, but raises no browser
// Notification: its mark, which keeps the Notification to one, is kept a
// day only, so the Notification may well have been raised already. A
// fresh one, on the same page, raises its own.
func TestUIOldAnnouncementRaisesNoBrowserNotification(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	email := fmt.Sprintf("old-%d@example.com", time.Now().UnixNano())
	cli(t, srv, "user", "create", "--email", email, "--password", password, "--name", "Old News")
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Old news")
	old := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, old, "completed")
	fresh := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, fresh, "completed")
	twoDaysAgo := time.Now().UTC().Add(-48 * time.Hour).Format("2006-01-02 15:04:05.000000000-07:00")
	sqlite(t, srv, fmt.Sprintf(`UPDATE notifications SET created_at = '%s' WHERE job_id = '%s'`, twoDaysAgo, old))

	ctx := newBrowser(t)
	grantNotifications(t, ctx, srv)
	logIn(t, ctx, srv, email)
	waitFor(t, ctx, "both toasts show", `document.querySelectorAll('[data-testid="toast"]').length === 2 &&
		Array.from(document.querySelectorAll('[data-testid="toast"]')).every(t => t.__acked === true)`, 5*time.Second)
	age := value(t, ctx, "the old toast's age", chromedp.Evaluate[float64](fmt.Sprintf(`(Date.now() - parseInt(document.querySelector('[data-testid="toast"][data-tag="job-%s"]').dataset.created, 10)) / 36e5`, old)))
	if age < 47 || age > 49 {
		t.Fatalf("the old toast says it was made %.1f hours ago; want 48", age)
	}
	waitFor(t, ctx, "the fresh one raises a browser notification", fmt.Sprintf(`window.__dossierNotifications.some(n => n.tag === 'job-%s')`, fresh), 5*time.Second)
	tags := value(t, ctx, "browser notifications", chromedp.Evaluate[[]string](`window.__dossierNotifications.map(n => n.tag)`))
	if len(tags) != 1 {
		t.Fatalf("browser notifications %q; want one, for job-%s only", tags, fresh)
	}
	if marked := value(t, ctx, "the old one's mark", chromedp.Evaluate[bool](`(() => {
		for (let i = 0; i < localStorage.length; i++) if (localStorage.key(i).startsWith('dossier-notified-') && localStorage.key(i) !== 'dossier-notified-' + document.querySelector('[data-testid="toast"][data-tag="job-`+fresh+`"]').dataset.announce) return true;
		return false;
	})()`)); marked {
		t.Fatal("the old announcement left a mark: it went to raise a browser notification")
	}
}

// sqlite runs a statement on the server's SQLite database.
func sqlite(t *testing.T, srv *Server, stmt string) {
	t.Helper()
	path, ok := strings.CutPrefix(srv.DatabaseURL, "sqlite:")
	if !ok {
		t.Fatalf("not a SQLite database: %s", srv.DatabaseURL)
	}
	out, err := exec.Command("sqlite3", "-cmd", ".timeout 10000", path, stmt).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", stmt, err, out)
	}
}

// Clicking a browser Notification in a tab that holds unsaved edits opens
// the job in a new tab: the editor and its text stay.
func TestUINotificationClickKeepsUnsavedEdits(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	grantNotifications(t, ctx, srv)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Click")
	act(t, ctx, "leave the app while the job runs", chromedp.Navigate("about:blank"))
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, jobID, "completed")

	// The editor's page announces the ending, and raises the Notification.
	editURL := srv.URL + "/projects/" + projectID + "/documents/project_charter/edit"
	act(t, ctx, "the editor", chromedp.Navigate(editURL), chromedp.WaitVisible(testid("edit-markdown")))
	waitFor(t, ctx, "a browser notification", fmt.Sprintf(`window.__dossierNotifications.some(n => n.tag === 'job-%s')`, jobID), 5*time.Second)
	act(t, ctx, "type without saving",
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nNot saved yet."),
		chromedp.Evaluate[chromedp.Void](`window.__samePage = true`),
	)

	opened := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return strings.HasSuffix(info.URL, "/jobs/"+jobID) })
	act(t, ctx, "click the notification", chromedp.Evaluate[chromedp.Void](`window.__dossierNotifications[0].notification.onclick()`))
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("no tab opened on the job")
	}
	got := value(t, ctx, "the editor after the click", chromedp.Evaluate[string](`window.__samePage === true ? document.getElementById('edit-markdown').value : 'left: ' + location.href`))
	if !strings.Contains(got, "Not saved yet.") {
		t.Fatalf("after the click the tab holds %q", got)
	}
}
