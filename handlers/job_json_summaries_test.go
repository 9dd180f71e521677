package handlers

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// The pages read a failed document's stored sentence through
// documents.CurrentSummary, but the job JSON returned errorDetails as
// stored: a job failed under an older version told API clients to "Check
// OPENAI_API_KEY". Its summary is today's sentence, in one job and in the
// list (the job stream's JSON is the same NewJobJSON); the technical error beside it stays as
// recorded, and so does the stored row.
func TestJobJSONSummariesAreTodays(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		badKey := &documents.ProviderError{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Incorrect API key provided."}
		cases := []struct {
			stored string
			err    error
			today  string
		}{
			{"The model provider rejected the API key. Check OPENAI_API_KEY.", badKey, documents.Explain(badKey).Summary},
			{"The provider refused the request. Check SOME_FUTURE_SETTING.", errors.New("x"),
				"Dossier is not set up correctly to write this document. An administrator needs to fix it."},
			{"The model provider had a temporary problem. Try again in a few minutes.", errors.New("y"),
				"The model provider had a temporary problem. Try again in a few minutes."},
		}
		for _, tc := range cases {
			job := c.failJobWith(t, models.DocumentFailure{Type: "scope_statement", Attempts: 1, Permanent: true,
				Summary: tc.stored, Error: tc.err.Error()}, nil)
			detail := func(j JobJSON) map[string]any {
				t.Helper()
				dd, ok := j.ErrorDetails["scope_statement"].(map[string]any)
				require.True(t, ok, "%v", j.ErrorDetails)
				return dd
			}

			var one JobJSON
			decodeBody(t, c.get(t, "/api/generation/jobs/"+job.ID), &one)
			assert.Equal(t, tc.today, detail(one)["summary"], tc.stored)
			assert.Equal(t, tc.err.Error(), detail(one)["error"], "the technical detail is as recorded")

			var list []JobJSON
			decodeBody(t, c.get(t, "/api/generation/jobs?status=failed"), &list)
			found := false
			for _, j := range list {
				if j.ID == job.ID {
					found = true
					assert.Equal(t, tc.today, detail(j)["summary"], tc.stored)
				}
			}
			assert.True(t, found, "the list has the job")

			stored, err := b.db.JobForUser(context.Background(), c.user.ID, job.ID)
			require.NoError(t, err)
			assert.Equal(t, tc.stored, stored.ErrorDetails["scope_statement"].(map[string]any)["summary"], "the row keeps what was stored")
		}
	})
}
