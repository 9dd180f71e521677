package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A NUL character cannot be stored by PostgreSQL (text and jsonb refuse
// it): every entry point must answer 422 naming the field, never 500.
func TestNULCharacterIsAValidationError(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		api := b.apiClient(t)
		p := api.project(t, "NUL")
		for _, tc := range []struct {
			name, path, body, field string
		}{
			{"project name", "/api/projects", `{"name": "a\u0000b"}`, "name"},
			{"risk", "/api/projects", `{"name": "x", "data": {"risks": [{"description": "ok"}, {"description": "bad\u0000"}]}}`, "data.risks[1].description"},
			{"company pack", "/api/projects", `{"name": "x", "companyIntelligencePack": {"mission": "\u0000"}}`, "companyIntelligencePack.mission"},
			{"job projectData", "/api/generation/jobs", `{"projectId": "` + p.ID + `", "projectData": {"risks": [{"description": "r\u0000"}]}}`, "projectData.risks[0].description"},
			{"job company pack", "/api/generation/jobs", `{"projectId": "` + p.ID + `", "companyIntelligencePack": {"values": ["\u0000"]}}`, "companyIntelligencePack.values[0]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := api.postJSON(t, tc.path, tc.body)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				e := errorOf(t, resp)
				assert.Equal(t, "must not contain a NUL character", e.Error.Fields[tc.field], "fields: %v", e.Error.Fields)
			})
		}

		// The HTML form and the JSON import, as a browser posts them.
		c := b.user(t)
		resp := c.postForm(t, "/projects", url.Values{"name": {"a\x00b"}, "data.risks[0].description": {"x\x00"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		doc := page(t, resp)
		assert.Contains(t, doc.Find(`[data-testid="project-form"]`).Text(), "must not contain a NUL character")
		resp = c.postForm(t, "/projects/import", url.Values{"json": {`{"name": "x", "data": {"sponsor": "\u0000"}}`}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, testID(page(t, resp), "import-errors").Text(), "data.sponsor")
		ps, err := b.db.Projects(t.Context(), c.user.ID)
		require.NoError(t, err)
		assert.Empty(t, ps)
	})
}

// A job's projectData and company pack pass the same validator as a
// project's: the data that /api/projects refuses is refused here too.
func TestJobProjectDataIsValidated(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		api := b.apiClient(t)
		p := api.project(t, "Validated")
		risks := make([]map[string]any, 5000)
		for i := range risks {
			risks[i] = map[string]any{"description": "r", "probability": 3}
		}
		for _, tc := range []struct {
			name   string
			body   map[string]any
			fields map[string]string
		}{
			{"bad values", map[string]any{"projectId": p.ID, "projectData": map[string]any{
				"startDate":    "2027-13-45",
				"risks":        []any{map[string]any{"description": "r", "probability": 9, "impact": 2}},
				"deliverables": []any{map[string]any{"name": "d", "effortDays": 1e308}},
			}}, map[string]string{
				"projectData.startDate":                  "YYYY-MM-DD",
				"projectData.risks[0].probability":       "1 to 5",
				"projectData.deliverables[0].effortDays": "at most 10000 days",
			}},
			{"too many risks", map[string]any{"projectId": p.ID, "projectData": map[string]any{"risks": risks}},
				map[string]string{"projectData.risks": "at most 200 items"}},
			{"pack", map[string]any{"projectId": p.ID, "companyIntelligencePack": map[string]any{"companyName": strings.Repeat("x", 201)}},
				map[string]string{"companyIntelligencePack.companyName": "at most 200 characters"}},
			{"unknown dependency", map[string]any{"projectId": p.ID, "projectData": map[string]any{
				"deliverables": []any{map[string]any{"name": "A", "dependsOn": []string{"B"}}}}},
				map[string]string{"projectData.deliverables[0].dependsOn[0]": `no deliverable is named "B"`}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := api.postJSON(t, "/api/generation/jobs", tc.body)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				e := errorOf(t, resp)
				assert.Len(t, e.Error.Fields, len(tc.fields), "fields: %v", e.Error.Fields)
				for f, msg := range tc.fields {
					assert.Contains(t, e.Error.Fields[f], msg, f)
				}
			})
		}
		// Valid data is still accepted.
		_, _, data, pack := models.ExampleProject()
		resp := api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "projectData": data, "companyIntelligencePack": pack})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	})
}

