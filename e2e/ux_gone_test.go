package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A generate page whose project is deleted in another tab keeps its start
// button off: the form's own refresh (each settle, each stream message,
// each tick of a box) turned it back on right after the "gone" notice
// turned it off, and a click then failed with a 404 in the console only.
func TestUIGeneratePageOfADeletedProjectStaysOff(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Doomed")
	act(t, ctx, "the generate page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"),
		chromedp.WaitVisible(testid("start-generation")),
	)
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if !value(t, ctx, "start is on", chromedp.Evaluate[bool](`!document.querySelector('[data-testid="start-generation"]').disabled`)) {
		t.Fatal("the start button is off before the project is deleted")
	}

	if code := api(t, srv, token, "DELETE", "/api/projects/"+projectID, nil, nil); code != 204 && code != 200 {
		t.Fatalf("delete the project: %d", code)
	}
	waitFor(t, ctx, "the page says the project is gone", `document.querySelector('#gone [data-testid="gone-notice"]') !== null`, 10*time.Second)
	const off = `document.querySelector('[data-testid="start-generation"]').disabled`
	if !value(t, ctx, "start after the notice", chromedp.Evaluate[bool](off)) {
		t.Fatal("the start button is on under the gone notice")
	}
	// Tick a document off and on again: the form counts its selection.
	act(t, ctx, "untick and tick a document",
		chromedp.Click(chromedp.CSS(`[data-generate-form] input[data-doc]`)),
		chromedp.Click(chromedp.CSS(`[data-generate-form] input[data-doc]`)),
	)
	if !value(t, ctx, "start after ticking", chromedp.Evaluate[bool](off)) {
		t.Fatal("ticking a document turned the start button back on under the gone notice")
	}
}
