package handlers

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The messages about a save merged with another save name the fields in
// the order the form shows them (Project name before Sponsor, the company
// pack last), not in the order of their JSON paths.
func TestMergeMessagesFollowTheFormsOrder(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	p := createProject(t, c, "Shared")
	path := "/projects/" + p.ID
	edit := func() orderedForm {
		return formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
	}
	tabA, tabB, tabC := edit(), edit(), edit()

	resp := c.submit(t, path, tabA.set("companyIntelligencePack.companyName", "Company A").set("data.sponsor", "Sponsor A").
		set("description", "Description A").set("name", "Name A"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp = c.submit(t, path, tabB.set("data.manager", "Manager B"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
	assert.Contains(t, testID(page(t, landing), "flash").Text(),
		"its changes to Project name, Description, Sponsor, Company name were kept.")

	// C changes three of the fields A changed: a conflict, named in the
	// form's order, and A's and B's other changes merged in.
	resp = c.submit(t, path, tabC.set("companyIntelligencePack.companyName", "Company C").set("data.sponsor", "Sponsor C").set("name", "Name C"))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	notice := testID(page(t, resp), "project-changed-elsewhere").Text()
	assert.Contains(t, notice, "with another value for Project name, Sponsor, Company name.")
	assert.Contains(t, notice, "its changes to Description, Project manager are merged in.")
}

// formFields, which orders the merge's messages, lists the mergeable fields
// in the order the edit form shows them, and names every field a project
// has.
func TestMergeFieldsAreInTheFormsOrder(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	p := createProject(t, c, "Every field")
	form := formValues(page(t, c.get(t, "/projects/"+p.ID+"/edit")), `[data-testid="project-form"]`)

	// The form's controls, as the merge's fields: a row's fields are its
	// list's (data.risks[0].impact is data.risks), an amount's and a
	// currency's their money's (data.budget.amount is data.budget).
	row := regexp.MustCompile(`^(data\.[A-Za-z]+)\[[^\]]*\]\.`)
	var shown []string
	for _, kv := range form {
		k := kv[0]
		if m := row.FindStringSubmatch(k); m != nil {
			k = m[1]
		}
		k = strings.TrimSuffix(strings.TrimSuffix(k, ".amount"), ".currency")
		if k != "name" && k != "description" && !strings.HasPrefix(k, "data.") && !strings.HasPrefix(k, "companyIntelligencePack.") {
			continue // _csrf, baseFingerprint, baseProject
		}
		if !slices.Contains(shown, k) {
			shown = append(shown, k)
		}
	}
	var keys []string
	for _, f := range formFields {
		keys = append(keys, f.key)
	}
	assert.Equal(t, shown, keys)

	stored, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
	require.NoError(t, err)
	fields, err := projectFields(stored)
	require.NoError(t, err)
	for k := range fields {
		assert.Contains(t, keys, k, "a field of the project that the merge cannot name")
	}
}