// Validation errors are bounded: the first models.MaxFieldErrors fields and
// a count, however many problems a body holds.
func TestValidationErrorsAreBounded(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		type bounded struct {
			Error struct {
				Message    string            `json:"message"`
				Fields     map[string]string `json:"fields"`
				FieldCount int               `json:"fieldCount"`
			} `json:"error"`
		}
		for _, tc := range []struct {
			name   string
			body   string
			fields int
			count  int
		}{
			// 100,000 empty risks: one problem, the list's size.
			{"100,000 empty risks", `{"name": "x", "data": {"risks": [` + strings.Repeat(`{},`, 99999) + `{}]}}`, 1, 1},
			// 100,000 values of the wrong type.
			{"100,000 wrong types", `{"name": "x", "data": {"risks": [` + strings.Repeat(`1,`, 99999) + `1]}}`, 50, 100000},
			// 150 risks (within the list limit), each with two problems.
			{"300 problems", `{"name": "x", "data": {"risks": [` + strings.Repeat(`{"probability": 9, "impact": 2},`, 149) + `{"probability": 9, "impact": 2}]}}`, 50, 300},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := api.postJSON(t, "/api/projects", tc.body)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				raw, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Less(t, len(raw), 8<<10, "a 422 stays small")
				var e bounded
				require.NoError(t, json.Unmarshal(raw, &e))
				assert.Len(t, e.Error.Fields, tc.fields)
				assert.Equal(t, tc.count, e.Error.FieldCount)
				if tc.count > tc.fields {
					assert.Contains(t, e.Error.Message, "the first 50 are listed")
				}
			})
		}
		// Every text has a length limit, list items included.
		resp := api.postJSON(t, "/api/projects", map[string]any{"name": "x", "data": map[string]any{
			"scopeIn": []string{"ok", strings.Repeat("y", 5001)},
			"risks":   []any{map[string]any{"description": "r", "owner": strings.Repeat("o", 201)}},
		}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		e := errorOf(t, resp)
		assert.Equal(t, map[string]string{
			"data.scopeIn[1]":     "must be at most 5000 characters",
			"data.risks[0].owner": "must be at most 200 characters",
		}, e.Error.Fields)
	})
}

// Dependencies, milestone requirements and strategic-goal links must name
// something that exists, and dependencies must not form a cycle.
func TestStructuredInputsAreValidated(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		body := map[string]any{"name": "x",
			"data": map[string]any{
				"deliverables": []any{
					map[string]any{"name": "Build", "dependsOn": []string{"Test"}, "people": 0},
					map[string]any{"name": "Test", "dependsOn": []string{"Design"}},
					map[string]any{"name": "Design", "dependsOn": []string{"Build"}},
					map[string]any{"name": "Docs", "dependsOn": []string{"Nope", "Docs"}},
				},
				"milestones":          []any{map[string]any{"name": "Live", "requires": []string{"Launch"}}},
				"objectives":          []any{"plain", map[string]any{"text": "linked", "strategicGoals": []string{"Grow", "Shrink"}}},
				"benefits":            []any{map[string]any{"description": "b", "startsAfterMonths": -1}},
				"dayRate":             map[string]any{"amount": 0, "currency": "euro"},
				"discountRatePercent": 101,
			},
			"companyIntelligencePack": map[string]any{"strategicGoals": []string{"Grow"}},
		}
		resp := api.postJSON(t, "/api/projects", body)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		e := errorOf(t, resp)
		assert.Equal(t, map[string]string{
			"data.deliverables[0].dependsOn":       "dependency cycle: Build → Test → Design → Build; a deliverable cannot wait for itself",
			"data.deliverables[0].people":          "must be a whole number from 1 to 100",
			"data.deliverables[3].dependsOn[0]":    `no deliverable is named "Nope"`,
			"data.deliverables[3].dependsOn[1]":    "a deliverable cannot depend on itself",
			"data.milestones[0].requires[0]":       `no deliverable is named "Launch"`,
			"data.objectives[1].strategicGoals[1]": `"Shrink" is not one of the company pack's strategic goals`,
			"data.benefits[0].annualValue":         "is required",
			"data.benefits[0].startsAfterMonths":   "must be a whole number of months from 0 to 600",
			"data.dayRate.amount":                  "must be more than zero",
			"data.dayRate.currency":                "must be a 3-letter currency code such as EUR",
			"data.discountRatePercent":             "must be a number from 0 to 100",
		}, e.Error.Fields)

		// The example project, with every structured input, is valid, and
		// the API returns what it stored.
		resp = api.postJSON(t, "/api/projects", exampleJSON(t))
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var got projectJSON
		decodeBody(t, resp, &got)
		_, _, data, _ := models.ExampleProject()
		assert.Equal(t, data, got.Data)
	})
}

