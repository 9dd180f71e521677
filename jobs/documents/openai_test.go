package documents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeProvider is an httptest server speaking the chat-completions wire
// format. handle is called with the 1-based request number.
type fakeProvider struct {
	srv    *httptest.Server
	handle func(w http.ResponseWriter, r *http.Request, n int)

	mu     sync.Mutex
	times  []time.Time
	bodies [][]byte
}

func newFakeProvider(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeProvider {
	t.Helper()
	p := &fakeProvider{handle: handle}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.times = append(p.times, time.Now())
		p.bodies = append(p.bodies, body)
		n := len(p.times)
		p.mu.Unlock()
		if r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
			return
		}
		p.handle(w, r, n)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.times)
}

func (p *fakeProvider) generator(t *testing.T, timeout time.Duration) *OpenAIGenerator {
	t.Helper()
	g, err := NewOpenAIGenerator(OpenAIConfig{BaseURL: p.srv.URL + "/v1", APIKey: "test-key", Model: "test-model", AttemptTimeout: timeout})
	require.NoError(t, err)
	return g
}

func chunk(content, finish string) string {
	fr := "null"
	if finish != "" {
		fr = fmt.Sprintf("%q", finish)
	}
	c, _ := json.Marshal(content)
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[{"index":0,"delta":{"content":%s},"finish_reason":%s}]}`, c, fr)
}

func sse(w http.ResponseWriter, data string) {
	fmt.Fprintf(w, "data: %s\n\n", data)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func startStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
}

// streamOK writes a complete stream: content in pieces, the finish reason,
// the usage chunk (include_usage) and [DONE].
func streamOK(w http.ResponseWriter, content string, prompt, completion int) {
	startStream(w)
	for piece := range strings.SplitAfterSeq(content, " ") {
		sse(w, chunk(piece, ""))
	}
	sse(w, chunk("", "stop"))
	sse(w, fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`, prompt, completion, prompt+completion))
	sse(w, "[DONE]")
}

func apiError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	c := "null"
	if code != "" {
		c = fmt.Sprintf("%q", code)
	}
	fmt.Fprintf(w, `{"error":{"message":"simulated","type":"test_error","param":null,"code":%s}}`, c)
}

const okDoc = "# Risk Register: Customer Portal Relaunch\n\n## Summary\n\nAll good."

func depRequest() Request {
	req := exampleRequest("risk_register")
	req.Dependencies = []Document{{Type: "scope_statement", Title: "Scope Statement", Markdown: "# Scope\n\nSENTINEL-SCOPE-TEXT " + strings.Repeat("x", 10000)}}
	return req
}

func fastPolicy() RetryPolicy {
	return RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Jitter: func(d time.Duration) time.Duration { return d }}
}

func TestOpenAISuccess(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		assert.Equal(t, "Bearer test-key", r.Header.Get("Authorization"))
		streamOK(w, okDoc, 1234, 56)
	})
	doc, err := p.generator(t, 5*time.Second).Generate(context.Background(), depRequest())
	require.NoError(t, err)
	assert.Equal(t, "risk_register", doc.Type)
	assert.Equal(t, "Risk Register: Customer Portal Relaunch", doc.Title)
	assertModelDoc(t, doc.Markdown)
	assert.Equal(t, Usage{PromptTokens: 1234, CompletionTokens: 56}, doc.Usage)

	require.Equal(t, 1, p.requests())
	var body struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(p.bodies[0], &body))
	assert.Equal(t, "test-model", body.Model)
	assert.True(t, body.Stream)
	assert.True(t, body.StreamOptions.IncludeUsage)
	require.Len(t, body.Messages, 3)
	assert.Equal(t, "system", body.Messages[0].Role)
	assert.Contains(t, body.Messages[0].Content, "Northwind Mutual")
	// The shared message: project, pack and computed figures.
	shared := body.Messages[1].Content
	assert.Contains(t, shared, "Plain, warm and confident")
	assert.Contains(t, shared, "ISO/IEC 27001")
	assert.Contains(t, shared, "Customer Portal Relaunch")
	assert.Contains(t, shared, "Critical path: Discovery and UX research")
	assert.NotContains(t, shared, "Risk Register")
	// The document's own message.
	user := body.Messages[2].Content
	assert.Contains(t, user, "Write the Risk Register")
	assert.Contains(t, user, "SENTINEL-SCOPE-TEXT")
	assert.Contains(t, user, "[… truncated]")
	assert.Less(t, len(user), 20000, "dependency was not truncated")
}

