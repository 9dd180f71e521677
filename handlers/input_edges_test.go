package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// An id spelt otherwise than Dossier writes it (urn:uuid:…, braces, upper
// case, no hyphens) names nothing, on both databases: PostgreSQL's uuid
// type reads some of those spellings and refuses others (a 500), SQLite
// compares them as written.
func TestIDsInOtherSpellingsNameNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Spellings")
		j := c.job(t, p, "project_charter")
		spellings := func(id string) []string {
			return []string{"urn:uuid:" + id, strings.ToUpper(id), "{" + id + "}", strings.ReplaceAll(id, "-", "")}
		}
		unknown := uuid.NewString()
		for _, v := range spellings(p.ID) {
			assert.Equal(t, http.StatusNotFound, c.get(t, "/api/projects/"+url.PathEscape(v)).StatusCode, v)
			assert.Equal(t, http.StatusNotFound, c.get(t, "/api/artifacts/"+url.PathEscape(v)).StatusCode, v)
			// An acknowledgement answers 204 whatever it names (it leaves
			// what is not the user's alone), not a 500.
			assert.Equal(t, http.StatusNoContent, c.postForm(t, "/notifications/"+url.PathEscape(v)+"/shown", url.Values{}).StatusCode, v)
			resp := c.get(t, "/api/generation/jobs?projectId="+url.QueryEscape(v))
			require.Equal(t, http.StatusOK, resp.StatusCode, v)
			var list []JobJSON
			decodeBody(t, resp, &list)
			assert.Empty(t, list, v)
			// Creating a job answers as for a project that does not exist.
			want := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": unknown}).StatusCode
			assert.Equal(t, want, c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": v}).StatusCode, v)
		}
		for _, v := range spellings(j.ID) {
			assert.Equal(t, http.StatusNotFound, c.get(t, "/api/generation/jobs/"+url.PathEscape(v)).StatusCode, v)
			assert.Equal(t, http.StatusNotFound, c.postJSON(t, "/api/generation/jobs/"+url.PathEscape(v)+"/cancel", "{}").StatusCode, v)
		}
		// The id as written still works.
		assert.Equal(t, http.StatusOK, c.get(t, "/api/projects/"+p.ID).StatusCode)
		assert.Equal(t, http.StatusOK, c.get(t, "/api/generation/jobs/"+j.ID).StatusCode)
	})
}

// Bytes a form or a header carries as they are, invalid UTF-8 or NUL,
// get a field message or the answer of any unknown value, never a 500
// (PostgreSQL refuses them in a query).
func TestInvalidTextInFormsAndHeaders(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Bytes")

		resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID}, "Idempotency-Key", "k\xff")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, errorOf(t, resp).Error.Fields, "Idempotency-Key")

		resp = c.postForm(t, "/projects/"+p.ID+"/documents/project_charter/regenerate", url.Values{"instruction": {"\xff\xfe shorter"}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		_, err := b.db.ActiveJobForProject(context.Background(), p.ID)
		assert.ErrorIs(t, err, models.ErrNotFound, "no job is created")

		for _, email := range []string{"a\x00@example.com", "a\xff@example.com"} {
			resp = b.anon().postForm(t, "/login", url.Values{"email": {email}, "password": {"whatever"}})
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%q", email)
		}
	})
}
