package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// leaveBlocked follows the link (a click, as a person would) with the
// page's unsaved-changes question declined, and checks that it was asked
// and that the page stayed.
func leaveBlocked(t *testing.T, ctx context.Context, dialogs *dialogWatch, step, link, wantPath string) {
	t.Helper()
	before := dialogs.count()
	dialogs.setAccept(false)
	act(t, ctx, step+": mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	act(t, ctx, step, chromedp.Click(chromedp.CSS(link)))
	eventually(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		return dialogs.count() == before+1, fmt.Sprintf("%s: the page was left without a question (dialogs %q)", step, dialogs.all())
	})
	if got := dialogs.all()[before]; !strings.HasPrefix(got, "beforeunload") {
		t.Fatalf("%s: the dialog was %q, not the leave question", step, got)
	}
	at := value(t, ctx, step+": the page after declining", chromedp.Evaluate[string](`window.__samePage === true ? location.pathname : 'left for ' + location.href`))
	if at != wantPath {
		t.Fatalf("%s: after declining the tab is at %q", step, at)
	}
}

// leaveFreely follows the link, and checks that nothing was asked.
func leaveFreely(t *testing.T, ctx context.Context, dialogs *dialogWatch, step string, click chromedp.Action[chromedp.Void], wait chromedp.Action[chromedp.Void]) {
	t.Helper()
	before := dialogs.count()
	dialogs.setAccept(false) // a question would keep the page, and wait fail
	act(t, ctx, step, click, wait)
	if dialogs.count() != before {
		t.Fatalf("%s: asked %q", step, dialogs.all()[before:])
	}
}

// The document editor and the project form ask before the page is left
// with unsaved changes (a link, their own Cancel), only then, and not when
// the change is saved. They left silently, and what was typed was gone.
func TestUIUnsavedChangesAskBeforeLeaving(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	dialogs := watchDialogs(t, ctx)
	email := signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	token := tokenFor(t, srv, email)
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")

	docPath := "/projects/" + projectID + "/documents/project_charter"
	openEditor := chromedp.Action[chromedp.Void](chromedp.Navigate(srv.URL + docPath + "/edit"))
	editorCancel := `[data-testid="edit-form"] a.btn-secondary`

	// Nothing typed: nothing asked.
	act(t, ctx, "the editor", openEditor, chromedp.WaitVisible(testid("edit-markdown")))
	act(t, ctx, "focus the text", chromedp.Click(testid("edit-markdown"))) // the page has been used: a question could show
	leaveFreely(t, ctx, dialogs, "Cancel with nothing typed", chromedp.Click(chromedp.CSS(editorCancel)), chromedp.WaitVisible(testid("artifact-page")))

	// Typed: Cancel and a nav link ask; declined, the text stays.
	act(t, ctx, "the editor again", openEditor, chromedp.WaitVisible(testid("edit-markdown")))
	act(t, ctx, "type",
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nKeep me."),
	)
	leaveBlocked(t, ctx, dialogs, "the editor's Cancel", editorCancel, docPath+"/edit")
	leaveBlocked(t, ctx, dialogs, "a nav link", `nav[aria-label="Main"] a[href="/jobs"]`, docPath+"/edit")
	if v := value(t, ctx, "the text", chromedp.Evaluate[string](`document.getElementById('edit-markdown').value`)); !strings.HasSuffix(v, "Keep me.") {
		t.Fatalf("after declining to leave the editor holds %q", v)
	}
	// Saved: the save leaves without a question.
	leaveFreely(t, ctx, dialogs, "save", chromedp.Click(testid("edit-save")), chromedp.WaitVisible(testid("artifact-page")))

	// The project form: typed, or a row removed, asks; saved, does not.
	editPath := "/projects/" + projectID + "/edit"
	act(t, ctx, "the project's edit form", chromedp.Navigate(srv.URL+editPath), chromedp.WaitVisible(testid("project-form")))
	act(t, ctx, "type in the description", chromedp.SendKeys(chromedp.CSS(`#project-form [name="description"]`), " More."))
	leaveBlocked(t, ctx, dialogs, "the form's Cancel", `#project-form a.btn-ghost`, editPath)
	dialogs.setAccept(true)
	act(t, ctx, "reload, leaving the change", chromedp.Navigate(srv.URL+editPath), chromedp.WaitVisible(testid("project-form")))
	act(t, ctx, "remove a row", chromedp.Click(chromedp.CSS(`#project-form [data-testid="remove-row"]`)))
	leaveBlocked(t, ctx, dialogs, "a nav link after removing a row", `nav[aria-label="Main"] a[href="/jobs"]`, editPath)
	leaveFreely(t, ctx, dialogs, "save the project", chromedp.Click(testid("project-save")), chromedp.WaitVisible(testid("project-page")))

	// A new project's form, typed in, asks too.
	act(t, ctx, "a new project", chromedp.Navigate(srv.URL+"/projects/new"), chromedp.WaitVisible(testid("project-form")))
	act(t, ctx, "type a name", chromedp.SendKeys(chromedp.CSS(`#project-form [name="name"]`), "Half typed"))
	leaveBlocked(t, ctx, dialogs, "the new form's Cancel", `#project-form a.btn-ghost`, "/projects/new")
}