func TestOpenAITitleFallsBackToCatalog(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) { streamOK(w, "No heading here.", 1, 1) })
	doc, err := p.generator(t, 5*time.Second).Generate(context.Background(), exampleRequest("schedule"))
	require.NoError(t, err)
	assert.Equal(t, "Project Schedule", doc.Title)
}

func TestOpenAIRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			apiError(w, http.StatusTooManyRequests, "rate_limit_exceeded")
			return
		}
		streamOK(w, okDoc, 10, 5)
	})
	var seen []int
	doc, attempts, err := fastPolicy().Generate(context.Background(), p.generator(t, 5*time.Second), exampleRequest("risk_register"),
		func(a int) { seen = append(seen, a) })
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	assert.Equal(t, []int{1, 2}, seen)
	assertModelDoc(t, doc.Markdown)
	require.Equal(t, 2, p.requests())
	gap := p.times[1].Sub(p.times[0])
	assert.GreaterOrEqual(t, gap, 2*time.Second, "second request came %s after the first", gap)
}

func TestOpenAIServerErrorRetried(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			apiError(w, http.StatusInternalServerError, "")
			return
		}
		streamOK(w, okDoc, 10, 5)
	})
	_, attempts, err := fastPolicy().Generate(context.Background(), p.generator(t, 5*time.Second), exampleRequest("risk_register"), nil)
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	assert.Equal(t, 2, p.requests())
}

func TestOpenAIErrorClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		code       string
		plain      bool // body is plain text, not the JSON error object
		header     map[string]string
		permanent  bool
		retryAfter time.Duration
	}{
		{name: "400", status: 400, permanent: true},
		{name: "401", status: 401, code: "invalid_api_key", permanent: true},
		{name: "403", status: 403, permanent: true},
		{name: "404", status: 404, code: "model_not_found", permanent: true},
		{name: "422", status: 422, permanent: true},
		{name: "context length", status: 400, code: "context_length_exceeded", permanent: true},
		{name: "insufficient quota", status: 429, code: "insufficient_quota", header: map[string]string{"Retry-After": "1"}, permanent: true},
		{name: "429 retry-after-ms", status: 429, code: "rate_limit_exceeded", header: map[string]string{"Retry-After-Ms": "1500", "Retry-After": "9"}, retryAfter: 1500 * time.Millisecond},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, retryAfter: 7 * time.Second},
		{name: "503", status: 503},
		{name: "502 plain text", status: 502, plain: true},
		{name: "401 plain text", status: 401, plain: true, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.plain {
					http.Error(w, "upstream says no", tt.status)
					return
				}
				apiError(w, tt.status, tt.code)
			})
			_, attempts, err := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: time.Millisecond}.
				Generate(context.Background(), p.generator(t, 5*time.Second), exampleRequest("risk_register"), nil)
			require.Error(t, err)
			var perm *PermanentError
			var retry *RetryableError
			if tt.permanent {
				require.ErrorAs(t, err, &perm, "got %v", err)
				assert.Equal(t, 1, attempts)
				assert.Equal(t, 1, p.requests(), "a permanent error must not be retried")
				return
			}
			require.ErrorAs(t, err, &retry, "got %v", err)
			assert.Equal(t, tt.retryAfter, retry.RetryAfter)
			assert.True(t, IsRetryable(err))
			if tt.retryAfter > time.Millisecond {
				// Longer than MaxRetryAfter: handed back to the job at once.
				assert.Equal(t, 1, attempts)
			} else {
				assert.Equal(t, 3, attempts)
				assert.Equal(t, 3, p.requests())
			}
		})
	}
}

func TestOpenAIHungResponseTimesOut(t *testing.T) {
	t.Parallel()
	for _, midStream := range []bool{false, true} {
		t.Run(fmt.Sprintf("midStream=%v", midStream), func(t *testing.T) {
			t.Parallel()
			gone := make(chan struct{})
			p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if midStream {
					startStream(w)
					sse(w, chunk("# Partial", ""))
				}
				select {
				case <-r.Context().Done():
					close(gone)
				case <-time.After(10 * time.Second):
				}
			})
			start := time.Now()
			_, err := p.generator(t, 300*time.Millisecond).Generate(context.Background(), exampleRequest("risk_register"))
			elapsed := time.Since(start)
			var retry *RetryableError
			require.ErrorAs(t, err, &retry, "got %v", err)
			assert.Less(t, elapsed, 5*time.Second)
			assert.GreaterOrEqual(t, elapsed, 300*time.Millisecond)
			select {
			case <-gone:
			case <-time.After(5 * time.Second):
				t.Fatal("server never saw the client disconnect")
			}
		})
	}
}

