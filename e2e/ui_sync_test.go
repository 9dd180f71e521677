package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	cdpproto "github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"dossier/jobs/documents/providertest"
	"dossier/models/modelstest"
)

// Issue 9, "Live state that never misses a beat": browser tests with a
// gated model. The test, not the clock, decides when each document
// finishes (providertest's gate), and asserts at every step.

const gateWait = 30 * time.Second

// gatedServer starts dossier on the test's OpenAI-compatible model, held
// shut: every document waits for the test to release it. One document at
// a time.
func gatedServer(t *testing.T, o serverOpts) (*Server, *providertest.Provider) {
	t.Helper()
	model := providertest.New()
	t.Cleanup(model.Close)
	model.Hold()
	env := map[string]string{
		"GENERATOR": "openai", "OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "test-key",
		"OPENAI_MODEL": "test-model", "LLM_CONCURRENCY": "1",
	}
	for k, v := range o.env {
		env[k] = v
	}
	o.env = env
	return startServerWith(t, o), model
}

// release lets n documents finish, one at a time.
func release(t *testing.T, model *providertest.Provider, n int) {
	t.Helper()
	for range n {
		if _, err := model.ReleaseOne(gateWait); err != nil {
			t.Fatalf("release a document: %v", err)
		}
	}
}

// tokenFor creates an API token for the user.
func tokenFor(t *testing.T, srv *Server, email string) string {
	t.Helper()
	out := strings.TrimSpace(cli(t, srv, "token", "create", "--email", email))
	return out[strings.LastIndex(out, "\n")+1:]
}

// waitAPI polls the API until the job has the status.
func waitAPI(t *testing.T, srv *Server, token, jobID, status string) apiJob {
	t.Helper()
	var j apiJob
	eventually(t, gateWait, 50*time.Millisecond, func() (bool, string) {
		j = apiJob{}
		api(t, srv, token, "GET", "/api/generation/jobs/"+jobID, nil, &j)
		return j.Status == status, fmt.Sprintf("job %s is %q, not %q", jobID, j.Status, status)
	})
	return j
}

// apiProject creates a project through the API and returns its id.
func apiProject(t *testing.T, srv *Server, token, name string) string {
	t.Helper()
	var p struct{ ID string }
	if code := api(t, srv, token, "POST", "/api/projects", map[string]any{"name": name}, &p); code != 201 {
		t.Fatalf("create project: %d", code)
	}
	return p.ID
}

// apiJobCreate starts a job of the documents through the API.
func apiJobCreate(t *testing.T, srv *Server, token, projectID string, docs ...string) string {
	t.Helper()
	var j apiJob
	if code := api(t, srv, token, "POST", "/api/generation/jobs", map[string]any{"projectId": projectID, "documents": docs}, &j); code != 202 {
		t.Fatalf("create job: %d", code)
	}
	return j.ID
}

var cdpEmpty cdpproto.Empty

// newTab opens another tab of the browser. Its first action creates it, and
// must not run under a step's deadline, which would close it.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// cdp runs a raw DevTools call with a deadline.
func cdp(t *testing.T, ctx context.Context, step string, fn func(context.Context) error) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := fn(c); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// toastCount is the number of toasts for the job on the page.
func toastCount(t *testing.T, ctx context.Context) int {
	return value(t, ctx, "toasts", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="toast"]').length`))
}

func notificationsShown(t *testing.T, ctx context.Context) int {
	return value(t, ctx, "browser notifications", chromedp.Evaluate[int](`window.__dossierNotifications.length`))
}

func bellText(t *testing.T, ctx context.Context) string {
	return value(t, ctx, "bell", chromedp.Evaluate[string](`(() => { const b = document.querySelector('[data-testid="bell-count"]'); return b.classList.contains('hidden') ? '' : b.textContent.trim(); })()`))
}

