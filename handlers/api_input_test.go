package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// A job's priority is high, normal or low, or left out for normal. An explicit empty string was read as normal without a word.
func TestCreateJobPriorityMustBeAValueWhenGiven(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		for _, prio := range []string{`""`, `" "`, `"NORMAL"`, `"null"`} {
			p := c.project(t, "Priority "+prio)
			resp := c.postJSON(t, "/api/generation/jobs", `{"projectId":"`+p.ID+`","priority":`+prio+`}`)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, prio)
			assert.Contains(t, errorOf(t, resp).Error.Fields["priority"], `"high", "normal" or "low"`, prio)
		}
		// null is normal too, as openapi.json says (the contract check
		// validates each accepted request against it).
		for _, body := range []string{`{"projectId":"%s"}`, `{"projectId":"%s","priority":"normal"}`, `{"projectId":"%s","priority":null}`} {
			p := c.project(t, "Normal")
			resp := c.postJSON(t, "/api/generation/jobs", fmt.Sprintf(body, p.ID))
			require.Equal(t, http.StatusAccepted, resp.StatusCode, body)
			var j JobJSON
			decodeBody(t, resp, &j)
			assert.Equal(t, "normal", j.Priority, body)
		}
		p := c.project(t, "Low")
		resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "priority": "low"})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		var j JobJSON
		decodeBody(t, resp, &j)
		assert.Equal(t, "low", j.Priority)
	})
}

// An instruction of whitespace alone was trimmed to none, and the documents
// were rewritten without the instruction the client meant to give. It is a
// 422 naming instruction, on the API and in the regenerate form (beside
// the field, the text kept); an empty one is no instruction.
func TestBlankInstructionIsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, withModel)
		c := b.user(t)
		api := &client{b: b, user: c.user}
		token, _, err := b.db.CreateAPIToken(context.Background(), c.user.ID, "test")
		require.NoError(t, err)
		api.token = token
		p, v1 := docProject(t, b, c)

		for _, blank := range []string{" ", "\n\t  \r\n"} {
			resp := api.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"risk_register"}, "instruction": blank})
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%q", blank)
			assert.Contains(t, errorOf(t, resp).Error.Fields["instruction"], "blank", "%q", blank)
		}

		doc := "/projects/" + p.ID + "/documents/risk_register"
		resp := c.postForm(t, doc+"/regenerate", url.Values{"instruction": {"  \r\n  "}, "artifactId": {v1.ID}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		pg := page(t, resp)
		assert.Contains(t, testID(pg, "error-instruction").Text(), "blank")
		assert.Equal(t, 1, testID(pg, "regenerate-instruction").Length(), "the form comes back")

		js, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{ProjectID: p.ID})
		require.NoError(t, err)
		assert.Empty(t, js, "no job is created")

		// Left empty, the form regenerates from the data alone.
		resp = c.postForm(t, doc+"/regenerate", url.Values{"instruction": {""}, "artifactId": {v1.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	})
	// Under the built-in generator whitespace is refused as any
	// instruction is.
	b := pagesSetup(t, models.SQLite, nil)
	c := b.apiClient(t)
	p := c.project(t, "Built-in")
	resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "instruction": "   "})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, instructionIgnored, errorOf(t, resp).Error.Fields["instruction"])
}

