package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Helpers for the browser tests of the UI (issue 6): the steps a person
// takes, the job as the API reports it, an SSE connection counter per tab,
// and a fake OpenAI-compatible model that can be told to refuse a document.

func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

const password = "a long enough password"

// signUp creates an account through the form and returns its email.
func signUp(t *testing.T, ctx context.Context, srv *Server) string {
	t.Helper()
	email := fmt.Sprintf("ui-%d@example.com", time.Now().UnixNano())
	act(t, ctx, "sign up",
		chromedp.Navigate(srv.URL+"/signup"),
		chromedp.WaitVisible(testid("signup-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Uma Interface"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
		chromedp.Click(testid("signup-submit")),
		chromedp.WaitVisible(testid("user-menu")),
	)
	return email
}

// logIn signs in through the form.
func logIn(t *testing.T, ctx context.Context, srv *Server, email string) {
	t.Helper()
	act(t, ctx, "log in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("user-menu")),
	)
}

// exampleProject saves the example project and returns its id.
func exampleProject(t *testing.T, ctx context.Context, srv *Server) string {
	t.Helper()
	act(t, ctx, "save the example project",
		chromedp.Navigate(srv.URL+"/projects/new?example=1"),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.Click(testid("project-save")),
		chromedp.WaitVisible(testid("project-page")),
	)
	return value(t, ctx, "project id", chromedp.Evaluate[string](`document.querySelector('[data-testid="project-page"]').dataset.id`))
}

// startGeneration starts a background generation of every document from
// the generate page, and returns the job's id once its card shows.
func startGeneration(t *testing.T, ctx context.Context, srv *Server, projectID string) string {
	t.Helper()
	act(t, ctx, "open the generate page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"),
		chromedp.WaitVisible(testid("generate-form")),
	)
	act(t, ctx, "start background generation",
		chromedp.Click(testid("start-generation")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-job"] [data-testid="job-card"]`)),
	)
	id := value(t, ctx, "job id", chromedp.Evaluate[string](`document.querySelector('[data-testid="current-job"] [data-testid="job-card"]').id.replace(/^job-/, '')`))
	if id == "" {
		t.Fatal("no job card on the generate page")
	}
	return id
}

// grantNotifications allows the server's origin to show notifications, as
// a user clicking "Allow" would.
func grantNotifications(t *testing.T, ctx context.Context, srv *Server) {
	t.Helper()
	_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeNotifications)},
		Setting:    browser.PermissionSettingGranted,
		Origin:     srv.URL,
	})
	if err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
}

// waitFor polls a JavaScript condition (every 100 ms: a background tab runs
// no animation frames) up to within.
func waitFor(t *testing.T, ctx context.Context, step, expr string, within time.Duration) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, within+5*time.Second)
	defer cancel()
	if err := chromedp.Do(stepCtx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(within))); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// eventually checks cond every interval until it holds, and fails the
// test with what cond last reported once within has passed: a wait on
// state with a deadline, for state outside a page (the API, the database,
// the browser's log).
func eventually(t *testing.T, within, interval time.Duration, cond func() (ok bool, last string)) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("not within %s: %s", within, last)
		case <-tick.C:
		}
	}
}

// cardState is what a job card shows.
type cardState struct {
	Status  string `json:"status"`
	Done    string `json:"done"`
	Percent int    `json:"percent"`
	Cancel  string `json:"cancel"`
}

func card(t *testing.T, ctx context.Context, jobID string) cardState {
	t.Helper()
	return value(t, ctx, "read the card", chromedp.Evaluate[cardState](fmt.Sprintf(`(() => {
		const c = document.getElementById('job-%s');
		if (!c) return {status: '', done: '', percent: -1, cancel: ''};
		const b = c.querySelector('[data-testid="job-cancel"]');
		return {status: c.dataset.status, done: c.querySelector('[data-testid="job-done"]').textContent.trim(),
			percent: parseInt(c.querySelector('[role="progressbar"]').getAttribute('aria-valuenow'), 10),
			cancel: b ? b.textContent.trim() : ''};
	})()`, jobID)))
}

