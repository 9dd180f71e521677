package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/views/partials"
)

// libraryChanged is the API's projectChanged by document type.
func (c *client) libraryChanged(t *testing.T, projectID string) map[string]bool {
	t.Helper()
	var lib []struct {
		DocumentType   string `json:"documentType"`
		ProjectChanged *bool  `json:"projectChanged"`
	}
	resp := c.get(t, "/api/projects/"+projectID+"/documents")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	decodeBody(t, resp, &lib)
	out := map[string]bool{}
	for _, d := range lib {
		require.NotNil(t, d.ProjectChanged, d.DocumentType)
		out[d.DocumentType] = *d.ProjectChanged
	}
	return out
}

// pageChanged is the project page's library: the documents marked
// "Project changed since this version", and the shortcut, if any.
func (c *client) pageChanged(t *testing.T, projectID string) (marked []string, shortcut *goquery.Selection) {
	t.Helper()
	doc := page(t, c.get(t, "/projects/"+projectID))
	return changedIn(doc.Selection), testID(doc, "regenerate-outdated")
}

func changedIn(sel *goquery.Selection) []string {
	var marked []string
	sel.Find(`[data-testid="library-doc"]`).Each(func(_ int, li *goquery.Selection) {
		if m := li.Find(`[data-testid="library-doc-changed"]`); m.Length() > 0 {
			marked = append(marked, li.AttrOr("data-type", ""))
		}
	})
	return marked
}

// The library knows which documents the project changed since: generated
// documents are current; the project saved unchanged keeps them current;
// a change to its data flags them in the API, on the project page (with a
// shortcut that regenerates them) and on the document page; regenerated,
// they are current again; a version from before fingerprints is never
// flagged.
func TestLibraryFlagsDocumentsTheProjectChangedSince(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		ctx := context.Background()
		types := []string{"scope_statement", "risk_register"}
		current := map[string]bool{"scope_statement": false, "risk_register": false}

		// generate runs the job the generate page started, as a worker.
		generate := func(form orderedForm) {
			t.Helper()
			resp := c.submit(t, "/projects/"+p.ID+"/generate", form)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			j, err := b.db.ActiveJobForProject(ctx, p.ID)
			require.NoError(t, err)
			b.run(t, j, types, models.StatusCompleted)
		}
		doc := page(t, c.get(t, "/projects/"+p.ID+"/generate?documents=scope_statement,risk_register"))
		form := formValues(doc, `[data-testid="generate-form"]`)
		generate(form)
		assert.Equal(t, current, c.libraryChanged(t, p.ID))
		marked, shortcut := c.pageChanged(t, p.ID)
		assert.Empty(t, marked)
		assert.Equal(t, 0, shortcut.Length())

		// The edit form sent back unchanged: the data is the same.
		doc = page(t, c.get(t, "/projects/"+p.ID+"/edit"))
		edit := formValues(doc, `[data-testid="project-form"]`)
		require.Equal(t, http.StatusSeeOther, c.submit(t, "/projects/"+p.ID, edit).StatusCode)
		assert.Equal(t, current, c.libraryChanged(t, p.ID), "a project saved unchanged is not changed")
		marked, _ = c.pageChanged(t, p.ID)
		assert.Empty(t, marked)

		// A risk's score changes: both documents are out of date.
		prob, err := strconv.Atoi(edit.get("data.risks[0].probability"))
		require.NoError(t, err)
		edit = edit.set("data.risks[0].probability", strconv.Itoa(prob%5+1))
		require.Equal(t, http.StatusSeeOther, c.submit(t, "/projects/"+p.ID, edit).StatusCode)
		assert.Equal(t, map[string]bool{"scope_statement": true, "risk_register": true}, c.libraryChanged(t, p.ID))
		doc = page(t, c.get(t, "/projects/"+p.ID))
		assert.Equal(t, types, changedIn(doc.Selection))
		assert.Equal(t, "Project changed since this version", strings.TrimSpace(testID(doc, "library-doc-changed").First().Text()))
		assert.Contains(t, testID(doc, "library-outdated").Text(), "2 documents were written before the project's data or company pack last changed")
		href := testID(doc, "regenerate-outdated").AttrOr("href", "")
		assert.Equal(t, "/projects/"+p.ID+"/generate?documents=scope_statement&documents=risk_register", href)

		// The live library (the project page's stream) says the same.
		a, err := b.db.ProjectActivity(ctx, c.user.ID, p.ID)
		require.NoError(t, err)
		live, err := goquery.NewDocumentFromReader(strings.NewReader(string(renderBytes(partials.Library(libraryOf(a.ProjectID, a.Documents, a.Fingerprint))))))
		require.NoError(t, err)
		assert.Equal(t, types, changedIn(live.Selection))

		// The document page says so, with a way to regenerate it; so do
		// its versions.
		doc = page(t, c.get(t, "/projects/"+p.ID+"/documents/risk_register"))
		notice := testID(doc, "project-changed")
		assert.Contains(t, notice.Text(), "Project changed since this version")
		assert.Equal(t, "/projects/"+p.ID+"/generate?documents=risk_register", testID(doc, "regenerate-changed").AttrOr("href", ""))
		var versions []map[string]any
		resp := c.get(t, "/api/projects/"+p.ID+"/documents/risk_register/versions")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &versions)
		require.Len(t, versions, 1)
		assert.Equal(t, true, versions[0]["projectChanged"])

		// The shortcut chooses exactly the out-of-date documents; the job
		// it starts brings them up to date.
		doc = page(t, c.get(t, href))
		var chosen []string
		testID(doc, "generate-form").Find(`input[name="documents"][checked]`).Each(func(_ int, s *goquery.Selection) {
			chosen = append(chosen, s.AttrOr("value", ""))
		})
		assert.Equal(t, types, chosen)
		generate(formValues(doc, `[data-testid="generate-form"]`))
		assert.Equal(t, current, c.libraryChanged(t, p.ID))
		marked, shortcut = c.pageChanged(t, p.ID)
		assert.Empty(t, marked)
		assert.Equal(t, 0, shortcut.Length())
		doc = page(t, c.get(t, "/projects/"+p.ID+"/documents/risk_register"))
		assert.Equal(t, 0, testID(doc, "project-changed").Length())

		// A version written before versions recorded fingerprints is not
		// known to be out of date: nothing is said of it.
		old := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: c.user.ID, DocumentType: "project_charter",
			Title: "Project Charter", Markdown: "# Project Charter\n", Version: 1, CreatedAt: time.Now().UTC()}
		require.NoError(t, b.db.ForTests().Create(old).Error)
		require.Nil(t, old.SourceHash)
		assert.Equal(t, map[string]bool{"project_charter": false, "scope_statement": false, "risk_register": false}, c.libraryChanged(t, p.ID))
		marked, _ = c.pageChanged(t, p.ID)
		assert.Empty(t, marked)
		doc = page(t, c.get(t, "/artifacts/"+old.ID))
		assert.Equal(t, 0, testID(doc, "project-changed").Length())
	})
}

