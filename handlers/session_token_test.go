package handlers

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A page kept open across the end of its session asks for the new
// session's CSRF token before it posts: GET /session/csrf answers the
// token of the request's session, never cached; without a session, 401.
func TestSessionCSRFIsTheSessionsToken(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.get(t, "/session/csrf")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, c.csrf, string(body))
	assert.NotEmpty(t, c.csrf)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")

	other := b.user(t)
	body, err = io.ReadAll(other.get(t, "/session/csrf").Body)
	require.NoError(t, err)
	assert.Equal(t, other.csrf, string(body), "each session its own")
	assert.NotEqual(t, c.csrf, other.csrf)

	anon := b.anon().get(t, "/session/csrf")
	assert.NotEqual(t, http.StatusOK, anon.StatusCode, "no session, no token")
}
