package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Typing /logout in the address bar gave "Error 405 – Not possible at this
// address". A GET shows a page whose button logs out (a POST with the
// session's CSRF token); it does not log out by itself. Someone not
// logged in goes to the log-in page.
func TestLogoutAddressShowsALogOutButton(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)

		resp := c.get(t, "/logout")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		pg := page(t, resp)
		form := testID(pg, "logout-form")
		require.Equal(t, 1, form.Length(), "a log-out form")
		assert.Equal(t, "post", strings.ToLower(form.AttrOr("method", "")))
		assert.Equal(t, "/logout", form.AttrOr("action", ""))
		assert.Equal(t, c.csrf, form.Find(`input[name="_csrf"]`).AttrOr("value", ""), "the form carries the CSRF token")
		assert.Equal(t, "Log out", strings.TrimSpace(testID(pg, "logout-submit").Text()))
		assert.Contains(t, testID(pg, "logout-page").Text(), c.user.Email)
		_, _, err := b.db.SessionByCookie(context.Background(), c.cookie)
		require.NoError(t, err, "showing the page does not log out")

		// The button logs out.
		resp = c.postForm(t, "/logout", url.Values{"_csrf": {form.Find(`input[name="_csrf"]`).AttrOr("value", "")}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/login", resp.Header.Get("Location"))
		_, _, err = b.db.SessionByCookie(context.Background(), c.cookie)
		assert.ErrorIs(t, err, models.ErrNotFound, "logged out")

		// Not logged in (any more): to the log-in page.
		for _, v := range []*client{c, b.anon()} {
			resp = v.get(t, "/logout")
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, "/login", resp.Header.Get("Location"))
		}

		// An API client is told to POST, as before.
		resp = b.apiClient(t).get(t, "/logout", "Accept", "application/json")
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, "POST", resp.Header.Get("Allow"))
		assert.Equal(t, "method_not_allowed", errorOf(t, resp).Error.Code)
	})
}
