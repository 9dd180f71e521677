package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// PUT /api/projects/:id replaces a project's content; with If-Match it
// replaces only the state the client read (412 with the current ETag
// otherwise), and a malformed If-Match is a 400. Bad bodies get the same
// 422s as POST; another user's project is a 404.
func TestProjectReplaceAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		api := b.apiClient(t)
		resp := api.postJSON(t, "/api/projects", exampleJSON(t))
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var created projectJSON
		decodeBody(t, resp, &created)
		path := "/api/projects/" + created.ID

		resp = api.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		etag := resp.Header.Get("ETag")
		require.Regexp(t, `^"[0-9a-f]{64}"$`, etag)
		resp = api.do(t, http.MethodGet, path, nil, "If-None-Match", "W/"+etag)
		assert.Equal(t, http.StatusNotModified, resp.StatusCode, "a cached copy that still holds")
		resp = api.do(t, http.MethodGet, path, nil, "If-None-Match", `"other"`)
		assert.Equal(t, http.StatusOK, resp.StatusCode)

		body := exampleJSON(t)
		body["name"] = "Renamed by the API"
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", etag)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got projectJSON
		decodeBody(t, resp, &got)
		assert.Equal(t, "Renamed by the API", got.Name)
		newTag := resp.Header.Get("ETag")
		assert.NotEqual(t, etag, newTag, "the entity tag follows the content")
		stored, err := b.db.ProjectForUser(context.Background(), api.user.ID, created.ID)
		require.NoError(t, err)
		assert.Equal(t, "Renamed by the API", stored.Name)

		// A client that read before that save is refused, and told the
		// current tag.
		body["name"] = "Lost update"
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", etag)
		require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)
		e := map[string]map[string]any{}
		decodeBody(t, resp, &e)
		assert.Equal(t, "project_changed", e["error"]["code"])
		assert.Equal(t, newTag, e["error"]["etag"])
		stored, err = b.db.ProjectForUser(context.Background(), api.user.ID, created.ID)
		require.NoError(t, err)
		assert.Equal(t, "Renamed by the API", stored.Name, "the refused save stored nothing")

		assert.Equal(t, newTag, resp.Header.Get("ETag"), "the 412 carries the current tag in ETag too")

		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", "W/"+newTag)
		require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "a weak tag never matches (strong comparison)")
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", "no-quotes")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "bad_if_match", errorOf(t, resp).Error.Code)

		// A list matches when one of its tags does.
		body["name"] = "Listed"
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", etag+", "+newTag)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		body["name"] = "Lost update"

		// Without If-Match (or with *), the last save wins.
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", "*")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &got)
		assert.Equal(t, "Lost update", got.Name)
		before := got.UpdatedAt
		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &got)
		assert.True(t, before.Equal(got.UpdatedAt), "the same content again stores nothing")

		resp = api.do(t, http.MethodPut, path, strings.NewReader(`{"name": ""}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, errorOf(t, resp).Error.Fields, "name")

		other := b.apiClient(t)
		resp = other.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

// DELETE /api/projects/:id removes the project with its runs and
// documents: 409 active_job while a run is queued, 204 once it is not,
// 404 after, and for another user.
func TestProjectDeleteAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		api := b.apiClient(t)
		p := createProject(t, api, "Doomed")
		path := "/api/projects/" + p.ID
		resp := api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"scope_statement"}})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var job map[string]any
		decodeBody(t, resp, &job)

		other := b.apiClient(t)
		resp = other.do(t, http.MethodDelete, path, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)

		resp = api.do(t, http.MethodDelete, path, nil)
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		e := map[string]map[string]any{}
		decodeBody(t, resp, &e)
		assert.Equal(t, "active_job", e["error"]["code"])
		assert.Equal(t, job["id"], e["error"]["jobId"])

		resp = api.postJSON(t, "/api/generation/jobs/"+job["id"].(string)+"/cancel", nil)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		resp = api.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		etag := resp.Header.Get("ETag")
		resp = api.do(t, http.MethodPut, path, strings.NewReader(`{"name": "Doomed, renamed"}`), "Content-Type", "application/json")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp = api.do(t, http.MethodDelete, path, nil, "If-Match", etag)
		require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "deleting what it read, which was saved since")
		assert.Equal(t, http.StatusOK, api.get(t, path).StatusCode, "not deleted")
		resp = api.do(t, http.MethodDelete, path, nil, "If-Match", "garbage")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp = api.do(t, http.MethodDelete, path, nil, "If-Match", api.get(t, path).Header.Get("ETag"))
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Equal(t, http.StatusNotFound, api.get(t, path).StatusCode)
		assert.Equal(t, http.StatusNotFound, api.get(t, "/api/generation/jobs/"+job["id"].(string)).StatusCode, "its runs went with it")
		assert.Equal(t, http.StatusNotFound, api.do(t, http.MethodDelete, path, nil).StatusCode)
	})
}

// The edit page deletes a project only when confirmed, not while a run is
// active (naming the run), and then lands on the Projects page saying so.
func TestProjectDeleteForm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Doomed <b>")
		edit := page(t, c.get(t, "/projects/"+p.ID+"/edit"))
		stream, err := url.QueryUnescape(edit.Find("[hx-ext]").AttrOr("sse-connect", ""))
		require.NoError(t, err)
		assert.Contains(t, stream, "view=project:"+p.ID, "the edit page follows the project (a rename, a deletion)")
		form := formValues(edit, `[data-testid="delete-project-form"]`)
		require.NotEmpty(t, form.get("_csrf"), "the form carries its CSRF token")

		resp := c.submit(t, "/projects/"+p.ID+"/delete", form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "not confirmed")
		assert.Contains(t, testID(page(t, resp), "delete-project-error").Text(), "Tick the box")

		j, _, err := b.db.CreateJob(context.Background(), models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"scope_statement"}})
		require.NoError(t, err)
		resp = c.submit(t, "/projects/"+p.ID+"/delete", form.set("confirm", "yes"))
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		doc := page(t, resp)
		// The message outlives the run it names (the page stays open while
		// the run ends): it says what was true when the user asked.
		refusal := testID(doc, "delete-project-error").Text()
		assert.Contains(t, refusal, "A generation of this project was in progress when you asked to delete it. Wait for it to finish, or cancel it, then try again.")
		assert.NotContains(t, refusal, "queued or running")
		assert.Equal(t, "/jobs/"+j.ID, testID(doc, "delete-project-job").AttrOr("href", ""))

		_, err = b.db.RequestCancel(context.Background(), c.user.ID, j.ID, time.Now())
		require.NoError(t, err)
		resp = c.submit(t, "/projects/"+p.ID+"/delete", form.set("confirm", "yes"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/projects", resp.Header.Get("Location"))
		landing := c.get(t, "/projects", "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
		assert.Contains(t, testID(page(t, landing), "flash").Text(), "“Doomed <b>” deleted")
		assert.Equal(t, http.StatusNotFound, c.get(t, "/projects/"+p.ID).StatusCode)
	})
}

// Tabs edit one project at once. A save made from a form filled before
// another save is merged with it field by field: with no field changed by
// both, it is stored at once, keeping the other save's changes and saying
// so; a field both changed is refused (409) with the user's value kept and
// the other save's other changes merged into the form, and saving that
// again stores it. A form without its base (filled before the upgrade)
// is refused with the user's values kept.
func TestProjectFormMergesWithAnotherSave(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		stored := func() *models.Project {
			got, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
			require.NoError(t, err)
			return got
		}
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabC := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		require.NotEmpty(t, tabA.get("baseFingerprint"))
		require.NotEmpty(t, tabA.get("baseProject"))

		resp := c.submit(t, path, tabA.set("name", "Saved in tab A"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		// B changed another field: merged and saved, A's rename kept.
		resp = c.submit(t, path, tabB.set("data.sponsor", "Changed in tab B"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "no field changed by both")
		landing := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
		assert.Contains(t, testID(page(t, landing), "flash").Text(), "its changes to Project name were kept")
		got := stored()
		assert.Equal(t, "Saved in tab A", got.Name, "the other save's rename is not undone")
		assert.Equal(t, "Changed in tab B", got.Data.Sponsor)

		// C renames too: both changed the name. Refused, C's name kept,
		// B's sponsor and A's nothing-else merged into the form.
		resp = c.submit(t, path, tabC.set("name", "Renamed in tab C"))
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		doc := page(t, resp)
		notice := testID(doc, "project-changed-elsewhere").Text()
		assert.Contains(t, notice, "with another value for Project name. Your value is below")
		assert.Contains(t, doc.Find(`#field-name-error, [id$="name-error"]`).Text()+doc.Find(`[data-testid="project-form"]`).Text(), "Saved elsewhere as “Saved in tab A”", "the field says what the other save stored")
		assert.Equal(t, 0, testID(doc, "form-errors").Length(), "not a list of mistakes to fix")
		assert.Contains(t, notice, "its changes to Sponsor are merged in")
		again := formValues(doc, `[data-testid="project-form"]`)
		assert.Equal(t, "Renamed in tab C", again.get("name"), "the user's value is kept")
		assert.Equal(t, "Changed in tab B", again.get("data.sponsor"), "the other save's change is merged in")
		assert.Equal(t, "Saved in tab A", stored().Name, "the refused save stored nothing")
		resp = c.submit(t, path, again)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "saving again keeps the user's value")
		got = stored()
		assert.Equal(t, "Renamed in tab C", got.Name)
		assert.Equal(t, "Changed in tab B", got.Data.Sponsor)

		// A form without its base: the user's values kept, nothing merged.
		old := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		require.NoError(t, b.db.UpdateProject(context.Background(), &models.Project{ID: p.ID, UserID: c.user.ID, Name: "By the API",
			Description: got.Description, Data: got.Data, CompanyIntelligencePack: got.CompanyIntelligencePack}))
		resp = c.submit(t, path, old.set("baseProject", "").set("data.manager", "Manager from the old form"))
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		doc = page(t, resp)
		assert.Contains(t, testID(doc, "project-changed-elsewhere").Text(), "saving again replaces that save")
		assert.Equal(t, "Manager from the old form", formValues(doc, `[data-testid="project-form"]`).get("data.manager"))
		assert.Equal(t, "By the API", stored().Name)
	})
}

