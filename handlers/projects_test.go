package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// exampleJSON is the example project as API JSON.
func exampleJSON(t *testing.T) map[string]any {
	t.Helper()
	name, desc, data, pack := models.ExampleProject()
	raw, err := json.Marshal(map[string]any{"name": name, "description": desc, "data": data, "companyIntelligencePack": pack})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// createProject stores a project for the client straight in the database.
func createProject(t *testing.T, c *client, name string) *models.Project {
	t.Helper()
	_, desc, data, pack := models.ExampleProject()
	p := &models.Project{UserID: c.user.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(t, c.b.db.CreateProject(context.Background(), p))
	return p
}

func TestProjectExampleRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)

		// Empty state first.
		doc := page(t, c.get(t, "/projects"))
		assert.Equal(t, 1, testID(doc, "empty-state").Length())

		// The example fills the form; submitting it unchanged stores exactly
		// the example project.
		resp := c.get(t, "/projects/new?example=1")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		form := formValues(doc, `[data-testid="project-form"]`)
		assert.Equal(t, "Customer Portal Relaunch", form.get("name"))
		assert.Equal(t, c.csrf, form.get("_csrf"))

		resp = c.submit(t, "/projects", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "errors: %v", resp.Header)
		loc := resp.Header.Get("Location")
		id := regexp.MustCompile(`^/projects/([0-9a-f-]{36})\?saved=created$`).FindStringSubmatch(loc)
		require.NotNil(t, id, loc)

		p, err := b.db.ProjectForUser(context.Background(), c.user.ID, id[1])
		require.NoError(t, err)
		name, desc, data, pack := models.ExampleProject()
		assert.Equal(t, name, p.Name)
		assert.Equal(t, desc, p.Description)
		assert.Equal(t, data, p.Data)
		assert.Equal(t, pack, p.CompanyIntelligencePack)

		// The page lays it out, with the actions.
		doc = page(t, c.get(t, loc))
		assert.Equal(t, "Customer Portal Relaunch", testID(doc, "project-name").Text())
		assert.Contains(t, testID(doc, "flash").Text(), "Project created")
		href, _ := testID(doc, "generate-documents").Attr("href")
		assert.Equal(t, "/projects/"+p.ID+"/generate", href)
		href, _ = testID(doc, "edit-project").Attr("href")
		assert.Equal(t, "/projects/"+p.ID+"/edit", href)
		facts := testID(doc, "project-facts").Text()
		assert.Contains(t, facts, "EUR 750,000")
		assert.Contains(t, facts, "4 Jan 2027")
		assert.Equal(t, len(data.Risks), testID(doc, "risks").Find("tbody tr").Length())
		assert.Equal(t, len(data.Deliverables), testID(doc, "deliverables").Find("tbody tr").Length())
		var owners []string
		testID(doc, "deliverable-owner").Each(func(_ int, s *goquery.Selection) { owners = append(owners, s.Text()) })
		var want []string
		for _, x := range data.Deliverables {
			want = append(want, x.Owner)
		}
		assert.Equal(t, want, owners, "the deliverables table names each owner")
		assert.Contains(t, testID(doc, "deliverables").Text(), "723 days in total")
		assert.Contains(t, testID(doc, "company-pack").Text(), "Northwind Mutual")

		// Listed.
		doc = page(t, c.get(t, "/projects"))
		assert.Equal(t, "Customer Portal Relaunch", strings.TrimSpace(testID(doc, "project-link").Text()))

		// The edit form round-trips too; change the name, a risk score and
		// the deliverables' owners (name one, clear another).
		require.Empty(t, data.Deliverables[1].Owner)
		require.NotEmpty(t, data.Deliverables[2].Owner)
		doc = page(t, c.get(t, "/projects/"+p.ID+"/edit"))
		form = formValues(doc, `[data-testid="project-form"]`)
		assert.Equal(t, data.Deliverables[2].Owner, form.get("data.deliverables[2].owner"))
		form = form.set("name", "Portal Relaunch v2").set("data.risks[0].probability", "5").
			set("data.deliverables[1].owner", " Design team ").set("data.deliverables[2].owner", "")
		resp = c.submit(t, "/projects/"+p.ID, form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		p2, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Portal Relaunch v2", p2.Name)
		assert.Equal(t, 5, p2.Data.Risks[0].Probability)
		data.Risks[0].Probability = 5
		data.Deliverables[1].Owner, data.Deliverables[2].Owner = "Design team", ""
		assert.Equal(t, data, p2.Data)
	})
}

