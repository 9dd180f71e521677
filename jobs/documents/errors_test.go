package documents_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
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
			"The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it.", false, "Invalid value for 'temperature': must be at most 2."},
		{"bad key", apiError("Incorrect API key provided: sk-te***st.", "invalid_request_error", "invalid_api_key"), 401,
			"Dossier's connection to the model provider is misconfigured: the provider did not accept its key. An administrator needs to fix it.", false, "Incorrect API key provided"},
		{"forbidden", apiError("You are not allowed to sample from this model.", "invalid_request_error", ""), 403,
			"Dossier's account with the model provider is not allowed to use this model. An administrator needs to fix it.", false, "not allowed to sample"},
		{"unknown model", apiError("The model `gpt-9` does not exist.", "invalid_request_error", "model_not_found"), 404,
			"Dossier's connection to the model provider is misconfigured: the provider does not know the model it was asked for. An administrator needs to fix it.", false, "The model `gpt-9` does not exist."},
		{"payload too large", `request entity too large`, 413,
			"This project has too much data for the model to write this document in one go. Shorten the project's descriptions and lists, or ask an administrator for a model that takes longer input.", false, "413"},
		{"context length", apiError("This model's maximum context length is 8192 tokens.", "invalid_request_error", "context_length_exceeded"), 400,
			"This project has too much data for the model to write this document in one go. Shorten the project's descriptions and lists, or ask an administrator for a model that takes longer input.", false, "maximum context length is 8192"},
		{"rate limited", apiError("Rate limit reached for requests.", "requests", "rate_limit_exceeded"), 429,
			"The model provider is limiting how many requests Dossier may send. Try again in a few minutes.", true, "Rate limit reached"},
		{"quota", apiError("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"), 429,
			"Dossier's account with the model provider has run out of credit. An administrator needs to add credit.", false, "exceeded your current quota"},
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

