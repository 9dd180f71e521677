package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
	"dossier/models/modelstest"
)

// pagesSetup is setup with a real job client (no processor: jobs stay
// queued until a test drives them) and, for the foreground mode, a
// generator.
func pagesSetup(t *testing.T, d models.Dialect, gen documents.Generator, opts ...func(*Config)) *bundle {
	t.Helper()
	db := modelstest.Open(t, d)
	cfg := Config{SessionTTL: time.Hour, Heartbeat: time.Second, BackgroundGeneration: true, MaxRetries: 2}
	for _, o := range opts {
		o(&cfg)
	}
	broker := events.NewBroker(events.Config{Loader: db.Snapshot})
	s := NewServer(cfg, db, jobs.NewClient(db, broker, nil), broker, gen)
	t.Cleanup(s.CloseStreams)
	return &bundle{db: db, server: s, app: s.App()}
}

// project gives the client a project made from the example data.
func (c *client) project(t *testing.T, name string) *models.Project {
	t.Helper()
	_, desc, data, pack := models.ExampleProject()
	p := &models.Project{UserID: c.user.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(t, c.b.db.CreateProject(context.Background(), p))
	return p
}

// job creates a queued job of the client's project directly.
func (c *client) job(t *testing.T, p *models.Project, docs ...string) *models.Job {
	t.Helper()
	resolved, err := documents.Resolve(docs)
	require.NoError(t, err)
	j, _, err := c.b.db.CreateJob(context.Background(), models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: resolved, MaxRetries: 2})
	require.NoError(t, err)
	return j
}

// run drives the job the way a worker does: claim it, commit the given
// documents, then finish it with status (failing the first of failing).
func (b *bundle) run(t *testing.T, j *models.Job, commit []string, status string, failing ...string) *models.Job {
	t.Helper()
	ctx := context.Background()
	js, err := b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Equal(t, j.ID, js[0].ID)
	lease := js[0].Lease()
	for _, typ := range commit {
		now := time.Now()
		_, _, err := b.db.CommitDocument(ctx, lease, models.DocumentResult{
			Type: typ, Title: docTitle(typ), Markdown: "# " + typ, Attempts: 1, StartedAt: now.Add(-1200 * time.Millisecond),
			FinishedAt: now, PromptTokens: 1200, CompletionTokens: 3400,
		})
		require.NoError(t, err)
	}
	if status == "" {
		snap, err := b.db.JobByID(ctx, j.ID)
		require.NoError(t, err)
		return snap
	}
	o := models.Outcome{Status: status, Now: time.Now()}
	for _, f := range failing {
		o.Failures = append(o.Failures, models.DocumentFailure{Type: f, Error: `openai: the provider answered 400 Bad Request: bad request`, Attempts: 1, Permanent: true})
	}
	if status == models.StatusCompleted || status == models.StatusFailed {
		o.Notify = "job_" + status
	}
	out, err := b.db.FinishJob(ctx, lease, o)
	require.NoError(t, err)
	return out
}

const hx = "HX-Request"

func TestGeneratePageOffersTheCatalogWithDependencies(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")

		resp := c.get(t, "/projects/"+p.ID+"/generate")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)
		form := testID(doc, "generate-form")
		require.Equal(t, 1, form.Length())
		assert.Equal(t, "/projects/"+p.ID+"/generate", form.AttrOr("hx-post", ""))
		assert.Contains(t, form.AttrOr("hx-disabled-elt", ""), "button")
		boxes := form.Find(`input[name="documents"]`)
		assert.Equal(t, len(documents.Catalog()), boxes.Length())
		assert.Equal(t, boxes.Length(), form.Find(`input[name="documents"][checked]`).Length(), "all documents are chosen by default")
		risk := testID(doc, "doc-risk_register")
		assert.Equal(t, "scope_statement", risk.AttrOr("data-depends-on", ""))
		assert.Equal(t, "Needs: Scope Statement", strings.TrimSpace(testID(doc, "needs-risk_register").Text()))
		assert.Equal(t, 1, testID(doc, "select-all").Length())
		assert.Equal(t, 3, form.Find(`select[name="priority"] option`).Length())
		assert.Contains(t, testID(doc, "start-generation").Text(), "Start background generation")
		assert.Equal(t, 0, testID(doc, "job-card").Length())

		// The group of documents is named (aria-labelledby: its heading
		// shares a row with "Select all", so it is no first-child legend),
		// and one live region speaks for it: the notes by each document
		// are not live (one click can add eleven).
		fs := form.Find("fieldset").First()
		label := doc.Find("#" + fs.AttrOr("aria-labelledby", "missing"))
		assert.Equal(t, "Documents", strings.TrimSpace(label.Text()), "the fieldset's name")
		assert.Equal(t, 0, fs.Find("legend").Length(), "no legend out of place")
		assert.Equal(t, len(documents.Catalog()), fs.Find("[data-auto-note]").Length())
		assert.Equal(t, 0, fs.Find("[data-auto-note][aria-live]").Length())
		live := fs.Find(`[aria-live]`)
		require.Equal(t, 1, live.Length())
		assert.Equal(t, 1, live.Find("[data-selected-count]").Length())
		assert.Equal(t, 1, live.Find("[data-auto-summary]").Length())

		other := b.user(t)
		assert.Equal(t, http.StatusNotFound, other.get(t, "/projects/"+p.ID+"/generate").StatusCode)
	})
}

