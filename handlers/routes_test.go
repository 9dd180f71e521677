package handlers

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A known path called with a method it does not take is a 405 that names
// the methods it does take, not a 404 that says the caller's own project
// does not exist. An unknown path is still a 404, and a GET route still
// answers HEAD.
func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, models.SQLite)
	c := b.apiClient(t)
	p := c.project(t, "Mine")

	for _, tc := range []struct {
		method, path string
		allow        string
	}{
		{http.MethodPatch, "/api/projects/" + p.ID, "GET, HEAD, PUT, DELETE"},
		{http.MethodPut, "/api/generation/jobs", "GET, HEAD, POST"},
		{http.MethodPatch, "/api/projects", "GET, HEAD, POST"},
	} {
		resp := c.do(t, tc.method, tc.path, nil)
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.allow, resp.Header.Get("Allow"), "%s %s", tc.method, tc.path)
		e := errorOf(t, resp)
		assert.Equal(t, "method_not_allowed", e.Error.Code)
		assert.NotEmpty(t, e.Error.Message)
	}

	resp := c.do(t, http.MethodHead, "/api/projects/"+p.ID, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a GET route answers HEAD")

	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		for _, path := range []string{"/api/no-such-thing", "/api", "/api/"} {
			resp := c.do(t, method, path, nil)
			require.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", method, path)
			assert.Empty(t, resp.Header.Get("Allow"), method)
			assert.Equal(t, "not_found", errorOf(t, resp).Error.Code, "%s %s: the JSON error shape", method, path)
		}
	}
	// Without credentials, /api is the API's too: a 401 in the JSON shape,
	// not a redirect to the login page.
	resp = (&client{b: b}).do(t, http.MethodGet, "/api", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)
}

// A method the server does not know at all is a 501 in the error shape (a
// page for a browser), with the security headers: Fiber answered it itself,
// past every middleware, with a plain-text 400.
func TestUnknownMethodIsNotImplemented(t *testing.T) {
	t.Parallel()
	b := setup(t, models.SQLite)
	c := b.apiClient(t)
	for _, method := range []string{"FOO", "PROPFIND"} {
		resp := c.do(t, method, "/api/projects", nil)
		require.Equal(t, http.StatusNotImplemented, resp.StatusCode, method)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), method)
		assert.NotEmpty(t, resp.Header.Get("Content-Security-Policy"), method)
		e := errorOf(t, resp)
		assert.Equal(t, "method_not_implemented", e.Error.Code, method)
		assert.NotEmpty(t, e.Error.Message)
	}
	resp := b.anon().do(t, "FOO", "/", nil, "Accept", "text/html")
	require.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	doc := page(t, resp)
	assert.Equal(t, 1, testID(doc, "error-page").Length(), "a browser gets the error page")
	assert.Equal(t, "Not supported", testID(doc, "error-heading").Text())
}

// A page's path called with a method it does not take gets the error page
// with status 405 and Allow.
func TestWrongMethodOnAPageIsMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, models.SQLite)
	c := b.user(t)
	p := c.project(t, "Mine")

	resp := c.do(t, http.MethodDelete, "/projects/"+p.ID, nil, "X-CSRF-Token", c.csrf)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, HEAD, POST", resp.Header.Get("Allow"))
	doc := page(t, resp)
	assert.Equal(t, 1, testID(doc, "error-page").Length())
	assert.Equal(t, "Not possible at this address", testID(doc, "error-heading").Text(), "not the generic heading")
	assert.Equal(t, "This address can't be used that way. Go back to the previous page, or start again from the dashboard.",
		testID(doc, "error-message").Text(), "plain words for a person, not the API's message about the Allow header")
	assert.NotContains(t, testID(doc, "error-page").Text(), "Allow")
	assert.Equal(t, "/", testID(doc, "error-page").Find("a.btn").AttrOr("href", ""), "a way home")

	resp = c.do(t, http.MethodDelete, "/no/such/page", nil, "X-CSRF-Token", c.csrf)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, 1, testID(page(t, resp), "error-page").Length())
}

// A stream refused before it starts answers in the error shape: its client
// (EventSource, curl -N) renders no page.
func TestARefusedStreamAnswersInTheErrorShape(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	for _, path := range []string{"/events", "/api/generation/jobs/stream/" + uuid.NewString()} {
		resp := b.anon().do(t, http.MethodGet, path, nil, "Accept", "text/event-stream")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), "application/json", path)
		assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code, path)
	}
}
