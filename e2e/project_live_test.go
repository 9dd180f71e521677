package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Two tabs show a project's page; one of them saves the project with a
// changed description and a new name. The other, with no reload, marks the
// version written before the save "Project changed since this version" and
// shows the new name in its heading (and the saving tab's own page says the
// same after its redirect).
func TestUISyncProjectSaveReachesAnotherTab(t *testing.T) {
	onOneAndTwoInstances(t, projectSaveReachesAnotherTab)
}

func projectSaveReachesAnotherTab(t *testing.T, viewer, editor *Server) {
	page := newBrowser(t)
	email := signUp(t, page, viewer)
	token := tokenFor(t, viewer, email)
	projectID := exampleProject(t, page, viewer)
	waitAPI(t, viewer, token, apiJobCreate(t, viewer, token, projectID, "risk_register"), "completed")
	projectURL := "/projects/" + projectID

	act(t, page, "the project page",
		chromedp.Navigate(viewer.URL+projectURL),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="library-doc"][data-type="risk_register"]`)),
	)
	waitFor(t, page, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, page, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	if n := value(t, page, "marks before", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="library-doc-changed"]').length`)); n != 0 {
		t.Fatalf("the library marks %d documents before the project changed", n)
	}

	saver := newTab(t, page)
	act(t, saver, "save a changed description and name in another tab",
		chromedp.Navigate(editor.URL+projectURL+"/edit"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SetValue(chromedp.CSS(`[name="name"]`), "Renamed in another tab"),
		chromedp.SendKeys(chromedp.CSS(`[name="description"]`), " Now with a wider scope."),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)
	waitFor(t, saver, "the saving tab's page marks the version", `document.querySelector('[data-type="risk_register"] [data-testid="library-doc-changed"]') !== null`, 5*time.Second)

	waitFor(t, page, "the other tab marks the version and shows the new name", `(() => {
		const doc = document.querySelector('[data-testid="library-doc"][data-type="risk_register"]');
		const mark = doc && doc.querySelector('[data-testid="library-doc-changed"]');
		const h = document.querySelector('[data-testid="project-name"]');
		return mark !== null && mark.textContent.includes('Project changed since this version') &&
			h.textContent.trim() === 'Renamed in another tab';
	})()`, 10*time.Second)
	if !value(t, page, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		t.Fatal("the page was reloaded")
	}
}
