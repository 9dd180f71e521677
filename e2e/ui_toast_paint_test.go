package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
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
// An announcement that reaches it then, or at its pagehide, must not be
// acknowledged: the user never saw that toast, and the acknowledgement
// would drop it from every other tab (and from the next page of this one,
// which would hold it as shown here). The tab in the background keeps it
// pending, and shows and acknowledges it when the user brings it to the
// front.
//
// The old page's last moments happen on cue: the announcement its stream
// brings is held back, then handed to the page as the stream's swap does
// (at the end of #toasts).
func TestUIToastNotAcknowledgedByAPageBeingLeft(t *testing.T) {
	// At its pagehide (after the page's own pagehide handler).
	t.Run("at pagehide", func(t *testing.T) {
		leavingAnnouncement(t, leaveCase{
			cue: func(t *testing.T, front context.Context) {
				act(t, front, "the announcement comes at pagehide", chromedp.Evaluate[chromedp.Void](`window.__atPagehide = true`))
			},
		})
	})
	// After the next page has committed, before the old one's pagehide:
	// once the navigation has started (after its beforeunload), the old
	// page is kept busy (a synchronous request that the test answers once
	// the next page has loaded), and then takes the announcement.
	t.Run("after the next page committed", func(t *testing.T) {
		var once sync.Once
		loaded := make(chan struct{})
		open := func() { once.Do(func() { close(loaded) }) }
		gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			select {
			case <-loaded:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(gate.Close)
		t.Cleanup(open) // before the gate closes: it waits for its requests
		leavingAnnouncement(t, leaveCase{
			prepare: func(t *testing.T, front context.Context) {
				// The request goes to another origin than the page's
				// policy allows.
				cdp(t, front, "let the test's request through the page's policy", func(ctx context.Context) error {
					_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
					return err
				})
			},
			cue: func(t *testing.T, front context.Context) {
				act(t, front, "the page is kept busy while it is left", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.addEventListener('beforeunload', () => setTimeout(() => {
					try { const x = new XMLHttpRequest(); x.open('GET', %q, false); x.send(); } catch (e) {}
					window.__deliver('after the next page committed, before pagehide');
				}, 0))`, gate.URL)))
			},
			loaded: open,
		})
	})
	// While the next page loads (from the navigation's beforeunload): the
	// old page is still on screen, and paints the toast, but the user is
	// leaving it; the next page announces it. The next page comes once the
	// old one has had three animation frames since the announcement.
	t.Run("while the next page loads", func(t *testing.T) {
		var once sync.Once
		painted := make(chan struct{})
		gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			if r.URL.Path == "/painted" {
				once.Do(func() { close(painted) })
				return
			}
			select {
			case <-painted:
			case <-r.Context().Done():
			}
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!doctype html><title>Elsewhere</title><p>Elsewhere</p>")
		}))
		t.Cleanup(gate.Close)
		leavingAnnouncement(t, leaveCase{
			prepare: func(t *testing.T, front context.Context) {
				cdp(t, front, "let the test's request through the page's policy", func(ctx context.Context) error {
					_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
					return err
				})
			},
			cue: func(t *testing.T, front context.Context) {
				act(t, front, "the announcement comes as the page starts to be left", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.addEventListener('beforeunload', () => {
					window.__deliver('while the next page loads');
					requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() =>
						fetch(%q, {mode: 'no-cors', keepalive: true}))));
				})`, gate.URL+"/painted")))
			},
			next: gate.URL + "/next",
		})
	})
}

type leaveCase struct {
	// prepare runs before the front tab loads the page it leaves.
	prepare func(t *testing.T, front context.Context)
	// cue arranges when the page being left gets the announcement
	// (window.__deliver(how)).
	cue func(t *testing.T, front context.Context)
	// loaded runs once the next page has loaded.
	loaded func()
	// next is where the tab goes: about:blank unless given.
	next string
}

