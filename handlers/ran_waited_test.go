package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A job's duration is the time it ran, not the time it waited for its
// automatic retry: the claim that resumes it adds the wait since its last
// run ended to waited_ms, and its page, the Jobs list and its project's
// runs say "Ran 1 min 40 s" and, apart, "waited 40 s to retry". A job that
// never waited says "took", as before.
func TestDurationLeavesOutTheWaitToRetry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		p := c.project(t, "Waited")
		j := c.job(t, p, "project_charter")
		claim := func() models.Lease {
			t.Helper()
			js, err := b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
			require.NoError(t, err)
			require.Len(t, js, 1)
			return js[0].Lease()
		}
		lease := claim()
		now := time.Now()
		_, err := b.db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusQueued, RetryAt: &now, Now: now,
			Failures: []models.DocumentFailure{{Type: "project_charter", Error: "503", Summary: "The model provider had a temporary problem. Try again in a few minutes.", Attempts: 3}}})
		require.NoError(t, err)
		// The run ended 40 s before the claim that resumes it.
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET updated_at = ? WHERE id = ?`, now.Add(-40*time.Second).UTC(), j.ID).Error)
		lease = claim()
		got, err := b.db.JobByID(ctx, j.ID)
		require.NoError(t, err)
		require.NotNil(t, got.WaitedMS)
		assert.InDelta(t, 40_000, *got.WaitedMS, 5_000, "the claim adds the wait since the run ended")

		_, err = b.db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
		require.NoError(t, err)
		// 140 s from the first start to the end, 40 s of them waiting.
		end := time.Now().UTC().Truncate(time.Second)
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET started_at = ?, completed_at = ?, waited_ms = 40000 WHERE id = ?`,
			end.Add(-140*time.Second), end, j.ID).Error)

		head := jobFacts(t, page(t, c.get(t, "/jobs/"+j.ID)))
		assert.Equal(t, "1 min 40 s", head["Ran"], "the wait is not counted as running")
		assert.Equal(t, "40 s to retry", head["Waited"])
		assert.NotContains(t, head, "Took")
		row := collapse(testID(page(t, c.get(t, "/jobs")), "job-row").Text())
		assert.Contains(t, row, "ran 1 min 40 s; waited 40 s to retry")
		run := collapse(testID(page(t, c.get(t, "/projects/"+p.ID)), "run-when").Text())
		assert.Contains(t, run, "ran 1 min 40 s; waited 40 s to retry")

		// A job that never waited took what it ran.
		other := c.job(t, c.project(t, "Straight"), "project_charter")
		b.run(t, other, []string{"project_charter"}, models.StatusCompleted)
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET started_at = ?, completed_at = ? WHERE id = ?`,
			end.Add(-70*time.Second), end, other.ID).Error)
		head = jobFacts(t, page(t, c.get(t, "/jobs/"+other.ID)))
		assert.Equal(t, "1 min 10 s", head["Took"])
		assert.NotContains(t, head, "Waited")
		assert.NotContains(t, head, "Ran")
	})
}

// jobFacts are the job page's header facts, by label ("Took": "1 min 10 s").
func jobFacts(t *testing.T, pg *goquery.Document) map[string]string {
	t.Helper()
	out := map[string]string{}
	testID(pg, "job-head").Find("dt").Each(func(_ int, dt *goquery.Selection) {
		out[strings.TrimSpace(dt.Text())] = collapse(dt.Next().Text())
	})
	return out
}
