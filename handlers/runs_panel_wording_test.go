package handlers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The project page's Runs panel lists a run's documents as people do, "A,
// B and C", as the jobs list does. They were joined with commas only.
func TestRunsPanelListsDocumentsNaturally(t *testing.T) {
	t.Parallel()
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	j := c.job(t, p, "project_charter", "risk_register") // risk_register brings scope_statement
	b.run(t, j, []string{"project_charter", "scope_statement", "risk_register"}, models.StatusCompleted)

	runs := testID(page(t, c.get(t, "/projects/"+p.ID)), "run")
	require.Equal(t, 1, runs.Length())
	assert.Equal(t, "Project Charter, Scope Statement and Risk Register", strings.TrimSpace(runs.Find("p").First().Text()))
}