// A key an object repeats kept its last value without a word, in every
// JSON body: it is a 422 naming the key's path. So are two keys that
// name one field in different case (encoding/json matches either).
func TestDuplicateJSONKeysAreRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		for body, field := range map[string]string{
			`{"name":"a","name":"b"}`:                           "name",
			`{"name":"a","n\u0061me":"b"}`:                      "name",
			`{"name":"a","NAME":"b"}`:                           "name",
			`{"name":"a","unknown":1,"unknown":2}`:              "unknown",
			`{"name":"a","data":{"sponsor":"x","sponsor":"y"}}`: "data.sponsor",
			`{"name":"a","data":{"risks":[{"description":"r"},{"description":"r","owner":"x","owner":"y"}]}}`:    "data.risks[1].owner",
			`{"name":"a","data":{"budget":{"amount":1,"amount":2}}}`:                                             "data.budget.amount",
			`{"name":"a","companyIntelligencePack":{"values":["v"]},"companyIntelligencePack":{"values":["w"]}}`: "companyIntelligencePack",
		} {
			resp := c.postJSON(t, "/api/projects", body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
			e := errorOf(t, resp)
			assert.Equal(t, "validation_failed", e.Error.Code, body)
			assert.Contains(t, e.Error.Fields, field, body)
			assert.Contains(t, e.Error.Fields[field], "more than once", body)
		}
		var list []map[string]any
		decodeBody(t, c.get(t, "/api/projects"), &list)
		assert.Empty(t, list, "nothing is stored")

		// The same key in sibling objects, and keys inside strings, are fine.
		resp := c.postJSON(t, "/api/projects", `{"name":"ok","description":"{\"name\":1,\"name\":2}",`+
			`"data":{"risks":[{"description":"a","owner":"x"},{"description":"b","owner":"y"}]}}`)
		require.Equal(t, http.StatusCreated, resp.StatusCode)

		p := c.project(t, "Jobs")
		resp = c.postJSON(t, "/api/generation/jobs", `{"projectId":"`+p.ID+`","projectId":"`+p.ID+`"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Contains(t, errorOf(t, resp).Error.Fields, "projectId")
		resp = c.postJSON(t, "/api/generation/jobs", `{"projectId":"`+p.ID+`","priority":"low","Priority":"high"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, `is given more than once, as "Priority" and "priority"; send it once`, errorOf(t, resp).Error.Fields["priority"])
	})
}

func TestDuplicateKeysScan(t *testing.T) {
	t.Parallel()
	many := func(n int, dup bool) string {
		var keys []string
		for i := range n {
			keys = append(keys, fmt.Sprintf(`"k%d":%d`, i, i))
		}
		if dup {
			keys = append(keys, `"k3":0`)
		}
		return `{"big":{` + strings.Join(keys, ",") + `}}`
	}
	for body, want := range map[string][]string{
		`{}`:                              nil,
		`{"a":1,"b":[{"a":1},{"a":2}]}`:   nil,
		`{"a":"},{\"a\":1","b":"\"a\""}`:  nil,
		`{"a\"b":1,"a\"b":2}`:             {`a"b`},
		`{"a":1,"\u0061":2}`:              {"a"},
		`{"a":{"b":1},"c":{"b":1,"b":2}}`: {"c.b"},
		`[{"x":1},{"x":1,"x":2}]`:         {"[1].x"},
		`{"a":[[{"z":1,"z":2}]]}`:         {"a[0][0].z"},
		`{"a":1,"b":2,"a":3,"b":4}`:       {"a", "b"},
		many(40, false):                   nil,
		many(40, true):                    {"big.k3"},
		many(5, true):                     {"big.k3"},
	} {
		var fe models.FieldErrors
		duplicateKeys([]byte(body), &fe)
		var got []string
		for k := range fe.Map() {
			got = append(got, k)
		}
		slices.Sort(got)
		assert.Equal(t, want, got, body)
	}
}

// ?status repeated was read as its first value: the values are combined,
// as the comma-separated ones are. A parameter that takes one value
// (projectId; the job stream's format and since) given twice is a 422
// naming it.
func TestRepeatedQueryParameters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.apiClient(t)
		done := c.job(t, c.project(t, "Done"), "project_charter")
		b.run(t, done, []string{"project_charter"}, models.StatusCompleted)
		queued := c.job(t, c.project(t, "Queued"), "project_charter")
		cancelled := c.job(t, c.project(t, "Cancelled"), "project_charter")
		require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+cancelled.ID+"/cancel", nil).StatusCode)

		ids := func(query string) []string {
			t.Helper()
			resp := c.get(t, "/api/generation/jobs?"+query)
			require.Equal(t, http.StatusOK, resp.StatusCode, query)
			var list []JobJSON
			decodeBody(t, resp, &list)
			var out []string
			for _, j := range list {
				out = append(out, j.ID)
			}
			slices.Sort(out)
			return out
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }
		assert.Equal(t, sorted(queued.ID, done.ID), ids("status=queued&status=completed"))
		assert.Equal(t, sorted(queued.ID, done.ID, cancelled.ID), ids("status=queued,cancelled&status=completed"))
		assert.Equal(t, sorted(done.ID), ids("status=completed"))
		assert.Equal(t, sorted(queued.ID, done.ID, cancelled.ID), ids(""))

		for _, tc := range []struct{ path, field string }{
			{"/api/generation/jobs?status=queued&status=sleeping", "status"},
			{"/api/generation/jobs?projectId=" + queued.ProjectID + "&projectId=" + done.ProjectID, "projectId"},
			// A finished job's stream ends (an active one's would not).
			{"/api/generation/jobs/stream/" + done.ID + "?format=json&format=json", "format"},
			{"/api/generation/jobs/stream/" + done.ID + "?since=1&since=2", "since"},
		} {
			resp := c.get(t, tc.path)
			if !assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.path) {
				continue
			}
			assert.Contains(t, errorOf(t, resp).Error.Fields, tc.field, tc.path)
		}
	})
}

