package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A list item the API (or the JSON import) stored with a line break
// stays one item when the project is saved unchanged from the edit form
// (the list textareas are "one per line"). Split, it changed data the user
// never touched, marked every document out of date, and re-pointed
// objective links to another strategic goal.
func TestFormKeepsMultiLineListItems(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		resp := c.postJSON(t, "/api/projects", `{"name":"Multi-line lists",
			"data":{"scopeIn":["Portal redesign:\nall customer pages","Search"],
			        "objectives":[{"text":"Lower cost to serve","strategicGoals":["Cut costs"]}]},
			"companyIntelligencePack":{"strategicGoals":["Grow revenue\nin new markets","Cut costs"]}}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var created struct{ ID string }
		decodeBody(t, resp, &created)
		before, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
		require.NoError(t, err)

		form := formValues(page(t, c.get(t, "/projects/"+created.ID+"/edit")), `[data-testid="project-form"]`)
		resp = c.submit(t, "/projects/"+created.ID, form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		after, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
		require.NoError(t, err)
		assert.Equal(t, "/projects/"+created.ID+"?saved=unchanged", resp.Header.Get("Location"), "nothing was changed on the form")
		assert.Equal(t, before.Data.ScopeIn, after.Data.ScopeIn)
		assert.Equal(t, before.CompanyIntelligencePack.StrategicGoals, after.CompanyIntelligencePack.StrategicGoals)
		assert.Equal(t, before.Data.Objectives, after.Data.Objectives, "the objective still serves the goal it served")
	})
}

// Two tabs make the same change, and the second also changes
// another field. The second save is merged with the first, and the flash
// names the other save's changes only when there are some (it read "its
// changes to  were kept.").
func TestMergeOfTheSameChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

		resp := c.submit(t, path, tabA.set("name", "Typo fixed"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		resp = c.submit(t, path, tabB.set("name", "Typo fixed").set("data.sponsor", "New sponsor"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
		flash := testID(page(t, landing), "flash").Text()
		assert.NotContains(t, flash, "its changes to  were kept", "a sentence without the fields it names")
	})
}

// A tab left open on the edit form is saved without a change after
// another tab saved the project. Nothing is the user's to store, so the
// merge (which equals the stored project) is not written: no "Changes
// saved", and the project's time of last change stays, so it keeps its
// place in the lists.
func TestStaleFormSavedUnchanged(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

		resp := c.submit(t, path, tabA.set("name", "Renamed in A"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		saved, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		other := createProject(t, c, "Changed later")

		resp = c.submit(t, path, tabB) // unchanged
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		after, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.True(t, saved.UpdatedAt.Equal(after.UpdatedAt), "nothing to store, yet updatedAt moved from %v to %v", saved.UpdatedAt, after.UpdatedAt)
		var list []map[string]any
		decodeBody(t, c.get(t, "/api/projects"), &list)
		require.Len(t, list, 2)
		assert.Equal(t, other.ID, list[0]["id"], "the project saved without a change jumped to the top")
	})
}

// An objective's link to a strategic goal is matched without regard
// to case (the validator), and the form shows it as the goal's number; an
// unchanged form keeps the link's stored spelling (storing the goal's own
// was a change: "updated", and every document marked out of date).
func TestFormKeepsAGoalLinkSpelledInAnotherCase(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Links",
		"data":{"objectives":[{"text":"Lower cost to serve","strategicGoals":["cut costs"]}]},
		"companyIntelligencePack":{"strategicGoals":["Cut costs"]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct{ ID string }
	decodeBody(t, resp, &created)
	form := formValues(page(t, c.get(t, "/projects/"+created.ID+"/edit")), `[data-testid="project-form"]`)
	resp = c.submit(t, "/projects/"+created.ID, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/projects/"+created.ID+"?saved=unchanged", resp.Header.Get("Location"), "nothing was changed on the form")
}
