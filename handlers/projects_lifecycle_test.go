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

		resp = api.do(t, http.MethodPut, path, jsonBody(t, body), "Content-Type", "application/json", "If-Match", "W/"+newTag)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "bad_if_match", errorOf(t, resp).Error.Code)

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
		resp = api.do(t, http.MethodDelete, path, nil)
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
		assert.Contains(t, testID(doc, "delete-project-error").Text(), "Cancel it")
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

// Two tabs edit one project: the second save, made from the form as it
// was before the first, is refused with its values kept and a notice;
// saving again replaces the first save.
func TestProjectFormRefusesSaveOverAnotherSave(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p := createProject(t, c, "Shared")
		path := "/projects/" + p.ID
		tabA := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		tabB := formValues(page(t, c.get(t, path+"/edit")), `[data-testid="project-form"]`)
		require.NotEmpty(t, tabA.get("baseFingerprint"))

		resp := c.submit(t, path, tabA.set("name", "Saved in tab A"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		resp = c.submit(t, path, tabB.set("data.sponsor", "Changed in tab B"))
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		doc := page(t, resp)
		assert.Contains(t, testID(doc, "project-changed-elsewhere").Text(), "saved somewhere else")
		again := formValues(doc, `[data-testid="project-form"]`)
		assert.Equal(t, "Changed in tab B", again.get("data.sponsor"), "the user's values are kept")
		assert.NotEqual(t, tabB.get("baseFingerprint"), again.get("baseFingerprint"), "the form now carries the saved state")
		stored, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Saved in tab A", stored.Name, "the refused save stored nothing")

		resp = c.submit(t, path, again)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "saving again replaces tab A's save")
		stored, err = b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Changed in tab B", stored.Data.Sponsor)
		assert.Equal(t, "Shared", stored.Name, "tab B's form still held the old name")
	})
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
		assert.Contains(t, testID(page(t, edit), "flash").Text(), "A copy of “Relaunch”")

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