// schemaString is a string of the Project JSON schema in openapi.json:
// where it is (the path the server names it by) and how to send a value
// there (wrap builds the body around it).
type schemaString struct {
	path   string
	schema map[string]any
	wrap   func(v any) any
	// array: the node is a list (its items are walked too).
	array bool
}

// projectSchemaStrings lists the strings of a schema, following $ref,
// allOf, oneOf, objects (with their required members filled) and arrays
// (one element).
func projectSchemaStrings(t *testing.T, schemas map[string]any, s map[string]any, path string, wrap func(any) any, out *[]schemaString) {
	t.Helper()
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := schemas[name].(map[string]any)
		require.True(t, ok, ref)
		projectSchemaStrings(t, schemas, target, path, wrap, out)
		return
	}
	for _, key := range []string{"allOf", "oneOf"} {
		if subs, ok := s[key].([]any); ok {
			for _, sub := range subs {
				projectSchemaStrings(t, schemas, sub.(map[string]any), path, wrap, out)
			}
			return
		}
	}
	switch s["type"] {
	case "string":
		*out = append(*out, schemaString{path: path, schema: s, wrap: wrap})
	case "array":
		*out = append(*out, schemaString{path: path, schema: s, wrap: wrap, array: true})
		projectSchemaStrings(t, schemas, s["items"].(map[string]any), path+"[0]", func(v any) any { return wrap([]any{v}) }, out)
	case "object":
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for name, ps := range props {
			prefix := path
			if prefix != "" {
				prefix += "."
			}
			projectSchemaStrings(t, schemas, ps.(map[string]any), prefix+name, func(v any) any {
				obj := map[string]any{}
				for _, r := range required {
					obj[r.(string)] = "x"
					if r == "annualValue" {
						obj[r.(string)] = 1
					}
				}
				obj[name] = v
				return wrap(obj)
			}, out)
		}
	}
}

// projectInputSchema is openapi.json's schemas and the strings and lists of
// its ProjectInput.
func projectInputSchema(t *testing.T) (map[string]any, []schemaString) {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(OpenAPI, &doc))
	schemas := doc.Components.Schemas
	var nodes []schemaString
	projectSchemaStrings(t, schemas, schemas["ProjectInput"].(map[string]any), "", func(v any) any { return v }, &nodes)
	return schemas, nodes
}

