package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// instructionLines joins lines of x's (n characters in all, line breaks
// not counted) with the given line breaks, one between each two lines.
func instructionLines(n int, breaks ...string) string {
	var b strings.Builder
	per := n / (len(breaks) + 1)
	for _, br := range breaks {
		b.WriteString(strings.Repeat("x", per))
		b.WriteString(br)
		n -= per
	}
	b.WriteString(strings.Repeat("x", n))
	return b.String()
}

// A browser sends a textarea's line breaks as CRLF, and its maxlength
// counts each as one character: 1,995 characters on 6 lines are the 2,000
// the form allows, but arrive as 2,004 (four CRLFs and a lone CR). The job
// is created, with the instruction as typed.
func TestRegenerateCountsALineBreakAsOneCharacter(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		sent := instructionLines(1995, "\r\n", "\r\n", "\r", "\r\n", "\r\n")
		typed := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(sent)
		require.Equal(t, documents.MaxInstructionChars, utf8.RuneCountInString(typed))
		require.Greater(t, utf8.RuneCountInString(sent), documents.MaxInstructionChars)

		resp := c.postForm(t, "/projects/"+p.ID+"/documents/risk_register/regenerate",
			url.Values{"instruction": {sent}, "artifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the instruction is within the limit as typed")
		js, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, js, 1)
		assert.Equal(t, "/jobs/"+js[0].ID, resp.Header.Get("Location"))
		assert.Equal(t, typed, js[0].Instruction, "stored with LF line breaks")
	})
}