func TestProjectFormRows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)

		// "Add risk" fetches a row with a fresh key.
		doc := page(t, c.get(t, "/projects/rows/risk", "HX-Request", "true"))
		name, _ := doc.Find(`[data-testid="row-risk"] input`).First().Attr("name")
		assert.Regexp(t, `^data\.risks\[n[A-Za-z0-9_-]+\]\.description$`, name)
		assert.Equal(t, 0, doc.Find("header").Length(), "a row is a fragment, not a page")
		assert.Equal(t, http.StatusNotFound, c.get(t, "/projects/rows/nope").StatusCode)
		// "Add deliverable" has an owner field, empty.
		doc = page(t, c.get(t, "/projects/rows/deliverable", "HX-Request", "true"))
		owner := doc.Find(`[data-testid="row-deliverable"] input[name$="].owner"]`)
		require.Equal(t, 1, owner.Length())
		assert.Equal(t, "", owner.AttrOr("value", ""))

		// Rows come in page order with any keys; blank rows are dropped.
		form := orderedForm{
			{"_csrf", c.csrf}, {"name", "Rows"},
			{"data.risks[0].description", "First"}, {"data.risks[0].probability", "2"}, {"data.risks[0].impact", "3"},
			{"data.risks[0].owner", ""}, {"data.risks[0].mitigation", ""},
			{"data.risks[nZZ].description", ""}, {"data.risks[nZZ].probability", ""},
			{"data.risks[nAb-_1].description", "Second"}, {"data.risks[nAb-_1].probability", "1"}, {"data.risks[nAb-_1].impact", "4"},
			{"data.deliverables[nX].name", "Build"}, {"data.deliverables[nX].effortDays", "2.5"},
			{"data.deliverables[nY].name", "Test"}, {"data.deliverables[nY].people", "2"}, {"data.deliverables[nY].dependsOn", "Build\r\n\r\n"},
			{"data.deliverables[nY].owner", "  QA team "},
			{"data.milestones[0].name", "Go-live"}, {"data.milestones[0].date", "2027-05-01"}, {"data.milestones[0].requires", "Test"},
			{"data.stakeholders[k1].name", "Sam"}, {"data.stakeholders[k1].interest", "5"}, {"data.stakeholders[k1].influence", "1"},
			{"data.objectives[o1].text", " one "}, {"data.objectives[o1].goals", ""},
			{"data.objectives[o2].text", "two"}, {"data.objectives[o2].goals", "2, 1"},
			{"data.objectives[o3].text", ""}, {"data.objectives[o3].goals", ""},
			{"companyIntelligencePack.strategicGoals", "Grow\nSave"},
			{"data.benefits[b].description", "Savings"}, {"data.benefits[b].annualValue", "1000"}, {"data.benefits[b].startsAfterMonths", "3"},
			{"data.dayRate.amount", "900"}, {"data.dayRate.currency", "eur"}, {"data.discountRatePercent", "7.5"},
		}
		resp := c.submit(t, "/projects", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		ps, err := b.db.Projects(context.Background(), c.user.ID)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		got := ps[0].Data
		assert.Equal(t, []models.Risk{{Description: "First", Probability: 2, Impact: 3}, {Description: "Second", Probability: 1, Impact: 4}}, got.Risks)
		assert.Equal(t, []models.Deliverable{{Name: "Build", EffortDays: 2.5}, {Name: "Test", People: 2, DependsOn: []string{"Build"}, Owner: "QA team"}}, got.Deliverables)
		assert.Equal(t, []models.Milestone{{Name: "Go-live", Date: "2027-05-01", Requires: []string{"Test"}}}, got.Milestones)
		assert.Equal(t, []models.Stakeholder{{Name: "Sam", Interest: 5, Influence: 1}}, got.Stakeholders)
		assert.Equal(t, []models.Objective{{Text: "one"}, {Text: "two", StrategicGoals: []string{"Save", "Grow"}}}, got.Objectives)
		assert.Equal(t, []models.Benefit{{Description: "Savings", AnnualValue: 1000, StartsAfterMonths: 3}}, got.Benefits)
		assert.Equal(t, &models.Budget{Amount: 900, Currency: "EUR"}, got.DayRate)
		assert.Equal(t, 7.5, *got.DiscountRatePercent)
		assert.Nil(t, got.Budget)

		// A sparse project still lays out, with "None yet" and "Not set".
		resp = c.get(t, "/projects/"+ps[0].ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		assert.Equal(t, "Rows", testID(doc, "project-name").Text())
		assert.Contains(t, testID(doc, "project-facts").Text(), "Not set")
		assert.Contains(t, testID(doc, "constraints").Text(), "None yet")
		assert.Equal(t, 2, testID(doc, "risks").Find("tbody tr").Length())
	})
}

