package handlers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A run asked for some of the documents lists them as people do, "A, B
// and C", wherever it is shown: the jobs list, the job's page, its card.
// They were joined with commas only ("Project Charter, Scope Statement,
// Risk Register").
func TestRunAskedListsDocumentsNaturally(t *testing.T) {
	t.Parallel()
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	three := c.job(t, p, "project_charter", "risk_register") // risk_register brings scope_statement
	const want = "Project Charter, Scope Statement and Risk Register"

	doc := page(t, c.get(t, "/jobs/"+three.ID))
	require.Equal(t, 1, testID(doc, "job-head").Length())
	assert.Equal(t, want, strings.TrimSpace(testID(doc, "job-head").Find("[data-testid=run-asked-docs]").Text()), "the job's page")
	card := testID(doc, "job-card")
	require.Equal(t, 1, card.Length())
	assert.Equal(t, want, strings.TrimSpace(card.Find("[data-testid=run-asked-docs]").Text()), "the job's card")

	b.run(t, three, []string{"project_charter", "scope_statement", "risk_register"}, models.StatusCompleted)
	two := c.job(t, p, "project_charter", "business_case")
	b.run(t, two, []string{"project_charter", "business_case"}, models.StatusCompleted)
	doc = page(t, c.get(t, "/jobs"))
	for id, want := range map[string]string{three.ID: want, two.ID: "Project Charter and Business Case"} {
		row := doc.Find("[data-testid=job-row][data-id='" + id + "']")
		require.Equal(t, 1, row.Length(), id)
		assert.Equal(t, want, strings.TrimSpace(row.Find("[data-testid=run-asked-docs]").Text()), "the jobs list")
	}
}
