package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A failed job's card says what went wrong in a plain sentence, keeps the
// technical detail (the provider's own message) behind a disclosure, and
// offers Retry only when a retry can help.
func TestFailedJobCardExplainsAndOffersRetryOnlyWhenItHelps(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		ctx := context.Background()
		cases := []struct {
			name      string
			permanent bool
			retry     bool
		}{
			{"bad key", true, false},
			{"provider outage", false, true},
		}
		for _, tc := range cases {
			p := &models.Project{UserID: c.user.ID, Name: tc.name}
			require.NoError(t, b.db.CreateProject(ctx, p))
			job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"risk_register"}})
			require.NoError(t, err)
			details := models.JSONMap{"risk_register": map[string]any{
				"error":   `openai: the provider answered 401 Unauthorized: Incorrect API key provided: sk-***. (code "invalid_api_key")`,
				"summary": "The model provider rejected the API key. Check OPENAI_API_KEY.", "attempts": 1, "permanent": tc.permanent}}
			require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'failed', error_message = ?, error_details = ? WHERE id = ?`,
				"risk_register failed: openai: the provider answered 401 Unauthorized: Incorrect API key provided: sk-***.", details, job.ID).Error)
			require.NoError(t, b.db.ForTests().Exec(`UPDATE job_documents SET status = 'failed' WHERE job_id = ?`, job.ID).Error)

			resp := c.get(t, "/jobs/"+job.ID)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			doc := page(t, resp)
			assert.Equal(t, "Risk Register: The model provider rejected the API key. Check OPENAI_API_KEY.",
				testID(doc, "job-error-summary").Text(), tc.name)
			detail := testID(doc, "job-error-detail")
			assert.Equal(t, 1, detail.Length())
			assert.Contains(t, detail.Find("pre").Text(), "Incorrect API key provided", "the provider's message is in the detail")
			assert.Equal(t, tc.retry, testID(doc, "job-retry").Length() > 0, "%s: Retry offered", tc.name)
		}
	})
}
