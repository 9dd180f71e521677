package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// A job ends just as the user leaves a page of the app. Chromium commits
// the next page before the old one's pagehide has run (hundreds of
// milliseconds later on a loaded machine), and until then the old page,
// no longer on screen, still says it is "visible", and its stream is open.
// An announcement that reaches it then must not be acknowledged: the user
// never saw that toast, and an acknowledgement would drop it from every
// other tab (and from the next page of this one, which holds it as shown
// here). The tab in the background keeps it pending, and shows and
// acknowledges it when the user brings it to the front.
//
// The old page's last moments are made to happen on cue: its stream's
// announcement is held back, then handed to the page (as the stream's swap
// does, at the end of #toasts) when the next page says it has committed,
// or at the latest at the old page's pagehide.
func TestUIToastNotAcknowledgedByAPageBeingLeft(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	front := newBrowser(t)
	tr := newTabTrace(t)
	tr.follow(t, front, "front")
	email := signUp(t, front, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Leaving")
	back := backgroundTab(t, front)
	tr.follow(t, back, "back")
	act(t, back, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, back, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if v := value(t, back, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "hidden" {
		t.Fatalf("the background tab is %q", v)
	}

	act(t, front, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, front, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if v := value(t, front, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "visible" {
		t.Fatalf("the front tab is %q", v)
	}
	// The next document of the front tab (a page of the same origin that
	// is not the app's) says it has committed.
	cdp(t, front, "the next page says it has committed", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: fmt.Sprintf(`if (location.origin === %q) new BroadcastChannel('e2e-commit').postMessage('committed')`, srv.URL),
		})
		return err
	})
	// The front page holds back the announcements its stream brings, and
	// records the acknowledgements it sends.
	act(t, front, "hold back the announcements", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__held = [];
		document.addEventListener('htmx:sseBeforeMessage', e => {
			if (e.target && e.target.id === 'toasts') { window.__held.push(e.detail.data); e.preventDefault(); }
		}, true);
		window.__acks = [];
		const f = window.fetch;
		window.fetch = function (u) {
			if (/\/shown$/.test(String(u))) window.__acks.push(String(u));
			return f.apply(this, arguments);
		};
	})()`))

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, jobID, "completed")
	waitFor(t, back, "the hidden tab holds the toast", fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]') !== null`, jobID), 5*time.Second)
	id := value(t, back, "its notification", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]').dataset.announce`, jobID)))
	waitFor(t, front, "the front page's stream brought it", `window.__held.length === 1`, 5*time.Second)

	// The front page is left. The held announcement reaches it after the
	// next page has committed (or at its pagehide); the page, once gone,
	// reports through localStorage (which the hidden tab shares) whether
	// it acknowledged it.
	mark := fmt.Sprintf("%d", time.Now().UnixNano())
	act(t, front, "the announcement reaches the page being left", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		let via = '';
		const deliver = how => {
			if (via) return;
			via = how;
			document.getElementById('toasts').insertAdjacentHTML('beforeend', window.__held[0]);
		};
		new BroadcastChannel('e2e-commit').onmessage = () => deliver('after the next page committed');
		window.addEventListener('pagehide', () => deliver('at pagehide'));
		// A listener of its own, so that what the delivery set off (the
		// toasts' observer) has run by then.
		window.addEventListener('pagehide', () => localStorage.setItem('e2e-left', JSON.stringify({mark: %q, via, acks: window.__acks, vis: document.visibilityState})));
	})()`, mark)), chromedp.Navigate(srv.URL+"/healthz"))
	var left struct {
		Mark string   `json:"mark"`
		Via  string   `json:"via"`
		Acks []string `json:"acks"`
		Vis  string   `json:"vis"`
	}
	eventually(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		s := value(t, back, "the left page's report", chromedp.Evaluate[string](`localStorage.getItem('e2e-left') || ''`))
		if s == "" {
			return false, "the page left has not let go"
		}
		if err := json.Unmarshal([]byte(s), &left); err != nil {
			t.Fatalf("the left page's report %q: %v", s, err)
		}
		return left.Mark == mark, "the page left has not let go"
	})
	tr.add("test", "the page left: delivered %s, acknowledged %q, %s at pagehide", left.Via, left.Acks, left.Vis)
	if len(left.Acks) != 0 {
		t.Fatalf("the page being left (announcement delivered %s) acknowledged %q, a toast no one saw", left.Via, left.Acks)
	}

	// The user comes back to the other tab: it shows the toast, and says so.
	if _, err := chromedp.CallBrowser(front, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(back).Target.TargetID}); err != nil {
		t.Fatalf("bring the background tab to the front: %v", err)
	}
	waitFor(t, back, "it comes to the front", `document.visibilityState === 'visible'`, 5*time.Second)
	waitFor(t, back, "it shows the toast and acknowledges it", fmt.Sprintf(`sessionStorage.getItem('dossier-shown-' + %q) !== null`, id), 5*time.Second)
	waitShown(t, srv, id)
}