// What a browser does to a project saved unchanged does not mark its
// documents: a textarea's line breaks come back as CRLF (stored as LF).
// A job sent with data of its own marks nothing: the project never had
// that data. Renaming the project marks them (the name is in every
// title).
func TestLibraryMarksOnlyRealChanges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		token, _, err := b.db.CreateAPIToken(context.Background(), c.user.ID, "test")
		require.NoError(t, err)
		api := &client{b: b, user: c.user, token: token}
		p := c.project(t, "Relaunch")
		ctx := context.Background()
		p.CompanyIntelligencePack.Mission = "Help members.\nFairly and fast."
		require.NoError(t, b.db.UpdateProject(ctx, p))
		types := []string{"scope_statement"}
		runActive := func() {
			t.Helper()
			j, err := b.db.ActiveJobForProject(ctx, p.ID)
			require.NoError(t, err)
			b.run(t, j, types, models.StatusCompleted)
		}
		resp := api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": types})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		runActive()
		require.Equal(t, map[string]bool{"scope_statement": false}, c.libraryChanged(t, p.ID))

		// The edit form sent back as a browser sends it: CRLF in textareas.
		doc := page(t, c.get(t, "/projects/"+p.ID+"/edit"))
		edit := formValues(doc, `[data-testid="project-form"]`)
		for i, kv := range edit {
			edit[i][1] = strings.ReplaceAll(kv[1], "\n", "\r\n")
		}
		require.Contains(t, edit.get("companyIntelligencePack.mission"), "\r\n")
		require.Equal(t, http.StatusSeeOther, c.submit(t, "/projects/"+p.ID, edit).StatusCode)
		stored, err := b.db.ProjectForUser(ctx, c.user.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Help members.\nFairly and fast.", stored.CompanyIntelligencePack.Mission, "stored with LF")
		assert.Equal(t, map[string]bool{"scope_statement": false}, c.libraryChanged(t, p.ID), "saved unchanged from a browser")

		// A job sent with a company pack of its own.
		resp = api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": types,
			"companyIntelligencePack": map[string]any{"companyName": "Other Co"}})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		runActive()
		assert.Equal(t, map[string]bool{"scope_statement": false}, c.libraryChanged(t, p.ID), "not the project's data: not compared")

		// Renamed: the titles name the old project.
		resp = api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": types})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		runActive()
		edit = formValues(page(t, c.get(t, "/projects/"+p.ID+"/edit")), `[data-testid="project-form"]`).set("name", "Relaunch 2")
		require.Equal(t, http.StatusSeeOther, c.submit(t, "/projects/"+p.ID, edit).StatusCode)
		assert.Equal(t, map[string]bool{"scope_statement": true}, c.libraryChanged(t, p.ID), "renamed")
	})
}