// The merge works field by field over the name, the description and each
// member of the data and the company pack, counting CRLF as LF.
func TestMergeProject(t *testing.T) {
	base := &models.Project{ID: "p", Name: "Base", Description: "line one\nline two"}
	base.Data.Sponsor = "Sponsor"
	base.Data.Risks = []models.Risk{{Description: "Vendor late", Probability: 3, Impact: 4}}
	mine := *base
	mine.Description = "line one\r\nline two" // the form's CRLF: unchanged
	mine.Data.Risks = []models.Risk{{Description: "Vendor late", Probability: 4, Impact: 4}}
	theirs := *base
	theirs.Name = "Renamed"
	mg, err := mergeProject(base, &mine, &theirs)
	require.NoError(t, err)
	assert.Empty(t, mg.Conflicts)
	assert.Equal(t, []string{"name"}, mg.Theirs)
	assert.Equal(t, "Renamed", mg.Merged.Name)
	assert.Equal(t, 4, mg.Merged.Data.Risks[0].Probability)
	assert.Equal(t, "Sponsor", mg.Merged.Data.Sponsor)
	assert.Equal(t, "p", mg.Merged.ID)

	theirs.Data.Risks = []models.Risk{{Description: "Vendor late", Probability: 5, Impact: 4}}
	mg, err = mergeProject(base, &mine, &theirs)
	require.NoError(t, err)
	assert.Equal(t, []string{"data.risks"}, mg.Conflicts)
	assert.Equal(t, 4, mg.Merged.Data.Risks[0].Probability, "the form's value in a conflict")
	assert.Equal(t, "Project name", fieldList(mg.Theirs))
	assert.Equal(t, "Risks", fieldList(mg.Conflicts))
}

