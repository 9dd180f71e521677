package handlers

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
)

// fgGenerator is a fake generator for the foreground mode: it records each
// call with the dependencies it got, and blocks the call numbered blockAt
// (from 0; -1 never) until its context ends, which it reports.
type fgGenerator struct {
	blockAt   int
	mu        sync.Mutex
	calls     []string
	deps      map[string][]string
	cancelled chan string
}

func newFGGenerator(blockAt int) *fgGenerator {
	return &fgGenerator{blockAt: blockAt, deps: map[string][]string{}, cancelled: make(chan string, 1)}
}

func (g *fgGenerator) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	g.mu.Lock()
	n := len(g.calls)
	g.calls = append(g.calls, req.Type)
	for _, d := range req.Dependencies {
		g.deps[req.Type] = append(g.deps[req.Type], d.Type)
	}
	g.mu.Unlock()
	if n == g.blockAt {
		<-ctx.Done()
		g.cancelled <- req.Type
		return documents.Document{}, ctx.Err()
	}
	return documents.Document{Type: req.Type, Title: docTitle(req.Type) + " for " + req.ProjectName,
		Markdown: "# " + docTitle(req.Type) + "\n\nText <script>alert(1)</script> of " + req.Type + ".\n"}, nil
}

func (g *fgGenerator) called() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.calls...)
}

// getStream opens the foreground stream as a browser would, on a real
// connection.
func getStream(t *testing.T, base string, c *client, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	hc := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func foregroundOff(c *Config) { c.BackgroundGeneration = false }

func TestForegroundGenerateFormStreamsInsteadOfQueueing(t *testing.T) {
	b := pagesSetup(t, models.SQLite, newFGGenerator(-1), foregroundOff)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	doc := page(t, c.get(t, "/projects/"+p.ID+"/generate"))
	form := testID(doc, "foreground-form")
	require.Equal(t, 1, form.Length())
	assert.Equal(t, "get", form.AttrOr("method", ""))
	assert.Equal(t, "/projects/"+p.ID+"/generate/stream", form.AttrOr("action", ""))
	assert.Equal(t, len(documents.Catalog()), form.Find(`input[name="docs"]`).Length())
	assert.Contains(t, testID(doc, "foreground-note").Text(), "leaving the page stops the generation")
	assert.Equal(t, 0, testID(doc, "generate-form").Length())
	resp := c.postForm(t, "/projects/"+p.ID+"/generate", map[string][]string{"documents": {"schedule"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "no background job while the switch is off")
}

func TestForegroundStreamWritesEachDocumentAsItFinishes(t *testing.T) {
	gen := newFGGenerator(-1)
	b := pagesSetup(t, models.SQLite, gen, foregroundOff)
	base := b.listen(t)
	c := b.user(t)
	p := c.project(t, "Relaunch")

	resp := getStream(t, base, c, "/projects/"+p.ID+"/generate/stream?docs=risk_register")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "never compressed: it would be buffered")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	require.NoError(t, err)

	assert.Equal(t, []string{"scope_statement", "risk_register"}, gen.called(), "dependencies first")
	assert.Equal(t, []string{"scope_statement"}, gen.deps["risk_register"], "each document gets what it depends on")
	docs := testID(doc, "fg-doc")
	require.Equal(t, 2, docs.Length())
	assert.Contains(t, docs.First().Find("summary").Text(), "Scope Statement for Relaunch")
	assert.Contains(t, docs.Last().Find(".prose-doc p").Text(), "of risk_register", "rendered Markdown")
	assert.NotContains(t, string(body), "<script>alert")
	steps := testID(doc, "fg-step")
	assert.Equal(t, "done", steps.Last().AttrOr("data-kind", ""))
	assert.Contains(t, steps.Last().Text(), "All 2 documents generated")
	assert.Equal(t, 1, doc.Find("body[sse-connect]").Length(), "the page is the full layout")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(string(body)), "</html>"))

	all, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{})
	require.NoError(t, err)
	assert.Empty(t, all, "a foreground run is not a job")
}

