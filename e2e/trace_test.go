package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tabTrace records what tabs do (requests to the app, stream messages,
// navigations, console output), with the time since the trace began, and
// writes it to the test's log if the test fails: the evidence a flaky
// browser test needs.
type tabTrace struct {
	start time.Time
	mu    sync.Mutex
	lines []string
}

func newTabTrace(t *testing.T) *tabTrace {
	tr := &tabTrace{start: time.Now()}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("E2E_TRACE") != "" {
			t.Logf("trace of the tabs:\n%s", tr.String())
		}
	})
	return tr
}

func (tr *tabTrace) add(who, format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, fmt.Sprintf("%8.3fs %-5s %s", time.Since(tr.start).Seconds(), who, fmt.Sprintf(format, args...)))
}

func (tr *tabTrace) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.lines, "\n")
}

// follow records the tab's events under the name who.
func (tr *tabTrace) follow(t *testing.T, ctx context.Context, who string) {
	t.Helper()
	urls := map[network.RequestID]string{}
	var mu sync.Mutex
	url := func(id network.RequestID) string { mu.Lock(); defer mu.Unlock(); return urls[id] }
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.HasPrefix(e.Request.URL, "http") && !strings.Contains(e.Request.URL, "/static/") {
				mu.Lock()
				urls[e.RequestID] = e.Request.URL
				mu.Unlock()
				tr.add(who, "→ %s %s [%s]", e.Request.Method, e.Request.URL, e.RequestID)
			}
		case *network.EventResponseReceived:
			if u := url(e.RequestID); u != "" {
				tr.add(who, "← %d %s [%s]", e.Response.Status, u, e.RequestID)
			}
		case *network.EventLoadingFinished:
			if u := url(e.RequestID); u != "" {
				tr.add(who, "✓ %s [%s]", u, e.RequestID)
			}
		case *network.EventLoadingFailed:
			if u := url(e.RequestID); u != "" {
				tr.add(who, "✗ %s %s canceled=%v [%s]", u, e.ErrorText, e.Canceled, e.RequestID)
			}
		case *network.EventEventSourceMessageReceived:
			data := e.Data
			if len(data) > 80 {
				data = data[:80] + "…"
			}
			tr.add(who, "sse %s id=%s %q [%s]", e.EventName, e.EventID, data, e.RequestID)
		case *page.EventFrameNavigated:
			if e.Frame.ParentID == "" {
				tr.add(who, "navigated %s", e.Frame.URL)
			}
		case *page.EventLifecycleEvent:
			if e.Name == "load" || e.Name == "DOMContentLoaded" {
				tr.add(who, "lifecycle %s", e.Name)
			}
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tr.add(who, "console.%s %s", e.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			tr.add(who, "exception %s", e.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatalf("trace %s: %v", who, err)
	}
	// Each page of the tab says when it is hidden, shown or left, and
	// what comes and goes among its toasts.
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: traceScript})
	if err != nil {
		t.Fatalf("trace %s: %v", who, err)
	}
}

const traceScript = `(() => {
  if (location.protocol !== 'http:') return;
  const doc = Math.random().toString(36).slice(2, 6);
  const log = (...a) => console.debug('[' + doc + ' ' + location.pathname + ' ' + document.visibilityState + ']', ...a);
  log('new document');
  addEventListener('pagehide', e => log('pagehide persisted=' + e.persisted + ' trusted=' + e.isTrusted));
  addEventListener('pageshow', e => log('pageshow persisted=' + e.persisted + ' trusted=' + e.isTrusted));
  document.addEventListener('visibilitychange', () => log('visibilitychange'));
  document.addEventListener('htmx:sseOpen', () => log('sseOpen'));
  document.addEventListener('htmx:sseError', e => log('sseError readyState=' + (e.detail && e.detail.source && e.detail.source.readyState)));
  addEventListener('DOMContentLoaded', () => {
    const r = document.getElementById('toasts');
    if (!r) return;
    log('toasts at load', Array.from(r.querySelectorAll('[data-announce]')).map(t => t.dataset.tag + '/' + t.dataset.announce).join(','));
    new MutationObserver(rs => rs.forEach(m => {
      m.addedNodes.forEach(n => n.dataset && log('toast added', n.dataset.tag + '/' + n.dataset.announce));
      m.removedNodes.forEach(n => n.dataset && log('toast removed', n.dataset.tag + '/' + n.dataset.announce + ' acked=' + n.__acked));
    })).observe(r, {childList: true});
  });
})()`
