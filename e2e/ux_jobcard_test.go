package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// dialogWatch answers the tab's JavaScript dialogs (confirm, beforeunload)
// as a person would, and records what they said.
type dialogWatch struct {
	mu      sync.Mutex
	accept  bool
	opened  []string
	changed chan struct{}
}

// watchDialogs answers every dialog of the tab: dismissed until accept is
// set.
func watchDialogs(t *testing.T, ctx context.Context) *dialogWatch {
	t.Helper()
	w := &dialogWatch{changed: make(chan struct{}, 16)}
	err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*page.EventJavascriptDialogOpening)
		if !ok {
			return
		}
		w.mu.Lock()
		w.opened = append(w.opened, string(e.Type)+": "+e.Message)
		accept := w.accept
		w.mu.Unlock()
		select {
		case w.changed <- struct{}{}:
		default:
		}
		// Not from the listener itself, which must not block.
		go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
	})
	if err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	return w
}

func (w *dialogWatch) setAccept(on bool) {
	w.mu.Lock()
	w.accept = on
	w.mu.Unlock()
}

func (w *dialogWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.opened)
}

func (w *dialogWatch) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.opened...)
}

// Cancel asks first (declined, the run goes on), and Retry does not leave
// the focus on Cancel: a keyboard user who pressed Enter on Retry, then
// Enter again, cancelled the run just retried.
func TestUICancelAsksAndRetryDoesNotFocusCancel(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	dialogs := watchDialogs(t, ctx)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Careful")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	t.Cleanup(model.Open)
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}

	cancel := chromedp.CSS(`#job-` + jobID + `-cancel`)
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(cancel))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)

	act(t, ctx, "press Cancel, and decline", chromedp.Focus(cancel), chromedp.KeyEvent("\r"))
	eventually(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		return dialogs.count() == 1, fmt.Sprintf("Cancel asked nothing: dialogs %q", dialogs.all())
	})
	// Declined: no request went; the run goes on.
	if j := fetchJob(t, ctx, jobID); j.Status != "processing" && j.Status != "queued" {
		t.Fatalf("after declining, the job is %q", j.Status)
	}
	if c := card(t, ctx, jobID); c.Cancel != "Stop" {
		t.Fatalf("after declining, the card's Stop says %q", c.Cancel)
	}

	dialogs.setAccept(true)
	act(t, ctx, "press Cancel, and confirm", chromedp.Focus(cancel), chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the card is cancelled", cardIs(jobID, "cancelled"), gateWait)

	retry := chromedp.CSS(`#job-` + jobID + `-retry`)
	act(t, ctx, "press Retry from the keyboard", chromedp.Focus(retry), chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the run starts again", fmt.Sprintf(`['queued', 'processing'].includes(document.getElementById('job-%s')?.dataset.status) && !!document.getElementById('job-%s-cancel')`, jobID, jobID), gateWait)
	waitFor(t, ctx, "the focus is back in the card", fmt.Sprintf(`document.getElementById('job-%s').contains(document.activeElement)`, jobID), 5*time.Second)
	if on := value(t, ctx, "the focus", chromedp.Evaluate[string](`document.activeElement.id`)); on != "job-"+jobID+"-link" {
		t.Fatalf("after Retry the focus is on #%s; want the card's title link, not Cancel", on)
	}
}