func TestForegroundStreamStopsWhenTheUserLeaves(t *testing.T) {
	gen := newFGGenerator(1) // the second document blocks until cancelled
	b := pagesSetup(t, models.SQLite, gen, foregroundOff)
	base := b.listen(t)
	c := b.user(t)
	p := c.project(t, "Relaunch")

	resp := getStream(t, base, c, "/projects/"+p.ID+"/generate/stream?docs=risk_register")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := bufio.NewReader(resp.Body)
	seen := ""
	for !strings.Contains(seen, `data-testid="fg-doc"`) {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "the first document arrives while the second is written")
		seen += line
	}
	require.Eventually(t, func() bool { return len(gen.called()) == 2 }, 5*time.Second, 10*time.Millisecond)
	select {
	case typ := <-gen.cancelled:
		t.Fatalf("%s cancelled while the user was still there", typ)
	case <-time.After(300 * time.Millisecond):
	}

	resp.Body.Close() // the user leaves
	select {
	case typ := <-gen.cancelled:
		assert.Equal(t, "risk_register", typ)
	case <-time.After(5 * time.Second):
		t.Fatal("the generation went on after the user left")
	}
}

func TestForegroundStreamOnlyWhenTheSwitchIsOff(t *testing.T) {
	b := pagesSetup(t, models.SQLite, newFGGenerator(-1))
	c := b.user(t)
	p := c.project(t, "Relaunch")
	resp := c.get(t, "/projects/"+p.ID+"/generate/stream?docs=schedule")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/projects/"+p.ID+"/generate", resp.Header.Get("Location"))

	off := pagesSetup(t, models.SQLite, newFGGenerator(-1), foregroundOff)
	c = off.user(t)
	p = c.project(t, "Relaunch")
	assert.Equal(t, http.StatusUnprocessableEntity, c.get(t, "/projects/"+p.ID+"/generate/stream?docs=poem").StatusCode)
	assert.Equal(t, http.StatusNotFound, off.user(t).get(t, "/projects/"+p.ID+"/generate/stream").StatusCode)
}

// While a document is written, the stream beats: an invisible comment
// every ForegroundHeartbeat, which tells the page's watchdog (foreground.js)
// the server is still there. The page is told the interval.
func TestForegroundStreamBeatsWhileADocumentIsWritten(t *testing.T) {
	gen := newFGGenerator(0) // the first document blocks until cancelled
	b := pagesSetup(t, models.SQLite, gen, foregroundOff, func(c *Config) { c.ForegroundHeartbeat = 20 * time.Millisecond })
	base := b.listen(t)
	c := b.user(t)
	p := c.project(t, "Relaunch")

	resp := getStream(t, base, c, "/projects/"+p.ID+"/generate/stream?docs=scope_statement")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	const beats = 3
	seen := make(chan string, 1)
	go func() {
		var got []byte
		buf := make([]byte, 512)
		for strings.Count(string(got), pages.StreamBeat) < beats {
			n, err := resp.Body.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		seen <- string(got)
	}()
	var body string
	select {
	case body = <-seen:
	case <-time.After(5 * time.Second):
		resp.Body.Close()
		t.Fatalf("fewer than %d beats within 5s:\n%s", beats, <-seen)
	}
	require.GreaterOrEqual(t, strings.Count(body, pages.StreamBeat), beats, body)
	assert.Equal(t, []string{"scope_statement"}, gen.called(), "the beats come while the document is written")
	head, beating, ok := strings.Cut(body, pages.StreamBeat)
	require.True(t, ok)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(head))
	require.NoError(t, err)
	assert.Equal(t, "20", testID(doc, "foreground-page").AttrOr("data-heartbeat-ms", ""))
	assert.Equal(t, "working", testID(doc, "fg-step").Last().AttrOr("data-kind", ""), "the beats follow the status line")
	assert.Empty(t, strings.TrimSpace(strings.ReplaceAll(beating, pages.StreamBeat, "")), "nothing but beats while the document is written")
	lost := doc.Find("template[data-fg-lost]")
	require.Equal(t, 1, lost.Length(), "the page carries what it shows when the beats stop")
	assert.Contains(t, lost.Text(), "The connection to the server was lost")
}