// An instruction over the limit is refused on the page the form was on: a
// 422 with the field's message beside the textarea and the text kept in it
// (not the generic error page), for htmx the form's section alone; no job
// is created.
func TestRegenerateRefusesAnOverlongInstructionInTheForm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"
		// A second version: the form on the first version's page comes
		// back on that page.
		resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nEdited.\n"}, "baseArtifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)

		sent := instructionLines(2100, "\r\n", "\r\n")
		typed := strings.ReplaceAll(sent, "\r\n", "\n")
		form := url.Values{"instruction": {sent}, "includeDependents": {"1"}, "artifactId": {v1.ID}}

		resp = c.postForm(t, doc+"/regenerate", form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		pg := page(t, resp)
		assert.Equal(t, 0, testID(pg, "error-page").Length(), "not the generic error page")
		art := testID(pg, "artifact-page")
		require.Equal(t, 1, art.Length(), "the document's page")
		assert.Equal(t, v1.ID, art.AttrOr("data-id", ""), "the version the form was on")
		assert.Equal(t, 1, pg.Find("title").Length(), "the whole page")
		msg := testID(pg, "error-instruction")
		require.Equal(t, 1, msg.Length(), "the field's message")
		assert.Contains(t, msg.Text(), "at most 2000 characters")
		area := testID(pg, "regenerate-instruction")
		assert.Equal(t, "textarea", goquery.NodeName(area))
		assert.Equal(t, typed, area.Text(), "the instruction is kept")
		assert.Equal(t, "true", area.AttrOr("aria-invalid", ""))
		_, checked := testID(pg, "regenerate-dependents").Attr("checked")
		assert.True(t, checked, "the checkbox is kept")

		// Without a version (or another document's), the latest version's page.
		resp = c.postForm(t, doc+"/regenerate", url.Values{"instruction": {sent}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		pg = page(t, resp)
		assert.NotEqual(t, v1.ID, testID(pg, "artifact-page").AttrOr("data-id", ""))
		assert.Equal(t, 1, testID(pg, "error-instruction").Length())

		// htmx swaps the form's section with the message.
		resp = c.postForm(t, doc+"/regenerate", form, "HX-Request", "true")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		pg = page(t, resp)
		assert.Equal(t, 0, testID(pg, "artifact-page").Length(), "a fragment")
		sec := testID(pg, "regenerate")
		require.Equal(t, 1, sec.Length())
		assert.Equal(t, "regenerate", sec.AttrOr("id", ""), "the form's hx-target")
		assert.Contains(t, testID(pg, "error-instruction").Text(), "at most 2000 characters")
		assert.Equal(t, typed, testID(pg, "regenerate-instruction").Text())

		js, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		assert.Empty(t, js, "no job is created")

		// A valid instruction through htmx: a full page load of the job.
		resp = c.postForm(t, doc+"/regenerate", url.Values{"instruction": {"Shorter"}}, "HX-Request", "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		js, err = b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, js, 1)
		assert.Equal(t, "/jobs/"+js[0].ID, resp.Header.Get("HX-Redirect"))
	})
}

// A regenerate form sent while the project has a generation in progress is
// refused where it was sent: a 409 with the form, the instruction kept in
// it and a message linking the generation in progress (not a redirect to
// that job, which dropped the instruction without a word); for htmx the
// form's section. No second job is created. The API answers the same
// regeneration with 409 active_job naming the job.
func TestRegenerateWhileAGenerationIsInProgressKeepsTheInstruction(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.user(t)
		p, _ := docProject(t, b, c)
		docs := "/projects/" + p.ID + "/documents/"
		resp := c.postForm(t, docs+"risk_register/regenerate", url.Values{"instruction": {"Shorter"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		js, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, js, 1)
		active := js[0]

		scope, err := b.db.DocumentVersions(context.Background(), c.user.ID, p.ID, "scope_statement")
		require.NoError(t, err)
		require.Len(t, scope, 1)
		typed := "Add a section on data migration.\nKeep it short."
		form := url.Values{"instruction": {strings.ReplaceAll(typed, "\n", "\r\n")}, "includeDependents": {"1"}, "artifactId": {scope[0].ID}}

		check := func(t *testing.T, pg *goquery.Document) {
			t.Helper()
			msg := testID(pg, "regenerate-error")
			require.Equal(t, 1, msg.Length(), "the form says why")
			assert.Contains(t, msg.Text(), "This project already has a generation in progress")
			assert.Contains(t, msg.Text(), "not regenerated")
			assert.Equal(t, "/jobs/"+active.ID, testID(pg, "regenerate-active-job").AttrOr("href", ""), "it links the generation in progress")
			area := testID(pg, "regenerate-instruction")
			assert.Equal(t, "textarea", goquery.NodeName(area))
			assert.Equal(t, typed, area.Text(), "the instruction is kept")
			_, checked := testID(pg, "regenerate-dependents").Attr("checked")
			assert.True(t, checked, "the checkbox is kept")
		}

		// A plain post: the page the form was on, with the form.
		resp = c.postForm(t, docs+"scope_statement/regenerate", form)
		require.Equal(t, http.StatusConflict, resp.StatusCode, "not a redirect to the job in progress")
		assert.Empty(t, resp.Header.Get("Location"))
		pg := page(t, resp)
		assert.Equal(t, 0, testID(pg, "error-page").Length(), "not the generic error page")
		art := testID(pg, "artifact-page")
		require.Equal(t, 1, art.Length(), "the document's page")
		assert.Equal(t, scope[0].ID, art.AttrOr("data-id", ""), "the version the form was on")
		check(t, pg)

		// htmx: the form's section, swapped in place (409 swaps, app.js).
		resp = c.postForm(t, docs+"scope_statement/regenerate", form, "HX-Request", "true")
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("HX-Redirect"))
		pg = page(t, resp)
		assert.Equal(t, 0, testID(pg, "artifact-page").Length(), "a fragment")
		assert.Equal(t, "regenerate", testID(pg, "regenerate").AttrOr("id", ""), "the form's hx-target")
		check(t, pg)

		js, err = b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, js, 1, "no second job")
		assert.Equal(t, active.ID, js[0].ID)

		// The API's regeneration: 409 active_job with the job's id.
		token, _, err := b.db.CreateAPIToken(context.Background(), c.user.ID, "test")
		require.NoError(t, err)
		api := &client{b: b, user: c.user, token: token}
		resp = api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"scope_statement"},
			"instruction": typed, "includeDependents": true})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		var conflict struct {
			Error struct {
				Code  string `json:"code"`
				JobID string `json:"jobId"`
			} `json:"error"`
		}
		decodeBody(t, resp, &conflict)
		assert.Equal(t, "active_job", conflict.Error.Code)
		assert.Equal(t, active.ID, conflict.Error.JobID)
	})
}
