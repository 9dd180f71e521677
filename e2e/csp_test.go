package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cdproto "github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Issue 13, item 8: every page type, with real data (a project, a finished
// job, its documents, a token), runs under the Content-Security-Policy
// without a single violation. Violations are heard twice: by a
// securitypolicyviolation listener installed in every document before its
// own scripts run, and in the browser's log (which also keeps what a page
// reported just before it was left). A control on the first page proves
// both detectors hear a real violation.

// cspWatch collects what the browser reports.
type cspWatch struct {
	mu sync.Mutex
	// logged are the browser log's CSP messages.
	logged []string
	// policies are the Content-Security-Policy headers of the documents
	// loaded, by URL.
	policies map[string]string
}

// violationHook records every violation of the document in window.__csp. It
// is injected through the DevTools protocol, which CSP does not govern.
const violationHook = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || '') + ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + (e.sample || ''));
}, true);`

func watchCSP(t *testing.T, ctx context.Context) *cspWatch {
	t.Helper()
	w := &cspWatch{policies: map[string]string{}}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry != nil && strings.Contains(e.Entry.Text, "Content Security Policy") {
				w.mu.Lock()
				w.logged = append(w.logged, e.Entry.URL+": "+e.Entry.Text)
				w.mu.Unlock()
			}
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument && e.Response != nil {
				csp, _ := e.Response.Headers["Content-Security-Policy"].(string)
				w.mu.Lock()
				w.policies[e.Response.URL] = csp
				w.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdproto.Empty{}); err != nil {
		t.Fatalf("enable the log: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: violationHook}); err != nil {
		t.Fatalf("install the violation hook: %v", err)
	}
	return w
}

func (w *cspWatch) takeLogged() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.logged
	w.logged = nil
	return out
}

func (w *cspWatch) loggedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.logged)
}

func (w *cspWatch) policy(url string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.policies[url]
	return p, ok
}

// check asserts the page in the tab was served under the app's policy and
// has reported no violation.
func (w *cspWatch) check(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	waitFor(t, ctx, what+": loaded", `document.readyState === 'complete' && Array.isArray(window.__csp)`, 10*time.Second)
	url := value(t, ctx, what+": url", chromedp.Evaluate[string](`location.href`))
	if p, ok := w.policy(url); !ok || !strings.Contains(p, "script-src 'self'") {
		t.Errorf("%s (%s): served without the app's Content-Security-Policy (%q)", what, url, p)
	}
	if v := value(t, ctx, what+": violations", chromedp.Evaluate[[]string](`window.__csp`)); len(v) > 0 {
		t.Errorf("%s (%s): CSP violations:\n  %s", what, url, strings.Join(v, "\n  "))
	}
}

// live waits until the signed-in page's stream is open, so that what it
// swaps in on connecting is under test too.
func live(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	waitFor(t, ctx, what+": stream open", `window.__dossierOpenEventSources >= 1`, 10*time.Second)
}

func TestCSPEveryPageWithoutViolations(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "100ms"})
	ctx := newBrowser(t)
	w := watchCSP(t, ctx)

	// The control: an inline script and an inline style on an app page are
	// blocked and heard by both detectors.
	act(t, ctx, "open the log-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(testid("login-form")))
	ran := value(t, ctx, "inject an inline script and style", chromedp.Evaluate[bool](`(() => {
		const s = document.createElement('script');
		s.textContent = 'window.__inlineRan = true';
		document.head.appendChild(s);
		const d = document.createElement('div');
		d.setAttribute('style', 'color: red');
		document.body.appendChild(d);
		return window.__inlineRan === true;
	})()`))
	if ran {
		t.Fatal("an inline script ran: the page has no working Content-Security-Policy")
	}
	waitFor(t, ctx, "the hook hears both violations",
		`window.__csp.some(v => v.startsWith('script-src')) && window.__csp.some(v => v.startsWith('style-src'))`, 5*time.Second)
	// The browser log reports asynchronously.
	eventually(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		if w.loggedCount() >= 2 {
			return true, ""
		}
		return false, fmt.Sprintf("the browser log did not report the control's violations: %d logged", w.loggedCount())
	})
	w.takeLogged()

	// Signed out.
	act(t, ctx, "log-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(testid("login-form")))
	w.check(t, ctx, "log-in page")
	act(t, ctx, "sign-up page", chromedp.Navigate(srv.URL+"/signup"), chromedp.WaitVisible(testid("signup-form")))
	w.check(t, ctx, "sign-up page")

	// Signed in: the dashboard, the project form with rows added and
	// removed, the project, a generation watched to its end.
	email := signUp(t, ctx, srv)
	live(t, ctx, "dashboard")
	w.check(t, ctx, "dashboard (empty)")
	act(t, ctx, "empty project form", chromedp.Navigate(srv.URL+"/projects/new"), chromedp.WaitVisible(testid("project-form")))
	w.check(t, ctx, "project form")
	act(t, ctx, "example project form",
		chromedp.Navigate(srv.URL+"/projects/new?example=1"),
		chromedp.WaitVisible(testid("project-form")),
	)
	// The example's rows are there at once; the added one comes from the
	// server (htmx): wait for the count to grow, not for a last row, which
	// the example already has.
	rows := value(t, ctx, "count risks", chromedp.Evaluate[int](`document.querySelectorAll('#risks [data-row]').length`)) + 1
	act(t, ctx, "add a risk",
		chromedp.Click(testid("add-risk")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#risks [data-row]').length === %d`, rows), chromedp.WithPollingTimeout(10*time.Second)),
	)
	// Clicked from script: on the long form the sticky bars may cover it.
	act(t, ctx, "remove the added risk",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#risks [data-row]:last-child [data-testid="remove-row"]').click()`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#risks [data-row]').length === %d`, rows-1), chromedp.WithPollingTimeout(5*time.Second)),
	)
	w.check(t, ctx, "example project form, a row added and removed")
	act(t, ctx, "save the example project", chromedp.Click(testid("project-save")), chromedp.WaitVisible(testid("project-page")))
	projectID := value(t, ctx, "project id", chromedp.Evaluate[string](`document.querySelector('[data-testid="project-page"]').dataset.id`))
	w.check(t, ctx, "project page (new)")

	jobID := startGeneration(t, ctx, srv, projectID)
	waitFor(t, ctx, "the job completes on the generate page", cardIs(jobID, "completed"), 60*time.Second)
	w.check(t, ctx, "generate page, through a live generation")

	job := fetchJob(t, ctx, jobID)
	var artifactID string
	for _, d := range job.Documents {
		if d.ArtifactID != nil {
			artifactID = *d.ArtifactID
			break
		}
	}
	if artifactID == "" {
		t.Fatalf("the finished job has no artifact: %+v", job)
	}

	for _, p := range []struct{ what, path string }{
		{"dashboard (with a finished job)", "/"},
		{"projects", "/projects"},
		{"project page (with documents)", "/projects/" + projectID},
		{"project edit form", "/projects/" + projectID + "/edit"},
		{"generate page (idle)", "/projects/" + projectID + "/generate"},
		{"jobs", "/jobs"},
		{"job page", "/jobs/" + jobID},
		{"artifact page", "/artifacts/" + artifactID},
		{"notifications", "/notifications"},
		{"API tokens", "/settings/tokens"},
		{"not-found page", "/projects/00000000-0000-0000-0000-000000000000"},
	} {
		act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
		live(t, ctx, p.what)
		w.check(t, ctx, p.what)
	}

	// A token: the page that shows it, and its Copy button (app.js).
	act(t, ctx, "create a token",
		chromedp.Navigate(srv.URL+"/settings/tokens"),
		chromedp.WaitVisible(testid("token-form")),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "csp"),
		chromedp.Click(testid("token-create")),
		chromedp.WaitVisible(testid("token-copy")),
		chromedp.Click(testid("token-copy")),
	)
	w.check(t, ctx, "API tokens with a new token")

	// The standalone print view has its own, stricter policy (no script at
	// all; its one stylesheet inline): still no violation.
	act(t, ctx, "print view", chromedp.Navigate(srv.URL+"/artifacts/"+artifactID+".html"), chromedp.WaitVisible(chromedp.CSS(`body`)))
	waitFor(t, ctx, "print view: loaded", `document.readyState === 'complete'`, 10*time.Second)
	if v := value(t, ctx, "print view: violations", chromedp.Evaluate[[]string](`window.__csp`)); len(v) > 0 {
		t.Errorf("print view: CSP violations:\n  %s", strings.Join(v, "\n  "))
	}

	// The operator console, for an administrator.
	cli(t, srv, "user", "promote", "--email", email)
	act(t, ctx, "admin console", chromedp.Navigate(srv.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`#main`)))
	live(t, ctx, "admin console")
	w.check(t, ctx, "admin console")

	// Last, the log: it also holds what a page reported after its check,
	// up to the moment it was left.
	act(t, ctx, "back to the dashboard", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("dashboard")))
	if logged := w.takeLogged(); len(logged) > 0 {
		t.Errorf("the browser logged CSP violations:\n  %s", strings.Join(logged, "\n  "))
	}
}
