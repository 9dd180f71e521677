package documents

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pieces records what a generator hands to OnDelta, and when.
type pieces struct {
	mu    sync.Mutex
	texts []string
	at    []time.Time
}

func (p *pieces) onDelta(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts = append(p.texts, s)
	p.at = append(p.at, time.Now())
}

func TestTemplateStreamsTheSameDocumentOverItsDelay(t *testing.T) {
	t.Parallel()
	plain, err := NewTemplateGenerator(0).Generate(context.Background(), exampleRequest("risk_register"))
	require.NoError(t, err)

	var got pieces
	req := exampleRequest("risk_register")
	req.OnDelta = got.onDelta
	delay := 500 * time.Millisecond
	start := time.Now()
	doc, err := NewTemplateGenerator(delay).Generate(context.Background(), req)
	require.NoError(t, err)
	took := time.Since(start)

	assert.Equal(t, plain.Markdown, doc.Markdown, "streaming changes nothing in the document")
	assert.Equal(t, doc.Markdown, strings.Join(got.texts, ""), "the pieces are the document")
	assert.Equal(t, int(delay/templateTick), len(got.texts), "one piece per tick")
	for _, s := range got.texts {
		assert.True(t, utf8.ValidString(s))
	}
	assert.GreaterOrEqual(t, took, delay)
	// Steady: the first piece comes after one tick, not at once, and the
	// last one at the end.
	assert.GreaterOrEqual(t, got.at[0].Sub(start), templateTick)
	assert.GreaterOrEqual(t, got.at[len(got.at)-1].Sub(start), delay-templateTick)
}

func TestTemplateStreamCutsOnlyAtRuneBoundaries(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("Zürich — ", 40)
	var got pieces
	require.NoError(t, stream(context.Background(), 37*templateTick/10, text, got.onDelta))
	assert.Equal(t, text, strings.Join(got.texts, ""))
	for _, s := range got.texts {
		assert.True(t, utf8.ValidString(s), "%q", s)
	}
}

func TestTemplateStreamStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	req := exampleRequest("project_charter")
	var n int
	req.OnDelta = func(string) {
		if n++; n == 3 {
			cancel()
		}
	}
	_, err := NewTemplateGenerator(time.Minute).Generate(ctx, req)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, n)
}

func TestOpenAIHandsEveryChunkToOnDelta(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		streamOK(w, okDoc, 10, 20)
	})
	var got pieces
	req := depRequest()
	req.OnDelta = got.onDelta
	doc, err := p.generator(t, 5*time.Second).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, len(strings.Split(okDoc, " ")), len(got.texts), "one call per content chunk, none for empty ones")
	assert.Equal(t, okDoc, strings.Join(got.texts, ""))
	assertModelDoc(t, doc.Markdown) // the model's text, then the figure drawn from the data
}

func TestOpenAIOnDeltaSeesTheTextOfAFailedStream(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, n int) {
		startStream(w)
		sse(w, chunk("# Half ", ""))
		sse(w, chunk("a document", "")) // then the stream ends, unfinished
	})
	var got pieces
	req := depRequest()
	req.OnDelta = got.onDelta
	_, err := p.generator(t, 5*time.Second).Generate(context.Background(), req)
	require.True(t, errors.Is(err, ErrTruncatedStream), "%v", err)
	assert.Equal(t, "# Half a document", strings.Join(got.texts, ""), "the caller drops the draft of a failed attempt")
}
