package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// withModel configures a model as the generator (GENERATOR=openai): only a
// model follows a regeneration's instruction.
func withModel(c *Config) { c.Generator = "openai" }

// The built-in template generator (the default) writes from the project
// data and ignores instructions: the regenerate form says so and asks for
// none, a hand-made post with one is refused (a 422 with the form, no job,
// no version labelled with an instruction nothing followed), and so is the
// API's. A plain regeneration still works. With a model configured, the
// form asks for the instruction.
func TestRegenerateUnderTheBuiltInGeneratorTakesNoInstruction(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil) // Generator unset: the built-in one
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"

		pg := page(t, c.get(t, "/artifacts/"+v1.ID))
		note := testID(pg, "regenerate-builtin-note")
		require.Equal(t, 1, note.Length(), "the form says the generator follows no instruction")
		assert.Contains(t, note.Text(), "does not follow instructions")
		assert.Contains(t, note.Text(), "ask whoever runs Dossier for your team to connect one")
		assert.NotContains(t, note.Text(), "README", "no developer's pointer on a user's page")
		assert.Equal(t, 0, testID(pg, "regenerate-instruction").Length(), "no instruction field")
		assert.Equal(t, 0, pg.Find(`[data-testid="regenerate-form"] [name="instruction"]`).Length())
		assert.Equal(t, 1, testID(pg, "regenerate-submit").Length())

		// A hand-made post with an instruction: refused on the page.
		resp := c.postForm(t, doc+"/regenerate", url.Values{"instruction": {"Add a section on GDPR risks"}, "artifactId": {v1.ID}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		pg = page(t, resp)
		assert.Equal(t, v1.ID, testID(pg, "artifact-page").AttrOr("data-id", ""))
		msg := testID(pg, "regenerate-error")
		require.Equal(t, 1, msg.Length(), "the form's message")
		assert.Contains(t, msg.Text(), "does not follow instructions")
		assert.NotContains(t, msg.Text(), "README", "no developer's pointer on a user's page")
		// The same through htmx: the form's section.
		resp = c.postForm(t, doc+"/regenerate", url.Values{"instruction": {"Add a section on GDPR risks"}}, "HX-Request", "true")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, testID(page(t, resp), "regenerate-error").Text(), "does not follow instructions")
		js, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		assert.Empty(t, js, "no job is created")

		// The API: a 422 naming the field.
		api := b.apiClient(t)
		ap := api.project(t, "API")
		resp = api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": ap.ID, "documents": []string{"risk_register"}, "instruction": "Shorter."})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		e := errorOf(t, resp)
		assert.Equal(t, "validation_failed", e.Error.Code)
		assert.Contains(t, e.Error.Fields["instruction"], "does not follow instructions")
		js, err = b.db.Jobs(context.Background(), api.user.ID, models.JobFilter{ProjectID: ap.ID})
		require.NoError(t, err)
		assert.Empty(t, js, "no job is created")

		// Without an instruction, the document is regenerated.
		resp = c.postForm(t, doc+"/regenerate", url.Values{"artifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		js, err = b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		require.Len(t, js, 1)
		assert.Empty(t, js[0].Instruction)
	})
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.user(t)
		_, v1 := docProject(t, b, c)
		pg := page(t, c.get(t, "/artifacts/"+v1.ID))
		assert.Equal(t, 1, testID(pg, "regenerate-instruction").Length(), "a model follows instructions")
		assert.Equal(t, 0, testID(pg, "regenerate-builtin-note").Length())
	})
}

// A version a user saved is described as theirs: edited by them, when;
// no generation job (none wrote it, none was removed) and no model
// tokens. A generated version whose job retention removed still says so.
func TestEditedVersionDetailsNameTheEditor(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p, v1 := docProject(t, b, c)
		doc := "/projects/" + p.ID + "/documents/risk_register"
		resp := c.postForm(t, doc+"/edit", url.Values{"markdown": {"# Risk Register: Documents\n\nEdited.\n"}, "baseArtifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		latest, err := b.db.LatestDocuments(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		var v2 string
		for _, v := range latest {
			if v.DocumentType == "risk_register" {
				v2 = v.ID
			}
		}
		require.NotEqual(t, v1.ID, v2)

		pg := page(t, c.get(t, "/artifacts/"+v2))
		facts := testID(pg, "artifact-facts")
		assert.Equal(t, c.user.Name, strings.Join(strings.Fields(testID(pg, "artifact-edited-by").Text()), " "))
		assert.Equal(t, 1, testID(pg, "artifact-created").Length(), "when")
		assert.NotContains(t, facts.Text(), "retention")
		assert.NotContains(t, facts.Text(), "Generated in")
		assert.Equal(t, 0, testID(pg, "artifact-tokens").Length(), "no model tokens for hand-written text")
		assert.NotContains(t, facts.Text(), "built-in template")

		// The generated version, its job gone: removed by retention.
		pg = page(t, c.get(t, "/artifacts/"+v1.ID))
		assert.Contains(t, testID(pg, "artifact-job").Text(), "since removed by retention")
		assert.Equal(t, 1, testID(pg, "artifact-tokens").Length())
		assert.Equal(t, 0, testID(pg, "artifact-edited-by").Length())
	})
}