// Every text of the Project JSON has a length limit on the server
// (models.checkText): openapi.json gives each the same maxLength. For each
// string of the schema, limit+1 characters are a 422 naming the field with
// that limit, and the limit itself is not over it. Strings with a pattern
// (currency) or that are dates have their form as their limit.
func TestProjectSchemaLengthsAreTheServerLimits(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil, withModel)
	c := b.apiClient(t)
	schemas, strs := projectInputSchema(t)
	require.Greater(t, len(strs), 30)
	dates := []string{"data.startDate", "data.endDate", "data.milestones[0].date"}
	checked := 0
	for _, s := range strs {
		if _, ok := s.schema["pattern"]; ok || s.array || slices.Contains(dates, s.path) {
			continue
		}
		max, ok := s.schema["maxLength"].(float64)
		if !assert.True(t, ok, "%s has no maxLength in openapi.json", s.path) {
			continue
		}
		n := int(max)
		// é: a character of two bytes, as both count characters.
		resp := c.postJSON(t, "/api/projects", s.wrap(strings.Repeat("é", n+1)))
		if assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, s.path) {
			fields := errorOf(t, resp).Error.Fields
			// An objective sent as {"text"} without goals is named as
			// one sent as a string.
			msg := cmp.Or(fields[s.path], fields[strings.TrimSuffix(s.path, ".text")])
			assert.Equal(t, fmt.Sprintf("must be at most %d characters", n), msg, s.path)
		}
		resp = c.postJSON(t, "/api/projects", s.wrap(strings.Repeat("é", n)))
		if resp.StatusCode != http.StatusCreated {
			// Another rule may refuse it (a reference to nothing), not its length.
			assert.NotContains(t, errorOf(t, resp).Error.Fields[s.path], "at most", s.path)
		}
		checked++
	}
	assert.Greater(t, checked, 30)

	// A job's instruction.
	p := c.project(t, "Instruction")
	ins := schemas["CreateJob"].(map[string]any)["properties"].(map[string]any)["instruction"].(map[string]any)
	assert.Equal(t, float64(documents.MaxInstructionChars), ins["maxLength"])
	resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "instruction": strings.Repeat("é", documents.MaxInstructionChars+1)})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, errorOf(t, resp).Error.Fields["instruction"], fmt.Sprintf("at most %d characters", documents.MaxInstructionChars))
}

// Every list of the Project JSON holds at most models.MaxItems entries on
// the server: openapi.json gives each that maxItems, and one entry more is
// a 422 naming the list. Dates are declared as dates, which they must be.
func TestProjectSchemaListsAndDatesAreTheServerRules(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil, withModel)
	c := b.apiClient(t)
	schemas, nodes := projectInputSchema(t)
	lists := map[string]bool{}
	for _, s := range nodes {
		if !s.array {
			continue
		}
		if lists[s.path] {
			continue // an objective's goals, reached through both of its forms
		}
		lists[s.path] = true
		assert.Equal(t, float64(models.MaxItems), s.schema["maxItems"], "%s: maxItems in openapi.json", s.path)
		items := make([]any, models.MaxItems+1)
		for i := range items {
			items[i] = schemaItem(t, schemas, s.schema["items"].(map[string]any), i)
		}
		resp := c.postJSON(t, "/api/projects", s.wrap(items))
		if assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, s.path) {
			assert.Equal(t, fmt.Sprintf("must have at most %d items", models.MaxItems), errorOf(t, resp).Error.Fields[s.path], s.path)
		}
	}
	// Every list of the project's data and of the company pack.
	assert.GreaterOrEqual(t, len(lists), 18, "lists found: %v", lists)

	dates := 0
	for _, s := range nodes {
		if s.array || !(strings.HasSuffix(s.path, "Date") || strings.HasSuffix(s.path, ".date")) {
			continue
		}
		dates++
		assert.Equal(t, "date", s.schema["format"], "%s: format in openapi.json", s.path)
		resp := c.postJSON(t, "/api/projects", s.wrap("04/01/2027"))
		if assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, s.path) {
			assert.Equal(t, "must be a date in the form YYYY-MM-DD", errorOf(t, resp).Error.Fields[s.path], s.path)
		}
	}
	assert.Equal(t, 3, dates)
}

// schemaItem is a valid, distinct i-th entry for a list whose items are
// schema s: a text, or an object with its required members.
func schemaItem(t *testing.T, schemas map[string]any, s map[string]any, i int) any {
	t.Helper()
	if ref, ok := s["$ref"].(string); ok {
		return schemaItem(t, schemas, schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any), i)
	}
	if subs, ok := s["oneOf"].([]any); ok {
		return schemaItem(t, schemas, subs[0].(map[string]any), i)
	}
	switch s["type"] {
	case "string":
		return fmt.Sprintf("Entry %d", i)
	case "object":
		obj := map[string]any{}
		required, _ := s["required"].([]any)
		for _, r := range required {
			obj[r.(string)] = fmt.Sprintf("Entry %d", i)
			if r == "annualValue" {
				obj[r.(string)] = 1
			}
		}
		return obj
	}
	t.Fatalf("schemaItem: no entry for %v", s)
	return nil
}
