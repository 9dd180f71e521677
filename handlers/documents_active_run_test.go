package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// An edit saved while a run that has yet to write the document was queued
// or running was stored, and the run's version then buried it. It is a
// 409 active_job naming the run (jobId, runNumber), telling the user to
// wait or cancel; nothing is stored. Once the run has written the document
// (or for a document it does not write) an edit is saved as usual. The
// edit form comes back with the text kept and the message.
func TestEditDuringARunOfTheDocumentIsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		ctx := context.Background()
		c := b.apiClient(t)
		p, v1 := docProject(t, b, c)
		versions := func(typ string) string { return "/api/projects/" + p.ID + "/documents/" + typ + "/versions" }
		count := func(typ string) int {
			t.Helper()
			vs, err := b.db.DocumentVersions(ctx, c.user.ID, p.ID, typ)
			require.NoError(t, err)
			return len(vs)
		}
		refused := func(t *testing.T, resp *http.Response, j *models.Job) {
			t.Helper()
			require.Equal(t, http.StatusConflict, resp.StatusCode)
			var e struct {
				Error map[string]any `json:"error"`
			}
			decodeBody(t, resp, &e)
			assert.Equal(t, "active_job", e.Error["code"])
			assert.Equal(t, j.ID, e.Error["jobId"])
			assert.EqualValues(t, j.RunNumber, e.Error["runNumber"])
			assert.Contains(t, e.Error["message"], "run #"+strconv.Itoa(j.RunNumber))
			assert.Contains(t, e.Error["message"], "wait for it to finish, or cancel it")
		}
		scope, err := b.db.DocumentVersions(ctx, c.user.ID, p.ID, "scope_statement")
		require.NoError(t, err)

		// Queued: the risk register (and the scope it reads) are to come.
		j := c.job(t, p, "risk_register")
		edit := "# Risk Register: Documents\n\nMine.\n"
		refused(t, c.postJSON(t, versions("risk_register"), map[string]any{"markdown": edit, "baseArtifactId": v1.ID}), j)
		assert.Equal(t, 1, count("risk_register"), "nothing is stored")

		// Running, the risk register written: it may be edited, the
		// scope statement still to come may not.
		js, err := b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, js, 1)
		refused(t, c.postJSON(t, versions("risk_register"), map[string]any{"markdown": edit, "baseArtifactId": v1.ID}), j)
		now := time.Now()
		_, _, err = b.db.CommitDocument(ctx, js[0].Lease(), models.DocumentResult{Type: "risk_register", Title: "Risk Register",
			Markdown: "# Risk Register\n\nThe run's.\n", Attempts: 1, StartedAt: now.Add(-time.Second), FinishedAt: now})
		require.NoError(t, err)
		latest, err := b.db.DocumentVersions(ctx, c.user.ID, p.ID, "risk_register")
		require.NoError(t, err)
		resp := c.postJSON(t, versions("risk_register"), map[string]any{"markdown": edit, "baseArtifactId": latest[0].ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode, "the run has written it")
		refused(t, c.postJSON(t, versions("scope_statement"), map[string]any{"markdown": "# Scope\n\nMine.\n", "baseArtifactId": scope[0].ID}), j)
		assert.Equal(t, 1, count("scope_statement"))

		// The form keeps the text and says why.
		u := b.user(t)
		up, uv1 := docProject(t, b, u)
		uj := u.job(t, up, "risk_register")
		doc := "/projects/" + up.ID + "/documents/risk_register"
		mine := "# Risk Register: Documents\n\nTyped while the run was queued.\n"
		resp = u.postForm(t, doc+"/edit", url.Values{"markdown": {mine}, "baseArtifactId": {uv1.ID}})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		pg := page(t, resp)
		msg := testID(pg, "edit-error").Text()
		assert.Contains(t, msg, "Run #"+strconv.Itoa(uj.RunNumber))
		assert.Contains(t, msg, "Your text is kept")
		assert.Equal(t, mine, testID(pg, "edit-form").Find("textarea[name=markdown]").Text(), "the text is kept")
		assert.Equal(t, uv1.ID, testID(pg, "edit-form").Find("input[name=baseArtifactId]").AttrOr("value", ""))
		vs, err := b.db.DocumentVersions(ctx, u.user.ID, up.ID, "risk_register")
		require.NoError(t, err)
		assert.Len(t, vs, 1, "nothing is stored")
	})
}
