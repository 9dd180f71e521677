package handlers

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// docProject is a project with a generated risk register and scope.
func docProject(t *testing.T, b *bundle, c *client) (*models.Project, *models.Artifact) {
	t.Helper()
	ctx := context.Background()
	p := &models.Project{UserID: c.user.ID, Name: "Documents"}
	require.NoError(t, b.db.CreateProject(ctx, p))
	var rr *models.Artifact
	for _, typ := range []string{"scope_statement", "risk_register"} {
		a := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: c.user.ID, DocumentType: typ,
			Title: "Risk Register: Documents", Markdown: "# Risk Register: Documents\n\n| Risk | Score |\n|---|---|\n| Vendor late | 12 |\n\nKeep this line.\n",
			Version: 1, Source: models.SourceGenerated, CreatedAt: time.Now().UTC()}
		require.NoError(t, b.db.ForTests().Create(a).Error)
		rr = a
	}
	return p, rr
}

func TestDocumentVersionsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		p, v1 := docProject(t, b, c)
		base := "/api/projects/" + p.ID + "/documents"

		var lib []map[string]any
		resp := c.get(t, base)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &lib)
		require.Len(t, lib, 2)
		assert.Equal(t, "generated", lib[0]["source"])

		resp = c.postJSON(t, base+"/risk_register/versions", map[string]any{"markdown": "# Risk Register: Documents\n\nShorter.\n", "baseArtifactId": v1.ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v2 map[string]any
		decodeBody(t, resp, &v2)
		assert.EqualValues(t, 2, v2["version"])
		assert.Equal(t, "edited", v2["source"])
		assert.Equal(t, c.user.Name, v2["author"])

		// The same base again is stale: 409 with the latest version.
		resp = c.postJSON(t, base+"/risk_register/versions", map[string]any{"markdown": "# Other\n", "baseArtifactId": v1.ID})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		e := errorOf(t, resp)
		assert.Equal(t, "stale_base", e.Error.Code)

		// A base that is no version of this document (an id of nothing, of
		// another document) is no conflict that a reload would mend: 422.
		var scope string
		for _, a := range lib {
			if a["documentType"] == "scope_statement" {
				scope, _ = a["artifactId"].(string)
			}
		}
		require.NotEmpty(t, scope)
		for _, bad := range []string{"not-an-id", uuid.NewString(), scope} {
			resp = c.postJSON(t, base+"/risk_register/versions", map[string]any{"markdown": "# Other\n", "baseArtifactId": bad})
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad)
			assert.Equal(t, "is not a version of this document", errorOf(t, resp).Error.Fields["baseArtifactId"], bad)
		}

		resp = c.postJSON(t, base+"/risk_register/versions", map[string]any{"markdown": "", "baseArtifactId": v1.ID})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		resp = c.postJSON(t, base+"/no_such_type/versions", map[string]any{"markdown": "x", "baseArtifactId": v1.ID})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)

		var versions []map[string]any
		resp = c.get(t, base+"/risk_register/versions")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &versions)
		require.Len(t, versions, 2)
		assert.EqualValues(t, 2, versions[0]["version"], "newest first")
		assert.Contains(t, versions[0], "instruction")

		// Another user sees none of it.
		other := b.apiClient(t)
		assert.Equal(t, http.StatusNotFound, other.get(t, base).StatusCode)
		assert.Equal(t, http.StatusNotFound, other.postJSON(t, base+"/risk_register/versions", map[string]any{"markdown": "x", "baseArtifactId": v2["artifactId"]}).StatusCode)
	})
}

// The library API lists the latest versions in catalog order, as the
// OpenAPI document says and the project page shows them: an edit to the
// scope statement, written after the risk register, leaves it before the
// register (the store gives them oldest first).
func TestDocumentsAPIListsTheLibraryInCatalogOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		p, _ := docProject(t, b, c)
		base := "/api/projects/" + p.ID + "/documents"
		scope, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "scope_statement")
		require.NoError(t, err)
		require.Len(t, scope, 1)
		time.Sleep(10 * time.Millisecond) // the edit is written last, whatever the clock's grain
		resp := c.postJSON(t, base+"/scope_statement/versions", map[string]any{"markdown": "# Scope Statement: Documents\n\nEdited.\n", "baseArtifactId": scope[0].ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode)

		latest, err := b.db.LatestDocuments(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		require.Len(t, latest, 2)
		require.Equal(t, "scope_statement", latest[1].DocumentType, "the store gives the edited document last")

		var lib []map[string]any
		resp = c.get(t, base)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		decodeBody(t, resp, &lib)
		require.Len(t, lib, 2)
		assert.Equal(t, "scope_statement", lib[0]["documentType"], "catalog order")
		assert.Equal(t, "edited", lib[0]["source"])
		assert.Equal(t, "risk_register", lib[1]["documentType"])

		// The page's library, from the same versions, in the same order.
		page := libraryOf(p.ID, latest, p.Fingerprint())
		require.Len(t, page.Documents, 2)
		assert.Equal(t, []string{"scope_statement", "risk_register"}, []string{page.Documents[0].Type, page.Documents[1].Type})
		assert.Equal(t, "risk_register", latest[0].DocumentType, "the versions given are not reordered")
	})
}