func TestProjectFormValidation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		for _, tc := range []struct {
			name   string
			form   orderedForm
			errors map[string]string // field → part of its message
		}{
			{"missing name", orderedForm{{"name", "  "}}, map[string]string{"name": "Is required"}},
			{"bad dates", orderedForm{{"name", "P"}, {"data.startDate", "04/01/2027"}, {"data.endDate", "2027-02-30"}},
				map[string]string{"data.startDate": "YYYY-MM-DD", "data.endDate": "YYYY-MM-DD"}},
			{"end before start", orderedForm{{"name", "P"}, {"data.startDate", "2027-06-01"}, {"data.endDate", "2027-05-31"}},
				map[string]string{"data.endDate": "on or after the start date"}},
			{"negative budget and bad currency", orderedForm{{"name", "P"}, {"data.budget.amount", "-5"}, {"data.budget.currency", "EURO"}},
				map[string]string{"data.budget.amount": "zero or more", "data.budget.currency": "3-letter"}},
			{"budget not a number", orderedForm{{"name", "P"}, {"data.budget.amount", "lots"}}, map[string]string{"data.budget.amount": "Must be a number"}},
			{"scores", orderedForm{{"name", "P"},
				{"data.risks[0].description", "R"}, {"data.risks[0].probability", "6"}, {"data.risks[0].impact", "high"},
				{"data.stakeholders[0].name", "S"}, {"data.stakeholders[0].interest", "0"}, {"data.stakeholders[0].influence", "2.5"}},
				map[string]string{
					"data.risks[0].probability": "1 to 5", "data.risks[0].impact": "1 to 5",
					"data.stakeholders[0].interest": "1 to 5", "data.stakeholders[0].influence": "1 to 5",
				}},
			{"one score of a pair", orderedForm{{"name", "P"},
				{"data.risks[0].description", "R"}, {"data.risks[0].probability", "2"}, {"data.risks[0].impact", ""},
				{"data.stakeholders[0].name", "S"}, {"data.stakeholders[0].interest", ""}, {"data.stakeholders[0].influence", "4"}},
				map[string]string{
					"data.risks[0].impact":          "required when probability is given",
					"data.stakeholders[0].interest": "required when influence is given",
				}},
			{"goals without any in the pack", orderedForm{{"name", "P"}, {"data.objectives[0].text", "Grow"}, {"data.objectives[0].goals", "1"}},
				map[string]string{"data.objectives[0].goals": "The company pack has no strategic goals yet: add them to the company pack first"}},
			{"goals past the pack's", orderedForm{{"name", "P"}, {"companyIntelligencePack.strategicGoals", "Grow\nKeep"},
				{"data.objectives[0].text", "Grow"}, {"data.objectives[0].goals", "3"}},
				map[string]string{"data.objectives[0].goals": "from 1 to 2, such as 1, 2"}},
			{"rows need names", orderedForm{{"name", "P"}, {"data.deliverables[0].effortDays", "-1"}, {"data.milestones[x].date", "soon"}},
				map[string]string{"data.deliverables[0].name": "Is required", "data.deliverables[0].effortDays": "zero or more",
					"data.milestones[0].name": "Is required", "data.milestones[0].date": "YYYY-MM-DD"}},
			{"deliverable owner too long", orderedForm{{"name", "P"}, {"data.deliverables[0].name", "Build"}, {"data.deliverables[0].owner", strings.Repeat("o", 201)}},
				map[string]string{"data.deliverables[0].owner": "at most 200 characters"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := append(orderedForm{{"_csrf", c.csrf}}, tc.form...)
				resp := c.submit(t, "/projects", form)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				doc := page(t, resp)
				summary := testID(doc, "form-errors")
				require.Equal(t, 1, summary.Length(), "an error summary")
				assert.Equal(t, len(tc.errors), summary.Find("li").Length())
				for field, msg := range tc.errors {
					el := testID(doc, "error-"+field)
					require.Equal(t, 1, el.Length(), "error for %s", field)
					assert.Contains(t, el.Text(), msg, field)
					// The control is marked invalid and keeps the value typed.
					ctl := doc.Find(`[name="` + field + `"]`)
					inv, _ := ctl.Attr("aria-invalid")
					assert.Equal(t, "true", inv, field)
				}
				assertSummaryLinksResolve(t, doc)
				for _, kv := range tc.form {
					ctl := doc.Find(`input[name="` + kv[0] + `"]`)
					if ctl.Length() == 1 {
						v, _ := ctl.Attr("value")
						assert.Equal(t, kv[1], v, kv[0])
					}
				}
				ps, err := b.db.Projects(context.Background(), c.user.ID)
				require.NoError(t, err)
				assert.Empty(t, ps)
			})
		}
	})
}

