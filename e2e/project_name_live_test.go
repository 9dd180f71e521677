package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One tab shows the job page of a run, another a document of its project,
// a third the project's generate page; a fourth renames the project through
// its form, to a name that is markup. With no reload, the job page's
// heading, breadcrumb and title, the document page's breadcrumbs and the
// generate page's breadcrumb and title show the new name, as text.
func TestUIRenameReachesJobDocumentAndGeneratePages(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	page := newBrowser(t)
	email := signUp(t, page, srv)
	token := tokenFor(t, srv, email)
	projectID := exampleProject(t, page, srv)
	jobID := apiJobCreate(t, srv, token, projectID, "risk_register")
	waitAPI(t, srv, token, jobID, "completed")
	const renamed = `<b>&"x Relaunch`

	act(t, page, "the job page",
		chromedp.Navigate(srv.URL+"/jobs/"+jobID),
		chromedp.WaitVisible(testid("job-title")),
	)
	doc := newTab(t, page)
	act(t, doc, "the document page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/risk_register"),
		chromedp.WaitVisible(testid("artifact-project-link")),
	)
	gen := newTab(t, page)
	act(t, gen, "the generate page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"),
		chromedp.WaitVisible(testid("generate-project-link")),
	)
	tabs := []context.Context{page, doc, gen}
	for _, tab := range tabs {
		waitFor(t, tab, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
		act(t, tab, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	}
	docTitle := value(t, doc, "the document's title", chromedp.Evaluate[string](`document.title`))
	if title := value(t, page, "the job page's title", chromedp.Evaluate[string](`document.title`)); title != "Customer Portal Relaunch · Run #1 | Dossier" {
		t.Fatalf("the job page is titled %q", title)
	}

	editor := newTab(t, page)
	act(t, editor, "rename the project in another tab",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/edit"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SetValue(chromedp.CSS(`[name="name"]`), renamed),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)

	name := jsString(renamed)
	waitFor(t, page, "the job page shows the new name", `(() => {
		const h = document.querySelector('[data-testid="job-title"]');
		const crumb = document.querySelector('[data-testid="job-head"] nav');
		const card = document.querySelector('[data-testid="job-card-title"]');
		return h.textContent.replace(/\s+/g, ' ').trim() === `+name+` + ' · Run #1' && h.querySelector('b') === null &&
			crumb.textContent.includes(`+name+`) && card.textContent.includes(`+name+`) &&
			document.title === `+name+` + ' · Run #1 | Dossier';
	})()`, 10*time.Second)
	waitFor(t, doc, "the document page shows the new name", `(() => {
		const links = [...document.querySelectorAll('[data-testid="artifact-project-link"], [data-testid="artifact-facts"] a[href="/projects/`+projectID+`"]')];
		return links.length === 2 && links.every(a => a.textContent.trim() === `+name+` && a.querySelector('b') === null);
	})()`, 10*time.Second)
	waitFor(t, gen, "the generate page shows the new name", `(() => {
		const crumb = document.querySelector('[data-testid="generate-project-link"]');
		return crumb.textContent.trim() === `+name+` && crumb.querySelector('b') === null &&
			document.title === 'Generate · ' + `+name+` + ' | Dossier';
	})()`, 10*time.Second)
	if title := value(t, doc, "the document's title", chromedp.Evaluate[string](`document.title`)); title != docTitle {
		t.Errorf("the document page's title went from %q to %q: it is the document's own", docTitle, title)
	}
	for _, tab := range tabs {
		if !value(t, tab, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
			t.Fatal("a page was reloaded")
		}
	}
}
