package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A resync lists the newest 200 announcements no tab has shown and counts
// the others (the unshown-older event). The tab says they exist: one toast
// in the toasts' live region, "12 older notifications not shown here",
// with a link to the notifications page that the keyboard reaches. The
// resyncs of a connection that keeps dropping do not stack more of them;
// one the user dismissed comes back only when the count changes.
func TestClientOlderUnshownNotificationsAreCountedInOneToast(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	front := newBrowser(t)
	email := signUp(t, front, srv)
	// A tab in the background: it acknowledges nothing, so the count of
	// unshown notifications stays as the test writes it.
	back := backgroundTab(t, front)
	act(t, back, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, back, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	leaveApp(t, front, back)

	unshown := func(n int) {
		t.Helper()
		at := time.Now().UTC().Format("2006-01-02 15:04:05.000000000-07:00")
		sqlite(t, srv, fmt.Sprintf(`INSERT INTO notifications (id, user_id, job_id, kind, title, created_at)
			SELECT lower(hex(randomblob(16))), u.id, lower(hex(randomblob(16))), 'job_completed', 'Unseen news', '%[1]s'
			FROM users u, (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[3]d) SELECT i FROM n)
			WHERE u.email = '%[2]s'`, at, email, n))
	}
	// resync brings the tab's stream back from no position: the server
	// answers with a resync, whose last event is the sync.
	resync := func() {
		t.Helper()
		act(t, back, "the stream drops", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))`))
		waitFor(t, back, "the stream is closed", `window.__dossierOpenEventSources === 0`, 5*time.Second)
		act(t, back, "the stream comes back from no position", chromedp.Evaluate[chromedp.Void](`(() => {
			window.__sourcesBefore = window.__dossierEventSources;
			window.__dossierSynced = false;
			const b = document.body, u = new URL(b.getAttribute('sse-connect'), location.href);
			u.searchParams.delete('since');
			b.setAttribute('sse-connect', u.pathname + u.search);
			window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
		})()`))
		waitFor(t, back, "the resync has arrived", `window.__dossierEventSources > window.__sourcesBefore && window.__dossierSynced === true`, 15*time.Second)
	}
	type olderToast struct {
		Count    int
		Text     string
		Href     string
		InRegion bool
	}
	older := func() olderToast {
		t.Helper()
		return value(t, back, "the older notifications' toast", chromedp.Evaluate[olderToast](`(() => {
			const all = document.querySelectorAll('[data-testid="older-toast"]'), e = all[0];
			if (!e) return {count: 0, text: '', href: '', inRegion: false};
			const a = e.querySelector('a');
			return {count: all.length, text: e.textContent.replace(/\s+/g, ' ').trim(), href: a ? a.getAttribute('href') : '',
				inRegion: e.parentElement === document.getElementById('toasts')};
		})()`))
	}

	unshown(212)
	resync()
	eventually(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		n := value(t, back, "the announcements", chromedp.Evaluate[int](`document.querySelectorAll('[data-announce]').length`))
		return n == 200, fmt.Sprintf("the resync brought %d announcements; want the newest 200 (older toast: %+v)", n, older())
	})
	got := older()
	if got.Count != 1 || !strings.HasPrefix(got.Text, "12 older notifications not shown here") || got.Href != "/notifications" || !got.InRegion {
		t.Fatalf("after a resync that counts 12 older notifications, the tab shows %+v; want one toast in #toasts saying so, linking to /notifications", got)
	}

	// A connection that keeps dropping: resync after resync, one toast.
	for range 3 {
		resync()
		if got := older(); got.Count != 1 || !strings.HasPrefix(got.Text, "12 older") {
			t.Fatalf("after more resyncs the tab shows %+v; want the one toast, still saying 12", got)
		}
	}

	// Dismissed, it stays away while the count is the same, and comes
	// back, once, with a new count.
	act(t, back, "dismiss it", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="older-toast"] [data-dismiss-toast]').click()`))
	waitFor(t, back, "it goes", `document.querySelector('[data-testid="older-toast"]') === null`, 5*time.Second)
	resync()
	if got := older(); got.Count != 0 {
		t.Fatalf("a dismissed count came back unchanged: %+v", got)
	}
	unshown(3)
	resync()
	if got := older(); got.Count != 1 || !strings.HasPrefix(got.Text, "15 older notifications") {
		t.Fatalf("after 3 more, the tab shows %+v; want one toast saying 15", got)
	}

	// The keyboard reaches its link, which opens the notifications page.
	if _, err := chromedp.CallBrowser(front, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(back).Target.TargetID}); err != nil {
		t.Fatalf("bring the tab to the front: %v", err)
	}
	waitFor(t, back, "it comes to the front", `document.visibilityState === 'visible'`, 5*time.Second)
	act(t, back, "Tab to the link", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="older-toast"] [data-dismiss-toast]').focus()`),
		chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if focused := value(t, back, "the focus", chromedp.Evaluate[string](`document.activeElement.getAttribute('data-testid') || document.activeElement.tagName`)); focused != "older-toast-link" {
		t.Fatalf("Shift+Tab from the toast's Dismiss button focuses %q; want its link", focused)
	}
	act(t, back, "Enter", chromedp.KeyEvent(kb.Enter))
	pollThroughNavigations(t, back, "the notifications page", `location.pathname === '/notifications' && document.querySelector('[data-testid="notifications-page"]') !== null`, 10*time.Second)
}