// A save made again after a conflict (the form comes back based on the
// newer version) carries text written from the older version: the new
// version keeps the older one's fingerprint, so out-of-date figures stay
// marked. The API takes the same as sourceArtifactId, checked.
func TestSaveAfterConflictKeepsTheSourcesFingerprint(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		ctx := context.Background()
		generate := func() {
			t.Helper()
			doc := page(t, c.get(t, "/projects/"+p.ID+"/generate?documents=risk_register"))
			resp := c.submit(t, "/projects/"+p.ID+"/generate", formValues(doc, `[data-testid="generate-form"]`))
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			j, err := b.db.ActiveJobForProject(ctx, p.ID)
			require.NoError(t, err)
			b.run(t, j, []string{"risk_register"}, models.StatusCompleted)
		}
		generate()
		// The project changes: version 1 is out of date.
		edit := formValues(page(t, c.get(t, "/projects/"+p.ID+"/edit")), `[data-testid="project-form"]`)
		prob, err := strconv.Atoi(edit.get("data.risks[0].probability"))
		require.NoError(t, err)
		edit = edit.set("data.risks[0].probability", strconv.Itoa(prob%5+1))
		require.Equal(t, http.StatusSeeOther, c.submit(t, "/projects/"+p.ID, edit).StatusCode)
		require.Equal(t, true, c.libraryChanged(t, p.ID)["risk_register"])

		// The editor opens on version 1; meanwhile a run writes version 2
		// from the current data.
		docURL := "/projects/" + p.ID + "/documents/risk_register"
		form := formValues(page(t, c.get(t, docURL+"/edit")), `[data-testid="edit-form"]`)
		v1 := form.get("baseArtifactId")
		generate()
		require.Equal(t, false, c.libraryChanged(t, p.ID)["risk_register"])

		form = form.set("markdown", "# Risk Register: Relaunch\n\nMy notes on version 1's figures.\n")
		resp := c.submit(t, docURL+"/edit", form)
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		again := formValues(page(t, resp), `[data-testid="edit-form"]`)
		assert.NotEqual(t, v1, again.get("baseArtifactId"), "the form is now based on version 2")
		assert.Equal(t, v1, again.get("sourceArtifactId"), "and remembers where the text came from")
		require.Equal(t, http.StatusSeeOther, c.submit(t, docURL+"/edit", again).StatusCode)

		var versions []map[string]any
		decodeBody(t, c.get(t, "/api/projects/"+p.ID+"/documents/risk_register/versions"), &versions)
		require.Len(t, versions, 3)
		assert.Equal(t, "edited", versions[0]["source"])
		assert.Equal(t, true, versions[0]["projectChanged"], "version 3 has version 1's figures")
		assert.Equal(t, true, c.libraryChanged(t, p.ID)["risk_register"])

		// An edit on top of version 3 without a source keeps version 3's.
		v3 := versions[0]["artifactId"].(string)
		base := "/api/projects/" + p.ID + "/documents/risk_register/versions"
		resp = c.postJSON(t, base, map[string]any{"markdown": "# Risk Register: Relaunch\n\nA typo fixed.\n", "baseArtifactId": v3})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v4 map[string]any
		decodeBody(t, resp, &v4)
		assert.Equal(t, true, v4["projectChanged"])

		// The API's sourceArtifactId must be a version of this document.
		for _, src := range []string{"not-an-id", uuid.NewString()} {
			resp = c.postJSON(t, base, map[string]any{"markdown": "# Risk Register\n\nOther.\n", "baseArtifactId": v4["artifactId"], "sourceArtifactId": src})
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, src)
			assert.Contains(t, errorOf(t, resp).Error.Fields, "sourceArtifactId")
		}
	})
}