// Must show 1: a job that ends while the tab is between pages. The bell
// counts it, and the next page shows exactly one toast and one browser
// notification; the page after that announces nothing. Then the harder
// case: the job ends after a page was rendered but before its stream
// connected (the browser holds the /events request): the page's position
// brings it anyway.
func TestUISyncJobEndsBetweenPages(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	grantNotifications(t, ctx, srv)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	jobID := startGeneration(t, ctx, srv, exampleProject(t, ctx, srv))
	endsBetweenPages(t, ctx, srv, model, token, jobID)
	endsBeforeTheStreamConnects(t, ctx, srv, model, token)
}

func endsBetweenPages(t *testing.T, ctx context.Context, srv *Server, model *providertest.Provider, token, jobID string) {
	t.Helper()
	release(t, model, 11)
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "the dashboard", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("dashboard")))
	waitFor(t, ctx, "the card shows 11 of 12", cardDoneAtLeast(jobID, 11), 10*time.Second)
	if b := bellText(t, ctx); b != "" {
		t.Fatalf("the bell shows %q before the job ends", b)
	}

	// Between pages: the tab is on no page of the app when the job ends.
	act(t, ctx, "leave the app", chromedp.Navigate("about:blank"))
	release(t, model, 1)
	waitAPI(t, srv, token, jobID, "completed")

	// Hold the next page's acknowledgement in the browser.
	acks := make(chan fetch.RequestID, 4)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok && strings.HasSuffix(e.Request.URL, "/shown") {
			select {
			case acks <- e.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	cdp(t, ctx, "hold the acknowledgement", func(c context.Context) error {
		_, err := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/notifications/*/shown"}}})
		return err
	})

	act(t, ctx, "the next page", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitVisible(testid("jobs-page")))
	waitFor(t, ctx, "one toast", `document.querySelectorAll('[data-testid="toast"][data-status="completed"]').length === 1`, 5*time.Second)
	waitFor(t, ctx, "one browser notification", fmt.Sprintf(`window.__dossierNotifications.length === 1 && window.__dossierNotifications[0].tag === 'job-%s'`, jobID), 5*time.Second)
	if b := bellText(t, ctx); b != "1" {
		t.Fatalf("the bell shows %q; it counts the unread ending", b)
	}
	// The tab acknowledges it, and is left before the acknowledgement
	// reaches the server (the browser holds it): the page after, rendered
	// while the notification is still unshown, does not show it again.
	waitFor(t, ctx, "the toast is acknowledged", `document.querySelector('[data-testid="toast"]').__acked === true`, 5*time.Second)
	var ack fetch.RequestID
	select {
	case ack = <-acks:
	case <-time.After(10 * time.Second):
		t.Fatal("the acknowledgement was not sent")
	}
	act(t, ctx, "the page after", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("dashboard")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if n := toastCount(t, ctx); n != 0 {
		t.Fatalf("the job was announced again (%d toasts)", n)
	}
	if n := notificationsShown(t, ctx); n != 0 {
		t.Fatalf("%d browser notifications on the page after", n)
	}
	if b := bellText(t, ctx); b != "1" {
		t.Fatalf("the bell shows %q; the ending is still unread", b)
	}
	// The held acknowledgement (keepalive) outlives its page: let it land
	// (the position moves: it is the only change left), and a tab that
	// never saw the toast is not shown it.
	before := value(t, ctx, "position", chromedp.Evaluate[int](`window.__dossierPosition`))
	cdp(t, ctx, "let the acknowledgement through", func(c context.Context) error {
		if _, err := chromedp.Call(c, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ack}); err != nil {
			return err
		}
		_, err := chromedp.Call(c, fetch.Disable, cdpEmpty)
		return err
	})
	waitFor(t, ctx, "the acknowledgement lands", fmt.Sprintf(`window.__dossierPosition > %d`, before), 5*time.Second)
	fresh, closeFresh := chromedp.NewContext(ctx)
	defer closeFresh()
	if err := chromedp.Do(fresh); err != nil { // creates it, with no step deadline
		t.Fatalf("open a tab: %v", err)
	}
	act(t, fresh, "a new tab", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("dashboard")))
	waitFor(t, fresh, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if n := toastCount(t, fresh); n != 0 {
		t.Fatalf("a new tab announces the shown job (%d toasts)", n)
	}
	// Close it, and bring the first tab to the front again.
	closeFresh()
	if _, err := chromedp.CallBrowser(ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(ctx).Target.TargetID}); err != nil {
		t.Fatalf("bring the first tab to the front: %v", err)
	}
	waitFor(t, ctx, "the first tab is visible again", `document.visibilityState === 'visible'`, 5*time.Second)
}

func endsBeforeTheStreamConnects(t *testing.T, ctx context.Context, srv *Server, model *providertest.Provider, token string) {
	t.Helper()
	projectID := apiProject(t, srv, token, "Held stream")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}

	// Hold the next page's /events request in the browser.
	paused := make(chan fetch.RequestID, 4)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	cdp(t, ctx, "hold the stream", func(c context.Context) error {
		_, err := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/events*"}}})
		return err
	})
	act(t, ctx, "the dashboard, rendered with the job running", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#job-"+jobID)))
	var req fetch.RequestID
	select {
	case req = <-paused:
	case <-time.After(10 * time.Second):
		t.Fatal("the page's /events request was not held")
	}
	if s := card(t, ctx, jobID); s.Status != "processing" {
		t.Fatalf("the card is %+v", s)
	}
	release(t, model, 1)
	waitAPI(t, srv, token, jobID, "completed")
	cdp(t, ctx, "let the stream connect", func(c context.Context) error {
		if _, err := chromedp.Call(c, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: req}); err != nil {
			return err
		}
		_, err := chromedp.Call(c, fetch.Disable, cdpEmpty)
		return err
	})

	waitFor(t, ctx, "the job leaves In progress", fmt.Sprintf(`document.querySelector('[data-testid="dash-active"] #job-%s') === null`, jobID), 5*time.Second)
	waitFor(t, ctx, "and shows under Recent", fmt.Sprintf(`document.querySelector('[data-testid="dash-recent"] [data-testid="job-row"][data-id="%s"][data-status="completed"]') !== null`, jobID), 5*time.Second)
	waitFor(t, ctx, "one toast for it", `document.querySelectorAll('[data-testid="toast"]').length === 1`, 5*time.Second)
	waitFor(t, ctx, "one browser notification for it", fmt.Sprintf(`window.__dossierNotifications.length === 1 && window.__dossierNotifications[0].tag === 'job-%s'`, jobID), 5*time.Second)
	waitFor(t, ctx, "the bell counts both", `document.querySelector('[data-testid="bell-count"]').textContent.trim() === '2'`, 5*time.Second)
	waitFor(t, ctx, "the project offers Generate again", fmt.Sprintf(`document.querySelector('#projbtn-%s [data-testid="project-generate"]') !== null`, projectID), 5*time.Second)
}

// Must show 2: a job created through the API appears on an open dashboard
// and an open jobs list within 1 s, and moves from In progress to Recent
// (and between the jobs list's filters) without a reload.
func TestUISyncAPIJobAppearsEverywhere(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	apiJobAppearsEverywhere(t, srv, srv, model)
}

func apiJobAppearsEverywhere(t *testing.T, web, anyInstance *Server, model *providertest.Provider) {
	t.Helper()
	dash := newBrowser(t)
	email := signUp(t, dash, web)
	token := tokenFor(t, anyInstance, email)
	projectID := apiProject(t, anyInstance, token, "From a script")
	act(t, dash, "the dashboard", chromedp.Navigate(web.URL+"/"), chromedp.WaitVisible(testid("dashboard")))
	waitFor(t, dash, "the dashboard's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	lists := map[string]context.Context{}
	for _, filter := range []string{"active", "completed", ""} {
		tab := newTab(t, dash)
		act(t, tab, "the jobs list "+filter, chromedp.Navigate(web.URL+"/jobs?status="+filter), chromedp.WaitVisible(testid("jobs-page")))
		waitFor(t, tab, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
		lists[filter] = tab
	}

	jobID := apiJobCreate(t, anyInstance, token, projectID, "project_charter", "business_case")
	created := time.Now()
	waitFor(t, dash, "the job appears on the dashboard", fmt.Sprintf(`document.querySelector('[data-testid="dash-active"] #job-%s') !== null`, jobID), time.Second)
	waitFor(t, lists["active"], "and on the In progress filter", fmt.Sprintf(`document.querySelector('[data-testid="jobs-live"] #job-%s') !== null`, jobID), time.Second)
	waitFor(t, lists[""], "and on All", fmt.Sprintf(`document.querySelector('[data-testid="jobs-live"] #job-%s') !== null`, jobID), time.Second)
	t.Logf("the job appeared in %v", time.Since(created).Round(time.Millisecond))
	waitFor(t, dash, "the project says View progress", fmt.Sprintf(`document.querySelector('#projbtn-%s [data-testid="project-progress"]') !== null`, projectID), time.Second)
	waitFor(t, dash, "the badge counts it", `document.querySelector('[data-testid="job-badge"]').dataset.active === '1'`, time.Second)
	if n := value(t, lists["completed"], "completed rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="job-row"]').length`)); n != 0 {
		t.Fatalf("the Completed filter lists %d jobs before any completed", n)
	}

	release(t, model, 1)
	waitFor(t, dash, "one document done on the dashboard", cardDoneAtLeast(jobID, 1), 5*time.Second)
	waitFor(t, lists["active"], "and on the jobs list", cardDoneAtLeast(jobID, 1), 5*time.Second)

	release(t, model, 1)
	waitFor(t, dash, "the job leaves In progress", fmt.Sprintf(`document.querySelector('[data-testid="dash-active"] #job-%s') === null &&
		document.querySelector('[data-testid="no-active-jobs"]') !== null`, jobID), 5*time.Second)
	waitFor(t, dash, "and is listed under Recent", fmt.Sprintf(`document.querySelector('[data-testid="dash-recent"] [data-testid="job-row"][data-id="%s"][data-status="completed"]') !== null`, jobID), 5*time.Second)
	waitFor(t, dash, "the project offers Generate", fmt.Sprintf(`document.querySelector('#projbtn-%s [data-testid="project-generate"]') !== null`, projectID), 5*time.Second)
	waitFor(t, dash, "the badge goes", `document.querySelector('[data-testid="job-badge"]').dataset.active === '0'`, 5*time.Second)
	waitFor(t, lists["active"], "the job leaves the In progress filter", fmt.Sprintf(`document.querySelector('#job-%s') === null && document.querySelector('[data-testid="empty-state"]') !== null`, jobID), 5*time.Second)
	waitFor(t, lists["completed"], "and joins the Completed filter", fmt.Sprintf(`document.querySelector('[data-testid="job-row"][data-id="%s"]') !== null`, jobID), 5*time.Second)
	waitFor(t, lists[""], "All shows it as a row", fmt.Sprintf(`document.querySelector('#job-%s') === null && document.querySelector('[data-testid="job-row"][data-id="%s"][data-status="completed"]') !== null`, jobID, jobID), 5*time.Second)
}

// requestLog records the page's requests other than its stream, to show
// that no GET follows an event.
type requestLog struct{ paths chan string }

func logRequests(t *testing.T, ctx context.Context) *requestLog {
	t.Helper()
	l := &requestLog{paths: make(chan string, 1000)}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			select {
			case l.paths <- e.Request.Method + " " + e.Request.URL:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *requestLog) drain() []string {
	var out []string
	for {
		select {
		case p := <-l.paths:
			out = append(out, p)
		default:
			return out
		}
	}
}

// jobPageState is what the job page shows: the card, the timeline, the
// header.
type jobPageState struct {
	CardStatus    string   `json:"cardStatus"`
	CardDone      string   `json:"cardDone"`
	CardDocs      []string `json:"cardDocs"`
	TimelineDocs  []string `json:"timelineDocs"`
	Links         int      `json:"links"`
	Finished      bool     `json:"finished"`
	Took          bool     `json:"took"`
	GenerateAgain bool     `json:"generateAgain"`
	Cancel        bool     `json:"cancel"`
}

func readJobPage(t *testing.T, ctx context.Context, jobID string) jobPageState {
	t.Helper()
	return value(t, ctx, "read the job page", chromedp.Evaluate[jobPageState](fmt.Sprintf(`(() => {
		const c = document.getElementById('job-%[1]s');
		const head = document.querySelector('[data-testid="job-head"]');
		const terms = Array.from(head.querySelectorAll('dt')).map(d => d.textContent.trim());
		return {
			cardStatus: c.dataset.status,
			cardDone: c.querySelector('[data-testid="job-done"]').textContent.trim(),
			cardDocs: Array.from(c.querySelectorAll('[data-testid^="job-doc-"]')).map(d => d.dataset.testid.slice(8) + '=' + d.dataset.status),
			timelineDocs: Array.from(document.querySelectorAll('[data-testid^="timeline-doc-"][data-status]')).map(d => d.dataset.testid.slice(13) + '=' + d.dataset.status),
			links: document.querySelectorAll('[data-testid="timeline-doc-link"]').length,
			finished: terms.includes('Finished'), took: terms.includes('Took'),
			generateAgain: !!head.querySelector('[data-testid="generate-again"]'),
			cancel: !!c.querySelector('[data-testid="job-cancel"]'),
		};
	})()`, jobID)))
}

// Must show 3: the job page's card, timeline, "Finished" and "Took" agree
// after every document and at the end, with no request after an event.
func TestUISyncJobPageAgreesAtEveryStep(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	docs := []string{"project_charter", "scope_statement", "risk_register"}
	jobID := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Step by step"), docs...)
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	log := logRequests(t, ctx)
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("job-timeline")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	log.drain()

	for k := 1; k <= len(docs); k++ {
		release(t, model, 1)
		waitFor(t, ctx, fmt.Sprintf("document %d on the card", k), fmt.Sprintf(`document.querySelector('#job-%s [data-testid="job-done"]').textContent.trim() === '%d of %d'`, jobID, k, len(docs)), 5*time.Second)
		waitFor(t, ctx, fmt.Sprintf("document %d in the timeline", k), fmt.Sprintf(`document.querySelectorAll('[data-testid="timeline-doc-link"]').length === %d`, k), 5*time.Second)
		s := readJobPage(t, ctx, jobID)
		if strings.Join(s.CardDocs, ",") != strings.Join(s.TimelineDocs, ",") {
			t.Fatalf("after document %d the card says %v and the timeline %v", k, s.CardDocs, s.TimelineDocs)
		}
		if k < len(docs) {
			if s.CardStatus != "processing" || s.Finished || s.Took || s.GenerateAgain || !s.Cancel {
				t.Fatalf("after document %d of %d the page shows %+v", k, len(docs), s)
			}
		}
	}
	waitFor(t, ctx, "the card ends", cardIs(jobID, "completed"), 5*time.Second)
	waitFor(t, ctx, "Finished and Took appear", `Array.from(document.querySelectorAll('[data-testid="job-head"] dt')).map(d => d.textContent.trim()).join() .includes('Took')`, 5*time.Second)
	s := readJobPage(t, ctx, jobID)
	if !s.Finished || !s.Took || !s.GenerateAgain || s.Cancel || s.Links != len(docs) || s.CardDone != "3 of 3" {
		t.Fatalf("at the end the page shows %+v", s)
	}
	for _, d := range s.TimelineDocs {
		if !strings.HasSuffix(d, "=completed") {
			t.Fatalf("the timeline shows %v at the end", s.TimelineDocs)
		}
	}
	for _, r := range log.drain() {
		if !strings.Contains(r, "/events") && !strings.Contains(r, "/notifications/") {
			t.Errorf("the page requested %s after an event; the stream should carry it", r)
		}
	}
	job := fetchJob(t, ctx, jobID)
	if job.Status != "completed" || job.CompletedDocuments != len(docs) {
		t.Fatalf("the API says %+v", job)
	}
}

// The project page's runs and library are live regions too: a run started
// elsewhere (the API) appears, changes status and finishes, and each
// document it writes joins the library, without a reload.
func TestUISyncProjectPageRunsAndLibrary(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Live runs")
	act(t, ctx, "the project page", chromedp.Navigate(srv.URL+"/projects/"+projectID), chromedp.WaitVisible(testid("project-runs")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	for _, empty := range []string{"runs-empty", "library-empty"} {
		if n := value(t, ctx, empty, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="`+empty+`"]').length`)); n != 1 {
			t.Fatalf("a new project's page shows %d %s", n, empty)
		}
	}
	run := func(status string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelectorAll('[data-testid="run"]');
			return r.length === 1 && r[0].dataset.status === '%s' && r[0].querySelector('[data-testid="run-link"]').getAttribute('href') === '/jobs/%%s'; })()`, status)
	}
	library := func(types ...string) string {
		return fmt.Sprintf(`Array.from(document.querySelectorAll('[data-testid="library-doc"]')).map(d => d.dataset.type).join() === '%s'`, strings.Join(types, ","))
	}
	// The current set's download shows only while the library has
	// documents: the stream's library reveals it (it is outside the library).
	zipShown := `(() => { const a = document.querySelector('[data-testid="library-zip"]'); return a !== null && a.getClientRects().length > 0; })()`
	if value(t, ctx, "the zip link", chromedp.Evaluate[bool](zipShown)) {
		t.Fatal("an empty library offers its documents as a zip")
	}

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter", "scope_statement")
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the run appears, running", fmt.Sprintf(run("processing"), jobID), 5*time.Second)
	if n := value(t, ctx, "library", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="library-doc"]').length`)); n != 0 {
		t.Fatalf("the library lists %d documents before any is written", n)
	}
	release(t, model, 1)
	waitFor(t, ctx, "the first document joins the library", library("project_charter"), 5*time.Second)
	waitFor(t, ctx, "the zip link shows", zipShown, 5*time.Second)
	if !value(t, ctx, "the run", chromedp.Evaluate[bool](fmt.Sprintf(run("processing"), jobID))) {
		t.Fatal("the run no longer shows as running after its first document")
	}
	release(t, model, 1)
	waitFor(t, ctx, "the run finishes", fmt.Sprintf(run("completed"), jobID), 5*time.Second)
	waitFor(t, ctx, "both documents are in the library", library("project_charter", "scope_statement"), 5*time.Second)
	if !value(t, ctx, "no reload", chromedp.Evaluate[bool](`window.__samePage === true`)) {
		t.Fatal("the page was reloaded")
	}
	waitAPI(t, srv, token, jobID, "completed")
}

// backgroundTab opens a tab behind the current one, as a tab the person is
// not looking at: its document is hidden.
func backgroundTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	bg := true
	res, err := chromedp.CallBrowser(browser, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", Background: &bg})
	if err != nil {
		t.Fatalf("open a background tab: %v", err)
	}
	tab, cancel := chromedp.NewContext(browser, chromedp.WithTargetID(res.TargetID))
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("attach to the background tab: %v", err)
	}
	return tab
}

// A completion is announced by a toast in the tab that is visible, and by
// one browser Notification across tabs. A tab in the background drops its
// toast once the visible one has shown it, and shows none when it comes to
// the front.
func TestUISyncToastInTheVisibleTabOnly(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	front := newBrowser(t)
	grantNotifications(t, front, srv)
	email := signUp(t, front, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Two tabs")
	back := backgroundTab(t, front)
	for _, tab := range []context.Context{front, back} {
		act(t, tab, "the jobs list", chromedp.Navigate(srv.URL+"/jobs"), chromedp.WaitReady(testid("jobs-page")))
		waitFor(t, tab, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
		act(t, tab, "record the toasts", chromedp.Evaluate[chromedp.Void](`(() => {
			window.__toastsSeen = [];
			new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
				if (n.dataset && n.dataset.announce) window.__toastsSeen.push(n.dataset.tag);
			}))).observe(document.getElementById('toasts'), {childList: true});
		})()`))
	}
	if v := value(t, back, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "hidden" {
		t.Fatalf("the background tab is %q", v)
	}
	if v := value(t, front, "visibility", chromedp.Evaluate[string](`document.visibilityState`)); v != "visible" {
		t.Fatalf("the front tab is %q", v)
	}

	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	release(t, model, 1)
	waitAPI(t, srv, token, jobID, "completed")
	waitFor(t, front, "the visible tab shows the toast and acknowledges it", `document.querySelector('[data-testid="toast"]')?.__acked === true`, 5*time.Second)
	waitFor(t, back, "the hidden tab got it and dropped it", `window.__toastsSeen.length === 1 && document.querySelector('[data-testid="toast"]') === null`, 5*time.Second)
	// The tab that takes the lock first marks it and raises the
	// notification in one step; the other then sees the mark.
	waitFor(t, front, "a tab raised the notification", `Object.keys(window.localStorage).some(k => k.startsWith('dossier-notified-'))`, 5*time.Second)
	total := notificationsShown(t, front) + notificationsShown(t, back)
	if total != 1 {
		t.Fatalf("%d browser notifications for one job across two tabs; want 1", total)
	}

	_, err := chromedp.CallBrowser(front, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(back).Target.TargetID})
	if err != nil {
		t.Fatalf("bring the background tab to the front: %v", err)
	}
	waitFor(t, back, "it comes to the front", `document.visibilityState === 'visible'`, 5*time.Second)
	act(t, back, "the next page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(testid("dashboard")))
	waitFor(t, back, "its stream is live", `window.__dossierSynced === true`, 5*time.Second)
	if n := toastCount(t, back); n != 0 {
		t.Fatalf("the shown completion was announced again (%d toasts)", n)
	}
	if seen := value(t, front, "toasts seen", chromedp.Evaluate[[]string](`window.__toastsSeen`)); len(seen) != 1 || seen[0] != "job-"+jobID {
		t.Fatalf("the visible tab showed %q", seen)
	}
}

// Must show 5: the server is killed mid-job and restarted: the page says it
// is reconnecting, then converges to the database's state.
func TestUISyncServerKilledAndRestarted(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{env: map[string]string{"LEASE_DURATION": "2s", "SWEEP_INTERVAL": "300ms"}})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	docs := []string{"project_charter", "scope_statement", "risk_register"}
	jobID := apiJobCreate(t, srv, token, apiProject(t, srv, token, "Crash"), docs...)
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+"/jobs/"+jobID), chromedp.WaitVisible(testid("job-timeline")))
	release(t, model, 1)
	waitFor(t, ctx, "one document done", cardDoneAtLeast(jobID, 1), 5*time.Second)
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	if v := value(t, ctx, "indicator", chromedp.Evaluate[bool](`document.querySelector('[data-testid="connection-indicator"]').classList.contains('hidden')`)); !v {
		t.Fatal("the connection indicator shows while connected")
	}

	srv.kill(t)
	waitFor(t, ctx, "the page says it is reconnecting", `!document.querySelector('[data-testid="connection-indicator"]').classList.contains('hidden')`, 5*time.Second)
	if n := value(t, ctx, "estimates shown", chromedp.Evaluate[int](`Array.from(document.querySelectorAll('[data-testid="job-eta"]')).filter(e => !e.hidden).length`)); n != 0 {
		t.Fatalf("%d estimates still count down while disconnected", n)
	}

	srv = srv.restart(t)
	model.Open() // the restarted worker rescues the job and finishes it
	waitAPI(t, srv, token, jobID, "completed")
	waitFor(t, ctx, "the indicator goes", `document.querySelector('[data-testid="connection-indicator"]').classList.contains('hidden')`, 70*time.Second)
	waitFor(t, ctx, "the card converges", cardIs(jobID, "completed"), 10*time.Second)
	waitFor(t, ctx, "the timeline converges", fmt.Sprintf(`document.querySelectorAll('[data-testid="timeline-doc-link"]').length === %d`, len(docs)), 10*time.Second)
	job := fetchJob(t, ctx, jobID)
	s := readJobPage(t, ctx, jobID)
	if s.CardDone != fmt.Sprintf("%d of %d", job.CompletedDocuments, job.TotalDocuments) || !s.Finished {
		t.Fatalf("the page shows %+v; the database says %+v", s, job)
	}
}

// Must show 7: must shows 1 and 2 with the tab on a web-only instance and
// the job run by a worker instance, both on PostgreSQL.
func TestUISyncAcrossInstances(t *testing.T) {
	url := modelstest.NewPostgresDB(t, modelstest.PostgresURL(t))
	env := map[string]string{"DATABASE_URL": url}
	model := providertest.New()
	t.Cleanup(model.Close)
	model.Hold()
	genEnv := map[string]string{
		"DATABASE_URL": url, "GENERATOR": "openai", "OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "test-key",
		"OPENAI_MODEL": "test-model", "LLM_CONCURRENCY": "1",
	}
	startServerWith(t, serverOpts{env: genEnv, args: []string{"--role", "worker"}, worker: true})
	web := startServerWith(t, serverOpts{env: env, args: []string{"--role", "web"}})

	t.Run("a job created through the API shows everywhere", func(t *testing.T) {
		apiJobAppearsEverywhere(t, web, web, model)
	})
	t.Run("a job that ends between pages", func(t *testing.T) {
		ctx := newBrowser(t)
		grantNotifications(t, ctx, web)
		email := signUp(t, ctx, web)
		token := tokenFor(t, web, email)
		jobID := startGeneration(t, ctx, web, exampleProject(t, ctx, web))
		endsBetweenPages(t, ctx, web, model, token, jobID)
	})
}

// A user with nothing yet keeps the dashboard open and starts a job
// elsewhere (here the API, as another tab or a script would): the job
// shows in In progress and the welcome goes; when it ends it is listed
// under Recent.
func TestUISyncJobAppearsOnAnEmptyDashboard(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	act(t, ctx, "the empty dashboard", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("create-first-project")))
	waitFor(t, ctx, "the dashboard's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	visible := func(sel string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector('%s'); return e !== null && e.getClientRects().length > 0; })()`, sel)
	}
	if value(t, ctx, "In progress before", chromedp.Evaluate[bool](visible(`[data-testid="active-jobs"]`))) {
		t.Error("an empty dashboard shows an empty In progress")
	}

	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "From a script")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitFor(t, ctx, "the job shows on the dashboard", visible(`[data-testid="dash-active"] #job-`+jobID), 5*time.Second)
	waitFor(t, ctx, "the welcome goes", `!`+visible(`[data-testid="create-first-project"]`), time.Second)

	release(t, model, 1)
	waitFor(t, ctx, "the ended job is listed under Recent", visible(fmt.Sprintf(`[data-testid="dash-recent"] [data-testid="job-row"][data-id="%s"][data-status="completed"]`, jobID)), 5*time.Second)
	if value(t, ctx, "In progress after", chromedp.Evaluate[bool](visible(`[data-testid="active-jobs"]`))) {
		t.Error("In progress still shows with nothing running")
	}
	if value(t, ctx, "the welcome after", chromedp.Evaluate[bool](visible(`[data-testid="create-first-project"]`))) {
		t.Error("the welcome came back with a job listed")
	}
}
