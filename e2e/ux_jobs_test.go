package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A generate page left open on the form follows a run started for its
// project elsewhere (another tab, the API): the run's card takes the
// form's place, live, as a reload would show it, rather than a form whose
// Start would only be refused.
func TestUIGenerateFormGivesWayToARunStartedElsewhere(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Second tab")
	t.Cleanup(model.Open)

	act(t, ctx, "open the generate page", chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"), chromedp.WaitVisible(testid("generate-form")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitFor(t, ctx, "the run's card replaces the form", fmt.Sprintf(
		`!!document.querySelector('[data-testid="current-job"] #job-%s[data-testid="job-card"]') && !document.querySelector('[data-testid="generate-form"]')`, jobID), 10*time.Second)
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	// The card is live: it follows the run (it is being written now).
	waitFor(t, ctx, "the card follows the run", fmt.Sprintf(`document.getElementById('job-%s')?.dataset.status === 'processing'`, jobID), gateWait)
}
