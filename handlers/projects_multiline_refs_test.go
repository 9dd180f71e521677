package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A deliverable whose name holds a line break (stored through the API or
// an import) is shown on the form with the line break as a space; a
// dependency or a requirement typed as the name is shown refers to it.
// A name that no deliverable has is still refused, naming it.
func TestFormRefersToAMultiLineDeliverableAsShown(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Multi-line name",
		"data":{"deliverables":[{"name":"Portal\nredesign"},{"name":"Launch"}],
		        "milestones":[{"name":"Go live","date":"2027-03-01","requires":["Launch"]}]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var created struct{ ID string }
	decodeBody(t, resp, &created)
	path := "/projects/" + created.ID
	form := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)

	resp = c.submit(t, path, form.set("data.deliverables[1].dependsOn", "Portal redesigns"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a name that no deliverable has")
	assert.Contains(t, testID(page(t, resp), "form-errors").Text(), `no deliverable is named "Portal redesigns"`)

	resp = c.submit(t, path, form.set("data.deliverables[1].dependsOn", "Portal redesign").
		set("data.milestones[0].requires", "Launch\nportal  redesign"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the name as the form shows it")
	assert.Equal(t, path+"?saved=updated", resp.Header.Get("Location"))
	got, err := b.db.ProjectForUser(context.Background(), c.user.ID, created.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"Portal redesign"}, got.Data.Deliverables[1].DependsOn)
	assert.Equal(t, []string{"Launch", "portal  redesign"}, got.Data.Milestones[0].Requires)
	assert.Equal(t, "Portal\nredesign", got.Data.Deliverables[0].Name, "the name is left as stored")

	// Saved again unchanged, the project stays as it is.
	form = formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
	resp = c.submit(t, path, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, path+"?saved=unchanged", resp.Header.Get("Location"))
}

// The API matches a reference to a deliverable as the documents' schedule
// does (letter case, and spaces and line breaks, aside), so two names that
// differ only there are one name, refused as a duplicate with a message
// that says so.
func TestAPIDeliverableReferencesIgnoreSpacing(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"Spacing",
		"data":{"deliverables":[{"name":"Portal\r\n  redesign"},{"name":"Launch","dependsOn":["portal redesign"]}],
		        "milestones":[{"name":"Go live","requires":["PORTAL\tREDESIGN"]}]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	resp = c.postJSON(t, "/api/projects", `{"name":"Unknown",
		"data":{"deliverables":[{"name":"Portal\nredesign"},{"name":"Launch","dependsOn":["Portalredesign"]}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, map[string]string{"data.deliverables[1].dependsOn[0]": `no deliverable is named "Portalredesign"`}, errorOf(t, resp).Error.Fields)

	resp = c.postJSON(t, "/api/projects", `{"name":"Two of one",
		"data":{"deliverables":[{"name":"Portal\nredesign"},{"name":"Portal redesign"}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, map[string]string{"data.deliverables[1].name": `another deliverable is named "Portal\nredesign", which differs only in spaces or line breaks; ` +
		"names must be unique, as dependencies and milestones refer to them"}, errorOf(t, resp).Error.Fields)

	// A name of invisible characters only is one that the schedule cannot
	// resolve: no reference names it.
	resp = c.postJSON(t, "/api/projects", `{"name":"Invisible",
		"data":{"deliverables":[{"name":"\u200b"},{"name":"Launch","dependsOn":["\u200b\u200b"]}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, map[string]string{"data.deliverables[1].dependsOn[0]": `no deliverable is named "\u200b\u200b"`}, errorOf(t, resp).Error.Fields)
}
