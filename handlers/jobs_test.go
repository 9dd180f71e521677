package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// A client that lost the answer sends the same request again with the same
// Idempotency-Key. Once the job has written a dependency it added (the
// scope statement, for a risk register asked of a project without one),
// the plan made now is shorter; the request is still the same one, and is
// replayed, not refused as another use of the key. Found by a code review.
func TestIdempotentReplayAfterADependencyIsWritten(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		p := c.project(t, "Fresh")
		body := map[string]any{"projectId": p.ID, "documents": []string{"risk_register"}}
		resp := c.postJSON(t, "/api/generation/jobs", body, "Idempotency-Key", "k-1")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var job JobJSON
		decodeBody(t, resp, &job)
		require.Equal(t, 2, job.TotalDocuments, "the scope statement is added")
		j, err := b.db.JobByID(context.Background(), job.ID)
		require.NoError(t, err)
		b.run(t, j, []string{"scope_statement"}, "") // the dependency is stored; the job still runs

		resp = c.postJSON(t, "/api/generation/jobs", body, "Idempotency-Key", "k-1")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "the same request with the same key replays")
		assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		var replay JobJSON
		decodeBody(t, resp, &replay)
		assert.Equal(t, job.ID, replay.ID)

		// Another request with the key is still refused.
		resp = c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"budget_estimate"}}, "Idempotency-Key", "k-1")
		assert.Equal(t, http.StatusConflict, resp.StatusCode)
	})
}

func TestCreateJobAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.apiClient(t)
		p := c.project(t, "API")

		resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"budget_estimate"}, "priority": "high"}, "Idempotency-Key", "abc-1")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var job JobJSON
		decodeBody(t, resp, &job)
		assert.Equal(t, "/api/generation/jobs/"+job.ID, resp.Header.Get("Location"))
		assert.Equal(t, "queued", job.Status)
		assert.Equal(t, "high", job.Priority)
		assert.Equal(t, p.ID, job.ProjectID)
		// Dependencies are added: budget needs the WBS and the risks, which need the scope.
		var types []string
		for _, doc := range job.Documents {
			types = append(types, doc.Type)
			assert.Equal(t, "pending", doc.Status)
		}
		assert.Equal(t, []string{"scope_statement", "risk_register", "work_breakdown_structure", "budget_estimate"}, types)
		assert.Equal(t, 4, job.TotalDocuments)
		assert.Equal(t, 0, job.Progress)
		assert.Equal(t, 2, job.MaxRetries)

		// The same Idempotency-Key with the same body replays the same job.
		resp = c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"budget_estimate"}, "priority": "high"}, "Idempotency-Key", "abc-1")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		var replay JobJSON
		decodeBody(t, resp, &replay)
		assert.Equal(t, job.ID, replay.ID)
		// With another body, it is refused, not replayed: what the second
		// request asked for would be dropped silently.
		for _, other := range []map[string]any{
			{"projectId": p.ID},
			{"projectId": p.ID, "documents": []string{"risk_register"}, "priority": "high"},
			{"projectId": p.ID, "documents": []string{"budget_estimate"}, "priority": "low"},
			{"projectId": p.ID, "documents": []string{"budget_estimate"}, "priority": "high", "instruction": "Shorter."},
		} {
			resp = c.postJSON(t, "/api/generation/jobs", other, "Idempotency-Key", "abc-1")
			require.Equal(t, http.StatusConflict, resp.StatusCode, "%v", other)
			var e apiError
			decodeBody(t, resp, &e)
			assert.Equal(t, "idempotency_key_reused", e.Error.Code)
		}

		// A second job for the project: 409 with the active job's id.
		resp = c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		var conflict struct {
			Error struct {
				Code  string `json:"code"`
				JobID string `json:"jobId"`
			} `json:"error"`
		}
		decodeBody(t, resp, &conflict)
		assert.Equal(t, "active_job", conflict.Error.Code)
		assert.Equal(t, job.ID, conflict.Error.JobID)

		// GET one and the list, with and without a status filter.
		resp = c.get(t, "/api/generation/jobs/"+job.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got JobJSON
		decodeBody(t, resp, &got)
		assert.Equal(t, job.ID, got.ID)
		for _, q := range []struct {
			query string
			n     int
		}{{"", 1}, {"?status=queued", 1}, {"?status=completed", 0}, {"?status=queued,processing", 1}} {
			resp = c.get(t, "/api/generation/jobs"+q.query)
			require.Equal(t, http.StatusOK, resp.StatusCode, q.query)
			var list []JobJSON
			decodeBody(t, resp, &list)
			assert.Len(t, list, q.n, q.query)
		}
		resp = c.get(t, "/api/generation/jobs?status=exploded")
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

		// Cancel a queued job: cancelled at once; again: 409. Retry: queued.
		resp = c.postJSON(t, "/api/generation/jobs/"+job.ID+"/cancel", nil)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		decodeBody(t, resp, &got)
		assert.Equal(t, "cancelled", got.Status)
		resp = c.postJSON(t, "/api/generation/jobs/"+job.ID+"/cancel", nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode)
		resp = c.postJSON(t, "/api/generation/jobs/"+job.ID+"/retry", nil)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		decodeBody(t, resp, &got)
		assert.Equal(t, "queued", got.Status)
		resp = c.postJSON(t, "/api/generation/jobs/"+job.ID+"/retry", nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "an active job can't be retried")
	})
}