// assertSummaryLinksResolve checks that every link of the form's error
// summary leads to an element of the page.
func assertSummaryLinksResolve(t *testing.T, doc *goquery.Document) {
	t.Helper()
	testID(doc, "form-errors").Find("a").Each(func(_ int, a *goquery.Selection) {
		href := a.AttrOr("href", "")
		require.True(t, strings.HasPrefix(href, "#"), "summary link %q", href)
		assert.Equal(t, 1, doc.Find(`[id="`+href[1:]+`"]`).Length(), "the summary's %q (%s) leads nowhere", a.Text(), href)
	})
}

// An error of one item of a list (a deliverable it depends on, a
// milestone's required deliverable, a line of a list) is summarised with a
// link to the list's control, which shows it; an objective's own error
// links to its text.
func TestProjectFormErrorSummaryLinksItems(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		resp := c.submit(t, "/projects", orderedForm{{"_csrf", c.csrf}, {"name", "P"},
			{"data.scopeIn", "fine\n" + strings.Repeat("x", models.MaxTextChars+1)},
			{"data.deliverables[0].name", "Portal"}, {"data.deliverables[0].dependsOn", "Nothing here\nOther"},
			{"data.milestones[0].name", "Launch"}, {"data.milestones[0].requires", "Ghost"},
			{"data.objectives[0].text", strings.Repeat("o", models.MaxTextChars+1)}, {"data.objectives[0].goals", ""},
		})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		doc := page(t, resp)
		links := map[string]string{}
		testID(doc, "form-errors").Find("a").Each(func(_ int, a *goquery.Selection) {
			links[a.Text()] = a.AttrOr("href", "")
		})
		want := map[string]string{
			"Deliverable 1 depends on": "#f-data-deliverables-0--dependsOn",
			"Milestone 1 requires":     "#f-data-milestones-0--requires",
			"In scope, line 2":         "#f-data-scopeIn",
			"Objective 1":              "#f-data-objectives-0--text",
		}
		for label, href := range want {
			found := false
			for text, h := range links {
				if strings.HasPrefix(text, label+":") || strings.HasPrefix(text, label+" must ") || strings.HasPrefix(text, label+" is ") {
					found = true
					assert.Equal(t, href, h, text)
				}
			}
			assert.True(t, found, "no summary line for %s in %v", label, links)
		}
		assertSummaryLinksResolve(t, doc)
	})
}