// configName is an environment variable's name, as OPENAI_API_KEY.
var configName = regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`)

// The person who started a job reads its failure's Summary: it names no
// setting (they cannot change one) and, where only an administrator can fix
// the failure, says so. The setting to check is the operator's Hint, which
// the admin console finds again by the stored Summary. The summaries of a
// bad key and an unknown model named OPENAI_API_KEY, OPENAI_MODEL and
// OPENAI_BASE_URL to every user.
func TestFailureSummariesNameNoSettings(t *testing.T) {
	t.Parallel()
	pe := func(status int, code string) error {
		return fmt.Errorf("generate: %w", &documents.ProviderError{Status: status, Code: code, Type: code, Message: "m"})
	}
	cases := []struct {
		name     string
		err      error
		hint     string // a setting the operator's hint names; "" for none
		forAdmin bool   // only an administrator can fix it: the summary says so
	}{
		{"bad key", pe(401, "invalid_api_key"), "OPENAI_API_KEY", true},
		{"forbidden", pe(403, ""), "OPENAI_MODEL", true},
		{"unknown model", pe(404, "model_not_found"), "OPENAI_MODEL", true},
		{"context too long", pe(400, "context_length_exceeded"), "OPENAI_MODEL", false},
		{"quota", pe(429, "insufficient_quota"), "OPENAI_API_KEY", true},
		{"bad request", pe(400, "invalid_value"), "", true},
		{"rate limited", pe(429, "rate_limit_exceeded"), "", false},
		{"outage", pe(503, ""), "", false},
		{"timeout", context.DeadlineExceeded, "", false},
		{"unknown type", &documents.UnknownTypeError{Unknown: []string{"x"}}, "", false},
		{"truncated", documents.ErrTruncatedStream, "", false},
		{"other", errors.New("disk full"), "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := documents.Explain(tc.err)
			require.NotEmpty(t, e.Summary)
			assert.Empty(t, configName.FindAllString(e.Summary, -1), "the user's sentence names no setting: %q", e.Summary)
			assert.NotContains(t, e.Summary, "API key", "nor the provider's credential")
			if tc.forAdmin {
				assert.Contains(t, e.Summary, "An administrator needs to", "says who can fix it")
			}
			if tc.hint != "" {
				assert.Contains(t, e.Hint, tc.hint, "the operator is told what to check")
			}
			assert.Equal(t, e.Hint, documents.OperatorHint(e.Summary), "the console finds the hint by the stored sentence")
		})
	}
	assert.Empty(t, documents.OperatorHint("Some other sentence."))
}

// A model server that cannot be reached (connection refused, an unknown
// host, a TLS failure) is not "could not be written this time": the user
// reads that Dossier could not reach the provider and who acts if it
// persists; the operator's hint names the setting and the network. It stays
// retryable: a provider restarting is a passing state. The user's page
// shows none of the server's own error text, only what a provider answered.
func TestUnreachableProviderExplained(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: "http://" + addr + "/v1", APIKey: "k", Model: "m"})
	require.NoError(t, err)
	_, refused := gen.Generate(context.Background(), documents.Request{Type: "risk_register", ProjectName: "P"})
	require.Error(t, refused)
	require.Contains(t, refused.Error(), "connection refused", "the case the review saw")

	wrap := func(err error) error { return documents.Retryable(fmt.Errorf("openai: %w", err), 0) }
	cases := map[string]error{
		"connection refused": refused,
		"unknown host":       wrap(&net.DNSError{Err: "no such host", Name: "models.internal", IsNotFound: true}),
		"refused (errno)":    wrap(syscall.ECONNREFUSED),
		"bad certificate":    wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}),
	}
	for name, err := range cases {
		e := documents.Explain(err)
		assert.True(t, strings.HasPrefix(e.Summary, "Dossier could not reach the model provider."), "%s: %q", name, e.Summary)
		assert.Contains(t, e.Summary, "an administrator", "%s: says who can act if it persists", name)
		assert.Empty(t, configName.FindAllString(e.Summary, -1), "%s: the user's sentence names no setting", name)
		assert.Contains(t, e.Hint, "OPENAI_BASE_URL", name)
		assert.Contains(t, e.Hint, "network", name)
		assert.True(t, e.CanRetry, "%s: a provider restarting is transient", name)
		assert.True(t, documents.IsRetryable(err), "%s: the retry policy agrees", name)
		assert.Equal(t, e.Hint, documents.OperatorHint(e.Summary), "%s: the console finds the hint", name)
		assert.Empty(t, documents.ProviderSaid(err.Error()), "%s: nothing the provider said", name)
	}

	said := documents.ProviderSaid(`attempt 3: ` + (&documents.ProviderError{Status: 400, Message: "Invalid value for 'temperature'."}).Error())
	assert.Equal(t, "The provider answered 400 Bad Request: Invalid value for 'temperature'.", said)
}

// A failed job keeps the sentence its version stored until retention
// removes it. Older versions' sentences named settings (OPENAI_API_KEY…)
// or did not say who can act: each reads as today's sentence of the same
// failure, which names none, and the console finds its hint. Today's
// sentences and unknown ones that name no setting stay as stored.
func TestSentencesStoredByOlderVersionsReadAsToday(t *testing.T) {
	t.Parallel()
	pe := func(status int, code string) error {
		return &documents.ProviderError{Status: status, Code: code, Type: code, Message: "m"}
	}
	older := map[string]error{
		"The model provider rejected the API key. Check OPENAI_API_KEY.":                                                            pe(401, "invalid_api_key"),
		"The model provider refused access: this API key may not use this model or feature.":                                        pe(403, ""),
		"The model provider could not find the model. Check OPENAI_MODEL and OPENAI_BASE_URL.":                                      pe(404, "model_not_found"),
		"The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window.": pe(400, "context_length_exceeded"),
		"The model provider's account has run out of credit.":                                                                       pe(429, "insufficient_quota"),
		"The model provider rejected the request.":                                                                                  pe(400, "invalid_value"),
	}
	for stored, err := range older {
		today := documents.Explain(err)
		got := documents.CurrentSummary(stored)
		assert.Equal(t, today.Summary, got, "%q reads as today's sentence", stored)
		assert.Empty(t, configName.FindAllString(got, -1), "%q: names no setting", stored)
		assert.NotContains(t, got, "API key", stored)
		assert.Equal(t, today.Hint, documents.OperatorHint(got), "%q: the console finds the hint", stored)
	}

	// A sentence no catalog wrote that names a setting: a plain one, who acts.
	got := documents.CurrentSummary("The model provider refused the key. Check SOME_PROVIDER_KEY.")
	assert.Empty(t, configName.FindAllString(got, -1), got)
	assert.Contains(t, got, "An administrator needs to", got)

	for _, stored := range []string{
		"",
		"This document could not be written.",
		"The model provider had a temporary problem. Try again in a few minutes.",
		documents.Explain(pe(401, "invalid_api_key")).Summary,
		documents.Explain(pe(400, "invalid_value")).Summary,
	} {
		assert.Equal(t, stored, documents.CurrentSummary(stored), "kept as stored")
	}
}
