package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vErrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The contract check: every handler test's request goes through client.do,
// which hands each JSON response (and, for an accepted request, the JSON
// body it sent) to checkContract. A response whose route, method, status or
// body the document does not describe fails the test that produced it.

// apiContract is the OpenAPI document compiled once for every test.
type apiContract struct {
	v validator.Validator
	// errorShape checks the JSON errors of routes the document does not
	// list (pages asked for JSON, unknown paths): they share the API's
	// error shape, and nothing else in JSON may come from them.
	errorShape *base.Schema
	schemas    schema_validation.SchemaValidator
	components *v3.Components
	// schemasMu serialises every validation: libopenapi renders a
	// schema into shared state when it validates with it, and tests that
	// run in parallel raced there (-race, on the Error schema).
	schemasMu sync.Mutex
}

// validateSchema validates data against one schema of the document.
func (k *apiContract) validateSchema(schema *base.Schema, data []byte) (bool, []*vErrors.ValidationError) {
	k.schemasMu.Lock()
	defer k.schemasMu.Unlock()
	return k.schemas.ValidateSchemaBytes(schema, data)
}

// contract checks formats (uuid, date-time) too: an id that is "" is drift.
var contract = sync.OnceValues(func() (*apiContract, error) {
	doc, err := libopenapi.NewDocument(OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build openapi.json's model: %w", err)
	}
	v := validator.NewValidatorFromV3Model(&model.Model, config.WithFormatAssertions())
	v.SetDocument(doc)
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document:\n%s", describe(verrs))
	}
	errProxy := model.Model.Components.Schemas.GetOrZero("Error")
	if errProxy == nil {
		return nil, fmt.Errorf("openapi.json has no Error schema")
	}
	return &apiContract{v: v, errorShape: errProxy.Schema(), schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions()), components: model.Model.Components}, nil
})

// isJSON reports whether a Content-Type header is application/json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// contractErrors validates one exchange against the document: the response
// when it is JSON, and the request's JSON body when the request was
// accepted (2xx; a rejected body is what a test of bad input sends on
// purpose). It returns what drifts, in words, or nil.
func contractErrors(method, target string, reqHeader http.Header, reqBody []byte, status int, respHeader http.Header, respBody []byte) []string {
	k, err := contract()
	if err != nil {
		return []string{err.Error()}
	}
	v := k.v
	var out []string
	newReq := func() *http.Request {
		req := httptest.NewRequest(method, target, bytes.NewReader(reqBody))
		req.Header = reqHeader.Clone()
		return req
	}
	if isJSON(respHeader.Get("Content-Type")) {
		resp := &http.Response{StatusCode: status, Header: respHeader.Clone(), Body: io.NopCloser(bytes.NewReader(respBody))}
		k.schemasMu.Lock()
		ok, errs := v.ValidateHttpResponse(newReq(), resp)
		k.schemasMu.Unlock()
		if !ok && undocumentedError(target, status, errs) {
			// Not an API route: only the error shape may come from it.
			ok, errs = k.validateSchema(k.errorShape, respBody)
		}
		if !ok {
			out = append(out, fmt.Sprintf("response %d to %s %s drifts from openapi.json:\n%s\nbody: %s", status, method, target, describe(errs), clip(respBody)))
		}
	}
	if status/100 == 2 && len(reqBody) > 0 && isJSON(reqHeader.Get("Content-Type")) {
		k.schemasMu.Lock()
		ok, errs := v.GetRequestBodyValidator().ValidateRequestBody(newReq())
		k.schemasMu.Unlock()
		if !ok {
			out = append(out, fmt.Sprintf("request body of %s %s (accepted with %d) drifts from openapi.json:\n%s\nbody: %s", method, target, status, describe(errs), clip(reqBody)))
		}
	}
	return out
}

// streamEventSchemas names the schema of each event of the per-job stream
// in JSON (the stream operation's description lists them).
var streamEventSchemas = map[string]string{
	"status": "Job", "progress": "Job", "done": "Job",
	"document": "JobDocumentEvent", "draft": "DraftEvent",
}

// streamEventErrors validates the JSON data of one event of the per-job
// stream against its schema; an event name the document does not list is
// drift too.
func streamEventErrors(name string, data []byte) []string {
	k, err := contract()
	if err != nil {
		return []string{err.Error()}
	}
	schema, ok := streamEventSchemas[name]
	if !ok {
		return []string{fmt.Sprintf("the job stream's %q event is not described in openapi.json", name)}
	}
	proxy := k.components.Schemas.GetOrZero(schema)
	if proxy == nil {
		return []string{"openapi.json has no " + schema + " schema"}
	}
	if ok, errs := k.validateSchema(proxy.Schema(), data); !ok {
		return []string{fmt.Sprintf("the job stream's %s event drifts from openapi.json's %s:\n%s\ndata: %s", name, schema, describe(errs), clip(data))}
	}
	return nil
}