func leavingAnnouncement(t *testing.T, c leaveCase) {
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

	if c.prepare != nil {
		c.prepare(t, front)
	}
	act(t, front, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, front, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if v := value(t, front, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "visible" {
		t.Fatalf("the front tab is %q", v)
	}
	// The front page holds back the announcements its stream brings
	// (window.__deliver hands the first over), and records the
	// acknowledgements it sends. When it is left, it reports, through
	// localStorage (which the hidden tab shares), whether it acknowledged
	// the announcement: once what the delivery set off (the toasts'
	// observer, a microtask queued before) has run.
	mark := fmt.Sprintf("%d", time.Now().UnixNano())
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
		window.__via = '';
		window.__deliver = how => {
			if (window.__via) return;
			window.__via = how;
			window.__frames = 0; // a witness: the frames the page got after it
			requestAnimationFrame(function count() { window.__frames++; requestAnimationFrame(count); });
			document.getElementById('toasts').insertAdjacentHTML('beforeend', window.__held[0]);
		};
		window.addEventListener('pagehide', () => {
			if (window.__atPagehide) window.__deliver('at pagehide');
			const vis = document.visibilityState;
			queueMicrotask(() => localStorage.setItem('e2e-left', JSON.stringify({mark: `+jsString(mark)+`, via: window.__via, acks: window.__acks, vis, frames: window.__frames})));
		});
	})()`))

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, jobID, "completed")
	waitFor(t, back, "the hidden tab holds the toast", fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]') !== null`, jobID), 5*time.Second)
	id := value(t, back, "its notification", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]').dataset.announce`, jobID)))
	waitFor(t, front, "the front page's stream brought it", `window.__held.length === 1`, 5*time.Second)

	// The front tab leaves the app.
	c.cue(t, front)
	next := "about:blank"
	if c.next != "" {
		next = c.next
	}
	act(t, front, "leave the app", chromedp.Navigate(next))
	tr.add("test", "the next page has loaded")
	if c.loaded != nil {
		c.loaded()
	}
	var left struct {
		Mark   string   `json:"mark"`
		Via    string   `json:"via"`
		Acks   []string `json:"acks"`
		Vis    string   `json:"vis"`
		Frames int      `json:"frames"`
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
	tr.add("test", "the page left: delivered %s, acknowledged %q, %s at pagehide, %d frames after the delivery", left.Via, left.Acks, left.Vis, left.Frames)
	if left.Via == "" {
		t.Fatalf("the page left never got the announcement")
	}
	if len(left.Acks) != 0 {
		t.Fatalf("the page being left (the announcement delivered %s) acknowledged %q, a toast no one saw", left.Via, left.Acks)
	}

	// The user comes back to the other tab: it shows the toast, and says so.
	if _, err := chromedp.CallBrowser(front, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(back).Target.TargetID}); err != nil {
		t.Fatalf("bring the background tab to the front: %v", err)
	}
	waitFor(t, back, "it comes to the front", `document.visibilityState === 'visible'`, 5*time.Second)
	waitFor(t, back, "it shows the toast and acknowledges it", fmt.Sprintf(`sessionStorage.getItem('dossier-shown-' + %q) !== null`, id), 5*time.Second)
	waitShown(t, srv, id)
}

// A navigation that leaves the page in place (here a 204; a download is
// another) does not stop the page from showing announcements for good: it
// acknowledges the toast a moment later.
func TestUIToastAcknowledgedWhenANavigationLeavesThePageInPlace(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	front := newBrowser(t)
	tr := newTabTrace(t)
	tr.follow(t, front, "front")
	email := signUp(t, front, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Staying")
	nothing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(nothing.Close)

	act(t, front, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
	waitFor(t, front, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, front, "note the page", chromedp.Evaluate[chromedp.Void](`window.__thisPage = true; window.addEventListener('beforeunload', () => { window.__leaving = true; })`))
	// The navigation's answer is No Content: the page stays.
	cdp(t, front, "a navigation that goes nowhere", func(ctx context.Context) error {
		_, _ = chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: nothing.URL})
		return nil
	})
	waitFor(t, front, "the page started to be left, and stayed", `window.__thisPage === true && window.__leaving === true`, 5*time.Second)

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, jobID, "completed")
	waitFor(t, front, "the page shows the toast and acknowledges it", fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]')?.__acked === true`, jobID), 10*time.Second)
	id := value(t, front, "its notification", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-announce][data-tag="job-%s"]').dataset.announce`, jobID)))
	waitShown(t, srv, id)
}