// An error about a whole list (more items than allowed) links to the
// list's section.
func TestProjectFormErrorSummaryLinksAList(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	form := orderedForm{{"_csrf", c.csrf}, {"name", "P"}}
	for i := range models.MaxItems + 1 {
		form = append(form, [2]string{fmt.Sprintf("data.deliverables[%d].name", i), fmt.Sprintf("D%d", i)})
	}
	resp := c.submit(t, "/projects", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc := page(t, resp)
	var href string
	testID(doc, "form-errors").Find("a").Each(func(_ int, a *goquery.Selection) {
		if strings.Contains(a.Text(), "at most") {
			href = a.AttrOr("href", "")
		}
	})
	require.NotEmpty(t, href, "a summary line for the list")
	assert.Equal(t, 1, doc.Find(href).Length(), "%s leads to the deliverables", href)
	assertSummaryLinksResolve(t, doc)
}

func TestProjectImport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		example, err := json.Marshal(exampleJSON(t))
		require.NoError(t, err)

		post := func(t *testing.T, field, content string) *http.Response {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			require.NoError(t, w.WriteField("_csrf", c.csrf))
			if field == "file" {
				fw, err := w.CreateFormFile("file", "project.json")
				require.NoError(t, err)
				fw.Write([]byte(content))
			} else {
				require.NoError(t, w.WriteField("json", content))
			}
			require.NoError(t, w.Close())
			return c.do(t, http.MethodPost, "/projects/import", &body, "Content-Type", w.FormDataContentType())
		}

		for _, field := range []string{"json", "file"} {
			t.Run("valid "+field, func(t *testing.T) {
				resp := post(t, field, string(example))
				require.Equal(t, http.StatusSeeOther, resp.StatusCode)
				assert.Contains(t, resp.Header.Get("Location"), "?saved=imported")
			})
		}
		for _, tc := range []struct {
			name, body string
			status     int
			fields     []string
			says       string
		}{
			{"malformed", `{"name": "x"`, 400, nil, "The text ends too early: a closing } or ], or a closing quotation mark, may be missing."},
			{"syntax", `{"name": x}`, 400, nil, "This is not valid JSON near character 10 (invalid character 'x' looking for beginning of value)."},
			{"wrong types", `{"name": "x", "data": {"risks": [{"description": "r", "probability": "high"}]}}`, 422, []string{"data.risks[0].probability"}, ""},
			{"out of range", `{"name": "x", "data": {"stakeholders": [{"name": "s", "interest": 9}]}}`, 422, []string{"data.stakeholders[0].interest"}, ""},
			{"empty", ``, 400, nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := post(t, "json", tc.body)
				require.Equal(t, tc.status, resp.StatusCode)
				doc := page(t, resp)
				panel := testID(doc, "import-panel")
				_, open := panel.Attr("open")
				assert.True(t, open, "the import panel stays open")
				assert.NotEmpty(t, testID(doc, "flash").Text())
				if tc.says != "" {
					assert.Contains(t, testID(doc, "flash").Text(), tc.says)
				}
				assert.Equal(t, tc.body, testID(doc, "import-form").Find("textarea").Text())
				for _, f := range tc.fields {
					assert.Contains(t, testID(doc, "import-errors").Text(), f)
				}
			})
		}
		ps, err := b.db.Projects(context.Background(), c.user.ID)
		require.NoError(t, err)
		assert.Len(t, ps, 2)
	})
}

func TestProjectsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)

		resp := api.get(t, "/api/projects")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list []map[string]any
		decodeBody(t, resp, &list)
		assert.Empty(t, list)
		assert.NotNil(t, list, "an empty list is [], not null")

		resp = api.postJSON(t, "/api/projects", exampleJSON(t))
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var created projectJSON
		decodeBody(t, resp, &created)
		assert.Equal(t, "/api/projects/"+created.ID, resp.Header.Get("Location"))
		_, _, data, pack := models.ExampleProject()
		assert.Equal(t, "Customer Portal Relaunch", created.Name)
		assert.Equal(t, data, created.Data)
		assert.Equal(t, pack, created.CompanyIntelligencePack)
		assert.False(t, created.CreatedAt.IsZero())

		resp = api.get(t, "/api/projects/"+created.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var raw map[string]any
		decodeBody(t, resp, &raw)
		for _, k := range []string{"id", "name", "description", "data", "companyIntelligencePack", "createdAt", "updatedAt"} {
			assert.Contains(t, raw, k)
		}
		assert.Equal(t, created.ID, raw["id"])

		resp = api.get(t, "/api/projects")
		decodeBody(t, resp, &list)
		require.Len(t, list, 1)
		assert.Equal(t, created.ID, list[0]["id"])

		// Only the name is required.
		resp = api.postJSON(t, "/api/projects", `{"name": "Bare"}`)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		// Unknown paths under /api are JSON 404s.
		resp = api.get(t, "/api/projects/00000000-0000-0000-0000-000000000000")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, "not_found", errorOf(t, resp).Error.Code)
	})
}

