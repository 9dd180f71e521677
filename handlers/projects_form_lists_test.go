package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A list item with a line break (the API and the JSON import take any
// text) is shown on one line of its "one per line" textarea, so that each
// line is one item: the strategic goals' numbers, which objectives link by,
// are the lines the user sees. A list the user changes is read as shown.
func TestFormShowsAMultiLineListItemOnOneLine(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Multi-line goals",
		"data":{"scopeIn":["Portal redesign:\nall customer pages","Search"],
		        "objectives":[{"text":"Lower cost to serve","strategicGoals":["Cut costs"]}]},
		"companyIntelligencePack":{"strategicGoals":["Grow revenue\n  in new markets","Cut costs"]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct{ ID string }
	decodeBody(t, resp, &created)
	path := "/projects/" + created.ID

	form := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
	assert.Equal(t, "Grow revenue in new markets\nCut costs", form.get("companyIntelligencePack.strategicGoals"), "one line per goal")
	assert.Equal(t, "2", form.get("data.objectives[0].goals"), "the number of the line the goal is on")
	assert.Equal(t, "Portal redesign: all customer pages\nSearch", form.get("data.scopeIn"))

	// A goal added at the end: the goals are read as shown, and the
	// objective still serves "Cut costs", not a half of the first goal.
	resp = c.submit(t, path, form.set("companyIntelligencePack.strategicGoals", form.get("companyIntelligencePack.strategicGoals")+"\nKeep customers"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"Grow revenue in new markets", "Cut costs", "Keep customers"}, got.CompanyIntelligencePack.StrategicGoals)
	assert.Equal(t, []models.Objective{{Text: "Lower cost to serve", StrategicGoals: []string{"Cut costs"}}}, got.Data.Objectives)
	assert.Equal(t, []string{"Portal redesign:\nall customer pages", "Search"}, got.Data.ScopeIn, "a list the user left alone keeps its items as stored")
}

// A deliverable's name may hold a line break (the API); the deliverables
// that wait for it, and the milestones that require it, name it in "one per
// line" textareas. A form saved unchanged leaves them as they are (before,
// the name was split into two names that no deliverable has, and the save
// was refused).
func TestFormKeepsReferencesToAMultiLineDeliverableName(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Multi-line name",
		"data":{"deliverables":[{"name":"Portal\nredesign"},{"name":"Launch","dependsOn":["portal\nredesign"]}],
		        "milestones":[{"name":"Go live","date":"2027-03-01","requires":["Portal\nredesign","Launch"]}]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct{ ID string }
	decodeBody(t, resp, &created)
	before, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)

	form := formValues(page(t, c.get(t, "/projects/"+created.ID+"/edit")), `[data-testid="project-form"]`)
	resp = c.submit(t, "/projects/"+created.ID, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/projects/"+created.ID+"?saved=unchanged", resp.Header.Get("Location"))
	after, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, before.Data, after.Data)
}

// A link to a goal in another case keeps its spelling while neither the
// link nor the goals change; once the goals are changed, the links take
// the goals' spelling, as the user sees them.
func TestFormGoalLinkFollowsChangedGoals(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Links",
		"data":{"objectives":[{"text":"Lower cost to serve","strategicGoals":["cut costs"]}]},
		"companyIntelligencePack":{"strategicGoals":["Cut costs"]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct{ ID string }
	decodeBody(t, resp, &created)
	path := "/projects/" + created.ID

	form := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
	resp = c.submit(t, path, form.set("data.sponsor", "Ada"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"cut costs"}, got.Data.Objectives[0].StrategicGoals, "another field's change leaves the link alone")

	form = formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
	resp = c.submit(t, path, form.set("companyIntelligencePack.strategicGoals", "Cut Costs"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got, err = b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"Cut Costs"}, got.Data.Objectives[0].StrategicGoals)
}

// A tab left open on a project with a multi-line list item is saved with
// another change after another tab changed that list: the list is the
// other save's (the form's is the one it was filled with, unchanged), and
// the form's change is merged in.
func TestStaleFormKeepsTheOtherSavesMultiLineList(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		resp := c.postJSON(t, "/api/projects", `{"name":"Shared","data":{"scopeIn":["Portal redesign:\nall customer pages"]}}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var created struct{ ID string }
		decodeBody(t, resp, &created)
		path := "/projects/" + created.ID
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

		resp = c.submit(t, path, tabA.set("data.scopeIn", tabA.get("data.scopeIn")+"\nSearch"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		resp = c.submit(t, path, tabB.set("data.sponsor", "Ada"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "no field changed by both")
		landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
		assert.Contains(t, testID(page(t, landing), "flash").Text(), "its changes to In scope were kept")
		got, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"Portal redesign: all customer pages", "Search"}, got.Data.ScopeIn)
		assert.Equal(t, "Ada", got.Data.Sponsor)
	})
}

// What the user reads after a save merged with another save: the fields
// the other save changed alone (kept) and those both changed alike.
func TestMergeMessageNamesTheSameChanges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		flash := func(resp *http.Response) string {
			t.Helper()
			landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
			return testID(page(t, landing), "flash").Text()
		}
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabC := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

		resp := c.submit(t, path, tabA.set("name", "Typo fixed").set("data.manager", "Grace"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		resp = c.submit(t, path, tabB.set("name", "Typo fixed").set("data.sponsor", "Ada"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, path+"?saved=merged", resp.Header.Get("Location"))
		assert.Contains(t, flash(resp), "Changes saved. The project had been saved somewhere else meanwhile (another tab, or an API client); "+
			"its changes to Project manager were kept, and it had made the same change to Project name as yours.")

		resp = c.submit(t, path, tabC.set("name", "Typo fixed").set("data.manager", "Grace").set("description", "Changed in tab C"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, flash(resp), "Changes saved. The project had been saved somewhere else meanwhile (another tab, or an API client); "+
			"its changes to Sponsor were kept, and it had made the same changes to Project name, Project manager as yours.")
		got, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Typo fixed", got.Name)
		assert.Equal(t, "Grace", got.Data.Manager)
		assert.Equal(t, "Ada", got.Data.Sponsor)
		assert.Equal(t, "Changed in tab C", got.Description)
	})
}

// A form saved after another save, with nothing that save does not
// already have, stores nothing and says so, without "Changes saved": the
// project keeps its time of last change.
func TestStaleFormWithNothingNewStoresNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		flash := func(resp *http.Response) string {
			t.Helper()
			landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
			return testID(page(t, landing), "flash").Text()
		}
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabC := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

		resp := c.submit(t, path, tabA.set("name", "Typo fixed").set("data.sponsor", "Ada").set("data.manager", "Grace"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		saved, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)

		// B made only changes the project already has (and not all of
		// them: the form is not the project).
		resp = c.submit(t, path, tabB.set("name", "Typo fixed").set("data.sponsor", "Ada"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, path+"?saved=unchanged", resp.Header.Get("Location"))
		msg := flash(resp)
		assert.Contains(t, msg, "No changes to save: the project had been saved somewhere else meanwhile (another tab, or an API client), "+
			"with the same changes to Project name, Sponsor as yours.")
		assert.NotContains(t, msg, "Changes saved")
		after, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.True(t, saved.UpdatedAt.Equal(after.UpdatedAt), "nothing stored")

		// C changed nothing.
		resp = c.submit(t, path, tabC)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, path+"?saved=unchanged", resp.Header.Get("Location"))
		assert.Contains(t, flash(resp), "No changes to save. The project had been saved somewhere else meanwhile (another tab, or an API client), "+
			"and is shown as that save left it.")
		after, err = b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Typo fixed", after.Name)
		assert.Equal(t, "Ada", after.Data.Sponsor)
		assert.True(t, saved.UpdatedAt.Equal(after.UpdatedAt), "nothing stored")

		// The page reloaded later says only that.
		assert.Contains(t, testID(page(t, c.get(t, path+"?saved=unchanged")), "flash").Text(), "No changes to save.")
	})
}
