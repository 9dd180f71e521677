package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Issue 10's polish list, as far as the server's HTML decides it (what a
// browser does with it is in e2e/layout_test.go and e2e/documents_test.go).

// The generate page says, before anything runs, which documents the
// project's data is too thin for and why; a complete project gets no
// warning.
func TestGeneratePageWarnsOfThinDocuments(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	ctx := context.Background()
	name, desc, data, pack := models.ExampleProject()
	full := &models.Project{UserID: c.user.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(t, b.db.CreateProject(ctx, full))
	data.Milestones = nil
	noMilestones := &models.Project{UserID: c.user.ID, Name: "No milestones", Data: data, CompanyIntelligencePack: pack}
	require.NoError(t, b.db.CreateProject(ctx, noMilestones))
	empty := &models.Project{UserID: c.user.ID, Name: "Just a name"}
	require.NoError(t, b.db.CreateProject(ctx, empty))

	doc := page(t, c.get(t, "/projects/"+full.ID+"/generate"))
	assert.Equal(t, 0, testID(doc, "thin-warning").Length(), "a complete project: no warning")

	doc = page(t, c.get(t, "/projects/"+noMilestones.ID+"/generate"))
	w := testID(doc, "thin-warning")
	require.Equal(t, 1, w.Length())
	assert.Equal(t, "One document will be thin", strings.TrimSpace(w.Find("h2").Text()))
	assert.Equal(t, "Project Schedule: no milestones.", strings.TrimSpace(testID(doc, "thin-schedule").Text()))
	assert.Equal(t, 1, w.Find("li").Length())

	doc = page(t, c.get(t, "/projects/"+empty.ID+"/generate"))
	w = testID(doc, "thin-warning")
	require.Equal(t, 1, w.Length())
	assert.Equal(t, "Every document will be thin", strings.TrimSpace(w.Find("h2").Text()))
	assert.Equal(t, 12, w.Find("li").Length())
	assert.Equal(t, "Project Schedule: no milestones, no start or end date, no deliverables.", strings.TrimSpace(testID(doc, "thin-schedule").Text()))
	assert.Equal(t, "Risk Register: no risks.", strings.TrimSpace(testID(doc, "thin-risk_register").Text()))
	assert.Equal(t, "/projects/"+empty.ID+"/edit", testID(doc, "thin-edit").AttrOr("href", ""))
	// The form is still there: thin is a warning, not a refusal.
	assert.Equal(t, 1, testID(doc, "generate-form").Length())
	// Notifications are offered where a user starts the long wait.
	assert.Equal(t, 1, testID(doc, "generate-enable-notifications").Length())
}

// Right after sign-up the dashboard welcomes; once there is something to
// come back to, it welcomes back.
func TestDashboardWelcomesANewUserOnce(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.signup(t, uniqueEmail("new"), "Nora New", testPassword)
	h1 := strings.TrimSpace(page(t, c.get(t, "/")).Find("h1").First().Text())
	assert.Equal(t, "Welcome, Nora", h1)
	require.NoError(t, b.db.CreateProject(context.Background(), &models.Project{UserID: c.user.ID, Name: "P"}))
	h1 = strings.TrimSpace(page(t, c.get(t, "/")).Find("h1").First().Text())
	assert.Equal(t, "Welcome back, Nora", h1)
}

// A failed sign-up shows the password rule once: the error replaces the
// hint that says the same.
func TestSignupPasswordRuleShownOnce(t *testing.T) {
	b := setup(t, models.SQLite)
	doc := page(t, b.anon().get(t, "/signup"))
	assert.Equal(t, "At least 8 characters.", strings.TrimSpace(doc.Find("#f-password-hint").Text()), "the hint before a submit")

	resp := b.anon().postForm(t, "/signup", url.Values{"email": {uniqueEmail("s")}, "name": {"Sam"}, "password": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = page(t, resp)
	field := doc.Find(`[data-field="password"]`)
	assert.Equal(t, 0, field.Find("#f-password-hint").Length(), "no hint beside the error")
	assert.Equal(t, "Use at least 8 characters", strings.TrimSpace(field.Find("#f-password-error").Text()))
	assert.Equal(t, 1, strings.Count(strings.ToLower(field.Text()), "8 characters"))
	assert.Equal(t, "f-password-error", doc.Find("#f-password").AttrOr("aria-describedby", ""))
	assert.Equal(t, "true", doc.Find("#f-password").AttrOr("aria-invalid", ""))
}

// The 404 page says what happened once, in a sentence; the favicon is
// served; every page starts with a skip link to the content.
func TestNotFoundFaviconAndSkipLink(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.get(t, "/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	doc := page(t, resp)
	heading := strings.TrimSpace(testID(doc, "error-heading").Text())
	msg := strings.TrimSpace(testID(doc, "error-message").Text())
	assert.Equal(t, "Page not found", heading)
	assert.NotEqual(t, strings.ToLower(heading), strings.ToLower(msg))
	assert.NotContains(t, strings.ToLower(msg), "not found", "the sentence does not repeat the heading")
	assert.Contains(t, msg, "nothing at this address")

	for _, path := range []string{"/", "/login"} {
		cl := c
		if path == "/login" {
			cl = b.anon()
		}
		doc := page(t, cl.get(t, path))
		first := doc.Find("body").Children().First()
		assert.Equal(t, "skip-link", first.AttrOr("data-testid", ""), "%s: the skip link comes first", path)
		assert.Equal(t, "#main", first.AttrOr("href", ""))
		assert.Equal(t, 1, doc.Find("main#main[tabindex='-1']").Length(), path)
		assert.Equal(t, "/static/favicon.svg", doc.Find(`link[rel="icon"]`).AttrOr("href", ""), path)
	}

	resp = b.anon().get(t, "/static/favicon.svg")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
	body, _ := io.ReadAll(resp.Body)
	assert.True(t, strings.HasPrefix(string(body), "<svg"), "an SVG icon")
	resp = b.anon().get(t, "/favicon.ico")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "/static/favicon.svg", resp.Header.Get("Location"))
}

// A filter's empty state speaks of that filter: "failed" does not promise
// jobs "live while it runs".
func TestJobsEmptyStatesFitTheirFilter(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	for filter, want := range map[string]string{
		"":          "live while it runs",
		"active":    "live, while it runs",
		"failed":    "Nothing has failed",
		"completed": "every document they were asked for",
		"cancelled": "Jobs you cancel",
	} {
		path := "/jobs"
		if filter != "" {
			path += "?status=" + filter
		}
		text := page(t, c.get(t, path)).Find(`[data-testid="jobs-live"]`).Text()
		assert.Contains(t, text, want, path)
		if filter == "failed" || filter == "completed" || filter == "cancelled" {
			assert.NotContains(t, text, "while it runs", path)
		}
	}
}

// A job cancelled, retried and then completed shows that story on its
// page and in the jobs list, not only "Completed".
func TestRetriedJobShowsItsHistory(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		p := c.project(t, "Cancelled then retried")
		job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"project_charter", "scope_statement"}})
		require.NoError(t, err)

		doc := page(t, c.get(t, "/jobs/"+job.ID))
		assert.Equal(t, 0, testID(doc, "job-history").Length(), "a job never retried has no history line")

		require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+job.ID+"/cancel", nil).StatusCode)
		require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+job.ID+"/retry", nil).StatusCode)
		// The run completes (as the processor would leave it).
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed', completed_documents = 2,
			progress_percentage = 100, started_at = ?, completed_at = ? WHERE id = ?`, time.Now().UTC(), time.Now().UTC(), job.ID).Error)

		doc = page(t, c.get(t, "/jobs/"+job.ID))
		var steps []string
		testID(doc, "job-history-step").Each(func(_ int, s *goquery.Selection) { steps = append(steps, s.AttrOr("data-status", "")) })
		assert.Equal(t, []string{"queued", "cancelled", "retried", "completed"}, steps)
		h := testID(doc, "job-history").Text()
		assert.Contains(t, h, "0 of 2 documents written", "how far the cancelled run got")
		assert.Contains(t, h, "2 of 2 documents written")

		row := page(t, c.get(t, "/jobs")).Find(`[data-testid="job-row"][data-id="` + job.ID + `"]`)
		require.Equal(t, 1, row.Length())
		assert.Equal(t, "cancelled, retried →", strings.TrimSpace(testID(page(t, c.get(t, "/jobs")), "job-row-earlier").Text()))
		assert.Equal(t, "completed", row.AttrOr("data-status", ""))
	})
}