func TestCreateJobAPIValidation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		p := c.project(t, "Invalid")
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"unknown document type", map[string]any{"projectId": p.ID, "documents": []string{"risk_register", "horoscope"}}, 422, "documents"},
			{"bad priority", map[string]any{"projectId": p.ID, "priority": "urgent"}, 422, "priority"},
			{"missing project", map[string]any{}, 422, "projectId"},
			{"unknown project", map[string]any{"projectId": "00000000-0000-4000-8000-000000000000"}, 404, ""},
			{"wrong type", map[string]any{"projectId": p.ID, "documents": "all"}, 422, "documents"},
		} {
			resp := c.postJSON(t, "/api/generation/jobs", tc.body)
			assert.Equal(t, tc.status, resp.StatusCode, tc.name)
			e := errorOf(t, resp)
			if tc.field != "" {
				assert.Contains(t, e.Error.Fields, tc.field, tc.name)
			}
			if tc.name == "unknown document type" {
				assert.Contains(t, e.Error.Message, "horoscope")
				for _, k := range documents.Keys() {
					assert.Contains(t, e.Error.Message, k, "the error lists the valid types")
				}
			}
		}
		resp := c.do(t, "POST", "/api/generation/jobs", strings.NewReader(`{"projectId": `), "Content-Type", "application/json")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "malformed JSON")
	})
}

// Another user's job answers 404 on every route, page and API alike.
func TestJobsOfAnotherUser(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		owner := b.user(t)
		job := owner.job(t, owner.project(t, "Mine"), "project_charter")
		b.run(t, job, []string{"project_charter"}, models.StatusFailed)

		for _, other := range []*client{b.user(t), b.apiClient(t)} {
			for _, r := range []struct{ method, path string }{
				{"GET", "/api/generation/jobs/" + job.ID},
				{"POST", "/api/generation/jobs/" + job.ID + "/cancel"},
				{"POST", "/api/generation/jobs/" + job.ID + "/retry"},
				{"GET", "/api/generation/jobs/stream/" + job.ID},
				{"GET", "/api/generation/jobs/" + job.ID + "/artifacts.zip"},
				{"GET", "/jobs/" + job.ID},
				{"POST", "/jobs/" + job.ID + "/cancel"},
				{"POST", "/jobs/" + job.ID + "/retry"},
				{"GET", "/jobs/" + job.ID + "/card"},
			} {
				var resp *http.Response
				if r.method == "POST" {
					resp = other.postJSON(t, r.path, nil)
				} else {
					resp = other.get(t, r.path)
				}
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", r.method, r.path)
			}
			resp := other.get(t, "/api/generation/jobs")
			var list []JobJSON
			decodeBody(t, resp, &list)
			assert.Empty(t, list, "the list holds only the caller's jobs")
		}
		// And the job is untouched.
		j, err := b.db.JobByID(t.Context(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusFailed, j.Status)
	})
}