func TestProjectsAPIValidation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		for _, tc := range []struct {
			name    string
			body    string
			headers []string
			status  int
			code    string
			fields  map[string]string
		}{
			{"malformed JSON", `{"name": "x",}`, nil, 400, "bad_request", nil},
			{"truncated JSON", `{"name": "x"`, nil, 400, "bad_request", nil},
			{"empty body", ``, nil, 400, "bad_request", nil},
			{"two values", `{"name": "x"} {}`, nil, 400, "bad_request", nil},
			{"not JSON content type", `{"name": "x"}`, []string{"Content-Type", "text/plain"}, 400, "bad_request", nil},
			{"array", `[{"name": "x"}]`, nil, 422, "validation_failed", nil},
			{"missing name", `{"description": "d"}`, nil, 422, "validation_failed", map[string]string{"name": "is required"}},
			{"name is a number", `{"name": 5}`, nil, 422, "validation_failed", map[string]string{"name": "must be a string"}},
			{"probability is a word", `{"name": "x", "data": {"risks": [{"description": "a"}, {"description": "b", "probability": "high"}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.risks[1].probability": "must be an integer"}},
			{"score is fractional", `{"name": "x", "data": {"stakeholders": [{"name": "s", "influence": 2.5}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.stakeholders[0].influence": "must be an integer"}},
			{"scores out of range", `{"name": "x", "data": {"risks": [{"description": "a", "probability": 0, "impact": 6}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.risks[0].probability": "1 to 5", "data.risks[0].impact": "1 to 5"}},
			{"one score of a pair", `{"name": "x", "data": {"risks": [{"description": "a", "probability": 2}], "stakeholders": [{"name": "s", "interest": 4}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.risks[0].impact": "required when probability is given", "data.stakeholders[0].influence": "required when interest is given"}},
			{"many wrong types", `{"name": "x", "data": {"objectives": "one", "budget": {"amount": "10"}, "deliverables": {}}, "companyIntelligencePack": []}`, nil, 422, "validation_failed",
				map[string]string{"data.objectives": "must be an array", "data.budget.amount": "must be a number", "data.deliverables": "must be an array", "companyIntelligencePack": "must be an object"}},
			{"dates", `{"name": "x", "data": {"startDate": "2027-13-01", "milestones": [{"name": "m", "date": "tomorrow"}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.startDate": "YYYY-MM-DD", "data.milestones[0].date": "YYYY-MM-DD"}},
			{"end before start", `{"name": "x", "data": {"startDate": "2027-02-01", "endDate": "2027-01-31"}}`, nil, 422, "validation_failed",
				map[string]string{"data.endDate": "start date"}},
			{"negative numbers", `{"name": "x", "data": {"budget": {"amount": -1}, "deliverables": [{"name": "d", "effortDays": -0.5}]}}`, nil, 422, "validation_failed",
				map[string]string{"data.budget.amount": "zero or more", "data.deliverables[0].effortDays": "zero or more"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var resp *http.Response
				if tc.headers != nil {
					resp = api.do(t, http.MethodPost, "/api/projects", strings.NewReader(tc.body), tc.headers...)
				} else {
					resp = api.postJSON(t, "/api/projects", tc.body)
				}
				require.Equal(t, tc.status, resp.StatusCode)
				e := errorOf(t, resp)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
				assert.Len(t, e.Error.Fields, len(tc.fields), "fields: %v", e.Error.Fields)
				for f, msg := range tc.fields {
					assert.Contains(t, e.Error.Fields[f], msg, f)
				}
			})
		}
		ps, err := b.db.Projects(context.Background(), api.user.ID)
		require.NoError(t, err)
		assert.Empty(t, ps)
	})
}

func TestOversizedBody(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d) // the default limit
		base := b.listen(t)
		api, browser := b.apiClient(t), b.user(t)
		for _, tc := range []struct {
			name, path string
			c          *client
			headers    []string
		}{
			{"API", "/api/projects", api, []string{"Content-Type", "application/json"}},
			{"form", "/projects", browser, []string{"Content-Type", "application/x-www-form-urlencoded", "Accept", "application/json"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// The server must refuse from the headers alone.
				resp := tc.c.announce(t, base, http.MethodPost, tc.path, DefaultBodyLimit+1, tc.headers...)
				require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
				assert.Equal(t, "body_too_large", errorOf(t, resp).Error.Code)
			})
		}
		// Just under the limit is fine (and a long description is allowed up
		// to its own limit, so this one is a 422, not a 413).
		resp := api.postJSON(t, "/api/projects", fmt.Sprintf(`{"name": "big", "description": %q}`, strings.Repeat("x", DefaultBodyLimit-100)))
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		ps, err := b.db.Projects(context.Background(), api.user.ID)
		require.NoError(t, err)
		assert.Empty(t, ps)
	})
}

func TestProjectsOfAnotherUser(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		owner, other := b.user(t), b.user(t)
		p := createProject(t, owner, "Secret plan")
		otherAPI := b.apiClient(t)

		edit := url.Values{"name": {"Hijacked"}}
		for _, tc := range []struct {
			name string
			do   func(t *testing.T) *http.Response
		}{
			{"view page", func(t *testing.T) *http.Response { return other.get(t, "/projects/"+p.ID) }},
			{"edit page", func(t *testing.T) *http.Response { return other.get(t, "/projects/"+p.ID+"/edit") }},
			{"update", func(t *testing.T) *http.Response { return other.postForm(t, "/projects/"+p.ID, edit) }},
			{"invalid update", func(t *testing.T) *http.Response {
				return other.postForm(t, "/projects/"+p.ID, url.Values{"name": {""}})
			}},
			{"generate page", func(t *testing.T) *http.Response { return other.get(t, "/projects/"+p.ID+"/generate") }},
			{"API get with cookie", func(t *testing.T) *http.Response { return other.get(t, "/api/projects/"+p.ID) }},
			{"API get with token", func(t *testing.T) *http.Response { return otherAPI.get(t, "/api/projects/"+p.ID) }},
			{"not a uuid", func(t *testing.T) *http.Response { return other.get(t, "/api/projects/not-a-uuid") }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := tc.do(t)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode)
				if strings.HasPrefix(resp.Request.URL.Path, "/api/") {
					assert.Equal(t, "not_found", errorOf(t, resp).Error.Code)
				}
			})
		}
		// Nor does it show in their lists.
		doc := page(t, other.get(t, "/projects"))
		assert.Equal(t, 0, testID(doc, "project-item").Length())
		var list []projectJSON
		decodeBody(t, otherAPI.get(t, "/api/projects"), &list)
		assert.Empty(t, list)
		// And nothing changed.
		got, err := b.db.ProjectForUser(context.Background(), owner.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Secret plan", got.Name)
		assert.Equal(t, http.StatusOK, owner.get(t, "/projects/"+p.ID).StatusCode)
	})
}

func TestBearerTokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		createProject(t, api, "Mine")

		resp := api.get(t, "/api/projects")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list []projectJSON
		decodeBody(t, resp, &list)
		require.Len(t, list, 1)

		for _, tc := range []struct {
			name, auth string
		}{
			{"no token", ""},
			{"unknown token", "Bearer dsr_nope"},
			{"not bearer", "Basic dXNlcjpwYXNz"},
			{"empty bearer", "Bearer "},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var headers []string
				if tc.auth != "" {
					headers = []string{"Authorization", tc.auth}
				}
				resp := b.anon().get(t, "/api/projects", headers...)
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)
			})
		}

		t.Run("revoked token", func(t *testing.T) {
			ts, err := b.db.APITokens(context.Background(), api.user.ID)
			require.NoError(t, err)
			require.NoError(t, b.db.RevokeAPIToken(context.Background(), api.user.ID, ts[0].ID))
			resp := api.get(t, "/api/projects")
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)
		})
	})
}

// A text the API stored with line breaks, in a field the form shows on one
// line (a risk's mitigation, a deliverable's description), keeps them when
// the project is saved unchanged from the form: a browser strips line
// breaks from a text input's value, so the form shows such a value in a
// textarea.
func TestProjectFormKeepsLineBreaksOfOneLineFields(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Multi-line")
		p.Data.Risks[0].Mitigation = "Weekly vendor call.\nEscalate to the sponsor after two missed dates."
		p.Data.Deliverables[0].Description = "Portal design:\n- wireframes\n- visual design"
		require.NoError(t, b.db.UpdateProject(context.Background(), p))
		want, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)

		doc := page(t, c.get(t, "/projects/"+p.ID+"/edit"))
		for _, name := range []string{"data.risks[0].mitigation", "data.deliverables[0].description"} {
			assert.Equal(t, "textarea", goquery.NodeName(doc.Find(`[name="`+name+`"]`)), name)
		}
		// A one-line value stays a one-line input.
		assert.Equal(t, "input", goquery.NodeName(doc.Find(`[name="data.risks[1].mitigation"]`)))

		form := formValues(doc, `[data-testid="project-form"]`)
		resp := c.submit(t, "/projects/"+p.ID, form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		got, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, want.Data.Risks[0].Mitigation, got.Data.Risks[0].Mitigation)
		assert.Equal(t, want.Data.Deliverables[0].Description, got.Data.Deliverables[0].Description)
		assert.Equal(t, want.Data, got.Data)
	})
}

// A project saved from the form without a change stores nothing: it keeps
// its time of last change, so the lists (the most recently changed first)
// keep their order, and the page says there was nothing to save.
func TestProjectSavedUnchangedKeepsItsPlace(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		older := createProject(t, c, "Older")
		newer := createProject(t, c, "Newer")
		ctx := context.Background()
		before, err := b.db.ProjectForUser(ctx, c.user.ID, older.ID)
		require.NoError(t, err)

		form := formValues(page(t, c.get(t, "/projects/"+older.ID+"/edit")), `[data-testid="project-form"]`)
		resp := c.submit(t, "/projects/"+older.ID, form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, testID(page(t, c.get(t, resp.Header.Get("Location"))), "flash").Text(), "No changes to save")
		after, err := b.db.ProjectForUser(ctx, c.user.ID, older.ID)
		require.NoError(t, err)
		assert.True(t, before.UpdatedAt.Equal(after.UpdatedAt), "updatedAt %v, was %v", after.UpdatedAt, before.UpdatedAt)
		var list []map[string]any
		decodeBody(t, c.get(t, "/api/projects"), &list)
		require.Len(t, list, 2)
		assert.Equal(t, newer.ID, list[0]["id"], "the project saved unchanged did not move up")

		// A real change moves it up, and says so.
		resp = c.submit(t, "/projects/"+older.ID, form.set("name", "Older, renamed"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Contains(t, testID(page(t, c.get(t, resp.Header.Get("Location"))), "flash").Text(), "Changes saved")
		decodeBody(t, c.get(t, "/api/projects"), &list)
		assert.Equal(t, older.ID, list[0]["id"])
	})
}
