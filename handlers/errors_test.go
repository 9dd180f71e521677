package handlers

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Fiber errors of any status get a code of their own: the API's name where
// it has one, else the status's name. Only a 500 is internal_server_error.
func TestFiberErrorsAreNamedByTheirStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		code   string
	}{
		{fiber.StatusBadRequest, "bad_request"},
		{fiber.StatusNotFound, "not_found"},
		{fiber.StatusMethodNotAllowed, "method_not_allowed"},
		{fiber.StatusRequestTimeout, "request_timeout"},
		{fiber.StatusRequestEntityTooLarge, "body_too_large"},
		{fiber.StatusTeapot, "i_m_a_teapot"},
		{fiber.StatusTooManyRequests, "rate_limited"},
		{fiber.StatusRequestHeaderFieldsTooLarge, "header_too_large"},
		{fiber.StatusInternalServerError, "internal_server_error"},
		{fiber.StatusBadGateway, "bad_gateway"},
		{499, "client_error"},
		{599, "server_error"},
	} {
		e := toError(fiber.NewError(tc.status))
		require.NotNil(t, e, "%d", tc.status)
		assert.Equal(t, tc.status, e.Status)
		assert.Equal(t, tc.code, e.Code, "%d", tc.status)
	}
}

// What fasthttp answers before routing (a header over its read buffer, a
// body slower than ReadTimeout) reaches the ErrorHandler with the request
// reset, path and Accept gone: it is still the API's JSON error, with its
// own code, not an HTML page named internal_server_error.
func TestRequestsTheServerCannotReadGetTheJSONErrorShape(t *testing.T) {
	t.Parallel()
	b := setup(t, models.SQLite, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(b.listen(t), "http://")
	for _, tc := range []struct {
		name, request string
		status        int
		code, says    string
	}{
		{
			name: "header over 4 KB",
			request: "GET /api/projects HTTP/1.1\r\nHost: " + addr + "\r\nAccept: application/json\r\n" +
				"X-Padding: " + strings.Repeat("a", 5000) + "\r\n\r\n",
			status: http.StatusRequestHeaderFieldsTooLarge, code: "header_too_large", says: "headers are too large",
		},
		{
			name: "body slower than the read timeout",
			request: "POST /api/projects HTTP/1.1\r\nHost: " + addr + "\r\nAccept: application/json\r\n" +
				"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
			status: http.StatusRequestTimeout, code: "request_timeout", says: "did not arrive in time",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = io.WriteString(conn, tc.request)
			require.NoError(t, err)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			require.True(t, isJSON(resp.Header.Get("Content-Type")), "Content-Type %q", resp.Header.Get("Content-Type"))
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			k, err := contract()
			require.NoError(t, err)
			ok, errs := k.validateSchema(k.errorShape, body)
			assert.True(t, ok, "the body is openapi.json's Error:\n%s\nbody: %s", describe(errs), body)
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Equal(t, tc.code, e.Error.Code)
			assert.Contains(t, e.Error.Message, tc.says, "a sentence, not the status's name")
		})
	}
}

// A browser sent a method the server does not know (a 501) is told plainly
// what happened and where to go, as the 405 page does, not the API's
// "This server does not implement that method."
func TestNotImplementedPageIsPlain(t *testing.T) {
	t.Parallel()
	b := setup(t, models.SQLite)
	for _, path := range []string{"/", "/projects"} {
		resp := b.anon().do(t, "PROPFIND", path, nil, "Accept", "text/html")
		require.Equal(t, http.StatusNotImplemented, resp.StatusCode, path)
		doc := page(t, resp)
		assert.Equal(t, "Not supported", testID(doc, "error-heading").Text(), path)
		assert.Equal(t, "Dossier can't handle this kind of request. Go back to the previous page, or start again from the dashboard.",
			testID(doc, "error-message").Text(), path)
		text := testID(doc, "error-page").Text()
		for _, word := range []string{"method", "implement", "PROPFIND"} {
			assert.NotContains(t, text, word, "%s: a person is not told about HTTP methods", path)
		}
		assert.Equal(t, "/", testID(doc, "error-page").Find("a.btn").AttrOr("href", ""), "a way home")
	}
	// The API keeps its message.
	resp := b.apiClient(t).do(t, "PROPFIND", "/api/projects", nil)
	require.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Equal(t, "this server does not implement that method", errorOf(t, resp).Error.Message)
}
