package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Issue 13, item 1: a job waiting for its automatic retry (after a long
// Retry-After, its run_at is the provider's time) says on its page when it
// resumes; a queued job that is not retrying says nothing of the kind.
func TestJobPageSaysWhenARetryResumes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		ctx := context.Background()
		p := &models.Project{UserID: c.user.ID, Name: "Rate limited"}
		require.NoError(t, b.db.CreateProject(ctx, p))
		job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"risk_register"}})
		require.NoError(t, err)

		doc := page(t, c.get(t, "/jobs/"+job.ID))
		assert.Zero(t, testID(doc, "job-resumes").Length(), "a fresh queued job is not waiting for a retry")

		resume := time.Now().Add(300 * time.Second).UTC().Truncate(time.Second)
		require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET retry_count = 1, run_at = ? WHERE id = ?`,
			resume, job.ID).Error)
		resp := c.get(t, "/jobs/"+job.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		el := testID(doc, "job-resumes")
		require.Equal(t, 1, el.Length(), "the page says when the retry resumes")
		assert.Contains(t, el.Text(), resume.Format("15:04:05 UTC"))
		iso, _ := el.Find("time").Attr("datetime")
		assert.Equal(t, resume.Format(time.RFC3339), iso)
	})
}