// An administrator demoted (dossier user demote) while the console is open
// is told so on the page: the live part is replaced by a notice, and the
// failing jobs' form, whose actions would be refused, goes. Before, the
// feed stopped and the page went on showing its last state as if live.
func TestClientDemotedAdministratorsConsoleSaysSo(t *testing.T) {
	srv := startServer(t, nil)
	cli(t, srv, "user", "create", "--email", "root@example.com", "--password", password, "--name", "Root", "--admin")
	ctx := newBrowser(t)
	logIn(t, ctx, srv, "root@example.com")
	act(t, ctx, "open the console", chromedp.Navigate(srv.URL+"/admin"), chromedp.WaitVisible(testid("admin-live-body")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if n := value(t, ctx, "the failing jobs", chromedp.Evaluate[int](`document.querySelectorAll('#admin-failing').length`)); n != 1 {
		t.Fatalf("the console shows %d failing-jobs sections", n)
	}

	cli(t, srv, "user", "demote", "--email", "root@example.com")
	waitFor(t, ctx, "the console says the role was withdrawn", `document.querySelector('[data-testid="admin-revoked"]') !== null`, 15*time.Second)
	type page struct {
		Notice, Role  string
		Live, Failing int
	}
	got := value(t, ctx, "the console", chromedp.Evaluate[page](`(() => {
		const n = document.querySelector('[data-testid="admin-revoked"]');
		return {notice: n.textContent.replace(/\s+/g, ' ').trim(), role: n.getAttribute('role') || '',
			live: document.querySelectorAll('[data-testid="admin-live-body"]').length,
			failing: document.querySelectorAll('#admin-failing').length};
	})()`))
	if !strings.Contains(got.Notice, "You are no longer an administrator") || got.Role != "alert" || got.Live != 0 || got.Failing != 0 {
		t.Fatalf("after the demotion the console shows %+v; want the notice (an alert) in place of the live part and the failing jobs", got)
	}
}

// The document page's version pickers (<option>s, which cannot hold a
// <time>) and its version list, and the project page's "Last updated",
// show their times in the browser's zone, as the rest of the app does.
func TestClientVersionsAndProjectUpdatedInTheBrowsersZone(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatalf("emulate New York's time zone: %v", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Zones")
	for range 2 {
		waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")
	}
	local := func(where, iso string) string {
		t.Helper()
		at, err := time.Parse(time.RFC3339, iso)
		if err != nil {
			t.Errorf("%s: datetime %q: %v", where, iso, err)
			return "(no instant)"
		}
		return at.In(ny).Format("2 Jan 2006, 15:04")
	}
	type shown struct{ ISO, Text, Title string }

	act(t, ctx, "the document page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/project_charter"),
		chromedp.WaitVisible(testid("compare-from")),
	)
	options := value(t, ctx, "the pickers' options", chromedp.Evaluate[[]shown](`[...document.querySelectorAll('[data-testid="version-compare"] option')]
		.map(o => ({iso: o.getAttribute('data-datetime') || '', text: o.textContent.trim(), title: o.getAttribute('title') || ''}))`))
	if len(options) != 4 {
		t.Fatalf("the pickers have %d options; want 2 versions in each of 2: %+v", len(options), options)
	}
	for i, o := range options {
		want := fmt.Sprintf("Version %d · %s", 2-i%2, local(fmt.Sprintf("option %d", i), o.ISO))
		if o.Text != want || !strings.HasSuffix(o.Title, "UTC") {
			t.Errorf("option %d reads %q (title %q); want %q, New York's time, the UTC text in the title", i, o.Text, o.Title, want)
		}
	}
	items := value(t, ctx, "the version list's times", chromedp.Evaluate[[]shown](`[...document.querySelectorAll('[data-testid="version-item"]')]
		.map(li => li.querySelector('time[datetime]')).map(e => e ? {iso: e.getAttribute('datetime'), text: e.textContent.trim(), title: e.getAttribute('title') || ''} : {iso: '', text: '', title: ''})`))
	if len(items) != 2 {
		t.Fatalf("the version list has %d items; want 2", len(items))
	}
	for i, s := range items {
		if want := local(fmt.Sprintf("version item %d", i), s.ISO); s.Text != want || !strings.HasSuffix(s.Title, "UTC") {
			t.Errorf("version item %d shows %q (title %q); want New York's %q", i, s.Text, s.Title, want)
		}
	}

	act(t, ctx, "the project page", chromedp.Navigate(srv.URL+"/projects/"+projectID), chromedp.WaitVisible(testid("project-updated")))
	updated := value(t, ctx, "Last updated", chromedp.Evaluate[shown](`(() => { const e = document.querySelector('[data-testid="project-updated"] time[datetime]');
		return e ? {iso: e.getAttribute('datetime'), text: e.textContent.trim(), title: e.getAttribute('title') || ''} : {iso: '', text: '', title: ''}; })()`))
	if want := local("Last updated", updated.ISO); updated.Text != want || !strings.HasSuffix(updated.Title, "UTC") {
		t.Errorf("the project page's Last updated shows %q (title %q); want New York's %q", updated.Text, updated.Title, want)
	}
}