func TestGenerateStartsOneJobAndShowsItsLiveCard(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		ctx := context.Background()

		resp := c.postForm(t, "/projects/"+p.ID+"/generate", url.Values{"documents": {"risk_register"}, "priority": {"high"}}, hx, "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		redirect := resp.Header.Get("HX-Redirect")
		require.True(t, strings.HasPrefix(redirect, "/projects/"+p.ID+"/generate?job="), redirect)
		jobID := strings.TrimPrefix(redirect, "/projects/"+p.ID+"/generate?job=")
		j, err := b.db.JobForUser(ctx, c.user.ID, jobID)
		require.NoError(t, err)
		assert.Equal(t, []string{"scope_statement", "risk_register"}, []string(j.DocumentsToGenerate), "the dependency is added")
		assert.Equal(t, models.PriorityHigh, j.Priority)

		doc := page(t, c.get(t, redirect))
		card := doc.Find("#job-" + jobID)
		require.Equal(t, 1, card.Length())
		assert.Equal(t, "job-"+jobID, card.AttrOr("sse-swap", ""), "the card listens on the page's one stream")
		assert.Equal(t, 0, doc.Find("[sse-connect]").Not("body").Length(), "no second stream")
		note := testID(doc, "background-note")
		assert.Contains(t, note.Text(), "Generation continues in the background")
		assert.Equal(t, "/", testID(doc, "continue-dashboard").AttrOr("href", ""))
		assert.Equal(t, 0, testID(doc, "generate-form").Length(), "no second job while one runs")

		// The page without ?job= shows the active job too.
		assert.Equal(t, 1, page(t, c.get(t, "/projects/"+p.ID+"/generate")).Find("#job-"+jobID).Length())

		// Asking again shows the running job instead of starting another.
		resp = c.postForm(t, "/projects/"+p.ID+"/generate", url.Values{"documents": {"schedule"}}, hx, "true")
		assert.Equal(t, "/projects/"+p.ID+"/generate?job="+jobID+"&already=1", resp.Header.Get("HX-Redirect"))
		doc = page(t, c.get(t, resp.Header.Get("HX-Redirect")))
		assert.Contains(t, testID(doc, "flash").Text(), "already has a generation in progress")
		all, err := b.db.Jobs(ctx, c.user.ID, models.JobFilter{})
		require.NoError(t, err)
		assert.Len(t, all, 1)

		// Without JavaScript the form posts and follows a 303.
		b.run(t, j, nil, models.StatusCancelled)
		resp = c.postForm(t, "/projects/"+p.ID+"/generate", url.Values{"documents": {"schedule"}, "priority": {"normal"}})
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "/generate?job=")
	})
}