// The other forms that store text refuse a NUL character too.
func TestNULInSignupAndTokenNames(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		resp := b.anon().postForm(t, "/signup", url.Values{"email": {uniqueEmail("nul")}, "name": {"a\x00b"}, "password": {"a long enough password"}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		c := b.user(t)
		resp = c.postForm(t, "/settings/tokens", url.Values{"name": {"t\x00"}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	})
}

// A deliverable's owner is free text like a risk's: trimmed, at most 200
// characters, a string, checked at every entry point under its JSON path,
// stored and returned by the API, and left out of the JSON when empty.
func TestDeliverableOwner(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		p := api.project(t, "Owned")
		for _, tc := range []struct {
			name, path, body, field, msg string
		}{
			{"too long", "/api/projects", `{"name": "x", "data": {"deliverables": [{"name": "Build", "owner": "` + strings.Repeat("o", 201) + `"}]}}`,
				"data.deliverables[0].owner", "must be at most 200 characters"},
			{"not text", "/api/projects", `{"name": "x", "data": {"deliverables": [{"name": "Build"}, {"name": "Test", "owner": 7}]}}`,
				"data.deliverables[1].owner", "must be a string"},
			{"a list", "/api/projects", `{"name": "x", "data": {"deliverables": [{"name": "Build", "owner": ["Ada"]}]}}`,
				"data.deliverables[0].owner", "must be a string"},
			{"job projectData", "/api/generation/jobs", `{"projectId": "` + p.ID + `", "projectData": {"deliverables": [{"name": "Build", "owner": "` + strings.Repeat("o", 201) + `"}]}}`,
				"projectData.deliverables[0].owner", "must be at most 200 characters"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := api.postJSON(t, tc.path, tc.body)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				e := errorOf(t, resp)
				assert.Equal(t, map[string]string{tc.field: tc.msg}, e.Error.Fields)
			})
		}

		// Stored trimmed and returned; an empty owner is not in the JSON.
		resp := api.postJSON(t, "/api/projects", `{"name": "Owned", "data": {"deliverables": [
			{"name": "Build", "owner": "  Platform team "}, {"name": "Test", "owner": ""}, {"name": "Docs"}]}}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var created projectJSON
		decodeBody(t, resp, &created)
		assert.Equal(t, []models.Deliverable{{Name: "Build", Owner: "Platform team"}, {Name: "Test"}, {Name: "Docs"}}, created.Data.Deliverables)
		resp = api.get(t, "/api/projects/"+created.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var got struct {
			Data struct {
				Deliverables []map[string]any `json:"deliverables"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(raw, &got))
		require.Len(t, got.Data.Deliverables, 3)
		assert.Equal(t, "Platform team", got.Data.Deliverables[0]["owner"])
		assert.NotContains(t, got.Data.Deliverables[1], "owner")
		assert.NotContains(t, got.Data.Deliverables[2], "owner")

		// The JSON import keys its errors the same way.
		c := b.user(t)
		resp = c.postForm(t, "/projects/import", url.Values{"json": {`{"name": "x", "data": {"deliverables": [{"name": "Build", "owner": "` + strings.Repeat("o", 201) + `"}]}}`}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, testID(page(t, resp), "import-errors").Text(), "data.deliverables[0].owner")
	})
}
