package documents

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// OpenAIConfig configures a generator for any OpenAI-compatible
// chat-completions server (OpenAI, Azure-style proxies, vLLM, Ollama, …).
type OpenAIConfig struct {
	// BaseURL is the API root, such as https://api.openai.com/v1. Empty means
	// the SDK default (OpenAI).
	BaseURL string
	// APIKey is sent as a bearer token. Local servers often accept any value.
	APIKey string
	// Model is the model name; required.
	Model string
	// AttemptTimeout bounds one call, streaming included. The SDK sets no
	// timeout, and a hung provider would otherwise hold a worker forever.
	// Default 2m.
	AttemptTimeout time.Duration
}

// OpenAIGenerator writes documents with a language model. It makes exactly
// one HTTP request per Generate call: retries belong to RetryPolicy, which
// sees the classified error.
type OpenAIGenerator struct {
	client  openai.Client
	model   string
	timeout time.Duration
	now     func() time.Time // for HTTP-date Retry-After; tests may replace it
}

// NewOpenAIGenerator validates cfg and builds the client with the SDK's own
// retries turned off.
func NewOpenAIGenerator(cfg OpenAIConfig) (*OpenAIGenerator, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("openai generator: model is required (OPENAI_MODEL)")
	}
	if cfg.AttemptTimeout < 0 {
		return nil, fmt.Errorf("openai generator: attempt timeout %s is negative", cfg.AttemptTimeout)
	}
	opts := []option.RequestOption{option.WithMaxRetries(0)}
	if cfg.BaseURL != "" {
		if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
			return nil, fmt.Errorf("openai generator: base URL %q must start with http:// or https:// (OPENAI_BASE_URL)", cfg.BaseURL)
		}
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	return &OpenAIGenerator{
		client:  openai.NewClient(opts...),
		model:   cfg.Model,
		timeout: cmp.Or(cfg.AttemptTimeout, 2*time.Minute),
		now:     time.Now,
	}, nil
}

// ErrTruncatedStream means the provider closed the stream before saying it
// had finished: the document may be cut short, so it is not kept.
var ErrTruncatedStream = errors.New("stream ended without a finish reason")

// ErrEmptyOutput means the model finished without writing anything.
var ErrEmptyOutput = errors.New("model returned no content")