func TestDocumentPagesEditPreviewDiffAndDownloads(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"

		// The project page lists the documents.
		pg := page(t, c.get(t, "/projects/"+p.ID))
		assert.Equal(t, 2, testID(pg, "library-doc").Length())
		assert.Equal(t, 1, testID(pg, "project-runs").Length())

		// The preview is no live region (the whole document, read out after
		// every pause in typing); a polite status line is.
		pg = page(t, c.get(t, doc+"/edit"))
		preview := testID(pg, "edit-preview")
		require.Equal(t, 1, preview.Length())
		assert.Equal(t, 0, preview.Closest("[aria-live]").Length(), "the preview is not live")
		status := testID(pg, "edit-preview-status")
		assert.Equal(t, "polite", status.AttrOr("aria-live", ""))
		assert.Equal(t, "status", status.AttrOr("role", ""))

		// Preview is sanitised.
		resp := c.postForm(t, doc+"/preview", url.Values{"markdown": {"# Hi\n\n**bold** [x](javascript:alert(1))\n\n<script>alert(1)</script>\n"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		body, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(body), "<strong>bold</strong>")
		assert.NotContains(t, string(body), "<script")
		assert.NotContains(t, string(body), "javascript:")

		// Save through the form: a new version, then back to the document.
		resp = c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nNew line.\n\nKeep this line.\n"}, "baseArtifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		pg = page(t, c.get(t, doc))
		assert.Equal(t, 2, testID(pg, "version-item").Length())
		assert.Contains(t, testID(pg, "artifact-source").Text(), "Edited by")

		// A stale save comes back as a conflict, keeping the text.
		resp = c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Mine\n"}, "baseArtifactId": {v1.ID}})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		pg = page(t, resp)
		assert.Equal(t, 1, testID(pg, "edit-conflict").Length())
		// The refusal names who saved the newer version: the person
		// themselves, in another tab (not "Someone").
		conflict := strings.Join(strings.Fields(testID(pg, "edit-conflict").Text()), " ")
		assert.Contains(t, conflict, "You saved version 2 of this document in another tab or window while you were editing here")
		assert.NotContains(t, conflict, "Someone")
		assert.Contains(t, testID(pg, "edit-markdown").Text(), "# Mine")
		// The form comes back on top of the version that refused it, so
		// that its button saves: as version 3, version 2 staying readable.
		assert.Contains(t, testID(pg, "edit-save").Text(), "Save as version 3")
		rebased := pg.Find(`input[name="baseArtifactId"]`).AttrOr("value", "")
		assert.NotEqual(t, v1.ID, rebased)
		resp = c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nMine, merged.\n"}, "baseArtifactId": {rebased}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the conflict's form saves")
		merged, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "risk_register")
		require.NoError(t, err)
		require.Len(t, merged, 3)
		assert.Equal(t, 3, merged[0].Version)
		assert.Equal(t, rebased, merged[1].ID, "on top of the version that refused the first save")

		// The diff between the two versions.
		versions, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "risk_register")
		require.NoError(t, err)
		resp = c.get(t, doc+"/diff?from="+versions[2].ID+"&to="+versions[1].ID, "HX-Request", "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		pg = page(t, resp)
		added := pg.Find(`[data-op="+"]`).Text()
		removed := pg.Find(`[data-op="-"]`).Text()
		assert.Contains(t, added, "New line.")
		assert.Contains(t, removed, "| Vendor late | 12 |")

		// .docx download with the single-download name; the zip is tested with a job.
		resp = c.get(t, "/artifacts/"+versions[0].ID+".docx")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Disposition"), "risk-register-documents-v3.docx")
		raw, _ := io.ReadAll(resp.Body)
		_, err = zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		require.NoError(t, err, "a .docx is a zip package")
		assert.Equal(t, http.StatusNotFound, b.user(t).get(t, "/artifacts/"+versions[0].ID+".docx").StatusCode)
	})
}

