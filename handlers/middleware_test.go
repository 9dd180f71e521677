package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The Authorization scheme is compared without regard to case (RFC 7235):
// bearer and BEARER are Bearer, on the API and on /metrics.
func TestTheBearerSchemeIsCaseInsensitive(t *testing.T) {
	b := setup(t, models.SQLite, func(c *Config) { c.MetricsToken = "scrape-secret" })
	api := b.apiClient(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		resp := b.anon().get(t, "/api/projects", "Authorization", scheme+" "+api.token)
		assert.Equal(t, http.StatusOK, resp.StatusCode, scheme)
		resp = b.anon().get(t, "/metrics", "Authorization", scheme+" scrape-secret")
		assert.Equal(t, http.StatusOK, resp.StatusCode, "/metrics, %s", scheme)
	}
	for _, auth := range []string{"bearer", "bearer ", "bearer dsr_nope"} {
		resp := b.anon().get(t, "/api/projects", "Authorization", auth)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
		assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code, auth)
	}
}

// An Authorization header of another scheme (Basic, from a proxy in front)
// is not Dossier's: a request carrying one goes as it would without it. Log
// in and sign up work, pages redirect to the log-in or serve the session's
// user, and only where a user is needed is it refused: 401 in the error
// shape for the API and the stream. Browsers send Basic credentials on
// their own, so cross-site posts and CSRF tokens are checked as ever.
func TestAnotherAuthorizationSchemeIsIgnored(t *testing.T) {
	b := setup(t, models.SQLite)
	basic := []string{"Authorization", "Basic dXNlcjpwYXNz"}
	email := uniqueEmail("basic")
	b.signup(t, email, "Basil", testPassword)

	resp := b.anon().get(t, "/login", basic...)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the log-in page")
	resp = b.anon().postForm(t, "/login", url.Values{"email": {email}, "password": {testPassword}, "next": {"/projects"}}, basic...)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "log in")
	assert.Equal(t, "/projects", resp.Header.Get("Location"))
	cookie := sessionCookieOf(t, resp)
	require.NotEmpty(t, cookie)
	resp = b.anon().postJSON(t, "/login", map[string]string{"email": email, "password": testPassword}, basic...)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "log in, JSON")
	resp = b.anon().postForm(t, "/signup", url.Values{"email": {uniqueEmail("basic")}, "name": {"B"}, "password": {testPassword}}, basic...)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "sign up")

	// Pages: anonymous, as without the header; signed in by the session.
	resp = b.anon().get(t, "/projects", basic...)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "an anonymous page")
	assert.Equal(t, "/login?next=%2Fprojects", resp.Header.Get("Location"))
	signedIn := b.user(t)
	resp = signedIn.get(t, "/projects", basic...)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the session's user")
	resp = signedIn.postForm(t, "/projects", url.Values{"name": {"Behind a proxy"}}, basic...)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "a form with its CSRF token")
	noCSRF := *signedIn
	noCSRF.csrf = ""
	resp = noCSRF.postForm(t, "/projects", url.Values{"name": {"Forged"}}, basic...)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a form without its CSRF token")
	resp = b.anon().postForm(t, "/login", url.Values{"email": {email}, "password": {testPassword}},
		append([]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, basic...)...)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a cross-site log-in")
	assert.Empty(t, sessionCookieOf(t, resp))

	// Where a user is needed: 401 in the error shape, naming the scheme.
	for _, path := range []string{"/api/projects", "/api/generation/jobs"} {
		resp = b.anon().get(t, path, basic...)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
		e := errorOf(t, resp)
		assert.Equal(t, "unauthorized", e.Error.Code, path)
		assert.Contains(t, e.Error.Message, "Bearer", path)
	}
	resp = b.anon().get(t, "/events", append([]string{"Accept", "text/event-stream"}, basic...)...)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the stream")
}
