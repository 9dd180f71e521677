package handlers

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Review: the ETag middleware answers every JSON GET of the API with a
// content ETag and a 304 to a matching If-None-Match, but openapi.json
// documents a 304 (and an ETag) for GET /api/projects/{id} only. A client
// that caches (a browser fetch, an HTTP cache in front of a script) gets a
// status the contract says it never sends. The request goes through the
// suite's contract check (setup_test.go, checkContract).
func TestReviewConditionalGetsAreInTheContract(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.apiClient(t)
	p := c.project(t, "Contract")
	j := c.job(t, p, "scope_statement")
	for _, path := range []string{"/api/generation/jobs/" + j.ID, "/api/generation/jobs", "/api/projects", "/api/document-types",
		"/api/projects/" + p.ID + "/documents"} {
		resp := c.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		etag := resp.Header.Get("ETag")
		require.NotEmpty(t, etag, path)
		// c.get fails the test when the answer (a 304 here) is not one
		// openapi.json lists for the operation.
		resp = c.get(t, path, "If-None-Match", etag)
		assert.Contains(t, []int{http.StatusOK, http.StatusNotModified}, resp.StatusCode, path)
	}
}
