package documents_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/documents/providertest"
)

// The provider's error answers become plain sentences; the provider's own
// message stays in the technical detail; Retry is offered only where
// another attempt can help.
func TestProviderErrorsExplained(t *testing.T) {
	t.Parallel()
	provider := providertest.New()
	defer provider.Close()
	gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "k", Model: "m"})
	require.NoError(t, err)

	apiError := func(msg, typ, code string) string {
		return `{"error":{"message":"` + msg + `","type":"` + typ + `","code":"` + code + `"}}`
	}
	cases := []struct {
		name, body string
		status     int
		summary    string
		canRetry   bool
		detail     string
	}{
		{"bad request", apiError("Invalid value for 'temperature': must be at most 2.", "invalid_request_error", "invalid_value"), 400,
			"The model provider rejected the request.", false, "Invalid value for 'temperature': must be at most 2."},
		{"bad key", apiError("Incorrect API key provided: sk-te***st.", "invalid_request_error", "invalid_api_key"), 401,
			"The model provider rejected the API key. Check OPENAI_API_KEY.", false, "Incorrect API key provided"},
		{"forbidden", apiError("You are not allowed to sample from this model.", "invalid_request_error", ""), 403,
			"The model provider refused access: this API key may not use this model or feature.", false, "not allowed to sample"},
		{"unknown model", apiError("The model `gpt-9` does not exist.", "invalid_request_error", "model_not_found"), 404,
			"The model provider could not find the model. Check OPENAI_MODEL and OPENAI_BASE_URL.", false, "The model `gpt-9` does not exist."},
		{"payload too large", `request entity too large`, 413,
			"The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window.", false, "413"},
		{"context length", apiError("This model's maximum context length is 8192 tokens.", "invalid_request_error", "context_length_exceeded"), 400,
			"The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window.", false, "maximum context length is 8192"},
		{"rate limited", apiError("Rate limit reached for requests.", "requests", "rate_limit_exceeded"), 429,
			"The model provider is limiting how many requests Dossier may send. Try again in a few minutes.", true, "Rate limit reached"},
		{"quota", apiError("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"), 429,
			"The model provider's account has run out of credit.", false, "exceeded your current quota"},
		{"server error", apiError("The server had an error while processing your request.", "server_error", ""), 500,
			"The model provider had a temporary problem. Try again in a few minutes.", true, "The server had an error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			provider.FailWith("risk_register", tc.status, tc.body)
			_, err := gen.Generate(context.Background(), documents.Request{Type: "risk_register", ProjectName: "P"})
			require.Error(t, err)
			e := documents.Explain(err)
			assert.Equal(t, tc.summary, e.Summary)
			assert.Equal(t, tc.canRetry, e.CanRetry, "Retry offered")
			assert.Equal(t, tc.canRetry, documents.IsRetryable(err), "the retry policy agrees")
			assert.Contains(t, err.Error(), tc.detail, "the provider's own message is kept in the detail")
		})
	}
}
