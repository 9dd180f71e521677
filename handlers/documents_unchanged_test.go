package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Saving an edit of the latest version with its text unchanged made a new,
// identical version. It stores nothing: the API answers 200 with the
// latest version (not 201), and the edit form lands on the document saying
// "No changes to save". A changed text still makes a version (201).
func TestUnchangedEditStoresNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		p, v1 := docProject(t, b, c)
		versions := "/api/projects/" + p.ID + "/documents/risk_register/versions"
		count := func() int {
			t.Helper()
			vs, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "risk_register")
			require.NoError(t, err)
			return len(vs)
		}

		resp := c.postJSON(t, versions, map[string]any{"markdown": v1.Markdown, "baseArtifactId": v1.ID})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got map[string]any
		decodeBody(t, resp, &got)
		assert.Equal(t, v1.ID, got["artifactId"])
		assert.EqualValues(t, 1, got["version"])
		assert.Equal(t, 1, count(), "no version is stored")

		edited := "# Risk Register: Documents\n\nEdited.\n"
		resp = c.postJSON(t, versions, map[string]any{"markdown": edited, "baseArtifactId": v1.ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v2 map[string]any
		decodeBody(t, resp, &v2)
		assert.Equal(t, 2, count())

		// Version 2 saved again unchanged: nothing to store either.
		resp = c.postJSON(t, versions, map[string]any{"markdown": edited, "baseArtifactId": v2["artifactId"]})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &got)
		assert.Equal(t, v2["artifactId"], got["artifactId"])
		assert.Equal(t, 2, count())

		// The edit form, sent unchanged.
		u := b.user(t)
		up, uv1 := docProject(t, b, u)
		doc := "/projects/" + up.ID + "/documents/risk_register"
		resp = u.postForm(t, doc+"/edit", url.Values{"markdown": {uv1.Markdown}, "baseArtifactId": {uv1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc := resp.Header.Get("Location")
		assert.Equal(t, doc+"?saved=unchanged", loc)
		pg := page(t, u.get(t, loc))
		assert.Contains(t, testID(pg, "flash").Text(), "No changes to save")
		vs, err := b.db.DocumentVersions(context.Background(), u.user.ID, up.ID, "risk_register")
		require.NoError(t, err)
		assert.Len(t, vs, 1, "the form stores nothing either")

		// A changed text from the form is saved, without the notice.
		resp = u.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nMine.\n"}, "baseArtifactId": {uv1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, doc, resp.Header.Get("Location"))
		assert.Empty(t, testID(page(t, u.get(t, doc)), "flash").Text())
	})
}
