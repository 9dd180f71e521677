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

// A document whose latest version the user saved by hand says so where it
// is regenerated, before the button: when it was edited, that regenerating
// writes a new version from the project data, and that the edit stays in
// the version history. It does stay: after the regeneration's run, the
// edit is still a version, under the new latest one. A document a run
// wrote last has no such warning.
func TestRegenerateWarnsOfAHandEdit(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	ctx := context.Background()
	p := c.project(t, "Relaunch")
	b.run(t, c.job(t, p, "project_charter"), []string{"project_charter"}, models.StatusCompleted)
	docPath := "/projects/" + p.ID + "/documents/project_charter"

	doc := page(t, c.get(t, docPath))
	require.Equal(t, 1, testID(doc, "regenerate-form").Length())
	assert.Zero(t, testID(doc, "regenerate-edited").Length(), "a generated latest version: nothing to warn about")

	vs, err := b.db.DocumentVersions(ctx, c.user.ID, p.ID, "project_charter")
	require.NoError(t, err)
	generated := vs[0]
	edit, err := b.db.SaveEdit(ctx, models.NewEdit{UserID: c.user.ID, ProjectID: p.ID, DocumentType: "project_charter",
		Title: "Charter", Markdown: "# Charter\n\nMy words.", BaseArtifactID: generated.ID})
	require.NoError(t, err)
	when := edit.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC")

	check := func(step string, pagePath string) {
		t.Helper()
		doc := page(t, c.get(t, pagePath))
		warn := testID(doc, "regenerate-edited")
		require.Equal(t, 1, warn.Length(), "%s: the form warns of the edit", step)
		text := strings.Join(strings.Fields(warn.Text()), " ")
		assert.Equal(t, "You edited this document on "+when+" (version 2). Regenerating writes a new version from the project data; your edit stays in the version history.", text, step)
		assert.Equal(t, 1, warn.Find("time[datetime]").Length(), "%s: the time is localised as elsewhere", step)
		assert.Equal(t, 1, testID(doc, "regenerate-form").Find(`[data-testid="regenerate-edited"]`).Length(), "%s: inside the form", step)
		assert.Equal(t, warn.AttrOr("id", "-"), testID(doc, "regenerate-submit").AttrOr("aria-describedby", ""), "%s: the button is described by it", step)
	}
	check("the document's page", docPath)
	check("the page of its older, generated version", "/artifacts/"+generated.ID)

	// A refused submit (a generation in progress) shows the form again,
	// for htmx alone: the warning is still there.
	busy := c.job(t, p, "risk_register")
	resp := c.postForm(t, docPath+"/regenerate", url.Values{"artifactId": {edit.ID}}, "HX-Request", "true")
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	sec := page(t, resp)
	assert.Equal(t, 1, testID(sec, "regenerate-error").Length())
	assert.Equal(t, 1, testID(sec, "regenerate-edited").Length(), "the refused form still warns")
	b.run(t, busy, nil, models.StatusCompleted)

	// What the warning says happens: a new latest version, the edit kept.
	resp = c.postForm(t, docPath+"/regenerate", url.Values{"artifactId": {edit.ID}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	js, err := b.db.Jobs(ctx, c.user.ID, models.JobFilter{ProjectID: p.ID, Statuses: []string{models.StatusQueued}})
	require.NoError(t, err)
	require.Len(t, js, 1)
	b.run(t, &js[0], []string{"project_charter"}, models.StatusCompleted)
	vs, err = b.db.DocumentVersions(ctx, c.user.ID, p.ID, "project_charter")
	require.NoError(t, err)
	require.Len(t, vs, 3)
	assert.Equal(t, models.SourceGenerated, vs[0].Source, "the regeneration is the latest version")
	assert.Equal(t, edit.ID, vs[1].ID, "the edit stays in the history")
	assert.Equal(t, "# Charter\n\nMy words.", strings.TrimSpace(vs[1].Markdown))
	doc = page(t, c.get(t, docPath))
	assert.Zero(t, testID(doc, "regenerate-edited").Length(), "the latest version is generated again")
}
