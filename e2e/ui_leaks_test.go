package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// A page that stays open for hours reconnects its stream many times (the
// back/forward cache, a dropped connection): the streams it closed are let
// go, not kept for ever. The page still counts every stream it opened and
// the ones open, and comes back from the cache with its stream each time.
func TestUIResumeLetsGoOfClosedStreams(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	act(t, ctx, "the jobs page", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitVisible(testid("jobs-page")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)

	const reopens = 6
	for range reopens {
		act(t, ctx, "leave and come back", chromedp.Evaluate[chromedp.Void](`(() => {
			window.__sourcesBefore = window.__dossierEventSources;
			window.__dossierSynced = false;
			window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}));
			window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
		})()`))
		waitFor(t, ctx, "the stream is back", `window.__dossierEventSources === window.__sourcesBefore + 1 && window.__dossierSynced === true && window.__dossierOpenEventSources === 1`, 10*time.Second)
	}
	if n := value(t, ctx, "streams opened", chromedp.Evaluate[int](`window.__dossierEventSources`)); n != reopens+1 {
		t.Fatalf("the page counts %d streams opened; want %d", n, reopens+1)
	}
	// The heap holds the open stream, and at most the last one closed.
	if n := liveEventSources(t, ctx); n > 2 {
		t.Fatalf("%d EventSources are still alive after %d reconnects; want the open one and at most one closed", n, reopens)
	}
}

// liveEventSources counts the EventSource objects in the page's heap, after
// a full garbage collection (Runtime.queryObjects collects first).
func liveEventSources(t *testing.T, ctx context.Context) int {
	t.Helper()
	var n int
	cdp(t, ctx, "count the EventSources", func(c context.Context) error {
		const group = "leaks"
		defer chromedp.Call(c, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
		proto, err := chromedp.Call(c, runtime.Evaluate, runtime.EvaluateParams{Expression: "EventSource.prototype", ObjectGroup: group})
		if err != nil {
			return err
		}
		objs, err := chromedp.Call(c, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: proto.Result.ObjectID, ObjectGroup: group})
		if err != nil {
			return err
		}
		byValue := true
		res, err := chromedp.Call(c, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
			FunctionDeclaration: "function () { return this.length; }", ObjectID: objs.Objects.ObjectID, ReturnByValue: &byValue,
		})
		if err != nil {
			return err
		}
		n, err = strconv.Atoi(string(res.Result.Value))
		return err
	})
	return n
}

// The guard a request sets on its target (a response whose target the
// stream replaced meanwhile is not swapped) goes with the request, however
// it ends: answered, aborted, or not sent at all (the connection refused).
// None stays on the target, nor on the element that made the request.
func TestUIRequestGuardsGoWithTheirRequests(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	act(t, ctx, "the jobs page", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitVisible(testid("jobs-page")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, ctx, "an element to send from", chromedp.Evaluate[chromedp.Void](`(() => {
		const d = document.createElement('div');
		d.id = 'guard-source';
		document.getElementById('main').appendChild(d);
	})()`))
	listeners := func(step string) int {
		t.Helper()
		return value(t, ctx, step, chromedp.EvaluateAsDevTools[int](`['htmx:beforeSwap', 'htmx:afterRequest', 'htmx:onLoadError']
			.map(name => (getEventListeners(document.getElementById('main'))[name] || []).length + (getEventListeners(document.getElementById('guard-source'))[name] || []).length)
			.reduce((a, b) => a + b, 0)`))
	}
	before := listeners("the listeners before")

	// Requests to /refused are refused by the browser: never sent.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok && strings.Contains(e.Request.URL, "/refused") {
			go chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
		}
	}); err != nil {
		t.Fatal(err)
	}
	cdp(t, ctx, "refuse /refused", func(c context.Context) error {
		_, err := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/refused*"}}})
		return err
	})

	for _, tc := range []struct{ name, send string }{
		{"answered", `htmx.ajax('GET', '/jobs', {source: '#guard-source', target: '#main', swap: 'none'})`},
		{"aborted", `(() => {
			const p = htmx.ajax('GET', '/jobs', {source: '#guard-source', target: '#main', swap: 'none'});
			htmx.trigger('#guard-source', 'htmx:abort');
			return p.catch(() => {});
		})()`},
		{"not sent", `htmx.ajax('GET', '/refused', {source: '#guard-source', target: '#main', swap: 'none'}).catch(() => {})`},
	} {
		act(t, ctx, "a request "+tc.name, chromedp.Evaluate[chromedp.Void](`(async () => {
			window.__requestEnded = false;
			await `+tc.send+`;
			window.__requestEnded = true;
		})()`))
		waitFor(t, ctx, "the request "+tc.name+" ends", `window.__requestEnded === true`, 5*time.Second)
		if n := listeners("the listeners after a request " + tc.name); n != before {
			t.Fatalf("after a request %s, %d listeners are left on the target and the element that sent it; before it, %d", tc.name, n, before)
		}
	}
}