func jsonBody(t *testing.T, v any) *strings.Reader {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return strings.NewReader(string(raw))
}

// flashCookieOf is the flash cookie a redirect set, as a Cookie header.
func flashCookieOf(resp *http.Response) string {
	for _, ck := range resp.Cookies() {
		if ck.Name == flashCookie {
			return ck.Name + "=" + ck.Value
		}
	}
	return ""
}

// "Duplicate" makes a new project with the same data and company pack,
// named "<name> (copy)" within the name's limit, without the documents,
// and opens its edit page saying so; "Export JSON" downloads the project
// in the shape the import takes back, which round-trips.
func TestProjectDuplicateAndExport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Relaunch")
		doc := page(t, c.get(t, "/projects/"+p.ID))
		form := formValues(doc, `form:has([data-testid="duplicate-project"])`)
		require.NotEmpty(t, form.get("_csrf"), "the Duplicate form carries its CSRF token")

		resp := c.submit(t, "/projects/"+p.ID+"/duplicate", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc := resp.Header.Get("Location")
		require.Regexp(t, `^/projects/[0-9a-f-]{36}/edit$`, loc)
		copyID := strings.Split(loc, "/")[2]
		cp, err := b.db.ProjectForUser(context.Background(), c.user.ID, copyID)
		require.NoError(t, err)
		assert.Equal(t, "Relaunch (copy)", cp.Name)
		assert.Equal(t, p.Data, cp.Data)
		assert.Equal(t, p.CompanyIntelligencePack, cp.CompanyIntelligencePack)
		assert.Equal(t, p.Description, cp.Description)
		edit := c.get(t, loc, "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookieOf(resp))
		assert.Contains(t, testID(page(t, edit), "flash").Text(), "Copy created as “Relaunch (copy)”")

		assert.Equal(t, strings.Repeat("x", 193)+" (copy)", copyName(strings.Repeat("x", 200)), "within the 200-character limit")
		assert.Equal(t, "é (copy)", copyName("é"))

		resp = c.get(t, "/api/projects/"+p.ID+"/export.json")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Disposition"), `attachment; filename=relaunch.json`)
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var exported map[string]any
		require.NoError(t, json.Unmarshal(raw, &exported))
		assert.NotContains(t, exported, "id")
		assert.Equal(t, "Relaunch", exported["name"])

		// The import takes it back as it is.
		imp := formValues(page(t, c.get(t, "/projects/new")), `[data-testid="import-form"]`)
		resp = c.submit(t, "/projects/import", imp.set("json", string(raw)))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		imported, err := b.db.ProjectForUser(context.Background(), c.user.ID, strings.Split(resp.Header.Get("Location"), "/")[2][:36])
		require.NoError(t, err)
		assert.Equal(t, p.Fingerprint(), imported.Fingerprint(), "the export round-trips")

		other := b.user(t)
		assert.Equal(t, http.StatusNotFound, other.get(t, "/api/projects/"+p.ID+"/export.json").StatusCode)
		assert.Equal(t, http.StatusNotFound, other.postForm(t, "/projects/"+p.ID+"/duplicate", nil).StatusCode)
	})
}
