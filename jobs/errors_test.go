package jobs

import (
	"bytes"
	"log/slog"
	"sync"
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
		assert.Equal(t, "The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it.", detail["summary"])
		assert.Equal(t, true, detail["permanent"])
	})
}

// A failure an operator must fix (here a key the provider refuses) is
// logged with the setting to check: the user's sentence names none, so the
// log is where the operator reads it.
func TestFailureLogNamesTheSettingToCheck(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.FailWith("scope_statement", 401, `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`)
	gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "k", Model: "m"})
	require.NoError(t, err)
	e := newEnv(t, models.SQLite)
	u := e.user("ada")
	p := e.project(u, "Bad key")
	var logged syncBuffer
	e.processor(gen, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logged, nil)) })
	job := e.job(u, p, []string{"scope_statement"}, nil)
	e.waitStatus(job.ID, models.StatusFailed, 20*time.Second)
	assert.Contains(t, logged.String(), `msg="document failed"`)
	assert.Contains(t, logged.String(), `hint="The provider rejected the API key: check OPENAI_API_KEY."`)
}

// syncBuffer is a bytes.Buffer the processor's goroutines may write while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
