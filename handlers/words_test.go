package handlers

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A run of one document counts it in the singular wherever a page or a
// message says how far it got: the job page's history, the notification
// of its failure.
func TestOneDocumentRunIsCountedInTheSingular(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()

		p := c.project(t, "Single")
		job := c.job(t, p, "project_charter")
		require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+job.ID+"/cancel", nil).StatusCode)
		require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+job.ID+"/retry", nil).StatusCode)
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed', completed_documents = 1,
			progress_percentage = 100, started_at = ?, completed_at = ? WHERE id = ?`, time.Now().UTC(), time.Now().UTC(), job.ID).Error)
		h := testID(page(t, c.get(t, "/jobs/"+job.ID)), "job-history").Text()
		assert.Contains(t, h, "0 of 1 document written")
		assert.Contains(t, h, "1 of 1 document written")
		assert.NotContains(t, h, "of 1 documents")

		failed := c.job(t, c.project(t, "Single failed"), "project_charter")
		b.run(t, failed, nil, models.StatusFailed, "project_charter")
		ns, err := b.db.Notifications(ctx, c.user.ID, 10)
		require.NoError(t, err)
		require.NotEmpty(t, ns)
		_, body, _ := notificationWords(ns[0])
		assert.Equal(t, "0 of 1 document generated.", body)
		assert.Contains(t, testID(page(t, c.get(t, "/notifications")), "notification-list").Text(), "0 of 1 document generated.")

		// The job card (its progress text and the bar's spoken value) and
		// the Jobs list's row count it the same way; the row's time is
		// machine-readable.
		running := c.job(t, c.project(t, "Single running"), "project_charter")
		card := testID(page(t, c.get(t, "/jobs/"+running.ID)), "job-card")
		assert.Contains(t, strings.Join(strings.Fields(card.Text()), " "), "0 of 1 document · 0%")
		assert.Equal(t, "0 of 1 document", card.Find(`[data-testid="job-progress"]`).AttrOr("aria-valuetext", ""))
		row := testID(page(t, c.get(t, "/jobs?status=completed")), "job-row")
		require.Equal(t, 1, row.Length())
		assert.Contains(t, row.Text(), "1 of 1 document")
		assert.NotContains(t, row.Text(), "of 1 documents")
		_, err = time.Parse(time.RFC3339, row.Find("time").AttrOr("datetime", ""))
		assert.NoError(t, err, "the row's datetime is RFC 3339")
	})
}

// A foreground run of a single document says so in the singular, not
// "All 1 documents generated".
func TestForegroundSingleDocumentIsCountedInTheSingular(t *testing.T) {
	gen := newFGGenerator(-1)
	b := pagesSetup(t, models.SQLite, gen, foregroundOff)
	base := b.listen(t)
	c := b.user(t)
	p := c.project(t, "Relaunch")

	resp := getStream(t, base, c, "/projects/"+p.ID+"/generate/stream?docs=project_charter")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	require.NoError(t, err)
	last := testID(doc, "fg-step").Last()
	assert.Equal(t, "1 document generated", last.AttrOr("data-heading", ""))
	assert.Contains(t, last.Text(), "The document was generated in")
	assert.NotContains(t, string(body), "All 1 documents")
}

// The project page's runs list separates a run's duration from its time:
// "took 4 s · just now", not "4 s just now".
func TestRunsListSeparatesDurationFromTime(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	j := c.job(t, p, "project_charter")
	b.run(t, j, []string{"project_charter"}, models.StatusCompleted)
	now := time.Now().UTC()
	require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET started_at = ?, completed_at = ? WHERE id = ?`,
		now.Add(-4*time.Second), now, j.ID).Error)

	run := testID(page(t, c.get(t, "/projects/"+p.ID)), "run")
	require.Equal(t, 1, run.Length())
	assert.NotContains(t, strings.Join(strings.Fields(run.Text()), " "), "4 s just now")
	assert.Equal(t, "took 4 s · just now", run.Find(`[data-testid="run-when"]`).Text())
	assert.Equal(t, "just now", run.Find(`[data-testid="run-when"] time`).Text())
}

// The notifications page's times are machine-readable (<time datetime> in
// RFC 3339, the exact time people read in the tooltip), and its "Mark all
// as read" button is for a browser without scripts only: with one, the
// page marks everything read as it loads, and the button stayed on offer
// for what was already done.
func TestNotificationsPageTimesAndMarkReadButton(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	j := c.job(t, c.project(t, "Alpha"), "project_charter")
	b.run(t, j, []string{"project_charter"}, models.StatusCompleted)

	resp := c.get(t, "/notifications")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(raw)))
	require.NoError(t, err)

	when := testID(doc, "notification").Find("time")
	require.Equal(t, 1, when.Length())
	at, err := time.Parse(time.RFC3339, when.AttrOr("datetime", ""))
	require.NoError(t, err, "datetime is RFC 3339, not %q", when.AttrOr("datetime", ""))
	assert.WithinDuration(t, time.Now(), at, time.Minute)
	assert.Equal(t, at.Format("2 Jan 2006, 15:04:05 UTC"), when.AttrOr("title", ""), "people read the exact time in the tooltip")

	assert.Equal(t, 1, doc.Find("[data-mark-read]").Length(), "the page script marks them read")
	assert.Equal(t, 0, testID(doc, "mark-read").Length(), "no button outside <noscript>")
	noscript := doc.Find("noscript")
	require.Equal(t, 1, noscript.Length())
	assert.Contains(t, noscript.Text(), `data-testid="mark-read"`, "the button, for a browser without scripts")
	assert.Contains(t, noscript.Text(), `action="/notifications/read"`)
}

// A job row's <time datetime> value is RFC 3339; the display string stays
// for the tooltip.
func TestJobRowQueuedTimeIsMachineReadable(t *testing.T) {
	t.Parallel()
	queued := time.Date(2026, 12, 1, 3, 15, 43, 0, time.UTC)
	r := jobRow(&models.JobSnapshot{Job: models.Job{Status: models.StatusCompleted, QueuedAt: queued}}, queued.Add(time.Hour))
	assert.Equal(t, "2026-12-01T03:15:43Z", r.QueuedISO)
	assert.Equal(t, "1 Dec 2026, 03:15:43 UTC", r.QueuedAt)
}
