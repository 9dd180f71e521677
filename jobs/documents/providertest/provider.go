// Package providertest is a model provider for tests: an HTTP server that
// speaks the OpenAI chat-completions wire format, streaming included. It
// counts calls per document type, can delay them, and can fail chosen
// types, so that tests of the processor, the real binary and the browser
// drive Dossier's real OpenAI-compatible generator end to end.
package providertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"dossier/jobs/documents"
)

// Provider is a running fake provider. Point OPENAI_BASE_URL at BaseURL().
type Provider struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   map[string]int
	total   int
	delay   time.Duration
	failing map[string]failure // type → error answer
	// instructions are the regeneration instructions received, per type.
	instructions map[string][]string
	prompts      []Prompt
	// The gate (Hold): calls wait for a Release each.
	gated   bool
	tokens  int
	waiting []string // document types of the calls waiting at the gate
	changed chan struct{}
	stream  *Stream // stream.go
}

// Prompt is one request's messages, as the provider received them.
type Prompt struct {
	Type     string
	Messages []Message
}

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Text is the prompt as one string: each message's role and content, in
// order. A prefix cache sees the prompt this way.
func (p Prompt) Text() string {
	var b strings.Builder
	for _, m := range p.Messages {
		b.WriteString("<" + m.Role + ">\n" + m.Content + "\n")
	}
	return b.String()
}

// Prompts is a copy of every request's prompt, in arrival order.
func (p *Provider) Prompts() []Prompt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Prompt(nil), p.prompts...)
}

// failure is an error answer: a status and, optionally, the body.
type failure struct {
	status     int
	body       string
	retryAfter string // the Retry-After header, if any
}

// New starts a provider on 127.0.0.1. Close it when done.
func New() *Provider {
	p := &Provider{calls: map[string]int{}, failing: map[string]failure{}, instructions: map[string][]string{}, changed: make(chan struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

// BaseURL is the OpenAI-compatible base URL, ending in /v1.
func (p *Provider) BaseURL() string { return p.srv.URL + "/v1" }

// Close stops the server.
func (p *Provider) Close() { p.srv.Close() }

// SetDelay makes every call take d before answering (the model's latency).
func (p *Provider) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Fail makes calls for the document type answer with the HTTP status (400 is
// permanent, 500 retryable); status 0 heals it.
func (p *Provider) Fail(docType string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if status == 0 {
		delete(p.failing, docType)
		return
	}
	p.failing[docType] = failure{status: status}
}

// FailRetryAfter makes calls for the document type answer with the status
// and a Retry-After header (seconds or an HTTP date), as a rate-limited
// provider does.
func (p *Provider) FailRetryAfter(docType string, status int, retryAfter string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failing[docType] = failure{status: status, retryAfter: retryAfter}
}

// FailWith makes calls for the document type answer with the status and the
// body as given (an OpenAI error object, plain text, …); status 0 heals it.
func (p *Provider) FailWith(docType string, status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if status == 0 {
		delete(p.failing, docType)
		return
	}
	p.failing[docType] = failure{status: status, body: body}
}

// Instructions are the regeneration instructions the prompts for the
// document type carried, in call order ("" for a call without one).
func (p *Provider) Instructions(docType string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.instructions[docType]...)
}

// Calls is the number of requests for the document type.
func (p *Provider) Calls(docType string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[docType]
}

// CallCounts is a copy of the number of requests per document type.
func (p *Provider) CallCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

// Total is the number of chat-completion requests.
func (p *Provider) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Hold closes the gate: from now on every call waits until the test
// releases it, so that the test, not the clock, decides when each document
// finishes.
func (p *Provider) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gated = true
}

// Release lets n calls through the gate, waiting ones first, else the next
// ones to come.
func (p *Provider) Release(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokens += n
	p.signal()
}

// Open lets every call through from now on.
func (p *Provider) Open() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gated = false
	p.signal()
}

// Waiting is the document types of the calls waiting at the gate.
func (p *Provider) Waiting() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.waiting...)
}

// WaitForCalls blocks until n calls are waiting at the gate, or fails after
// within; it returns their document types.
func (p *Provider) WaitForCalls(n int, within time.Duration) ([]string, error) {
	deadline := time.After(within)
	for {
		p.mu.Lock()
		if len(p.waiting) >= n {
			w := append([]string(nil), p.waiting...)
			p.mu.Unlock()
			return w, nil
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return p.Waiting(), fmt.Errorf("%d calls waiting at the gate after %s, want %d", len(p.Waiting()), within, n)
		}
	}
}