func TestOpenAIParentCancelIsNotRetryable(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		startStream(w)
		sse(w, chunk("# Partial", ""))
		close(arrived)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, attempts, err := fastPolicy().Generate(ctx, p.generator(t, time.Minute), exampleRequest("risk_register"), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, IsRetryable(err))
	assert.Equal(t, 1, attempts)
}

func TestOpenAITruncatedStreamIsRetryable(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			startStream(w)
			sse(w, chunk("# Risk", ""))
			sse(w, chunk(" Register", ""))
			return // connection ends: no finish_reason, no [DONE]
		}
		streamOK(w, okDoc, 10, 5)
	})
	g := p.generator(t, 5*time.Second)
	_, err := g.Generate(context.Background(), exampleRequest("risk_register"))
	assert.ErrorIs(t, err, ErrTruncatedStream)
	var retry *RetryableError
	assert.ErrorAs(t, err, &retry)
}

func TestOpenAITruncatedThenSuccessThroughPolicy(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			startStream(w)
			sse(w, chunk("# Risk", ""))
			sse(w, chunk(" Register", ""))
			return
		}
		streamOK(w, okDoc, 10, 5)
	})
	doc, attempts, err := fastPolicy().Generate(context.Background(), p.generator(t, 5*time.Second), exampleRequest("risk_register"), nil)
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	assertModelDoc(t, doc.Markdown)
}

func TestLimitedCapsConcurrency(t *testing.T) {
	t.Parallel()
	var cur, peak atomic.Int64
	reached := make(chan struct{})
	var once sync.Once
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		c := cur.Add(1)
		for {
			old := peak.Load()
			if c <= old || peak.CompareAndSwap(old, c) {
				break
			}
		}
		if c >= 2 {
			once.Do(func() { close(reached) })
		}
		// Hold the slot until two calls overlap, so the peak is reached
		// deterministically; a limit of 1 would time out here and show 1.
		select {
		case <-reached:
		case <-time.After(5 * time.Second):
		}
		startStream(w)
		sse(w, chunk(okDoc, "stop"))
		cur.Add(-1) // before [DONE]: the client cannot finish earlier
		sse(w, "[DONE]")
	})
	l := NewLimited(p.generator(t, 10*time.Second), 2, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := l.Generate(context.Background(), exampleRequest("risk_register"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2), peak.Load())
	assert.Equal(t, 8, p.requests())
	assert.Equal(t, 0, l.InFlight())
}