func TestJobZipHoldsEveryFormatUnderSingleDownloadNames(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		ctx := context.Background()
		p := &models.Project{UserID: c.user.ID, Name: "Zip"}
		require.NoError(t, b.db.CreateProject(ctx, p))
		job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: []string{"scope_statement"}})
		require.NoError(t, err)
		a := &models.Artifact{ID: uuid.NewString(), JobID: &job.ID, ProjectID: p.ID, UserID: c.user.ID, DocumentType: "scope_statement",
			Title: "Scope Statement: Zip", Markdown: "# Scope Statement: Zip\n", Version: 1, CreatedAt: time.Now().UTC()}
		require.NoError(t, b.db.ForTests().Create(a).Error)
		require.NoError(t, b.db.ForTests().Exec(`UPDATE job_documents SET status = 'completed', artifact_id = ? WHERE job_id = ?`, a.ID, job.ID).Error)

		resp := c.get(t, "/api/generation/jobs/"+job.ID+"/artifacts.zip")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		raw, _ := io.ReadAll(resp.Body)
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		require.NoError(t, err)
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		assert.Equal(t, []string{"scope-statement-zip-v1.md", "scope-statement-zip-v1.html", "scope-statement-zip-v1.docx"}, names)
		single := c.get(t, "/artifacts/"+a.ID+".md").Header.Get("Content-Disposition")
		assert.True(t, strings.Contains(single, "scope-statement-zip-v1.md"), single)
	})
}

// browserPost sends form to a real listener (base, from listen; app.Test
// does not apply the body limit as a server does) encoded as a browser
// would for the enctype the page gave it: multipart/form-data, else
// URL-encoded. It follows no redirect.
func (c *client) browserPost(t *testing.T, base, path, enctype string, form orderedForm, headers ...string) *http.Response {
	t.Helper()
	var body bytes.Buffer
	contentType := "application/x-www-form-urlencoded"
	if enctype == "multipart/form-data" {
		mw := multipart.NewWriter(&body)
		for _, kv := range form {
			require.NoError(t, mw.WriteField(kv[0], kv[1]))
		}
		require.NoError(t, mw.Close())
		contentType = mw.FormDataContentType()
	} else {
		body.WriteString(form.encode())
	}
	req, err := http.NewRequest(http.MethodPost, base+path, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A long non-Latin document must save from the editor as it does through
// the API: URL-encoded, 120,000 CJK characters are 1,080,000 bytes, over the
// 1 MiB body limit (a 413 that lost the text), though the limit is 200,000
// characters. The form and the live preview post multipart, and the
// handlers and the CSRF check read it.
func TestDocumentEditSavesLongCJKTextAsMultipart(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d) // the default 1 MiB body limit
		base := b.listen(t)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"
		text := strings.Repeat("风险登记册项目计划。", 12_000)
		require.Equal(t, 120_000, utf8.RuneCountInString(text))

		pg := page(t, c.get(t, doc+"/edit"))
		form := testID(pg, "edit-form")
		require.Equal(t, 1, form.Length())
		assert.Equal(t, "multipart/form-data", form.AttrOr("enctype", ""), "the form posts multipart")
		editor := testID(pg, "edit-markdown")
		assert.Equal(t, "multipart/form-data", editor.AttrOr("hx-encoding", ""), "the preview posts multipart")

		// The live preview, as htmx sends it: the form's fields and the
		// CSRF header (hx-headers on the body).
		fields := formValues(pg, `[data-testid="edit-form"]`).set("markdown", text)
		resp := c.browserPost(t, base, editor.AttrOr("hx-post", ""), editor.AttrOr("hx-encoding", ""), fields,
			"HX-Request", "true", "X-CSRF-Token", c.csrf)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		preview, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Contains(t, string(preview), "风险登记册项目计划。")

		// The save, as the browser submits the form: the token in the _csrf
		// field only, which the CSRF check reads from the multipart body.
		resp = c.browserPost(t, base, form.AttrOr("action", ""), form.AttrOr("enctype", ""), fields)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, doc, resp.Header.Get("Location"))
		versions, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "risk_register")
		require.NoError(t, err)
		require.Len(t, versions, 2)
		assert.Equal(t, 2, versions[0].Version)
		assert.Equal(t, text, versions[0].Markdown)

		// Multipart without the token is still refused.
		resp = c.browserPost(t, base, form.AttrOr("action", ""), "multipart/form-data",
			orderedForm{{"baseArtifactId", v1.ID}, {"markdown", "# Forged\n"}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
}

// A missing final newline must not make an unchanged last line look
// changed: "a\nb" to "a\nb\nc" adds c and nothing else.
func TestLineDiffIgnoresAMissingFinalNewline(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"line added after a last line without newline", "a\nb", "a\nb\nc", []string{" a", " b", "+c"}},
		{"last line removed, newline with it", "a\nb\nc\n", "a\nb", []string{" a", " b", "-c"}},
		{"only the final newline differs", "a\nb\n", "a\nb", nil},
		{"from nothing", "", "a", []string{"+a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range lineDiff(tc.from, tc.to) {
				got = append(got, l.Op+l.Text)
			}
			assert.Equal(t, tc.want, got)
		})
	}

	// And on the diff route, between two stored versions.
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		ctx := context.Background()
		p := &models.Project{UserID: c.user.ID, Name: "Diff"}
		require.NoError(t, b.db.CreateProject(ctx, p))
		var ids []string
		for i, md := range []string{"a\nb", "a\nb\nc"} {
			a := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: c.user.ID, DocumentType: "risk_register",
				Title: "Risk Register", Markdown: md, Version: i + 1, Source: models.SourceGenerated, CreatedAt: time.Now().UTC()}
			require.NoError(t, b.db.ForTests().Create(a).Error)
			ids = append(ids, a.ID)
		}
		resp := c.get(t, "/projects/"+p.ID+"/documents/risk_register/diff?from="+ids[0]+"&to="+ids[1], "HX-Request", "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got []string
		testID(page(t, resp), "diff-line").Each(func(_ int, s *goquery.Selection) {
			got = append(got, s.AttrOr("data-op", "")+strings.TrimSpace(s.Contents().Last().Text()))
		})
		assert.Equal(t, []string{" a", " b", "+c"}, got)
	})
}

