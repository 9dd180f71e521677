package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
)

// A running job's card stops it with "Stop", and asks "Stop generating
// …?": the browser's dialog answers OK or Cancel, and a question about
// cancelling made its Cancel read as "yes, cancel" when it keeps the run
// going.
func TestStopAsksAboutStoppingNotCancelling(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		j := c.job(t, c.project(t, "Customer Portal Relaunch"), "schedule")
		resp := c.get(t, "/jobs/"+j.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		stop := testID(page(t, resp), "job-cancel")
		require.Equal(t, 1, stop.Length())
		assert.Equal(t, "Stop", strings.TrimSpace(stop.Text()))
		question := stop.AttrOr("hx-confirm", "")
		assert.True(t, strings.HasPrefix(question, "Stop generating “Customer Portal Relaunch · Run #1”?"), "the question: %q", question)
		assert.Contains(t, question, "The documents it has finished are kept")
		assert.NotContains(t, question, "Cancel", "no answer of the dialog repeats the question's verb")
	})
}

// The generate page's note under an ended run depends on how it ended and
// on whether it wrote anything: a failure that wrote nothing says so and
// links to what went wrong, not to "documents"; a failure no retry can fix
// offers no "Generate again", which would fail alike.
func TestGenerateFollowUpFollowsTheOutcome(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		end := func(name string, commit []string, fail documents.Explanation) string {
			p := c.project(t, name)
			j := c.job(t, p, "schedule")
			js := b.run(t, j, commit, "")
			_, err := b.db.FinishJob(ctx, js.Lease(), models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Now: time.Now(),
				Failures: []models.DocumentFailure{{Type: "schedule", Error: "x", Summary: fail.Summary, Attempts: 1, Permanent: !fail.CanRetry}}})
			require.NoError(t, err)
			return "/projects/" + p.ID + "/generate?job=" + j.ID
		}
		badKey := documents.Explain(&documents.ProviderError{Status: 401})
		outage := documents.Explain(&documents.ProviderError{Status: 503})
		require.False(t, badKey.CanRetry)
		require.True(t, outage.CanRetry)

		cases := []struct {
			name, url, sentence, link string
			again                     bool
		}{
			{"nothing written, no retry helps", end("A", nil, badKey),
				"This generation failed before it wrote any document.", "See what went wrong", false},
			{"nothing written, a retry may help", end("B", nil, outage),
				"This generation failed before it wrote any document.", "See what went wrong", true},
			{"some written", end("C", []string{"scope_statement"}, outage),
				"This generation failed partway: 1 of N documents written.", "View documents", true},
		}
		for _, tc := range cases {
			resp := c.get(t, tc.url)
			require.Equal(t, http.StatusOK, resp.StatusCode, tc.name)
			note := testID(page(t, resp), "ended-note")
			require.Equal(t, 1, note.Length(), tc.name)
			assert.NotContains(t, note.Text(), "Its documents are on the job page", tc.name)
			if !strings.Contains(tc.sentence, "partway") {
				assert.Equal(t, tc.sentence, strings.TrimSpace(note.Find("p").Text()), tc.name)
			} else {
				assert.Contains(t, note.Find("p").Text(), "This generation failed partway: 1 of ", tc.name)
			}
			assert.Equal(t, tc.link, strings.TrimSpace(note.Find(`[data-testid="open-job"]`).Text()), tc.name)
			assert.Equal(t, tc.again, note.Find(`[data-testid="generate-again"]`).Length() == 1, "%s: Generate again offered", tc.name)
		}
	})
}

// The Jobs page's ended tabs, like the dashboard's Recent generations,
// list runs by when they ended: a run retried by hand, which keeps its old
// queue time, comes first when it has just ended.
func TestJobsTabsListTheLatestEndedFirst(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		old := c.job(t, c.project(t, "Yesterday's run"), "scope_statement")
		_, err := b.db.RequestCancel(ctx, c.user.ID, old.ID, time.Now())
		require.NoError(t, err)
		newer := c.job(t, c.project(t, "Quick"), "scope_statement")
		b.run(t, newer, []string{"scope_statement"}, models.StatusCompleted)
		_, err = b.db.RetryJob(ctx, c.user.ID, old.ID, time.Now())
		require.NoError(t, err)
		b.run(t, old, []string{"scope_statement"}, models.StatusCompleted)

		for _, path := range []string{"/jobs", "/jobs?status=completed"} {
			rows := page(t, c.get(t, path)).Find(`[data-testid="job-row"]`)
			require.Equal(t, 2, rows.Length(), path)
			assert.Equal(t, old.ID, rows.First().AttrOr("data-id", ""), "%s: the run that ended last comes first", path)
		}
	})
}

// A generate page showing the form (the project's view) learns of a run
// started for its project in another tab: the stream sends the run's card
// to take the form's place, under the name the form's wrapper listens
// for, once; and its follow-up when the run ends.
func TestGeneratePageFormGivesWayToARunStartedElsewhere(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	token, p, _ := e.seedCurrentRiskRegister(uniqueEmail("second-tab"), "Relaunch")
	ctx := context.Background()

	form := e.getPage(token, "/projects/"+p.ID+"/generate")
	wrapper := form.Find(`[data-testid="generate-start"]`)
	require.Equal(t, 1, wrapper.Length(), "the form's wrapper")
	assert.Equal(t, pages.GenerateStartedEvent(p.ID), wrapper.AttrOr("sse-swap", ""))
	assert.Equal(t, "outerHTML", wrapper.AttrOr("hx-swap", ""))
	assert.Equal(t, 1, wrapper.Find("form").Length(), "holds the form")

	pos, err := e.db.SyncPosition(ctx, p.UserID)
	require.NoError(t, err)
	tab := dialSSE(t, e.addr, fmt.Sprintf("/events?view=project:%s&since=%d", p.ID, pos), token)
	defer tab.close()
	tab.batch(streamWait)

	// Another tab starts a run.
	j, _, err := e.db.CreateJob(ctx, models.NewJob{UserID: p.UserID, ProjectID: p.ID, Documents: []string{"risk_register"}})
	require.NoError(t, err)
	d := e.drive(j)
	d.publish(j)
	named := func(name string) sseEvent {
		deadline := time.Now().Add(streamWait)
		for time.Now().Before(deadline) {
			if ev := tab.event(time.Until(deadline)); ev.Name == name {
				return ev
			}
		}
		t.Fatalf("no %s event", name)
		return sseEvent{}
	}
	started := named(pages.GenerateStartedEvent(p.ID)).doc(t)
	card := started.Find(`[data-testid="current-job"] [data-testid="job-card"]`)
	require.Equal(t, 1, card.Length(), "the run's card")
	assert.Equal(t, "job-"+j.ID, card.AttrOr("sse-swap", ""), "which follows the run")
	assert.Equal(t, 1, started.Find(`[data-testid="background-note"]`).Length())

	d.claim()
	d.commit("risk_register", "")
	d.finish(models.StatusCompleted)
	followUp := named("followup-" + j.ID).doc(t)
	assert.Equal(t, 1, followUp.Find(`[data-testid="ended-note"]`).Length(), "the follow-up says the run ended")
}
