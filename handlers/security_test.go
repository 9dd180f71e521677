package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Every response carries the security headers: pages, JSON (errors too),
// static files and the login page of a visitor.
func TestSecurityHeaders(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		for _, tc := range []struct {
			name   string
			who    *client
			path   string
			status int
		}{
			{"page", c, "/projects", http.StatusOK},
			{"login page", b.anon(), "/login", http.StatusOK},
			{"JSON", c, "/api/projects", http.StatusOK},
			{"JSON error", b.anon(), "/api/projects", http.StatusUnauthorized},
			{"not found page", c, "/no-such-page", http.StatusNotFound},
			{"script", b.anon(), "/static/js/app.js", http.StatusOK},
			{"health", b.anon(), "/healthz", http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := tc.who.get(t, tc.path)
				require.Equal(t, tc.status, resp.StatusCode)
				h := resp.Header
				assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
				assert.Equal(t, "SAMEORIGIN", h.Get("X-Frame-Options"))
				assert.Equal(t, "same-origin", h.Get("Referrer-Policy"))
				csp := h.Get("Content-Security-Policy")
				require.NotEmpty(t, csp)
				directives := map[string]string{}
				for _, d := range strings.Split(csp, ";") {
					name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
					directives[name] = value
				}
				assert.Equal(t, "'self'", directives["script-src"], csp)
				assert.Equal(t, "'self'", directives["style-src"], csp)
				assert.Equal(t, "'self'", directives["frame-ancestors"], csp)
				assert.Equal(t, "'none'", directives["object-src"], csp)
				assert.NotContains(t, csp, "unsafe-inline")
				assert.NotContains(t, csp, "unsafe-eval")
			})
		}
	})
}

// The pages carry nothing the policy would block: no inline scripts, no
// event-handler or hx-on attributes, no style attributes, and htmx is told
// not to inject its indicator style. (The browser test e2e/csp_test.go
// checks the same under the real policy.)
func TestPagesHaveNoInlineCode(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	for _, path := range []string{"/", "/projects", "/projects/new", "/projects/new?example=1", "/jobs", "/notifications", "/settings/tokens"} {
		resp := c.get(t, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		doc := page(t, resp)
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			src, ok := s.Attr("src")
			assert.True(t, ok && strings.HasPrefix(src, "/static/"), "%s: inline script %q", path, s.Text())
		})
		assert.Zero(t, doc.Find("style, [style]").Length(), "%s: inline style", path)
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				name := strings.ToLower(a.Key)
				assert.False(t, strings.HasPrefix(name, "on") || strings.HasPrefix(name, "hx-on"), "%s: %s attribute on <%s>", path, a.Key, goquery.NodeName(s))
			}
		})
		cfg, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content")
		assert.Contains(t, cfg, `"includeIndicatorStyles":false`, path)
	}
}