// The compare form works without scripts: a GET to the diff route with the
// two versions chosen, which answers a page with the diff; htmx still gets
// the fragment alone.
func TestCompareFormWorksWithoutScripts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"
		resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nNew line.\n\nKeep this line.\n"}, "baseArtifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		pg := page(t, c.get(t, doc))
		form := testID(pg, "compare-form")
		require.Equal(t, 1, form.Length())
		assert.Equal(t, "get", strings.ToLower(form.AttrOr("method", "")))
		assert.Equal(t, doc+"/diff", form.AttrOr("action", ""), "the form loads the diff route")
		assert.Equal(t, doc+"/diff", form.AttrOr("hx-get", ""), "htmx still swaps the fragment in")
		fields := formValues(pg, `[data-testid="compare-form"]`)
		versions, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "risk_register")
		require.NoError(t, err)
		assert.Equal(t, orderedForm{{"from", versions[1].ID}, {"to", versions[0].ID}}, fields, "version 1 to version 2 preselected")

		// The browser's GET of the action with the fields: a whole page.
		q := url.Values{}
		for _, kv := range fields {
			q.Add(kv[0], kv[1])
		}
		resp = c.get(t, form.AttrOr("action", "")+"?"+q.Encode())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		pg = page(t, resp)
		assert.Equal(t, 1, pg.Find("body[sse-connect]").Length(), "the page is the full layout")
		assert.Equal(t, 1, testID(pg, "version-diff-page").Length())
		assert.Contains(t, testID(pg, "version-diff").Text(), "Changes from version 1 to version 2")
		assert.Contains(t, pg.Find(`[data-op="+"]`).Text(), "New line.")
		assert.Equal(t, "/artifacts/"+versions[0].ID, testID(pg, "diff-open-to").AttrOr("href", ""))

		// htmx gets the fragment alone, to swap in.
		resp = c.get(t, form.AttrOr("action", "")+"?"+q.Encode(), "HX-Request", "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(strings.TrimSpace(string(raw)), `<div id="version-diff"`), "the fragment alone")
	})
}

// An edited version's title is its first heading's text as the page shows
// it: a "#" that ends the heading is the title's ("C#"), escapes are
// resolved and emphasis counts by its text.
func TestDocumentEditTitleKeepsATrailingHash(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		p, v1 := docProject(t, b, c)
		base := "/api/projects/" + p.ID + "/documents/risk_register/versions"
		resp := c.postJSON(t, base, map[string]any{"markdown": "# **Risk Register**: Migrate to C\\#\n\nBody.\n", "baseArtifactId": v1.ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v2 map[string]any
		decodeBody(t, resp, &v2)
		assert.Equal(t, "Risk Register: Migrate to C#", v2["title"])

		resp = c.postJSON(t, base, map[string]any{"markdown": "# Risk Register: Migrate to F#\n", "baseArtifactId": v2["artifactId"]})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var v3 map[string]any
		decodeBody(t, resp, &v3)
		assert.Equal(t, "Risk Register: Migrate to F#", v3["title"])
	})
}

