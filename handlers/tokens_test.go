package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestTokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)

		doc := page(t, c.get(t, "/settings/tokens"))
		assert.Equal(t, 1, testID(doc, "tokens-empty").Length())

		// Created with htmx: the token is shown once, with a curl example.
		resp := c.postForm(t, "/settings/tokens", url.Values{"name": {"CI pipeline"}}, "HX-Request", "true")
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		doc = page(t, resp)
		assert.Equal(t, 0, doc.Find("header").Length(), "htmx gets the fragment")
		token, _ := testID(doc, "token-value").Attr("value")
		require.True(t, strings.HasPrefix(token, models.TokenPrefix), token)
		assert.Contains(t, testID(doc, "token-created").Text(), "curl -H \"Authorization: Bearer "+token+"\"")
		rows := testID(doc, "token-row")
		require.Equal(t, 1, rows.Length())
		assert.Contains(t, rows.Text(), "CI pipeline")
		assert.Contains(t, rows.Text(), token[:len(models.TokenPrefix)+6])
		assert.Contains(t, rows.Text(), "Never")
		// The form that had the focus is swapped away: the new token takes it.
		_, autofocus := testID(doc, "token-value").Attr("autofocus")
		assert.True(t, autofocus)
		rowID := strings.TrimPrefix(rows.AttrOr("id", ""), "token-")
		assert.Equal(t, "token-"+rowID+"-revoke", testID(doc, "token-revoke").AttrOr("id", ""))

		// The token works on the API, and is never shown again.
		api := &client{b: b, token: token}
		require.Equal(t, http.StatusOK, api.get(t, "/api/projects").StatusCode)
		doc = page(t, c.get(t, "/settings/tokens"))
		assert.Equal(t, 0, testID(doc, "token-value").Length())
		assert.NotContains(t, doc.Text(), token)
		assert.NotContains(t, testID(doc, "token-row").Text(), "Never", "last use is recorded")

		// A plain form works too, and an empty name gets a default.
		resp = c.postForm(t, "/settings/tokens", url.Values{"name": {""}})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		doc = page(t, resp)
		assert.Equal(t, 1, doc.Find("header").Length(), "a full page without htmx")
		assert.Contains(t, testID(doc, "token-created").Text(), "API token")
		assert.Equal(t, 2, testID(doc, "token-row").Length())

		resp = c.postForm(t, "/settings/tokens", url.Values{"name": {strings.Repeat("n", 101)}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, 1, testID(page(t, resp), "error-name").Length())

		// Revoke with htmx: the row comes back revoked, and the token dies.
		ts, err := b.db.APITokens(context.Background(), c.user.ID)
		require.NoError(t, err)
		var id string
		for _, tk := range ts {
			if tk.Name == "CI pipeline" {
				id = tk.ID
			}
		}
		require.NotEmpty(t, id)

		other := b.user(t)
		resp = other.postForm(t, "/settings/tokens/"+id+"/revoke", url.Values{}, "HX-Request", "true")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "another user's token")
		require.Equal(t, http.StatusOK, api.get(t, "/api/projects").StatusCode)

		resp = c.postForm(t, "/settings/tokens/"+id+"/revoke", url.Values{}, "HX-Request", "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		// A bare <tr> only parses inside a table (htmx handles that itself).
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		doc, err = goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + string(body) + "</tbody></table>"))
		require.NoError(t, err)
		row := testID(doc, "token-row")
		require.Equal(t, 1, row.Length())
		_, revoked := row.Attr("data-revoked")
		assert.True(t, revoked)
		assert.Contains(t, row.Text(), "Revoked")
		// The Revoke button's id, focusable from script, so the focus stays.
		badge := row.Find("#token-" + id + "-revoke")
		assert.Equal(t, "Revoked", strings.TrimSpace(badge.Text()))
		assert.Equal(t, "-1", badge.AttrOr("tabindex", ""))

		resp = api.get(t, "/api/projects")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)

		// Revoking again, or a token that does not exist, is a 404; a plain
		// form is redirected back to the list.
		assert.Equal(t, http.StatusNotFound, c.postForm(t, "/settings/tokens/"+id+"/revoke", url.Values{}).StatusCode)
		assert.Equal(t, http.StatusNotFound, c.postForm(t, "/settings/tokens/not-a-uuid/revoke", url.Values{}).StatusCode)
		for _, tk := range ts {
			if tk.ID != id {
				resp = c.postForm(t, "/settings/tokens/"+tk.ID+"/revoke", url.Values{})
				assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
				assert.Equal(t, "/settings/tokens", resp.Header.Get("Location"))
			}
		}
	})
}

func TestTokensNeedSignIn(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		resp := b.anon().get(t, "/settings/tokens")
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/login?next=%2Fsettings%2Ftokens", resp.Header.Get("Location"))
		// A bearer token cannot list or mint tokens: a leaked one must not
		// outlive its revocation through fresh ones.
		api := b.apiClient(t)
		resp = api.postForm(t, "/settings/tokens", url.Values{"name": {"sneaky"}}, "Accept", "application/json")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, "session_required", errorOf(t, resp).Error.Code)
		assert.Equal(t, http.StatusForbidden, api.get(t, "/settings/tokens").StatusCode)
		ts, err := b.db.APITokens(context.Background(), api.user.ID)
		require.NoError(t, err)
		assert.Len(t, ts, 1)
	})
}
