package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// An htmx request whose session has ended is told to log in and come back
// to the page it was sent from (HX-Current-URL), never to its own URL: the
// editor's live preview and a job card's Cancel and Retry are POST-only, so
// a log-in that returned there answered 405. A page of another site, or
// none, is no place to come back to: the log-in then goes to its default.
func TestAnHTMXRequestLogsInBackToItsPage(t *testing.T) {
	b := setup(t, models.SQLite)
	edit := "/projects/p1/documents/project_charter/edit"
	for _, tc := range []struct {
		name, method, path, current, want string
	}{
		{"the editor's preview", http.MethodPost, "/projects/p1/documents/project_charter/preview",
			"http://example.com" + edit, "/login?next=" + url.QueryEscape(edit)},
		{"a job's Cancel, from a page with a query", http.MethodPost, "/jobs/j1/cancel",
			"http://example.com/jobs?status=active", "/login?next=" + url.QueryEscape("/jobs?status=active")},
		{"a job's Retry", http.MethodPost, "/jobs/j1/retry",
			"http://example.com/jobs/j1", "/login?next=" + url.QueryEscape("/jobs/j1")},
		{"a fragment fetched by GET", http.MethodGet, "/projects/p1/documents/project_charter/diff?from=a&to=b",
			"http://example.com/projects/p1/documents/project_charter", "/login?next=" + url.QueryEscape("/projects/p1/documents/project_charter")},
		{"a page of another site", http.MethodPost, "/jobs/j1/cancel", "https://evil.example/jobs", "/login"},
		{"a protocol-relative path", http.MethodPost, "/jobs/j1/cancel", "http://example.com//evil.example/x", "/login"},
		{"no current URL", http.MethodPost, "/jobs/j1/cancel", "", "/login"},
		{"not a URL", http.MethodPost, "/jobs/j1/cancel", "::", "/login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{"HX-Request", "true"}
			if tc.current != "" {
				headers = append(headers, "HX-Current-URL", tc.current)
			}
			var resp *http.Response
			if tc.method == http.MethodPost {
				resp = b.anon().postForm(t, tc.path, url.Values{"markdown": {"# typed"}}, headers...)
			} else {
				resp = b.anon().get(t, tc.path, headers...)
			}
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Equal(t, tc.want, resp.Header.Get("HX-Redirect"))
		})
	}

	// A page asked for without htmx comes back to itself, as before.
	resp := b.anon().get(t, edit+"?x=1")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login?next="+url.QueryEscape(edit+"?x=1"), resp.Header.Get("Location"))
}

// A plain form POST (no htmx) whose session has ended is sent to log in
// and come back to the page the form was on (its Referer, when on this
// site), never to the POST's own URL, which a log-in would land on as a
// 405. A Referer of another site, or none, sends the log-in to its default
// (the home page).
func TestAPlainFormPostLogsInBackToItsPage(t *testing.T) {
	b := setup(t, models.SQLite)
	for _, tc := range []struct {
		name, path, referer, want string
	}{
		{"a job's Cancel, from the jobs list with a query", "/jobs/j1/cancel",
			"http://example.com/jobs?status=active", "/login?next=" + url.QueryEscape("/jobs?status=active")},
		{"a document's Regenerate", "/projects/p1/documents/project_charter/regenerate",
			"http://example.com/projects/p1/documents/project_charter", "/login?next=" + url.QueryEscape("/projects/p1/documents/project_charter")},
		{"a page of another site", "/jobs/j1/cancel", "https://evil.example/jobs", "/login"},
		{"a protocol-relative path", "/jobs/j1/cancel", "http://example.com//evil.example/x", "/login"},
		{"a page of another scheme", "/jobs/j1/cancel", "ftp://example.com/jobs", "/login"},
		{"no Referer", "/jobs/j1/cancel", "", "/login"},
		{"not a URL", "/jobs/j1/cancel", "::", "/login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.referer != "" {
				headers = append(headers, "Referer", tc.referer)
			}
			resp := b.anon().postForm(t, tc.path, url.Values{"documents": {"project_charter"}}, headers...)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, tc.want, resp.Header.Get("Location"))
		})
	}
}