// cardIs is the JavaScript condition "the job's card has this status".
func cardIs(jobID, status string) string {
	return fmt.Sprintf(`document.getElementById('job-%s')?.dataset.status === '%s'`, jobID, status)
}

// cardDoneAtLeast is the condition "the card counts at least n documents".
func cardDoneAtLeast(jobID string, n int) string {
	return fmt.Sprintf(`parseInt(document.querySelector('#job-%s [data-testid="job-done"]')?.textContent, 10) >= %d`, jobID, n)
}

// apiJob is a job as GET /api/generation/jobs/:id returns it.
type apiJob struct {
	ID                 string   `json:"id"`
	Status             string   `json:"status"`
	Progress           int      `json:"progress"`
	CompletedDocuments int      `json:"completedDocuments"`
	TotalDocuments     int      `json:"totalDocuments"`
	GeneratedArtifacts []string `json:"generatedArtifacts"`
	Error              *string  `json:"error"`
	Documents          []struct {
		Type       string  `json:"type"`
		Status     string  `json:"status"`
		Attempts   int     `json:"attempts"`
		ArtifactID *string `json:"artifactId"`
	} `json:"documents"`
}

// fetchJob asks the API from the page, with the page's session.
func fetchJob(t *testing.T, ctx context.Context, jobID string) apiJob {
	t.Helper()
	return value(t, ctx, "fetch the job", chromedp.Evaluate[apiJob](
		fmt.Sprintf(`fetch('/api/generation/jobs/%s', {headers: {Accept: 'application/json'}}).then(r => r.json())`, jobID),
		chromedp.EvalAwaitPromise))
}

// sseCounter counts the /events connections a tab opens, as the browser's
// network log shows them.
type sseCounter struct{ n atomic.Int64 }

func countSSE(t *testing.T, ctx context.Context) *sseCounter {
	t.Helper()
	c := &sseCounter{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && (strings.HasSuffix(e.Request.URL, "/events") || strings.Contains(e.Request.URL, "/events?")) {
			c.n.Add(1)
		}
	})
	if err != nil {
		t.Fatalf("listen to the network: %v", err)
	}
	return c
}

func (c *sseCounter) reset()     { c.n.Store(0) }
func (c *sseCounter) get() int64 { return c.n.Load() }

// cli runs a dossier command against the server's database.
func cli(t *testing.T, srv *Server, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = srv.Dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+srv.DatabaseURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dossier %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// api calls the JSON API with a bearer token.
func api(t *testing.T, srv *Server, token, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// narrow runs steps in a phone-sized viewport (390 px), checks that the
// page's content fits it, then restores the desktop viewport.
func narrow(t *testing.T, ctx context.Context, fn func()) {
	t.Helper()
	act(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844), chromedp.Sleep(200*time.Millisecond))
	defer act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	// Content inside a horizontal scroller (wide tables) may be wider.
	wide := value(t, ctx, "content wider than the phone", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#main *'))
		.filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
		.filter(e => { for (let p = e.parentElement; p && p.id !== 'main'; p = p.parentElement) { if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return false; } return true; })
		.slice(0, 5).map(e => e.tagName + '.' + String(e.className).slice(0, 80))`))
	if len(wide) > 0 {
		t.Errorf("content overflows a 390 px screen: %v", wide)
	}
	fn()
}

// accessibleName is the name Chromium's accessibility tree gives the
// element of the selector: what a screen reader announces.
func accessibleName(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	const group = "accessible-name"
	defer chromedp.Call(ctx, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
	el, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document.querySelector(" + jsString(selector) + ")", ObjectGroup: group})
	if err != nil || el.Result.ObjectID == "" {
		t.Fatalf("find %s: %v", selector, err)
	}
	no := false
	tree, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: el.Result.ObjectID, FetchRelatives: &no})
	if err != nil || len(tree.Nodes) == 0 || tree.Nodes[0].Name == nil {
		t.Fatalf("the accessibility node of %s: %v", selector, err)
	}
	var name string
	if err := json.Unmarshal(tree.Nodes[0].Name.Value, &name); err != nil {
		t.Fatalf("the accessible name of %s: %v", selector, err)
	}
	return name
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