// ReleaseOne waits for a call at the gate, lets exactly that one through,
// and returns its document type once it has passed.
func (p *Provider) ReleaseOne(within time.Duration) (string, error) {
	w, err := p.WaitForCalls(1, within)
	if err != nil {
		return "", err
	}
	p.Release(1)
	deadline := time.After(within)
	for {
		p.mu.Lock()
		if p.tokens == 0 {
			p.mu.Unlock()
			return w[0], nil
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return "", fmt.Errorf("the released call did not pass within %s", within)
		}
	}
}

// signal wakes everyone watching the gate; p.mu must be held.
func (p *Provider) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// pass waits at the gate, if it is closed, until released or ctx ends.
func (p *Provider) pass(done <-chan struct{}, typ string) bool {
	p.mu.Lock()
	if !p.gated {
		p.mu.Unlock()
		return true
	}
	p.waiting = append(p.waiting, typ)
	p.signal()
	defer func() {
		for i, w := range p.waiting {
			if w == typ {
				p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
				break
			}
		}
		p.signal()
		p.mu.Unlock()
	}()
	for p.gated && p.tokens == 0 {
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			p.mu.Lock()
			return false
		}
		p.mu.Lock()
	}
	if p.gated {
		p.tokens--
	}
	return true
}

var (
	writeThe    = regexp.MustCompile(`Write the (.+?) for the project`)
	instruction = regexp.MustCompile(`(?s)<instruction>\n(.*?)\n</instruction>`)
)

// instructionOf finds the regeneration instruction in the request's prompt.
func instructionOf(body []byte) string {
	var req struct {
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	for _, m := range req.Messages {
		if sub := instruction.FindStringSubmatch(m.Content); sub != nil {
			return sub[1]
		}
	}
	return ""
}

// docType finds the requested document type from the prompt's catalog title.
func docType(body []byte) string {
	m := writeThe.FindSubmatch(body)
	if m == nil {
		return ""
	}
	for _, dt := range documents.Catalog() {
		if dt.Title == string(m[1]) {
			return dt.Key
		}
	}
	return ""
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	typ := docType(body)
	ins := instructionOf(body)
	var req struct {
		Messages []Message `json:"messages"`
	}
	_ = json.Unmarshal(body, &req)
	prompt := Prompt{Type: typ, Messages: req.Messages}
	p.mu.Lock()
	// Like a provider's prefix cache: the longest prefix shared with an
	// earlier prompt is "cached", at about four bytes a token.
	cached := 0
	for _, earlier := range p.prompts {
		cached = max(cached, commonPrefix(earlier.Text(), prompt.Text())/4)
	}
	p.prompts = append(p.prompts, prompt)
	p.calls[typ]++
	p.total++
	p.instructions[typ] = append(p.instructions[typ], ins)
	delay, fail := p.delay, p.failing[typ]
	p.mu.Unlock()

	if !p.pass(r.Context().Done(), typ) {
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fail.status != 0 {
		body := fail.body
		if body == "" {
			body = fmt.Sprintf(`{"error":{"message":"provider refused %s","type":"invalid_request_error","code":"test_failure"}}`, typ)
		}
		w.Header().Set("Content-Type", "application/json")
		if fail.retryAfter != "" {
			w.Header().Set("Retry-After", fail.retryAfter)
		}
		w.WriteHeader(fail.status)
		io.WriteString(w, body)
		return
	}
	title := typ
	if dt, ok := documents.Lookup(typ); ok {
		title = dt.Title
	}
	content := fmt.Sprintf("# %s\n\nWritten by the test provider for %s.\n\n| Item | Value |\n|---|---|\n| type | %s |\n", title, typ, typ)
	if ins != "" {
		content += fmt.Sprintf("\nInstruction followed: %s\n", ins)
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(data string) {
		fmt.Fprintf(w, "data: %s\n\n", data)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if pieces, pace, st := p.script(typ, content); st != nil {
		for i, piece := range pieces {
			if i > 0 && !pause(r.Context(), pace) {
				return
			}
			if st.Gate != nil && !st.Gate.pass(r.Context(), i) {
				return
			}
			send(chunk(piece, ""))
			if st.Sent != nil {
				st.Sent(typ, i, time.Now())
			}
			if st.Gate != nil {
				st.Gate.done(typ)
			}
		}
	} else {
		for piece := range strings.SplitAfterSeq(content, " ") {
			send(chunk(piece, ""))
		}
	}
	send(chunk("", "stop"))
	send(fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":80,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}}`,
		len(prompt.Text())/4, len(prompt.Text())/4+80, cached))
	send("[DONE]")
}

func chunk(content, finish string) string {
	fr := "null"
	if finish != "" {
		fr = fmt.Sprintf("%q", finish)
	}
	c, _ := json.Marshal(content)
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"test","choices":[{"index":0,"delta":{"content":%s},"finish_reason":%s}]}`, c, fr)
}

// commonPrefix is the length in bytes of the longest common prefix.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