func TestGenerateFormErrors(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	tests := []struct {
		name    string
		form    url.Values
		htmx    bool
		message string
	}{
		{"nothing chosen, htmx", url.Values{"priority": {"normal"}}, true, "Choose at least one document"},
		{"nothing chosen, plain form", url.Values{}, false, "Choose at least one document"},
		{"bad priority", url.Values{"documents": {"schedule"}, "priority": {"urgent"}}, true, `Must be "high", "normal" or "low"`},
		{"unknown document", url.Values{"documents": {"poem"}}, true, `Unknown document type "poem"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.htmx {
				headers = []string{hx, "true"}
			}
			resp := c.postForm(t, "/projects/"+p.ID+"/generate", tt.form, headers...)
			assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
			doc := page(t, resp)
			assert.Contains(t, testID(doc, "generate-error").Text(), tt.message)
			assert.Equal(t, 1, testID(doc, "generate-form").Length())
			assert.Equal(t, !tt.htmx, doc.Find("header").Length() > 0, "htmx gets the form alone, a browser the page")
			if docs := tt.form["documents"]; len(docs) == 1 && docs[0] == "schedule" {
				assert.Equal(t, 1, doc.Find(`input[value="schedule"][checked]`).Length(), "the choice is kept")
				assert.Equal(t, 0, doc.Find(`input[value="quality_plan"][checked]`).Length())
			}
		})
	}
	all, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{})
	require.NoError(t, err)
	assert.Empty(t, all)
}

func TestCardCancelAndRetry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		j := c.job(t, p, "schedule")

		// A queued job ends at once.
		resp := c.do(t, http.MethodPost, "/jobs/"+j.ID+"/cancel", nil, hx, "true", "X-CSRF-Token", c.csrf)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)
		card := doc.Find("#job-" + j.ID)
		assert.Equal(t, "cancelled", card.AttrOr("data-status", ""))
		assert.Equal(t, "job-"+j.ID, card.AttrOr("sse-swap", ""))
		assert.Equal(t, 1, testID(doc, "job-retry").Length())
		// htmx gives the focus back after a swap by id only.
		assert.Equal(t, "job-"+j.ID+"-retry", testID(doc, "job-retry").AttrOr("id", ""))

		// Cancelling again is a conflict: the current card, and a notice.
		resp = c.do(t, http.MethodPost, "/jobs/"+j.ID+"/cancel", nil, hx, "true", "X-CSRF-Token", c.csrf)
		assert.Equal(t, http.StatusConflict, resp.StatusCode)
		doc = page(t, resp)
		assert.Equal(t, "cancelled", doc.Find("#job-"+j.ID).AttrOr("data-status", ""))
		assert.Contains(t, testID(doc, "action-notice").Text(), "already ended")
		assert.Equal(t, "beforeend:#toasts", testID(doc, "action-notice").Parent().AttrOr("hx-swap-oob", ""))

		resp = c.do(t, http.MethodPost, "/jobs/"+j.ID+"/retry", nil, hx, "true", "X-CSRF-Token", c.csrf)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "queued", page(t, resp).Find("#job-"+j.ID).AttrOr("data-status", ""))

		// A running job shows "Stopping…" until its worker stops.
		b.run(t, j, []string{"scope_statement"}, "")
		resp = c.do(t, http.MethodPost, "/jobs/"+j.ID+"/cancel", nil, hx, "true", "X-CSRF-Token", c.csrf)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		assert.Equal(t, "processing", doc.Find("#job-"+j.ID).AttrOr("data-status", ""))
		assert.Equal(t, "Stopping…", strings.TrimSpace(testID(doc, "job-cancel").Text()))
		// Cancel's id, and focusable: it takes the focus over from Cancel.
		assert.Equal(t, "job-"+j.ID+"-cancel", testID(doc, "job-cancel").AttrOr("id", ""))
		assert.Equal(t, "true", testID(doc, "job-cancel").AttrOr("aria-disabled", ""))
		_, disabled := testID(doc, "job-cancel").Attr("disabled")
		assert.False(t, disabled, "a disabled button cannot keep the focus")
		_, hxPost := testID(doc, "job-cancel").Attr("hx-post")
		assert.False(t, hxPost, "Stopping… does nothing")

		// Without CSRF, or as someone else: refused.
		assert.Equal(t, http.StatusForbidden, c.do(t, http.MethodPost, "/jobs/"+j.ID+"/retry", nil, hx, "true").StatusCode)
		other := b.user(t)
		assert.Equal(t, http.StatusNotFound, other.do(t, http.MethodPost, "/jobs/"+j.ID+"/cancel", nil, hx, "true", "X-CSRF-Token", other.csrf).StatusCode)

		// A plain form post goes back to the job page, which says why it
		// was refused, once.
		resp = c.postForm(t, "/jobs/"+j.ID+"/retry", url.Values{})
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/jobs/"+j.ID, resp.Header.Get("Location"))
		notice := c.followFlash(t, resp)
		assert.Contains(t, testID(notice, "action-notice").Text(), "Only a failed or cancelled job can be retried.")
		assert.Zero(t, testID(page(t, c.get(t, "/jobs/"+j.ID)), "action-notice").Length(), "nothing to say without a refused post")
	})
}

func TestJobsPageFiltersByStatus(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	done := c.job(t, c.project(t, "Alpha"), "project_charter")
	b.run(t, done, []string{"project_charter"}, models.StatusCompleted)
	failed := c.job(t, c.project(t, "Beta"), "project_charter")
	b.run(t, failed, nil, models.StatusFailed, "project_charter")
	running := c.job(t, c.project(t, "Gamma"), "schedule")

	tests := []struct {
		status        string
		cards, rows   []string
		currentTabKey string
	}{
		{"", []string{running.ID}, []string{failed.ID, done.ID}, "all"},
		{"active", []string{running.ID}, nil, "active"},
		{"completed", nil, []string{done.ID}, "completed"},
		{"failed", nil, []string{failed.ID}, "failed"},
		{"cancelled", nil, nil, "cancelled"},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			doc := page(t, c.get(t, "/jobs?status="+tt.status))
			var cards, rows []string
			testID(doc, "job-card").Each(func(_ int, s *goquery.Selection) {
				cards = append(cards, strings.TrimPrefix(s.AttrOr("id", ""), "job-"))
			})
			testID(doc, "job-row").Each(func(_ int, s *goquery.Selection) { rows = append(rows, s.AttrOr("data-id", "")) })
			assert.Equal(t, tt.cards, cards)
			assert.Equal(t, tt.rows, rows)
			assert.Equal(t, "page", testID(doc, "tab-"+tt.currentTabKey).AttrOr("aria-current", ""))
			if len(tt.cards)+len(tt.rows) == 0 {
				assert.Equal(t, 1, testID(doc, "empty-state").Length())
			}
		})
	}
	assert.Equal(t, http.StatusNotFound, c.get(t, "/jobs?status=nonsense").StatusCode)
	assert.Empty(t, testID(page(t, b.user(t).get(t, "/jobs")), "job-row").Nodes, "only one's own jobs")
}

// A status tab lists that status's latest jobs. The board held the latest
// 100 ended jobs of any status and the tabs filtered those, so a failure
// followed by 100 completions left the Failed tab empty ("Nothing has
// failed"). Found by a code review.
func TestJobsPageStatusTabReachesPastTheLatestOfAll(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Many")
		failed := c.job(t, p, "project_charter")
		b.run(t, failed, nil, models.StatusFailed, "project_charter")
		g := b.db.ForTests()
		base := time.Now().UTC()
		var completed []string
		for i := range 101 {
			j := c.job(t, p, "project_charter")
			require.NoError(t, g.Exec(`UPDATE document_generation_jobs SET status = 'completed', completed_at = ?, queued_at = ? WHERE id = ?`,
				base, base.Add(time.Duration(i+1)*time.Second), j.ID).Error)
			completed = append(completed, j.ID)
		}
		rows := func(path string) []string {
			var ids []string
			testID(page(t, c.get(t, path)), "job-row").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-id", "")) })
			return ids
		}
		assert.Equal(t, []string{failed.ID}, rows("/jobs?status=failed"))
		all := rows("/jobs")
		require.Len(t, all, 100, "the All tab keeps its latest 100")
		assert.Equal(t, completed[100], all[0], "newest first")
		assert.NotContains(t, all, failed.ID)
		assert.Len(t, rows("/jobs?status=completed"), 100)
	})
}

func TestJobPageTimelineLinksFinishedDocumentsOfAFailedJob(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		j := c.job(t, c.project(t, "Relaunch"), "budget_estimate", "project_charter")
		b.run(t, j, []string{"project_charter", "scope_statement", "work_breakdown_structure"}, models.StatusFailed, "risk_register")

		resp := c.get(t, "/jobs/"+j.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)
		assert.Equal(t, "failed", doc.Find("#job-"+j.ID).AttrOr("data-status", ""))
		live := testID(doc, "job-timeline-live")
		assert.Equal(t, "timeline-"+j.ID, live.AttrOr("sse-swap", ""), "pushed by the page's stream, not fetched")
		assert.Empty(t, live.AttrOr("hx-get", ""))
		assert.Equal(t, "jobhead-"+j.ID, testID(doc, "job-head").AttrOr("sse-swap", ""))
		assert.Contains(t, testID(doc, "job-head").Text(), "Finished")
		assert.Equal(t, 1, testID(doc, "generate-again").Length(), "an ended job can be generated again")
		assert.Equal(t, "/events?since="+fmt.Sprint(position(t, b.db, c.user.ID))+"&view=job:"+j.ID, doc.Find("body").AttrOr("sse-connect", ""))
		assert.Equal(t, 1, live.Find(`[data-testid="job-timeline"]`).Length())
		assert.Equal(t, "/api/generation/jobs/"+j.ID+"/artifacts.zip", testID(doc, "job-zip").AttrOr("href", ""))
		// The stream swaps the head and the timeline: every link in them has
		// an id (htmx gives the focus back after a swap by id only), unique
		// on the page.
		seen := map[string]bool{}
		doc.Find(`[data-testid="job-head"] a, [data-testid="job-timeline-live"] a, [data-testid="job-card"] a, [data-testid="job-card"] button`).Each(func(_ int, a *goquery.Selection) {
			id := a.AttrOr("id", "")
			if assert.NotEmpty(t, id, "a live control without an id: %s", a.Text()) {
				assert.False(t, seen[id], "id %s twice", id)
				seen[id] = true
			}
		})
		assert.Equal(t, "job-"+j.ID+"-timeline-project_charter-link", testID(doc, "timeline-doc-link").First().AttrOr("id", ""))

		charter := testID(doc, "timeline-doc-project_charter")
		assert.Equal(t, "completed", charter.AttrOr("data-status", ""))
		assert.True(t, strings.HasPrefix(charter.Find("a").AttrOr("href", ""), "/artifacts/"))
		assert.Contains(t, charter.Text(), "1,200 in · 3,400 out")
		assert.Contains(t, charter.Text(), "1.2 s")
		risk := testID(doc, "timeline-doc-risk_register")
		assert.Equal(t, "failed", risk.AttrOr("data-status", ""))
		assert.Equal(t, 0, risk.Find("a").Length())
		assert.Contains(t, risk.Find(`[data-testid="timeline-doc-error"]`).Text(), "The provider answered 400 Bad Request: bad request", "what the provider said")
		assert.Equal(t, "Not generated: it needs Risk Register, which failed.",
			testID(doc, "timeline-doc-budget_estimate").Find(`[data-testid="timeline-doc-note"]`).Text())

		assert.Equal(t, 3, doc.Find(`[data-testid="timeline-doc-link"]`).Length())

		other := b.user(t)
		resp = other.get(t, "/jobs/"+j.ID)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, 1, testID(page(t, resp), "error-page").Length(), "a 404 page, not JSON")
		assert.Equal(t, http.StatusNotFound, c.get(t, "/jobs/not-a-uuid").StatusCode)
	})
}

func position(t *testing.T, db *models.DB, userID string) int64 {
	t.Helper()
	p, err := db.SyncPosition(t.Context(), userID)
	require.NoError(t, err)
	return p
}

// With LLM_CONCURRENCY above 1 a job writes several documents at once: its
// card names every one generating, not only the current document (the one
// started last).
func TestJobCardNamesEveryDocumentGenerating(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		j := c.job(t, c.project(t, "Relaunch"), "project_charter", "business_case")
		js, err := b.db.Claim(context.Background(), models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 2, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, js, 1)
		var generating []string
		for _, doc := range js[0].Documents {
			if doc.Status == models.DocGenerating {
				generating = append(generating, doc.Type)
			}
		}
		require.ElementsMatch(t, []string{"project_charter", "business_case"}, generating, "the claim starts both")

		for _, path := range []string{"/jobs/" + j.ID, "/jobs"} {
			resp := c.get(t, path)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			line := strings.Join(strings.Fields(testID(page(t, resp), "job-current").Text()), " ")
			assert.Contains(t, line, docTitle("project_charter"), path)
			assert.Contains(t, line, docTitle("business_case"), path)
			assert.Regexp(t, `^Generating .+ and .+$`, line, path)
		}
	})
}
