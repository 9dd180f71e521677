package handlers

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Every GET of the API but the stream sends an ETag and answers 304 to a
// matching If-None-Match (the ETag middleware), and openapi.json says so:
// a client that caches (a browser fetch, an HTTP cache in front of a
// script) must not meet a status the contract says is never sent. The
// requests go through the suite's contract check (setup_test.go,
// checkContract).
func TestConditionalGetsAreInTheContract(t *testing.T) {
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
