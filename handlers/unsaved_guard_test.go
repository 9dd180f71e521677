package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The document editor and the project form are guarded against leaving
// with unsaved changes (app.js reads data-unsaved-guard). A form the server
// renders again after refusing its save holds the user's unsaved input
// from the start, so it is marked data-dirty; a fresh one is not.
func TestRefusedFormsAreMarkedUnsaved(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	p, v1 := docProject(t, b, c)
	doc := "/projects/" + p.ID + "/documents/risk_register"

	form := testID(page(t, c.get(t, doc+"/edit")), "edit-form")
	require.Equal(t, 1, form.Length())
	_, guarded := form.Attr("data-unsaved-guard")
	_, dirty := form.Attr("data-dirty")
	assert.True(t, guarded, "the editor is guarded")
	assert.False(t, dirty, "a fresh editor holds nothing unsaved")

	resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Saved\n"}, "baseArtifactId": {v1.ID}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp = c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Mine\n"}, "baseArtifactId": {v1.ID}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	_, dirty = testID(page(t, resp), "edit-form").Attr("data-dirty")
	assert.True(t, dirty, "the refused save's editor holds unsaved text")

	for _, path := range []string{"/projects/new", "/projects/" + p.ID + "/edit"} {
		form = testID(page(t, c.get(t, path)), "project-form")
		require.Equal(t, 1, form.Length(), path)
		_, guarded = form.Attr("data-unsaved-guard")
		_, dirty = form.Attr("data-dirty")
		assert.True(t, guarded, "%s is guarded", path)
		assert.False(t, dirty, "a fresh %s holds nothing unsaved", path)
	}
	resp = c.postForm(t, "/projects", url.Values{"name": {""}, "description": {"Typed, not saved"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, dirty = testID(page(t, resp), "project-form").Attr("data-dirty")
	assert.True(t, dirty, "the refused new project's form holds unsaved input")

	// The blank form saved as it was holds nothing to lose: leaving it
	// asked "Leave site?" about changes nobody made. A row's select counts.
	blank := url.Values{"name": {""}, "budgetCurrency": {"EUR"}, "data.risks[0].description": {""}}
	resp = c.postForm(t, "/projects", blank)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, dirty = testID(page(t, resp), "project-form").Attr("data-dirty")
	assert.False(t, dirty, "the blank form refused holds no input")
	blank.Set("data.risks[0].impact", "3")
	resp = c.postForm(t, "/projects", blank)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, dirty = testID(page(t, resp), "project-form").Attr("data-dirty")
	assert.True(t, dirty, "a chosen impact is input")
}
