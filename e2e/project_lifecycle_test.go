package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One tab shows the Projects page, another a project's page. A third tab
// creates a project through the form: the list shows it with no reload.
// It then deletes the project on the other page from its edit page (the
// box ticked): it lands on the Projects page, which says so; the list tab
// drops the project, and the project's own page says it was deleted.
func TestUIProjectCreateAndDeleteReachOtherTabs(t *testing.T) {
	onOneAndTwoInstances(t, projectCreateAndDeleteReachOtherTabs)
}

func projectCreateAndDeleteReachOtherTabs(t *testing.T, viewer, editor *Server) {
	list := newBrowser(t)
	signUp(t, list, viewer)
	dash := newTab(t, list)
	act(t, dash, "a new user's dashboard",
		chromedp.Navigate(viewer.URL+"/"),
		chromedp.WaitVisible(testid("dashboard-welcome")),
	)
	waitFor(t, dash, "the dashboard's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	doomedID := exampleProject(t, list, viewer)
	waitFor(t, dash, "the first project, made in another tab, replaces the welcome", `(() => {
		const item = document.querySelector('[data-testid="dashboard-project"]');
		const welcome = document.querySelector('[data-testid="dashboard-welcome"]');
		return item !== null && item.offsetParent !== null && welcome.offsetParent === null;
	})()`, 10*time.Second)

	act(t, list, "the Projects page",
		chromedp.Navigate(viewer.URL+"/projects"),
		chromedp.WaitVisible(testid("project-list")),
	)
	waitFor(t, list, "the list's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, list, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))

	doomed := newTab(t, list)
	act(t, doomed, "the doomed project's page",
		chromedp.Navigate(viewer.URL+"/projects/"+doomedID),
		chromedp.WaitVisible(testid("project-page")),
	)
	waitFor(t, doomed, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)

	editorTab := newTab(t, list)
	act(t, editorTab, "create a project in a third tab",
		chromedp.Navigate(editor.URL+"/projects/new"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SetValue(chromedp.CSS(`#project-form [name="name"]`), "Created <elsewhere>"),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)
	waitFor(t, list, "the list shows the new project", `[...document.querySelectorAll('[data-testid="project-item"]')]
		.some(li => li.textContent.includes('Created <elsewhere>'))`, 10*time.Second)
	if !value(t, dash, "the dashboard offers a new project once it lists one", chromedp.Evaluate[bool](
		`document.querySelector('[data-testid="dashboard-new-project"]').offsetParent !== null`)) {
		t.Fatal("the dashboard's New project button stays hidden next to its projects")
	}

	act(t, editorTab, "delete the example project from its edit page",
		chromedp.Navigate(editor.URL+"/projects/"+doomedID+"/edit"),
		chromedp.WaitVisible(testid("delete-project")),
		chromedp.Click(chromedp.CSS(`[data-testid="delete-project"] summary`)),
		chromedp.WaitVisible(testid("delete-project-confirm")),
		chromedp.Click(testid("delete-project-confirm")),
		chromedp.Click(testid("delete-project-submit")),
		chromedp.WaitVisible(testid("projects-page")),
	)
	waitFor(t, editorTab, "the Projects page says it was deleted", `(() => {
		const f = document.querySelector('[data-testid="flash"]');
		return f !== null && f.textContent.includes('deleted');
	})()`, 5*time.Second)
	waitFor(t, list, "the list drops the deleted project", `(() => {
		const items = [...document.querySelectorAll('[data-testid="project-item"]')];
		return items.length === 1 && items[0].textContent.includes('Created <elsewhere>');
	})()`, 10*time.Second)
	waitFor(t, doomed, "the deleted project's page says so, and its actions are off", `(() => {
		const g = document.querySelector('[data-testid="gone-notice"]');
		const gen = document.querySelector('[data-testid="generate-documents"]');
		const dup = document.querySelector('[data-testid="duplicate-project"]');
		return g !== null && g.textContent.includes('This project was deleted') &&
			gen.getAttribute('aria-disabled') === 'true' && !gen.hasAttribute('href') && dup.disabled;
	})()`, 10*time.Second)
	if !value(t, list, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		t.Fatal("the Projects page was reloaded")
	}
}

// An edit form open in one tab while the project is saved in another says
// so at once (its save will be merged), without a reload.
func TestUIEditFormSaysTheProjectWasSavedElsewhere(t *testing.T) {
	onOneAndTwoInstances(t, func(t *testing.T, viewer, editor *Server) {
		form := newBrowser(t)
		signUp(t, form, viewer)
		id := exampleProject(t, form, viewer)
		act(t, form, "the edit form",
			chromedp.Navigate(viewer.URL+"/projects/"+id+"/edit"),
			chromedp.WaitVisible(testid("project-form")),
		)
		waitFor(t, form, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
		if value(t, form, "no notice yet", chromedp.Evaluate[bool](`!document.querySelector('[data-testid="saved-elsewhere"]').hidden`)) {
			t.Fatal("the form says the project was saved elsewhere before anyone saved it")
		}
		other := newTab(t, form)
		act(t, other, "save the project in another tab",
			chromedp.Navigate(editor.URL+"/projects/"+id+"/edit"),
			chromedp.WaitVisible(testid("project-form")),
			chromedp.SetValue(chromedp.CSS(`#project-form [name="data.sponsor"]`), "Another sponsor"),
			chromedp.Click(testid("project-save")),
			chromedp.WaitVisible(testid("project-page")),
		)
		waitFor(t, form, "the first form says it was saved elsewhere", `(() => {
			const n = document.querySelector('[data-testid="saved-elsewhere"]');
			return !n.hidden && n.textContent.includes('Saving merges your changes');
		})()`, 10*time.Second)
	})
}
