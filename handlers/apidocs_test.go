package handlers

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestOpenAPIServedAndReadable(t *testing.T) {
	b := setup(t, models.SQLite)
	resp := b.anon().get(t, "/api/openapi.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, OpenAPI, body)
	assert.Contains(t, string(OpenAPI), `"openapi": "3.1.0"`)

	resp = b.anon().get(t, "/api/docs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := page(t, resp)
	ops := testID(doc, "api-operation")
	assert.Equal(t, strings.Count(string(OpenAPI), `"operationId"`), ops.Length(), "every operation is on the page")
	assert.Contains(t, doc.Text(), "POST/api/generation/jobs")
	assert.Equal(t, 0, doc.Find("script").Length(), "no script: readable offline, under any CSP")
	assert.GreaterOrEqual(t, testID(doc, "api-schema").Length(), 8)
}
