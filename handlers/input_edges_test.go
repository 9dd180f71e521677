package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
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
		b := pagesSetup(t, d, nil, withModel)
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

// A compressed request body is refused before anything reads it: Fiber
// unpacks gzip, deflate and brotli bodies whole, and the body limit counts
// only the bytes received (a 200 KB gzip sent to /login made the server
// allocate a gigabyte).
func TestCompressedBodiesAreRefused(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, err := w.Write([]byte(`{"name":"Zipped","description":"` + strings.Repeat("a", 1<<20) + `"}`))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	for _, tc := range []struct {
		who  *client
		path string
	}{{c, "/api/projects"}, {b.anon(), "/login"}, {b.anon(), "/signup"}} {
		for _, enc := range []string{"gzip", "deflate", "br", "GZIP"} {
			h := []string{"Content-Type", "application/json", "Content-Encoding", enc}
			if tc.who.csrf != "" {
				h = append(h, "X-CSRF-Token", tc.who.csrf)
			}
			resp := tc.who.do(t, http.MethodPost, tc.path, bytes.NewReader(gz.Bytes()), h...)
			require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "%s %s", tc.path, enc)
			assert.Equal(t, "unsupported_encoding", errorOf(t, resp).Error.Code)
		}
	}
	list := c.get(t, "/api/projects")
	var projects []map[string]any
	decodeBody(t, list, &projects)
	for _, p := range projects {
		assert.NotEqual(t, "Zipped", p["name"], "the compressed body was read")
	}
	// identity is no encoding.
	resp := c.postJSON(t, "/api/projects", map[string]any{"name": "Plain"}, "Content-Encoding", "identity")
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

// JSON whose text is not UTF-8 is a 422 naming the field (encoding/json
// would store U+FFFD in place of each bad byte).
func TestJSONBodiesThatAreNotUTF8(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", "{\"name\":\"\xff\xfe\"}")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, map[string]string{"name": "must be UTF-8 text"}, errorOf(t, resp).Error.Fields)
	list := c.get(t, "/api/projects")
	var projects []map[string]any
	decodeBody(t, list, &projects)
	assert.Empty(t, projects, "nothing is stored")

	for body, field := range map[string]string{
		"{\"name\":\"ok\",\"data\":{\"objectives\":[\"a\",\"b\xc3\"]}}":         "data.objectives[1]",
		"{\"name\":\"ok\",\"data\":{\"risks\":[{},{\"title\":\"x\xe2\x82\"}]}}": "data.risks[1].title",
		"[1, {\"a\": [true, null, \"\xff\"]}]":                                  "[1].a[2]",
		"\"\xff\"":                                                              "body",
	} {
		err := notUTF8([]byte(body))
		var e *Error
		require.ErrorAs(t, err, &e, body)
		assert.Equal(t, http.StatusUnprocessableEntity, e.Status, body)
		assert.Equal(t, map[string]string{field: "must be UTF-8 text"}, e.Fields, "%q", body)
	}
	err := notUTF8([]byte("{\"name\": \xff}"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadRequest, e.Status, "a bad byte outside any string")
}

// An amount out of range says so: a figure over the limit was told it
// "must be zero or more", and one no float holds (1e400) got a message
// naming Go's struct fields.
func TestAmountsOutOfRangeSaySo(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	for amount, want := range map[string]string{
		"1e308": "must be at most 1,000,000,000,000,000",
		"-1":    "must be zero or more",
		"1e400": "is out of range",
	} {
		resp := c.postJSON(t, "/api/projects", `{"name":"Money","data":{"budget":{"amount":`+amount+`}}}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, amount)
		e := errorOf(t, resp).Error
		assert.Equal(t, want, e.Fields["data.budget.amount"], "%s: %v", amount, e.Fields)
		assert.NotContains(t, e.Message, "Go struct", amount)
	}
}

// A number no float holds is named by its whole path, index included: a
// client could not tell which deliverable was wrong from
// "data.deliverables.effortDays".
func TestOutOfRangeNumbersNameTheirIndex(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	resp := c.postJSON(t, "/api/projects", `{"name":"x","data":{"deliverables":[{"name":"a","effortDays":1},{"name":"b","effortDays":1e400}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, map[string]string{"data.deliverables[1].effortDays": "is out of range"}, errorOf(t, resp).Error.Fields)
}

// A JSON escape of a lone UTF-16 surrogate (\ud800 without its pair) is
// text that is not Unicode: encoding/json would store U+FFFD in its place
// without a word, so it is refused as bytes that are not UTF-8 are. Pairs,
// and a backslash escaped before "u", are text.
func TestLoneSurrogateEscapesAreRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		for body, field := range map[string]string{
			`{"name":"bad \ud800 name"}`:                           "name",
			`{"name":"bad \udc00\ud800 order"}`:                    "name",
			`{"name":"ok","description":"end \udbff"}`:             "description",
			`{"name":"ok","data":{"objectives":["a","b \ud83d"]}}`: "data.objectives[1]",
		} {
			resp := c.postJSON(t, "/api/projects", body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
			assert.Contains(t, errorOf(t, resp).Error.Fields, field, body)
		}
		// The field named is the one holding the surrogate, not another
		// that holds a U+FFFD of its own.
		resp := c.postJSON(t, "/api/projects", `{"name":"Caf\u00e9 \ufffd kept","x":"\ud800"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, []string{"x"}, slices.Collect(maps.Keys(errorOf(t, resp).Error.Fields)))
		var list []map[string]any
		decodeBody(t, c.get(t, "/api/projects"), &list)
		assert.Empty(t, list, "nothing is stored")

		for body, want := range map[string]string{
			`{"name":"pair \ud83d\ude00"}`:    "pair 😀",
			`{"name":"escaped \\ud800 text"}`: `escaped \ud800 text`,
			`{"name":"given \ufffd as is"}`:   "given \ufffd as is",
		} {
			resp := c.postJSON(t, "/api/projects", body)
			require.Equal(t, http.StatusCreated, resp.StatusCode, body)
			var p map[string]any
			decodeBody(t, resp, &p)
			assert.Equal(t, want, p["name"], body)
		}

		// A document's text too.
		g := generateDocuments(t, b.db, c.user)
		risk := g.artifact(t, "risk_register")
		resp = c.postJSON(t, "/api/projects/"+g.project.ID+"/documents/risk_register/versions",
			`{"markdown":"# Risks\n\nBroken \ud800 text.","baseArtifactId":"`+risk.ID+`"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, errorOf(t, resp).Error.Fields, "markdown")
	})
}

func TestHasLoneSurrogate(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		`"plain"`:                   false,
		`"\u00e9"`:                  false,
		`"\ud83d\ude00"`:            false,
		`"\uD83D\uDE00"`:            false,
		`"\ud83d"`:                  true,
		`"\ude00"`:                  true,
		`"\ud83d\u0041"`:            true,
		`"\\ud83d"`:                 false,
		`"\\\ud83d"`:                true,
		`["\ud83d\ude00","\udfff"]`: true,
	} {
		assert.Equal(t, want, hasLoneSurrogate([]byte(body)), body)
	}
}