func TestJobsAPINeedsAuth(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	resp := b.anon().get(t, "/api/generation/jobs")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)
	resp = b.anon().do(t, "GET", "/api/generation/jobs", nil, "Authorization", "Bearer dsr_nope")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// Ids that can't be UUIDs are simply not found, on both databases (PostgreSQL
// would otherwise refuse the query with a 500).
func TestMalformedJobIDsAreNotFound(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/generation/jobs/not-a-uuid"},
			{"POST", "/api/generation/jobs/not-a-uuid/cancel"},
			{"POST", "/api/generation/jobs/not-a-uuid/retry"},
			{"GET", "/api/generation/jobs/stream/not-a-uuid"},
			{"GET", "/api/generation/jobs/not-a-uuid/artifacts.zip"},
		} {
			var resp *http.Response
			if r.method == "POST" {
				resp = c.postJSON(t, r.path, nil)
			} else {
				resp = c.get(t, r.path)
			}
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", r.method, r.path)
		}
		resp := c.get(t, "/api/generation/jobs?projectId=not-a-uuid")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list []JobJSON
		decodeBody(t, resp, &list)
		assert.Empty(t, list)
	})
}

// A retried job's JSON tells its story, as its page does: each earlier end
// (how far it got, why it failed) and when it was retried. A job never
// retried has an empty history, not a missing one.
func TestRetriedJobHistoryInJSON(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		ctx := t.Context()
		p := c.project(t, "History")
		resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"project_charter", "stakeholder_register"}})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var raw map[string]json.RawMessage
		decodeBody(t, resp, &raw)
		assert.JSONEq(t, `[]`, string(raw["history"]), "a new job's history is empty")
		var id string
		require.NoError(t, json.Unmarshal(raw["id"], &id))
		path := "/api/generation/jobs/" + id

		// Cancelled while queued, then retried.
		require.Equal(t, http.StatusAccepted, c.postJSON(t, path+"/cancel", nil).StatusCode)
		require.Equal(t, http.StatusAccepted, c.postJSON(t, path+"/retry", nil).StatusCode)

		// That run writes one document and fails on the other with a
		// passing problem; retried again.
		claimed, err := b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		lease := claimed[0].Lease()
		now := time.Now()
		_, _, err = b.db.CommitDocument(ctx, lease, models.DocumentResult{Type: "project_charter", Title: "Project Charter",
			Markdown: "# Charter", Attempts: 1, StartedAt: now.Add(-time.Second), FinishedAt: now})
		require.NoError(t, err)
		_, err = b.db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusFailed, Now: time.Now(),
			Failures: []models.DocumentFailure{{Type: "stakeholder_register", Error: "the provider answered 503", Attempts: 3}}})
		require.NoError(t, err)
		failed, err := b.db.JobByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.StatusFailed, failed.Status)
		require.NotNil(t, failed.ErrorMessage)
		require.Equal(t, http.StatusAccepted, c.postJSON(t, path+"/retry", nil).StatusCode)

		resp = c.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var job JobJSON
		decodeBody(t, resp, &job)
		assert.Equal(t, "queued", job.Status)
		require.Len(t, job.History, 2)
		cancelled, retriedFailure := job.History[0], job.History[1]
		assert.Equal(t, "cancelled", cancelled.Status)
		assert.Equal(t, 0, cancelled.CompletedDocuments)
		assert.Equal(t, 2, cancelled.TotalDocuments)
		assert.Nil(t, cancelled.Error, "a cancelled run has no error")
		assert.NotNil(t, cancelled.EndedAt)
		assert.Equal(t, "failed", retriedFailure.Status)
		assert.Equal(t, 1, retriedFailure.CompletedDocuments, "how far the failed run got")
		if assert.NotNil(t, retriedFailure.Error) {
			assert.Equal(t, *failed.ErrorMessage, *retriedFailure.Error)
		}
		assert.False(t, retriedFailure.RetriedAt.Before(cancelled.RetriedAt), "oldest first")

		// The list carries the same story.
		resp = c.get(t, "/api/generation/jobs")
		var list []JobJSON
		decodeBody(t, resp, &list)
		require.Len(t, list, 1)
		assert.Equal(t, job.History, list[0].History)
	})
}
