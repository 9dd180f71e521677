package documents

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A provider (or a proxy in front of it) that answers an error status with
// a body that is not the JSON error object: the failure's message is what
// it said (the page's text, the body, nothing for an empty one), never the
// SDK's own text about reading it, which could name the request's URL (the
// provider's base URL, possibly an internal address). The job's owner reads
// the message under "Technical details".
func TestProviderErrorSaysOnlyWhatTheProviderSaid(t *testing.T) {
	t.Parallel()
	const nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
		"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	cases := []struct {
		name   string
		status int
		answer func(w http.ResponseWriter)
		said   string
	}{
		{"an HTML page", 502, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			io.WriteString(w, nginx)
		}, "502 Bad Gateway nginx"},
		{"an empty body", 502, func(w http.ResponseWriter) { w.WriteHeader(502) }, ""},
		{"another JSON shape", 400, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"model is not loaded"}`)
		}, `{"error":"model is not loaded"}`},
		{"a body cut short", 503, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(503)
			io.WriteString(w, "overloaded, come back")
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, "overloaded, come back"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) { tc.answer(w) })
			u, err := url.Parse(p.srv.URL)
			require.NoError(t, err)
			_, err = p.generator(t, 5*time.Second).Generate(context.Background(), exampleRequest("risk_register"))
			require.Error(t, err)
			var pe *ProviderError
			require.ErrorAs(t, err, &pe, "got %v", err)
			assert.Equal(t, tc.status, pe.Status, "classified by its status")
			assert.Equal(t, tc.said, pe.Message, "what the provider said, and only that")
			want := fmt.Sprintf("The provider answered %d %s", tc.status, http.StatusText(tc.status))
			if tc.said != "" {
				want += ": " + tc.said
			}
			said := ProviderSaid(err.Error())
			assert.Equal(t, want, said, "the owner's technical details")
			for _, internal := range []string{u.Host, u.Hostname(), "/v1/chat/completions", "http://"} {
				assert.NotContains(t, said, internal, "the owner's technical details name no address")
			}
		})
	}
}