func TestNewOpenAIGeneratorValidates(t *testing.T) {
	t.Parallel()
	_, err := NewOpenAIGenerator(OpenAIConfig{BaseURL: "http://x"})
	assert.Error(t, err)
	_, err = NewOpenAIGenerator(OpenAIConfig{Model: "m", BaseURL: "ftp://x"})
	assert.Error(t, err)
	_, err = NewOpenAIGenerator(OpenAIConfig{Model: "m", AttemptTimeout: -time.Second})
	assert.Error(t, err)
	g, err := NewOpenAIGenerator(OpenAIConfig{Model: "m"})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, g.timeout)
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	assert.Equal(t, 2*time.Second, retryAfter(h("Retry-After", "2"), now))
	assert.Equal(t, 1500*time.Millisecond, retryAfter(h("Retry-After", "1.5"), now))
	assert.Equal(t, 250*time.Millisecond, retryAfter(h("retry-after-ms", "250", "Retry-After", "3"), now))
	assert.Equal(t, 90*time.Second, retryAfter(h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), now))
	assert.Equal(t, time.Duration(0), retryAfter(h("Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)), now))
	assert.Equal(t, time.Duration(0), retryAfter(h("Retry-After", "soon"), now))
	assert.Equal(t, time.Duration(0), retryAfter(h("Retry-After", "-4"), now))
	assert.Equal(t, time.Duration(0), retryAfter(nil, now))
}

func TestTitleOf(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Risk Register: X", titleOf("intro\n# Risk Register: X #\nbody", "fallback"))
	assert.Equal(t, "A | B", titleOf(`# **A \| B**`, "fallback"))
	assert.Equal(t, "fallback", titleOf("## Only h2\n#nospace", "fallback"))
	// A comment in a code block is not the title, whatever the fence.
	assert.Equal(t, "Scope", titleOf("## Intro\n```sh\n# rm -rf build and retry\n```\n# Scope\n", "fallback"))
	assert.Equal(t, "Scope", titleOf("~~~~\n# not this\n~~~\n# nor this\n~~~~\n# Scope", "fallback"))
	assert.Equal(t, "fallback", titleOf("```\n# unclosed block", "fallback"))
}

// A title is its heading's text as the page shows it: a "#" ends a heading
// only after a space, emphasis and links count by their text, escapes and
// references are resolved.
func TestTitleOfReadsTheHeadingAsMarkdown(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ md, want string }{
		{"# Budget Estimate: Migrate to C\\#\n\nbody", "Budget Estimate: Migrate to C#"},
		{"# Budget Estimate: Migrate to C#", "Budget Estimate: Migrate to C#"},
		{"# Migrate to C# #", "Migrate to C#"},
		{"# Migrate to C# ##   ", "Migrate to C#"},
		{"# Migrate to C\\# #", "Migrate to C#"},
		{"# **Charter**: Foo", "Charter: Foo"},
		{"# *Scope* of `ERP_v2` and [the wiki](https://example.com)", "Scope of ERP_v2 and the wiki"},
		{"# ERP\\_v2 rollout (C\\#) \\[TBC\\]", "ERP_v2 rollout (C#) [TBC]"},
		{"# R&amp;D &copy; &#8364;", "R&D © €"},
		{"# A literal \\&amp;", "A literal &amp;"},
		{"# See https://example.com/a_b", "See https://example.com/a_b"},
		{"# `a\\_b` stays", "a\\_b stays"},
		{"Project Charter: Foo\n===\n\n# Later", "Project Charter: Foo"},
		{"Intro\n\nSubtitle\n---\n\nCharter\n=======\nbody", "Charter"},
		{"## Only h2\n\n    # indented code, not a heading\n", "fallback"},
		{"#\n\n# **\u200b**\n\n# Second", "Second"},
		{"> # Quoted\n\n# Real", "Real"},
	} {
		assert.Equal(t, c.want, titleOf(c.md, "fallback"), c.md)
		assert.Equal(t, c.want, TitleOf(c.md, "fallback"), c.md)
	}
	assert.Len(t, []rune(titleOf("# "+strings.Repeat("é", 300), "")), 200)
}

func TestTruncateKeepsRunes(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("é", 10) // 2 bytes each
	out := truncate(s, 5)
	assert.True(t, strings.HasPrefix(out, "éé\n"), out)
	assert.Equal(t, "short", truncate("short", 5))
}

func TestOpenAIUnknownType(t *testing.T) {
	t.Parallel()
	g, err := NewOpenAIGenerator(OpenAIConfig{Model: "m", BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	_, err = g.Generate(context.Background(), Request{Type: "nope"})
	var perm *PermanentError
	require.ErrorAs(t, err, &perm)
	assert.True(t, errors.As(err, new(*UnknownTypeError)))
}

// assertModelDoc checks a model's document as the generator returns it: the
// model's text first, then the figure drawn from the data, under its heading.
func assertModelDoc(t *testing.T, md string) {
	t.Helper()
	assert.True(t, strings.HasPrefix(md, okDoc+"\n"), "the model's text comes first: %q", md)
	assert.Contains(t, md, "## Heat map\n\n```dossier-chart\n{\"kind\":\"heatmap\"")
}

func TestModelChartsAreReplacedByOurs(t *testing.T) {
	t.Parallel()
	md := "# Stakeholder Register: X\n\n## Power/interest grid\n\n```dossier-chart\n{\"kind\":\"grid\",\"title\":\"forged\"}\n```\n\nText.\n"
	out := withFigure(md, exampleRequest("stakeholder_register"))
	assert.NotContains(t, out, "forged")
	assert.Equal(t, 1, strings.Count(out, "```dossier-chart"))
	assert.Contains(t, out, "## Power/interest grid\n\n```dossier-chart\n{\"kind\":\"grid\",\"title\":\"Power/interest grid\"")
	assert.True(t, strings.HasSuffix(out, "Text.\n"))
	// Documents without a figure lose forged charts and gain nothing.
	assert.Equal(t, "# Charter\n\nText.\n", withFigure("# Charter\n\n```dossier-chart\n{}\n```\nText.\n", exampleRequest("project_charter")))
}
