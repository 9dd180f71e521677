package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// detail is the value the document's Details give under label, in words.
func detail(t *testing.T, pg *goquery.Document, label string) string {
	t.Helper()
	var v []string
	testID(pg, "artifact-facts").Find("dt").Each(func(_ int, dt *goquery.Selection) {
		if strings.TrimSpace(dt.Text()) == label {
			v = append(v, strings.Join(strings.Fields(dt.Next().Text()), " "))
		}
	})
	require.Len(t, v, 1, "one %q in the details", label)
	return v[0]
}

// The Details of a version say one thing that is true of it: who edited
// it, or which run generated it. They read "Written by: Edited by Pat".
func TestVersionDetailsSayWhoEditedOrWhichRunGenerated(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		g := generateDocuments(t, b.db, c.user)
		charter := g.artifact(t, "project_charter")

		pg := page(t, c.get(t, "/artifacts/"+charter.ID))
		assert.Equal(t, "Run #1", detail(t, pg, "Generated in"))
		assert.Equal(t, "/jobs/"+g.job.ID, testID(pg, "artifact-job-link").AttrOr("href", ""))

		resp := c.postForm(t, "/projects/"+g.project.ID+"/documents/project_charter/edit",
			url.Values{"markdown": {charter.Markdown + "\nEdited.\n"}, "baseArtifactId": {charter.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		pg = page(t, c.get(t, resp.Header.Get("Location")))
		require.NotEqual(t, charter.ID, testID(pg, "artifact-page").AttrOr("data-id", ""), "the edit's page")
		assert.Equal(t, c.user.Name, detail(t, pg, "Edited by"))
		facts := testID(pg, "artifact-facts").Text()
		assert.NotContains(t, facts, "Written by")
		assert.NotContains(t, facts, "Generated in")
	})
}

// The console counts one thing in the singular: "1 job kept", "1 start",
// "1 document", not "1 jobs kept".
func TestAdminCountsOneInTheSingular(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice := b.admin(t), b.user(t)
		j := alice.job(t, alice.project(t, "Done"), "scope_statement")
		b.run(t, j, []string{"scope_statement"}, models.StatusCompleted)

		doc := page(t, admin.get(t, "/admin"))
		assert.Equal(t, "1 job kept · 0 failing", strings.Join(strings.Fields(testID(doc, "admin-depth-summary").Text()), " "))
		assert.Equal(t, "1 completed, 0 failed, 0 cancelled jobs; 1 document", testID(doc, "chart-throughput-summary").Text())
		assert.True(t, strings.HasPrefix(testID(doc, "chart-wait-summary").Text(), "1 start; p50 "), testID(doc, "chart-wait-summary").Text())
	})
}