// checkStreamEvent fails t if a JSON event of the per-job stream drifts.
func checkStreamEvent(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, msg := range streamEventErrors(name, data) {
		t.Error(msg)
	}
}

// undocumentedError reports whether errs say only that the document lacks
// the path, for an error answer that is not an API route's: a page asked for
// JSON (status 400 or more), an unknown path under /api/ (404), a method
// the path does not take (405, which the document cannot list), or a method
// the server does not implement at all (501).
func undocumentedError(target string, status int, errs []*vErrors.ValidationError) bool {
	if len(errs) == 0 || status < 400 {
		return false
	}
	for _, e := range errs {
		switch {
		case e.IsPathMissingError():
		case e.IsOperationMissingError() && (status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented):
		default:
			return false
		}
	}
	return !strings.HasPrefix(target, "/api/") || status == http.StatusNotFound || status == http.StatusMethodNotAllowed ||
		status == http.StatusNotImplemented
}

func describe(errs []*vErrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s\n", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      %s at %s (%s)\n", f.Reason, cmp.Or(f.FieldPath, "$"), f.KeywordLocation)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func clip(b []byte) string {
	const max = 600
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// checkContract fails t for every drift of the exchange. resp's body is
// read and replaced, so the test can still read it.
func checkContract(t *testing.T, req *http.Request, reqBody []byte, resp *http.Response) {
	t.Helper()
	if !isJSON(resp.Header.Get("Content-Type")) && !(resp.StatusCode/100 == 2 && len(reqBody) > 0 && isJSON(req.Header.Get("Content-Type"))) {
		return
	}
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	for _, msg := range contractErrors(req.Method, req.URL.RequestURI(), req.Header, reqBody, resp.StatusCode, resp.Header, body) {
		t.Error(msg)
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	_, err := contract()
	require.NoError(t, err)
}

// The check is only worth something if drift fails it: a real job
// response passes, and each way of breaking it is caught.
func TestContractCatchesDrift(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.apiClient(t)
	p := c.project(t, "Contract")
	resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p.ID, "documents": []string{"scope_statement"}})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var job map[string]any
	decodeBody(t, resp, &job)
	path := "/api/generation/jobs/" + job["id"].(string)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}

	check := func(status int, target string, body any) []string {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		return contractErrors(http.MethodGet, target, http.Header{}, nil, status, jsonHeader, raw)
	}
	with := func(key string, value any) map[string]any {
		out := map[string]any{}
		for k, v := range job {
			out[k] = v
		}
		if value == nil {
			delete(out, key)
		} else {
			out[key] = value
		}
		return out
	}
	require.Empty(t, check(http.StatusOK, path, job), "the real response is on contract")
	require.Empty(t, check(http.StatusOK, path, with("startedAt", json.RawMessage("null"))), "a nullable field may be null (3.1 type arrays)")

	drifts := map[string]struct {
		status int
		target string
		body   any
	}{
		"a required field is missing":         {200, path, with("status", nil)},
		"a field has the wrong type":          {200, path, with("progress", "50")},
		"a nullable field has the wrong type": {200, path, with("startedAt", 5)},
		"a value outside its enum":            {200, path, with("status", "paused")},
		"a field the document lacks":          {200, path, with("secret", "x")},
		"an id that is not a uuid":            {200, path, with("projectId", "")},
		"an undocumented status":              {418, path, job},
		"an error without its code":           {404, path, map[string]any{"error": map[string]any{"message": "gone"}}},
		"a page route answering JSON":         {200, "/jobs/" + job["id"].(string), job},
		"a page's JSON error off the shape":   {404, "/jobs/" + job["id"].(string), map[string]any{"error": "gone"}},
		"a route the document lacks":          {200, "/api/generation/jobs/" + job["id"].(string) + "/pause", job},
	}
	for name, d := range drifts {
		errs := check(d.status, d.target, d.body)
		if assert.NotEmpty(t, errs, name) {
			t.Logf("%s:\n%s", name, strings.SplitN(errs[0], "\nbody:", 2)[0])
		}
	}

	// So are the JSON stream's events.
	require.Empty(t, streamEventErrors("status", []byte(mustJSON(t, job))))
	require.Empty(t, streamEventErrors("draft", []byte(`{"documentType":"scope_statement","offset":12,"delta":"text"}`)))
	assert.NotEmpty(t, streamEventErrors("draft", []byte(`{"documentType":"scope_statement","offset":"12","delta":"text"}`)), "a draft offset that is a string")
	assert.NotEmpty(t, streamEventErrors("document", []byte(mustJSON(t, job["documents"].([]any)[0]))), "a document event without its jobId")
	assert.NotEmpty(t, streamEventErrors("paused", []byte(`{}`)), "an event the document does not list")

	// An accepted request body is checked too: a priority the document
	// does not list is drift.
	errs := contractErrors(http.MethodPost, "/api/generation/jobs", jsonHeader, []byte(`{"projectId":"`+p.ID+`","priority":"urgent"}`),
		http.StatusAccepted, jsonHeader, []byte(mustJSON(t, job)))
	assert.NotEmpty(t, errs, "a request body off the document")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Every operation that documents a 401 or a 403 answers it, on contract:
