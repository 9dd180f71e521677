package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A JSON null in a project's fields was read as the field left out:
// "objectives": null as no objectives, "name": null as a missing name, a
// null in a list as a blank item (dropped without a word). No field of the
// Project JSON gives null a meaning, so it is a 422 naming the field, on
// the project API, the import and a job's projectData and company pack;
// nothing is stored. A job's priority keeps null as normal (as documented).
func TestNullInProjectFieldsIsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		cases := []struct{ body, field, want string }{
			{`{"name":null}`, "name", "must be a string, not null"},
			{`{"name":"n","description":null}`, "description", "must be a string, not null"},
			{`{"name":"n","data":null}`, "data", "must be an object, not null"},
			{`{"name":"n","data":{"objectives":null}}`, "data.objectives", "must be an array, not null"},
			{`{"name":"n","data":{"objectives":["a",null]}}`, "data.objectives[1]", "must be a string or an object, not null"},
			{`{"name":"n","data":{"scopeIn":[null]}}`, "data.scopeIn[0]", "must be a string, not null"},
			{`{"name":"n","data":{"budget":{"amount":null,"currency":"EUR"}}}`, "data.budget.amount", "must be a number, not null"},
			{`{"name":"n","data":{"risks":[{"description":"r","impact":null}]}}`, "data.risks[0].impact", "must be an integer, not null"},
			{`{"name":"n","data":{"deliverables":[null]}}`, "data.deliverables[0]", "must be an object, not null"},
			{`{"name":"n","companyIntelligencePack":null}`, "companyIntelligencePack", "must be an object, not null"},
			{`{"name":"n","companyIntelligencePack":{"companyName":null}}`, "companyIntelligencePack.companyName", "must be a string, not null"},
			{`{"name":"n","companyIntelligencePack":{"strategicGoals":["g",null]}}`, "companyIntelligencePack.strategicGoals[1]", "must be a string, not null"},
		}
		for _, tc := range cases {
			resp := c.postJSON(t, "/api/projects", tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.body)
			e := errorOf(t, resp)
			assert.Equal(t, "validation_failed", e.Error.Code, tc.body)
			assert.Equal(t, tc.want, e.Error.Fields[tc.field], tc.body)
		}
		var list []map[string]any
		decodeBody(t, c.get(t, "/api/projects"), &list)
		assert.Empty(t, list, "nothing is stored")

		// PUT replaces with the same rules.
		p := c.project(t, "Kept")
		resp := c.do(t, http.MethodPut, "/api/projects/"+p.ID, strings.NewReader(`{"name":"Kept","data":{"constraints":null}}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, "must be an array, not null", errorOf(t, resp).Error.Fields["data.constraints"])

		// A job's own projectData and company pack.
		for body, field := range map[string]string{
			`{"projectId":"` + p.ID + `","projectData":{"objectives":null}}`:            "projectData.objectives",
			`{"projectId":"` + p.ID + `","companyIntelligencePack":{"values":[null]}}`:  "companyIntelligencePack.values[0]",
			`{"projectId":"` + p.ID + `","projectData":{"milestones":[{"name":null}]}}`: "projectData.milestones[0].name",
		} {
			resp := c.postJSON(t, "/api/generation/jobs", body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
			assert.Contains(t, errorOf(t, resp).Error.Fields[field], "not null", body)
		}

		// The import lists the problem beside the pasted text.
		u := b.user(t)
		resp = u.postForm(t, "/projects/import", url.Values{"json": {`{"name":"Imported","data":{"objectives":null}}`}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, page(t, resp).Text(), "not null")
	})
}
