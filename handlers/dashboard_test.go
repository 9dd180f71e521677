package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestDashboardGuidesANewUser(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	resp := c.get(t, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := page(t, resp)
	assert.Contains(t, testID(doc, "empty-state").Text(), "Create your first project")
	assert.Equal(t, "/projects/new", testID(doc, "create-first-project").AttrOr("href", ""))
	assert.Equal(t, "/projects/new?example=1", testID(doc, "start-from-example").AttrOr("href", ""))
	assert.Equal(t, "/events?since=0&view=dashboard", doc.Find("body").AttrOr("sse-connect", ""))
	// The lists the stream updates are there, hidden, for a job started
	// elsewhere (another tab, the API) to show in.
	for _, list := range []string{"dash-active", "dash-recent", "dash-projects"} {
		el := doc.Find("#" + list)
		require.Equal(t, 1, el.Length(), "#%s on an empty dashboard", list)
		assert.Equal(t, list, el.AttrOr("sse-swap", ""), list)
	}
	assert.Contains(t, testID(doc, "active-jobs").AttrOr("class", ""), "hidden", "In progress waits for a job")
	assert.Contains(t, testID(doc, "dashboard-projects").AttrOr("class", ""), "hidden", "the project list waits for a project created elsewhere")
	assert.Contains(t, testID(doc, "dashboard-welcome").AttrOr("class", ""), "[data-testid=dashboard-project]", "which hides the welcome")

	resp = b.anon().get(t, "/")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "anonymous visitors are sent to log in")
}

func TestDashboardShowsLiveAndRecentJobsAndProjects(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		idle := c.project(t, "Idle project")
		busy := c.project(t, "Busy project")
		old := c.job(t, idle, "project_charter")
		b.run(t, old, []string{"project_charter"}, models.StatusCompleted)
		running := c.job(t, busy, "schedule")
		b.user(t).job(t, b.user(t).project(t, "Someone else's"), "schedule")

		doc := page(t, c.get(t, "/"))
		cards := testID(doc, "job-card")
		require.Equal(t, 1, cards.Length(), "only the user's running job is a card")
		assert.Equal(t, "job-"+running.ID, cards.AttrOr("id", ""))
		assert.Equal(t, "job-"+running.ID, cards.AttrOr("sse-swap", ""))
		assert.Equal(t, "1", testID(doc, "job-badge").AttrOr("data-active", ""))

		rows := testID(doc, "job-row")
		require.Equal(t, 1, rows.Length())
		assert.Equal(t, old.ID, rows.AttrOr("data-id", ""))
		assert.Contains(t, rows.Text(), "Idle project")

		projects := testID(doc, "dashboard-project")
		assert.Equal(t, 2, projects.Length())
		text := projects.Text()
		assert.Contains(t, text, "Idle project")
		assert.Equal(t, "/projects/"+idle.ID+"/generate", testID(doc, "project-generate").AttrOr("href", ""))
		assert.Equal(t, "View progress", strings.TrimSpace(testID(doc, "project-progress").Text()))
	})
}
