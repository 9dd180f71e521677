package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// rateLimitFailure is a failure as a run hands it to the job-level retry: the
// provider's 429, its plain sentence, and the provider's own text, which
// a user's page must not show as the reason.
func rateLimitFailure(docType string) models.DocumentFailure {
	return models.DocumentFailure{Type: docType, Attempts: 3,
		Error:   "openai: the provider answered 429 Too Many Requests: Rate limit reached for org-7Hq2 on requests per min",
		Summary: documents.Explain(&documents.ProviderError{Status: http.StatusTooManyRequests}).Summary}
}

// The limit sentence's first sentence: why the job waits, without the
// advice to try again that the automatic retry is following.
const rateLimitedReason = "The model provider is limiting how many requests Dossier may send."

// assertWaits checks a card's or a run's "waiting to retry" line: when
// (the time element) and why (the plain sentence, not the provider's
// text), and the badge beside it.
func assertWaits(t *testing.T, where string, line, badge *goquery.Selection, at time.Time) {
	t.Helper()
	require.Equal(t, 1, line.Length(), "%s says the job waits to retry", where)
	iso, _ := line.Find("time").Attr("datetime")
	assert.Equal(t, at.UTC().Format(time.RFC3339), iso, where)
	text := collapse(line.Text())
	assert.Contains(t, text, "Waiting to retry at "+at.UTC().Format("15:04:05 UTC"), where)
	assert.Contains(t, text, rateLimitedReason, "%s says why it waits", where)
	assert.NotContains(t, text, "Rate limit reached", "%s shows the sentence, not the provider's text", where)
	assert.NotContains(t, text, "Try again", "%s: the automatic retry is trying again", where)
	assert.Equal(t, "Waiting to retry", collapse(badge.Text()), "%s's status", where)
}

// A job that a rate limit handed to its automatic retry says, on its card
// and in its project's runs, when it tries again and why it waits, and the
// stream pushes both as the run ends so.
func TestWaitingToRetrySaysWhenAndWhyLive(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("retry-wait@example.com")
	ctx := context.Background()
	p := &models.Project{UserID: u.ID, Name: "Rate limited"}
	require.NoError(t, e.db.CreateProject(ctx, p))
	j, _, err := e.db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter", "risk_register"}, MaxRetries: 3})
	require.NoError(t, err)
	dr := e.drive(j)
	dr.claim()
	pos, err := e.db.SyncPosition(ctx, u.ID)
	require.NoError(t, err)
	c := dialSSE(t, e.addr, fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID), token)
	_, _ = c.batch(streamWait)

	at := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	done, err := e.db.FinishJob(ctx, dr.lease, models.Outcome{Status: models.StatusQueued, RetryAt: &at, Now: time.Now(),
		Failures: []models.DocumentFailure{rateLimitFailure("project_charter"), rateLimitFailure("risk_register")}})
	require.NoError(t, err)
	dr.publish(done)
	evs, _ := c.batch(streamWait)
	event := func(name string) *goquery.Document {
		i := slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == name })
		require.GreaterOrEqual(t, i, 0, "no %s in %v", name, eventNames(evs))
		return evs[i].doc(t)
	}
	card := event("job-" + j.ID)
	assertWaits(t, "the card", testID(card, "job-resumes"), testID(card, "job-status"), at)
	assert.Equal(t, 1, testID(card, "job-resumes-reason").Length(), "two documents failed alike: one sentence")
	runs := event("runs-" + p.ID)
	assertWaits(t, "the run", testID(runs, "run-retry"), testID(runs, "run-status"), at)
}

// The pages say it too: the job page's card, the jobs page's, and the
// project page's runs; a queued job that is not waiting says none of it.
func TestWaitingToRetryOnThePages(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	ctx := context.Background()
	p := &models.Project{UserID: c.user.ID, Name: "Rate limited"}
	require.NoError(t, b.db.CreateProject(ctx, p))
	job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"risk_register"}, MaxRetries: 3})
	require.NoError(t, err)
	doc := page(t, c.get(t, "/projects/"+p.ID))
	assert.Zero(t, testID(doc, "run-retry").Length(), "a fresh queued run is not waiting for a retry")
	assert.Equal(t, "Queued", collapse(testID(doc, "run-status").Text()))

	at := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	f := rateLimitFailure("risk_register")
	details := models.JSONMap{"risk_register": map[string]any{"error": f.Error, "summary": f.Summary, "attempts": 3, "permanent": false}}
	require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET retry_count = 1, run_at = ?, error_details = ?, error_message = ? WHERE id = ?`,
		at, details, "risk_register failed: "+f.Error, job.ID).Error)
	for _, path := range []string{"/jobs/" + job.ID, "/jobs"} {
		doc = page(t, c.get(t, path))
		assertWaits(t, path, testID(doc, "job-resumes"), testID(doc, "job-status"), at)
	}
	doc = page(t, c.get(t, "/projects/"+p.ID))
	assertWaits(t, "the project page", testID(doc, "run-retry"), testID(doc, "run-status"), at)
}

// collapse is text as it reads: runs of white space as one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