// anonymous requests, and cookie requests without the CSRF token. This
// walks the document, so a new operation is covered the day it is added.
func TestEveryOperationAnswersItsAuthErrorsOnContract(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Security  *[]json.RawMessage
			Responses map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(OpenAPI, &doc))
	// With a metrics token, as in production, /metrics answers its 401 too.
	b := pagesSetup(t, models.SQLite, nil, func(c *Config) { c.MetricsToken = "scrape-secret" })
	noCSRF := *b.user(t)
	noCSRF.csrf = ""
	fill := strings.NewReplacer("{id}", "0b6c1f55-6b0a-4a39-9d7a-0d1c4d7b2a11", "{type}", "risk_register")
	statuses := 0
	for tmpl, ops := range doc.Paths {
		path := fill.Replace(tmpl)
		for method, op := range ops {
			method = strings.ToUpper(method)
			public := op.Security != nil && len(*op.Security) == 0
			if _, ok := op.Responses["401"]; ok && !public {
				resp := b.anon().do(t, method, path, strings.NewReader(`{}`), "Content-Type", "application/json")
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "anonymous %s %s", method, tmpl)
				statuses++
			}
			if _, ok := op.Responses["403"]; ok && method == http.MethodPost {
				resp := noCSRF.do(t, method, path, strings.NewReader(`{}`), "Content-Type", "application/json")
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s without the CSRF token", method, tmpl)
				statuses++
			}
		}
	}
	assert.Greater(t, statuses, 20, "the document lists the auth errors of its operations")
	resp := b.anon().get(t, "/readyz")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// Every POST answers 413 to a body over the limit, before routing, and the
// document says so on each (its description promises it): this walks the
// document, so a new POST is covered the day it is added.
func TestEveryPostAnswersTooLargeOnContract(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(OpenAPI, &doc))
	const limit = 4 << 10
	b := setup(t, models.SQLite, func(c *Config) { c.BodyLimit = limit })
	base := b.listen(t)
	api := b.apiClient(t)
	fill := strings.NewReplacer("{id}", "0b6c1f55-6b0a-4a39-9d7a-0d1c4d7b2a11", "{type}", "risk_register")
	posts := 0
	for tmpl, ops := range doc.Paths {
		if _, ok := ops["post"]; !ok {
			continue
		}
		posts++
		resp := api.announce(t, base, http.MethodPost, fill.Replace(tmpl), limit+1, "Content-Type", "application/json")
		if assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "POST %s", tmpl) {
			assert.Equal(t, "body_too_large", errorOf(t, resp).Error.Code, "POST %s", tmpl)
		}
	}
	assert.Greater(t, posts, 5, "the document lists its POSTs")
}

// /metrics is open without METRICS_TOKEN; with it, a scrape without the
// token, or with another, is a 401 in the API's error shape, as documented.
func TestMetricsNeedTheTokenWhenOneIsSet(t *testing.T) {
	open := setup(t, models.SQLite)
	resp := open.anon().get(t, "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	b := setup(t, models.SQLite, func(c *Config) { c.MetricsToken = "scrape-secret" })
	for name, c := range map[string]*client{"no token": b.anon(), "another token": {b: b, token: "not-the-secret"}} {
		resp := c.get(t, "/metrics")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
		assert.Equal(t, `Bearer realm="metrics"`, resp.Header.Get("WWW-Authenticate"), name)
		assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code, name)
	}
	resp = (&client{b: b, token: "scrape-secret"}).get(t, "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
}
