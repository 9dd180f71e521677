package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/documents/providertest"
	"dossier/models"
)

// A provider's 400 ends the job failed with the provider's own message in
// the detail and a plain sentence beside it.
func TestProviderRejectionKeepsItsMessage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		provider := providertest.New()
		defer provider.Close()
		provider.FailWith("scope_statement", 400, `{"error":{"message":"Invalid value for 'temperature': must be at most 2.","type":"invalid_request_error","code":"invalid_value"}}`)
		gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "k", Model: "m"})
		require.NoError(t, err)
		e := newEnv(t, d)
		u := e.user("ada")
		p := e.project(u, "Rejected")
		e.processor(gen, nil)
		job := e.job(u, p, []string{"scope_statement"}, nil)
		failed := e.waitStatus(job.ID, models.StatusFailed, 20*time.Second)

		assert.Equal(t, 1, provider.Calls("scope_statement"), "a 400 is not retried")
		require.NotNil(t, failed.ErrorMessage)
		assert.Contains(t, *failed.ErrorMessage, "Invalid value for 'temperature': must be at most 2.")
		detail, ok := failed.ErrorDetails["scope_statement"].(map[string]any)
		require.True(t, ok)
		assert.Equal(t, "The model provider rejected the request.", detail["summary"])
		assert.Equal(t, true, detail["permanent"])
	})
}