// The same save sent twice (a double click on Save; a client retrying
// after its answer was lost) is one version, not a conflict telling the
// person their text was not saved: the second answer is the version the
// first made. A different text from the same base is still refused, as is
// the same text when the newer version is not this user's edit.
func TestDocumentSaveSentTwiceIsOneVersion(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"
		text := "# Risk Register: Documents\n\nSaved once.\n"
		for i := range 2 {
			resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {text}, "baseArtifactId": {v1.ID}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, "save %d", i+1)
		}
		pg := page(t, c.get(t, doc))
		assert.Equal(t, 2, testID(pg, "version-item").Length(), "one new version")
		// The editor's introduction names no version number: the stream
		// updates the button's when a newer version lands, not this line.
		pg = page(t, c.get(t, doc+"/edit"))
		intro := testID(pg, "edit-intro")
		require.Equal(t, 1, intro.Length())
		assert.NotContains(t, intro.Text(), "version 3")
		assert.Contains(t, testID(pg, "edit-save-label").Text(), "Save as version 3")
		resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {text + "More.\n"}, "baseArtifactId": {v1.ID}})
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "another text from the old base is refused")
		for _, base := range []string{"garbage-not-an-id", uuid.NewString()} {
			resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {text}, "baseArtifactId": {base}})
			// Not the same save, and no conflict either: no version of the
			// document has that id (422, 510d007).
			assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "the same text on base %q is not the same save", base)
		}

		token, _, err := b.db.CreateAPIToken(context.Background(), c.user.ID, "test")
		require.NoError(t, err)
		api := &client{b: b, user: c.user, token: token}
		base := "/api/projects/" + p.ID + "/documents/scope_statement/versions"
		var latest []map[string]any
		decodeBody(t, api.get(t, base), &latest)
		body := map[string]any{"markdown": "# Scope\n\nOnce.\n", "baseArtifactId": latest[0]["artifactId"]}
		resp = api.postJSON(t, base, body)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var first, again map[string]any
		decodeBody(t, resp, &first)
		resp = api.postJSON(t, base, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, "the same save again answers with its version")
		decodeBody(t, resp, &again)
		assert.Equal(t, first["artifactId"], again["artifactId"])
		assert.Equal(t, "/api/artifacts/"+first["artifactId"].(string), resp.Header.Get("Location"))
		var versions []map[string]any
		decodeBody(t, api.get(t, base), &versions)
		assert.Len(t, versions, 2)

		// A run's version with the same text is no replay of this save.
		run := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: c.user.ID, DocumentType: "scope_statement",
			Title: "Scope", Markdown: "# Scope\n\nOnce.\n", Version: 3, Source: models.SourceGenerated, CreatedAt: time.Now().UTC()}
		require.NoError(t, b.db.ForTests().Create(run).Error)
		resp = api.postJSON(t, base, body)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "the newer version is a run's, not this save")
	})
}

// A document at the character limit fits in a request however a JSON
// client escapes it: 200,000 characters outside the Basic Multilingual
// Plane, each written as two \uXXXX escapes (as Python's json.dumps does),
// are 2.4 MB, past the old 1 MiB body limit (a 413 that lost the text).
func TestDocumentAtTheLimitFitsEscaped(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.apiClient(t)
	g := generateDocuments(t, b.db, c.user)
	risk := g.artifact(t, "risk_register")
	md := "# Risks\n\n" + strings.Repeat("😀", maxDocumentChars-len("# Risks\n\n"))
	require.Equal(t, maxDocumentChars, utf8.RuneCountInString(md))
	var escaped strings.Builder
	escaped.WriteString(`{"baseArtifactId":"` + risk.ID + `","markdown":"`)
	for _, r := range md {
		switch {
		case r == '\n':
			escaped.WriteString(`\n`)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&escaped, `\u%04x\u%04x`, hi, lo)
		default:
			escaped.WriteRune(r)
		}
	}
	escaped.WriteString(`"}`)
	require.Greater(t, escaped.Len(), 2_390_000)
	resp := c.postJSON(t, "/api/projects/"+g.project.ID+"/documents/risk_register/versions", escaped.String())
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var v map[string]any
	decodeBody(t, resp, &v)
	a, err := b.db.ArtifactForUser(context.Background(), c.user.ID, v["artifactId"].(string))
	require.NoError(t, err)
	assert.Equal(t, md, a.Markdown)
}
