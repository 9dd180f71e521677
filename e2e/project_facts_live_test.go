package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A project's page open in one tab shows the facts another tab saved,
// with no reload: the sponsor, the description, the company and the
// constraints. A third tab with the edit form open and a change typed but
// not saved keeps what was typed: the save elsewhere replaces nothing in a
// form.
func TestUIProjectFactsFollowASaveInAnotherTab(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	page := newBrowser(t)
	signUp(t, page, srv)
	projectID := exampleProject(t, page, srv)
	projectURL := srv.URL + "/projects/" + projectID

	act(t, page, "the project page",
		chromedp.Navigate(projectURL),
		chromedp.WaitVisible(testid("project-facts")),
	)
	waitFor(t, page, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, page, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))

	typing := newTab(t, page)
	act(t, typing, "an edit form with a change typed, not saved",
		chromedp.Navigate(projectURL+"/edit"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.querySelector('[name="data.sponsor"]'); e.value = ''; e.focus(); })()`),
		chromedp.KeyEvent("Typed, not saved"),
	)
	waitFor(t, typing, "the edit form's stream is live", `window.__dossierSynced === true`, 5*time.Second)

	saver := newTab(t, page)
	act(t, saver, "save new facts in another tab",
		chromedp.Navigate(projectURL+"/edit"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const set = (name, v) => { const e = document.querySelector('[name="' + name + '"]'); e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); };
			set('data.sponsor', 'Grace Hopper');
			set('description', 'Now with a wider scope.');
			set('companyIntelligencePack.companyName', 'Hopper & Co');
			set('data.constraints', 'Launch before the trade fair');
		})()`),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)

	waitFor(t, page, "the first tab shows the saved facts", `(() => {
		const facts = document.querySelector('[data-testid="project-facts"]');
		const summary = document.querySelector('[data-testid="project-summary-live"]');
		const company = document.querySelector('[data-testid="project-company-live"]');
		const constraints = document.querySelector('[data-testid="constraints-list"]');
		return facts !== null && facts.textContent.includes('Grace Hopper') &&
			summary.textContent.includes('Now with a wider scope.') &&
			company.textContent.trim() === 'Hopper & Co' &&
			constraints !== null && constraints.textContent.trim() === 'Launch before the trade fair';
	})()`, 10*time.Second)
	if !value(t, page, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		t.Fatal("the page was reloaded")
	}
	// The third tab heard of the save (its form says so) and kept what
	// was typed.
	waitFor(t, typing, "the edit form says the project was saved elsewhere", `document.querySelector('[data-testid="saved-elsewhere"]').hidden === false`, 10*time.Second)
	if v := value(t, typing, "the typed sponsor", chromedp.Evaluate[string](`document.querySelector('[name="data.sponsor"]').value`)); v != "Typed, not saved" {
		t.Fatalf("the edit form's sponsor is %q after a save elsewhere", v)
	}
}