// Generate streams one chat completion and returns it as a document.
func (g *OpenAIGenerator) Generate(ctx context.Context, req Request) (Document, error) {
	dt, ok := Lookup(req.Type)
	if !ok {
		return Document{}, Permanent(&UnknownTypeError{Unknown: []string{req.Type}, Valid: Keys()})
	}
	shared, err := sharedPrompt(req)
	if err != nil {
		return Document{}, Permanent(err)
	}
	actx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()

	var seen response
	stream := g.client.Chat.Completions.NewStreaming(actx, openai.ChatCompletionNewParams{
		Model: g.model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			// Shared by every document of the job, byte for byte, first.
			openai.SystemMessage(systemPrompt(req.Company)),
			openai.UserMessage(shared),
			// This document only.
			openai.UserMessage(documentPrompt(req, dt)),
		},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithMiddleware(seen.record))
	defer stream.Close()

	var out strings.Builder
	var usage Usage
	finish := ""
	for stream.Next() {
		chunk := stream.Current()
		for _, c := range chunk.Choices {
			out.WriteString(c.Delta.Content)
			if req.OnDelta != nil && c.Delta.Content != "" {
				req.OnDelta(c.Delta.Content)
			}
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
		if chunk.JSON.Usage.Valid() {
			usage = Usage{PromptTokens: int(chunk.Usage.PromptTokens), CompletionTokens: int(chunk.Usage.CompletionTokens),
				CachedPromptTokens: int(chunk.Usage.PromptTokensDetails.CachedTokens)}
		}
	}
	if err := stream.Err(); err != nil {
		return Document{}, g.classify(ctx, actx, &seen, err)
	}
	switch finish {
	case "":
		if actx.Err() != nil {
			// A stream cut by a deadline can end without an error from Next.
			return Document{}, g.classify(ctx, actx, &seen, actx.Err())
		}
		return Document{}, Retryable(fmt.Errorf("openai %s: %w", req.Type, ErrTruncatedStream), 0)
	case "content_filter":
		return Document{}, Permanentf("openai %s: the provider's content filter stopped the output", req.Type)
	case "length":
		// Sampling differs between attempts, so another try may fit; the
		// retry policy bounds how often.
		return Document{}, Retryable(fmt.Errorf("openai %s: output hit the model's token limit", req.Type), 0)
	}
	md := strings.TrimSpace(out.String())
	if md == "" {
		return Document{}, Retryable(fmt.Errorf("openai %s: %w", req.Type, ErrEmptyOutput), 0)
	}
	if usage.CachedPromptTokens > 0 {
		slog.Debug("model usage", "type", dt.Key, "prompt_tokens", usage.PromptTokens, "cached_prompt_tokens", usage.CachedPromptTokens)
	}
	return Document{Type: dt.Key, Title: titleOf(md, dt.Title), Markdown: withFigure(md+"\n", req), Usage: usage}, nil
}

// response remembers the HTTP status, headers and, for an error answer,
// the start of the body of the attempt, so that a failure is classified by
// status and reported by what the provider said even when the body is not
// the JSON error object the SDK expects (some compatible servers answer in
// plain text, a proxy in front of them with an HTML page).
type response struct {
	mu     sync.Mutex
	status int
	header http.Header
	body   []byte
}

// maxErrorBody bounds the part of an error answer's body that is kept.
const maxErrorBody = 64 << 10

func (r *response) record(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	if resp == nil {
		return resp, err
	}
	var body []byte
	if resp.StatusCode >= 400 && resp.Body != nil {
		// Read the start of it here; the SDK reads the same bytes, then
		// the rest, and meets any read error where it would have.
		var rerr error
		body, rerr = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		rest := io.Reader(resp.Body)
		if rerr != nil {
			rest = failingReader{rerr}
		}
		resp.Body = replayedBody{io.MultiReader(bytes.NewReader(body), rest), resp.Body}
	}
	r.mu.Lock()
	r.status, r.header, r.body = resp.StatusCode, resp.Header.Clone(), body
	r.mu.Unlock()
	return resp, err
}

func (r *response) get() (int, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.header
}

// said is what the provider's error answer said in its body, as text: the
// body trimmed, an HTML page's text without its markup, "" for an empty
// body. It is only the provider's words: the SDK's own error text may name
// the request's URL, the provider's base URL, which can be an internal
// address and is no business of the job's owner.
func (r *response) said() string {
	r.mu.Lock()
	body, ctype := string(r.body), r.header.Get("Content-Type")
	r.mu.Unlock()
	body = strings.TrimSpace(body)
	if strings.Contains(ctype, "html") || strings.HasPrefix(body, "<") {
		body = markup.ReplaceAllString(hiddenHTML.ReplaceAllString(body, " "), " ")
		body = strings.Join(strings.Fields(html.UnescapeString(body)), " ")
	}
	return truncate(body, maxProviderMessage)
}

var (
	// hiddenHTML is the parts of an HTML page a browser does not show.
	hiddenHTML = regexp.MustCompile(`(?is)<head\b.*?</head\s*>|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->`)
	// markup is an HTML tag or declaration.
	markup = regexp.MustCompile(`(?s)<[^>]*>`)
)

// replayedBody reads the bytes record read first, then the rest of the
// original body, which it closes.
type replayedBody struct {
	io.Reader
	io.Closer
}

// failingReader fails every read with the error the original body failed
// with.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// classify turns a failed attempt into the typed error RetryPolicy and the
// processor act on. It never looks at error strings.
func (g *OpenAIGenerator) classify(parent, attempt context.Context, seen *response, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("openai: %w", parent.Err())
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return g.byStatus(&ProviderError{Status: apiErr.StatusCode, Code: apiErr.Code, Type: apiErr.Type,
			Message: cmp.Or(providerMessage(apiErr), seen.said())}, h)
	}
	if attempt.Err() != nil {
		return Retryable(fmt.Errorf("openai: attempt timed out after %s: %w", g.timeout, err), 0)
	}
	if status, h := seen.get(); status >= 400 {
		// The SDK could not read the answer as its error object (a JSON
		// body of another shape, a body cut short): its error is about
		// the reading, not the provider's words, and may name the URL.
		return g.byStatus(&ProviderError{Status: status, Message: seen.said()}, h)
	}
	// Network errors, a broken or malformed stream, an error event mid-stream.
	return Retryable(fmt.Errorf("openai: %w", err), 0)
}

func (g *OpenAIGenerator) byStatus(pe *ProviderError, h http.Header) error {
	switch {
	case pe.Code == "insufficient_quota" || pe.Type == "insufficient_quota":
		return Permanent(pe) // a 429, but waiting will not refill the account
	case pe.ContextTooLong():
		return Permanent(pe)
	case pe.Status == http.StatusTooManyRequests, pe.Status == http.StatusRequestTimeout,
		pe.Status == http.StatusConflict, pe.Status >= 500:
		return Retryable(pe, retryAfter(h, g.now()))
	default: // 400, 401, 403, 404, 413, 422 and the other 4xx
		return Permanent(pe)
	}
}

// maxProviderMessage bounds the provider's own words kept in an error.
const maxProviderMessage = 1000

// providerMessage is what the provider said about the failure: the error
// object's message, else its raw body (some compatible servers answer in
// plain text or with another JSON shape).
func providerMessage(e *openai.Error) string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = strings.TrimSpace(e.RawJSON())
	}
	return truncate(msg, maxProviderMessage)
}

// retryAfter reads the provider's requested delay: retry-after-ms (OpenAI's
// millisecond header) first, then Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || s > 1e6 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// titleOf is the text of the document's first level-1 heading (ATX or
// setext), else fallback. The Markdown is parsed as the page parses it, so
// a "#" at the end of a heading is the title's unless a space sets it apart
// as a closing sequence ("C#", "C\#"), emphasis, code and links count by
// their text ("**Charter**: Foo" is "Charter: Foo"), escapes and character
// references are resolved, and a "# comment" in a code block is no heading.
func titleOf(md, fallback string) string {
	src := []byte(md)
	root := markdown.Parser().Parse(text.NewReader(src))
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok || h.Level != 1 {
			continue
		}
		if t := clean(plainText(h, src)); t != "" {
			if r := []rune(t); len(r) > 200 {
				t = string(r[:200])
			}
			return t
		}
	}
	return fallback
}
