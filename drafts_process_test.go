package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents/providertest"
	"dossier/models"
)

// sseEvent is one Server-Sent Event as a client reads it.
type sseEvent struct {
	name, data string
}

// readSSE streams the events of an open response to a channel, joining
// multi-line data as EventSource does; the channel closes with the stream.
func readSSE(resp *http.Response) <-chan sseEvent {
	out := make(chan sseEvent, 4096)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var name string
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data != nil {
					out <- sseEvent{name, strings.Join(data, "\n")}
				}
				name, data = "", nil
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			case line == "data:":
				data = append(data, "")
			}
		}
	}()
	return out
}

func openStream(t *testing.T, p *proc, token, path string) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequest("GET", p.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return readSSE(resp)
}

type draftData struct {
	Type    string `json:"documentType"`
	Offset  int    `json:"offset"`
	Delta   string `json:"delta"`
	Dropped bool   `json:"dropped"`
}

type docData struct {
	Type       string  `json:"type"`
	Status     string  `json:"status"`
	ArtifactID *string `json:"artifactId"`
}

// draftClient follows one document's draft on a JSON job stream until the
// document's event, checking that every delta continues the text.
type draftClient struct {
	t      *testing.T
	events <-chan sseEvent
	typ    string
	drafts []draftData
	text   string
	doc    *docData
}

// next reads one event; it returns false once the document event came.
func (c *draftClient) next(deadline <-chan time.Time) bool {
	c.t.Helper()
	select {
	case ev, ok := <-c.events:
		require.True(c.t, ok, "the stream ended before the document event")
		switch ev.name {
		case "draft":
			var d draftData
			require.NoError(c.t, json.Unmarshal([]byte(ev.data), &d))
			if d.Type != c.typ {
				return true
			}
			require.False(c.t, d.Dropped, "a committed document's draft is not dropped before its event")
			if d.Offset == 0 {
				c.text = d.Delta
			} else {
				require.Equal(c.t, len(c.text), d.Offset, "a delta continues the text exactly")
				c.text += d.Delta
			}
			c.drafts = append(c.drafts, d)
		case "document":
			var d docData
			require.NoError(c.t, json.Unmarshal([]byte(ev.data), &d))
			if d.Type == c.typ && d.Status == models.DocCompleted {
				c.doc = &d
				return false
			}
		}
		return true
	case <-deadline:
		c.t.Fatalf("no document event; %d drafts so far", len(c.drafts))
		return false
	}
}

// The must-shows 1 and 2, with two real processes on PostgreSQL: a
// worker writes a document that the OpenAI-compatible fake streams in 50
// chunks over 5 s; clients of the job's JSON stream on a web-only instance
// see it grow. One follows from the start: at least 10 draft events before
// the document event, and the deltas add up to the committed Markdown. The
// other connects halfway: its first draft event is the text so far at
// offset 0, then deltas follow on from it.
func TestDraftsStreamToAnotherInstance(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	body := "# Project Charter\n\n" + strings.Repeat("The model writes this charter one chunk at a time, and the page shows it grow. ", 30) + "\n\n| Risk | Score |\n|---|---|\n| Late supplier | 12 |\n"
	provider.SetStream(providertest.Stream{Content: func(string, int) string { return body }, Chunks: 50, Over: 5 * time.Second})
	env := postgresEnv(t, provider)
	worker := start(t, env) // web and worker; the client uses the other one
	web := start(t, env, "--role", "web")
	_ = worker

	command(t, env, "user", "create", "--email", "drafts@example.com", "--password", "correct horse", "--name", "Drafts")
	token := strings.TrimSpace(command(t, env, "token", "create", "--email", "drafts@example.com"))
	var project struct{ ID string }
	require.Equal(t, http.StatusCreated, web.api("POST", "/api/projects", token, map[string]any{"name": "Drafted"}, &project))
	var job jobView
	require.Equal(t, http.StatusAccepted, web.api("POST", "/api/generation/jobs", token, map[string]any{"projectId": project.ID, "documents": []string{"project_charter"}}, &job))

	path := "/api/generation/jobs/stream/" + job.ID + "?format=json"
	first := &draftClient{t: t, events: openStream(t, web, token, path), typ: "project_charter"}
	deadline := time.After(60 * time.Second)
	for len(first.text) < len(body)/2 {
		require.True(t, first.next(deadline), "the document finished before half of it was seen")
	}
	halfway := len(first.text)

	late := &draftClient{t: t, events: openStream(t, web, token, path), typ: "project_charter"}
	for len(late.drafts) == 0 {
		require.True(t, late.next(deadline), "the late client saw no draft")
	}
	assert.Equal(t, 0, late.drafts[0].Offset, "a client that connects mid-document gets the draft so far first")
	assert.GreaterOrEqual(t, len(late.drafts[0].Delta), halfway, "…which is at least what the first client had")
	assert.True(t, strings.HasPrefix(body, late.drafts[0].Delta))

	for first.next(deadline) {
	}
	for late.next(deadline) {
	}
	assert.GreaterOrEqual(t, len(first.drafts), 10, "draft events before the document event")
	assert.Less(t, len(first.drafts), 50, "coalesced: fewer updates than chunks")
	assert.Greater(t, len(late.drafts), 1, "the late client got deltas after the text so far")
	for _, d := range late.drafts[1:] {
		assert.NotZero(t, d.Offset)
	}

	require.NotNil(t, first.doc.ArtifactID)
	var art struct{ Markdown string }
	require.Equal(t, http.StatusOK, web.api("GET", "/api/artifacts/"+*first.doc.ArtifactID, token, nil, &art))
	assert.Equal(t, art.Markdown, first.text, "the deltas add up to the committed Markdown")
	assert.Equal(t, art.Markdown, late.text)
	t.Logf("first client: %d draft events; late client joined at %d of %d bytes", len(first.drafts), halfway, len(body))
}

// With DRAFT_STREAMING=off the stream carries no draft events.
func TestDraftStreamingOff(t *testing.T) {
	provider := providertest.New()
	defer provider.Close()
	provider.SetStream(providertest.Stream{Chunks: 10, Over: time.Second})
	env := postgresEnv(t, provider, "DRAFT_STREAMING=off")
	web := start(t, env)
	command(t, env, "user", "create", "--email", "off@example.com", "--password", "correct horse", "--name", "Off")
	token := strings.TrimSpace(command(t, env, "token", "create", "--email", "off@example.com"))
	var project struct{ ID string }
	require.Equal(t, http.StatusCreated, web.api("POST", "/api/projects", token, map[string]any{"name": "Quiet"}, &project))
	var job jobView
	require.Equal(t, http.StatusAccepted, web.api("POST", "/api/generation/jobs", token, map[string]any{"projectId": project.ID, "documents": []string{"project_charter"}}, &job))
	events := openStream(t, web, token, "/api/generation/jobs/stream/"+job.ID+"?format=json")
	names := map[string]int{}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				assert.Zero(t, names["draft"], "no drafts when off: %v", names)
				assert.Equal(t, 1, names["done"], fmt.Sprint(names))
				return
			}
			names[ev.name]++
		case <-deadline:
			t.Fatalf("the stream never ended: %v", names)
		}
	}
}
