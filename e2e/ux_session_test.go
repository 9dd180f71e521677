package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// logOutIn logs the browser's session out from a tab of its own.
func logOutIn(t *testing.T, tab context.Context, srv *Server) {
	t.Helper()
	act(t, tab, "log out in another tab",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(testid("user-menu")),
		chromedp.Click(chromedp.CSS(`[data-testid="user-menu"] summary`)),
		chromedp.Click(testid("logout")),
		chromedp.WaitVisible(testid("login-form")),
	)
}

// An editor whose session ended in another tab keeps its unsaved text when
// the live preview's request is refused: the 401 carries HX-Redirect to the
// log-in page, which htmx followed, losing the text (and the log-in then
// came back to the POST-only /preview: a 405). The page stays, as the
// session-ended toast promises.
func TestUIEditorKeepsTextWhenAnHTMXRequestFindsTheSessionEnded(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Session")
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")

	editPath := "/projects/" + projectID + "/documents/project_charter/edit"
	act(t, ctx, "the editor", chromedp.Navigate(srv.URL+editPath), chromedp.WaitVisible(testid("edit-markdown")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, ctx, "type without saving",
		chromedp.Evaluate[chromedp.Void](`(() => {
			window.__samePage = true;
			window.__refused = 0;
			document.body.addEventListener('htmx:afterRequest', e => { if (e.detail.xhr && e.detail.xhr.status === 401) window.__refused++; });
			const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length);
		})()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nNot saved yet."),
	)
	waitFor(t, ctx, "the preview follows", `document.getElementById('edit-preview').textContent.includes('Not saved yet.')`, 5*time.Second)

	other := newTab(t, ctx)
	logOutIn(t, other, srv)
	waitFor(t, ctx, "the editor says the session ended", `Array.from(document.querySelectorAll('[data-testid="error-toast"]')).some(t => t.textContent.includes('session has ended'))`, 10*time.Second)

	// One more character: the preview's request is refused.
	act(t, ctx, "type once more", chromedp.SendKeys(testid("edit-markdown"), "!"))
	pollThroughNavigations(t, ctx, "the preview is refused", `window.__refused >= 1 || location.pathname === '/login'`, 10*time.Second)

	// Log in again in the other tab, as the toast says; by then a
	// navigation the refusal started has long landed.
	logIn(t, other, srv, email)
	got := value(t, ctx, "the editor after the refusal", chromedp.Evaluate[string](`window.__samePage === true ? document.getElementById('edit-markdown').value : 'left for ' + location.href`))
	if !strings.Contains(got, "Not saved yet.!") {
		t.Fatalf("after the refused preview the tab holds %q", got)
	}

	// Logged in again, as the toast said: Save stores the kept text. The
	// page held the ended session's CSRF token, and the save was refused
	// as a forged request (403), the text lost with the page.
	act(t, ctx, "save", chromedp.Click(testid("edit-save")))
	docPath := "/projects/" + projectID + "/documents/project_charter"
	pollThroughNavigations(t, ctx, "the document page after the save", `location.pathname === `+jsString(docPath)+` && document.body.textContent.includes('Not saved yet.!')`, 10*time.Second)
}

// A job card's Cancel whose session has ended goes to the log-in page, and
// the log-in comes back to the page the card was on: it came back to the
// POST-only /jobs/:id/cancel, a 405.
func TestUICancelWithTheSessionEndedLogsInBackToThePage(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	watchDialogs(t, ctx).setAccept(true) // Cancel asks first
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Cancel later")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	t.Cleanup(model.Open)

	jobPath := "/jobs/" + jobID
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+jobPath), chromedp.WaitVisible(chromedp.CSS(`#job-`+jobID+`-cancel`)))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	// The session ends without the page hearing of it (as an expiry does):
	// the stream's refusal, which would send the page to the log-in page
	// itself, is kept from the page's script.
	act(t, ctx, "keep the page from checking its session",
		chromedp.Evaluate[chromedp.Void](`document.addEventListener('htmx:sseError', e => e.stopImmediatePropagation(), true)`))

	logOutIn(t, newTab(t, ctx), srv)
	act(t, ctx, "press Cancel", chromedp.Click(chromedp.CSS(`#job-`+jobID+`-cancel`)))
	pollThroughNavigations(t, ctx, "the tab reaches the log-in page", `location.pathname === '/login' && document.querySelector('[data-testid="login-form"]') !== null`, 10*time.Second)
	next := value(t, ctx, "next", chromedp.Evaluate[string](`new URLSearchParams(location.search).get('next')`))
	if next != jobPath {
		t.Fatalf("the log-in page will come back to %q; want %q", next, jobPath)
	}
	act(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
		chromedp.Click(testid("login-submit")),
	)
	pollThroughNavigations(t, ctx, "back on the job page", fmt.Sprintf(`location.pathname === %q && document.getElementById('job-%s') !== null`, jobPath, jobID), 10*time.Second)
}
