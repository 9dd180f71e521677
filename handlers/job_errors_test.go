package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// badKeyToday is the sentence of a key the provider refuses.
var badKeyToday = documents.Explain(&documents.ProviderError{Status: http.StatusUnauthorized, Code: "invalid_api_key"}).Summary

// A failed job's card says what went wrong in a plain sentence, keeps the
// technical detail (the provider's own message) behind a disclosure, and
// offers Retry only when a retry can help. The job failed under an older
// version, whose sentence named OPENAI_API_KEY: the card says today's.
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
			assert.Equal(t, "Risk Register: "+badKeyToday, testID(doc, "job-error-summary").Text(),
				"%s: an older version's sentence reads as today's, naming no setting", tc.name)
			detail := testID(doc, "job-error-detail")
			assert.Equal(t, 1, detail.Length())
			assert.Contains(t, detail.Find("pre").Text(), "Incorrect API key provided", "the provider's message is in the detail")
			assert.Equal(t, tc.retry, testID(doc, "job-retry").Length() > 0, "%s: Retry offered", tc.name)
		}
	})
}

// Retry is refused, over the API and from the card, for a job whose every
// failure no retry can fix: a 409 in the error shape that says why. A job
// that failed on a passing problem is requeued (202).
func TestRetryRefusedWhenNoRetryCanHelp(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		explain := func(status int, code string) string {
			return documents.Explain(&documents.ProviderError{Status: status, Code: code}).Summary
		}
		// The sentences older versions stored; the message says today's
		// (shown).
		cases := []struct {
			name, summary, shown, provider string
			permanent                      bool
		}{
			{"bad key", "The model provider rejected the API key. Check OPENAI_API_KEY.", badKeyToday,
				`401 Unauthorized: Incorrect API key provided: sk-***. (code "invalid_api_key")`, true},
			{"bad request", "The model provider rejected the request.", explain(400, "invalid_value"),
				`400 Bad Request: Invalid value for 'temperature': must be at most 2.`, true},
			{"context too long", "The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window.",
				explain(400, "context_length_exceeded"),
				`400 Bad Request: This model's maximum context length is 8192 tokens. (code "context_length_exceeded")`, true},
			{"provider outage", "The model provider had a temporary problem. Try again in a few minutes.",
				"The model provider had a temporary problem. Try again in a few minutes.",
				`500 Internal Server Error: The server had an error while processing your request.`, false},
		}
		for _, tc := range cases {
			p := &models.Project{UserID: c.user.ID, Name: tc.name}
			require.NoError(t, b.db.CreateProject(ctx, p))
			job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"risk_register"}})
			require.NoError(t, err)
			details := models.JSONMap{"risk_register": map[string]any{
				"error": "openai: the provider answered " + tc.provider, "summary": tc.summary, "attempts": 1, "permanent": tc.permanent}}
			require.NoError(t, b.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'failed', error_message = ?, error_details = ? WHERE id = ?`,
				"risk_register failed: "+tc.provider, details, job.ID).Error)
			require.NoError(t, b.db.ForTests().Exec(`UPDATE job_documents SET status = 'failed' WHERE job_id = ?`, job.ID).Error)

			// From the card (htmx): the card again, and a notice.
			if tc.permanent {
				resp := c.postForm(t, "/jobs/"+job.ID+"/retry", nil, hx, "true")
				require.Equal(t, http.StatusConflict, resp.StatusCode, tc.name)
				doc := page(t, resp)
				assert.Contains(t, testID(doc, "action-notice").Text(), "A retry cannot fix this failure", tc.name)
				assert.Equal(t, 0, testID(doc, "job-retry").Length(), "%s: the card still offers no Retry", tc.name)
			}

			resp := c.postJSON(t, "/api/generation/jobs/"+job.ID+"/retry", nil)
			if !tc.permanent {
				require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s: %s", tc.name, errorOf(t, resp).Error.Message)
				continue
			}
			require.Equal(t, http.StatusConflict, resp.StatusCode, tc.name)
			e := errorOf(t, resp)
			assert.Equal(t, "not_retryable", e.Error.Code, tc.name)
			assert.Contains(t, e.Error.Message, "a retry cannot fix this failure", tc.name)
			assert.Contains(t, e.Error.Message, "Risk Register: "+tc.shown, "%s: the plain sentence", tc.name)
			assert.NotContains(t, e.Error.Message, "OPENAI_", "%s: names no setting", tc.name)
			j, err := b.db.JobForUser(ctx, c.user.ID, job.ID)
			require.NoError(t, err)
			assert.Equal(t, models.StatusFailed, j.Status, "%s: not requeued", tc.name)
		}
	})
}

// A run in which two documents failed, one rejected (400) and one on a
// provider outage (500), as a worker ends it: the card names both failures
// in plain sentences with every provider message behind its disclosure;
// each failed document in the timeline leads with its sentence and keeps
// the provider's message in a <details>; a document that needed both says
// so in English; the jobs list shows the sentence, not the raw message.
func TestFailedJobNamesEveryFailedDocumentInPlainWords(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		j := c.job(t, c.project(t, "Relaunch"), "executive_summary")
		b.run(t, j, []string{"project_charter", "business_case", "scope_statement", "stakeholder_register"}, "")
		js, err := b.db.JobByID(ctx, j.ID)
		require.NoError(t, err)
		lease := js.Lease()
		const (
			rejected = "The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it."
			outage   = "The model provider had a temporary problem. Try again in a few minutes."
			raw400   = `openai: the provider answered 400 Bad Request: Invalid value for 'temperature'. (code "test_failure")`
			raw500   = `openai: the provider answered 500 Internal Server Error: The server had an error.`
			said400  = `The provider answered 400 Bad Request: Invalid value for 'temperature'. (code "test_failure")`
			said500  = `The provider answered 500 Internal Server Error: The server had an error.`
		)
		_, err = b.db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Now: time.Now(),
			Failures: []models.DocumentFailure{
				{Type: "risk_register", Error: raw400, Summary: rejected, Attempts: 1, Permanent: true},
				{Type: "communication_plan", Error: raw500, Summary: outage, Attempts: 3},
			}})
		require.NoError(t, err)

		doc := page(t, c.get(t, "/jobs/"+j.ID))
		assert.Equal(t, "2 documents failed. Risk Register: "+rejected+" Communication Plan: "+outage,
			testID(doc, "job-error-summary").Text(), "the card names every failed document")
		detail := testID(doc, "job-error-detail").Find("pre").Text()
		assert.Equal(t, "Risk Register: "+said400+"\nCommunication Plan: "+said500, detail, "every provider message, named")

		for typ, want := range map[string][2]string{"risk_register": {rejected, said400}, "communication_plan": {outage, said500}} {
			row := testID(doc, "timeline-doc-"+typ)
			assert.Equal(t, want[0], row.Find(`[data-testid="timeline-doc-error-summary"]`).Text(), "%s: the sentence first", typ)
			disclosure := row.Find(`details[data-testid="timeline-doc-error-detail"]`)
			require.Equal(t, 1, disclosure.Length(), typ)
			assert.Equal(t, want[1], disclosure.Find("pre").Text(), "%s: the provider's message behind the disclosure", typ)
			_, open := disclosure.Attr("open")
			assert.False(t, open, "%s: closed", typ)
		}
		assert.Equal(t, "Not generated: it needs Risk Register and Communication Plan, which both failed.",
			testID(doc, "timeline-doc-executive_summary").Find(`[data-testid="timeline-doc-note"]`).Text())
		assert.Equal(t, "Not generated: it needs Risk Register, which failed.",
			testID(doc, "timeline-doc-budget_estimate").Find(`[data-testid="timeline-doc-note"]`).Text())

		rows := page(t, c.get(t, "/jobs?status=failed")).Find(`[data-testid="job-row"]`)
		require.Equal(t, 1, rows.Length())
		assert.Equal(t, rejected+" "+outage+" Failed: Risk Register and Communication Plan.", rows.Find(`[data-testid="job-row-error"]`).Text(),
			"the causes first, then the documents")
		assert.NotContains(t, rows.Text(), "test_failure", "the list shows the sentence, not the provider's message")
	})
}

// Failures that read the same share one sentence.
func TestFailureSummaryGroupsAlikeFailures(t *testing.T) {
	t.Parallel()
	detail := func(summary string) map[string]any { return map[string]any{"summary": summary, "error": "x"} }
	snap := &models.JobSnapshot{Job: models.Job{Status: models.StatusFailed, ErrorDetails: models.JSONMap{
		"communication_plan": detail("The model provider rejected the API key."),
		"risk_register":      detail("The model provider rejected the API key."),
		"schedule":           detail(""),
		"storage":            map[string]any{"error": "disk full"},
	}}}
	got, _ := failureSummary(snap)
	assert.Equal(t, "3 documents failed. Risk Register and Communication Plan: The model provider rejected the API key. Project Schedule: This document could not be written.", got)
	assert.Equal(t, "A", andList([]string{"A"}))
	assert.Equal(t, "A, B and C", andList([]string{"A", "B", "C"}))
}

// A run whose model server could not be reached, as a worker ends it: the
// user's pages say so in plain words and show none of the server's own
// error text (the internal URL, the dial error, the Go error chain), which
// is the admin console's; a document the provider did answer keeps what it
// said behind "Technical details". The jobs list puts the cause first, so
// that a cut-short row still says why.
func TestFailedJobHidesServerErrorsFromUsers(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		j := c.job(t, c.project(t, "Relaunch"), "executive_summary")
		b.run(t, j, nil, "")
		js, err := b.db.JobByID(ctx, j.ID)
		require.NoError(t, err)
		refusedErr := documents.Retryable(fmt.Errorf("openai: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:9/v1/chat/completions",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}), 0)
		refused := refusedErr.Error()
		require.Contains(t, refused, "127.0.0.1:9")
		unreachable := documents.Explain(refusedErr).Summary
		rejectedErr := &documents.ProviderError{Status: 400, Message: "Invalid value for 'temperature'."}
		rejected := documents.Explain(rejectedErr).Summary
		_, err = b.db.FinishJob(ctx, js.Lease(), models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Now: time.Now(),
			Failures: []models.DocumentFailure{
				{Type: "project_charter", Error: refused, Summary: unreachable, Attempts: 3},
				{Type: "business_case", Error: refused, Summary: unreachable, Attempts: 3},
				{Type: "scope_statement", Error: refused, Summary: unreachable, Attempts: 3},
				{Type: "risk_register", Error: rejectedErr.Error(), Summary: rejected, Attempts: 1, Permanent: true},
			}})
		require.NoError(t, err)

		body := c.get(t, "/jobs/"+j.ID)
		doc := page(t, body)
		html, err := doc.Html()
		require.NoError(t, err)
		for _, internal := range []string{"127.0.0.1:9", "dial tcp", "chat/completions", "openai:"} {
			assert.False(t, strings.Contains(html, internal), "the job page shows no server error text: %q", internal)
		}
		assert.Contains(t, testID(doc, "job-error-summary").Text(), "Project Charter, Business Case and Scope Statement: "+unreachable)
		assert.Equal(t, "Risk Register: The provider answered 400 Bad Request: Invalid value for 'temperature'.",
			testID(doc, "job-error-detail").Find("pre").Text(), "what the provider said, and only that")
		charter := testID(doc, "timeline-doc-project_charter")
		assert.Equal(t, unreachable, charter.Find(`[data-testid="timeline-doc-error-summary"]`).Text(), "the sentence stays")
		assert.Equal(t, 0, charter.Find(`[data-testid="timeline-doc-error-detail"]`).Length(), "no detail the provider did not give")
		assert.Equal(t, "The provider answered 400 Bad Request: Invalid value for 'temperature'.",
			testID(doc, "timeline-doc-risk_register").Find(`[data-testid="timeline-doc-error-detail"] pre`).Text())

		rows := page(t, c.get(t, "/jobs?status=failed")).Find(`[data-testid="job-row"]`)
		require.Equal(t, 1, rows.Length())
		assert.Equal(t, unreachable+" "+rejected+" Failed: Project Charter, Business Case, Scope Statement and Risk Register.",
			rows.Find(`[data-testid="job-row-error"]`).Text(), "the cause first, so that a truncation keeps it")
		assert.NotContains(t, rows.Text(), "127.0.0.1")
	})
}

// Jobs failed under older versions keep those versions' sentences until
// retention removes them, and some named a setting (OPENAI_API_KEY…) to
// every user. The owner's pages (the card, the timeline, the jobs list)
// say today's sentence of the same failure instead; none of them, nor the
// dashboard, names a setting; the console still finds the operator's hint
// by the sentence.
func TestOlderVersionsSentencesNameNoSettingToUsers(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice := b.admin(t), b.user(t)
		badKey := &documents.ProviderError{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Incorrect API key provided."}
		noModel := &documents.ProviderError{Status: http.StatusNotFound, Code: "model_not_found", Message: "The model `gpt-9` does not exist."}
		cases := []struct {
			stored string
			err    error
			today  string
		}{
			{"The model provider rejected the API key. Check OPENAI_API_KEY.", badKey, documents.Explain(badKey).Summary},
			{"The model provider could not find the model. Check OPENAI_MODEL and OPENAI_BASE_URL.", noModel, documents.Explain(noModel).Summary},
			{"The provider refused the request. Check SOME_FUTURE_SETTING.", errors.New("x"),
				"Dossier is not set up correctly to write this document. An administrator needs to fix it."},
		}
		for _, tc := range cases {
			job := alice.failJobWith(t, models.DocumentFailure{Type: "scope_statement", Attempts: 1, Permanent: true,
				Summary: tc.stored, Error: tc.err.Error()}, nil)
			doc := page(t, alice.get(t, "/jobs/"+job.ID))
			assert.Equal(t, "Scope Statement: "+tc.today, testID(doc, "job-error-summary").Text(), tc.stored)
			assert.Equal(t, tc.today, testID(doc, "timeline-doc-scope_statement").Find(`[data-testid="timeline-doc-error-summary"]`).Text(), tc.stored)
		}
		for _, path := range []string{"/jobs", "/jobs?status=failed"} {
			resp := alice.get(t, path)
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			text := page(t, resp).Find("#main").Text()
			for _, tc := range cases {
				assert.Contains(t, text, tc.today, path)
			}
		}
		for _, path := range []string{"/jobs", "/jobs?status=failed", "/"} {
			html, err := page(t, alice.get(t, path)).Html()
			require.NoError(t, err)
			for _, setting := range []string{"OPENAI_", "SOME_FUTURE_SETTING"} {
				assert.NotContains(t, html, setting, "%s names a setting to its user", path)
			}
		}

		hints := testID(page(t, admin.get(t, "/admin")), "fail-group-hint").Text()
		assert.Contains(t, hints, documents.Explain(badKey).Hint, "the console finds the hint of an older row")
		assert.Contains(t, hints, documents.Explain(noModel).Hint)
	})
}
