package providertest

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// Stream shapes the provider's answers as a model streaming at its own
// pace: for live drafts and their benchmark.
type Stream struct {
	// Content, if set, writes the document for a type (and the 0-based
	// call number), instead of the short default.
	Content func(docType string, call int) string
	// Chunks is the number of content chunks; 0 splits at spaces.
	Chunks int
	// Over is the time from the first chunk to the last, evenly paced.
	Over time.Duration
	// Sent, if set, is told when each chunk was written and flushed.
	Sent func(docType string, i int, at time.Time)
	// Gate, if set, holds each chunk until the test releases it: the
	// test, not the clock, decides how far a document has been written.
	Gate *ChunkGate
}

// ChunkGate holds the chunks of streamed answers until a test releases
// them: each answer may write its first Released() chunks.
type ChunkGate struct {
	mu      sync.Mutex
	allowed int
	sent    int
	byType  map[string]int
	changed chan struct{}
}

// NewChunkGate returns a closed gate.
func NewChunkGate() *ChunkGate {
	return &ChunkGate{changed: make(chan struct{}), byType: map[string]int{}}
}

// Release lets every answer write n more chunks.
func (g *ChunkGate) Release(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.allowed += n
	g.signal()
}

// Released is how many chunks of each answer may be written.
func (g *ChunkGate) Released() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.allowed
}

// SentOf is the number of chunks written of a document type's answers.
func (g *ChunkGate) SentOf(docType string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byType[docType]
}

// WaitSent waits until n chunks of the document type's answers have been
// written and flushed, or fails after within.
func (g *ChunkGate) WaitSent(docType string, n int, within time.Duration) error {
	deadline := time.After(within)
	for {
		g.mu.Lock()
		sent, ch := g.byType[docType], g.changed
		g.mu.Unlock()
		if sent >= n {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("%d chunks of %s written after %s, want %d", sent, docType, within, n)
		}
	}
}

// pass waits until the answer's chunk i may go, or ctx ends.
func (g *ChunkGate) pass(ctx context.Context, i int) bool {
	for {
		g.mu.Lock()
		if i < g.allowed {
			g.mu.Unlock()
			return true
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// done counts a chunk written.
func (g *ChunkGate) done(docType string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent++
	g.byType[docType]++
	g.signal()
}

func (g *ChunkGate) signal() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// SetStream makes every answer follow s.
func (p *Provider) SetStream(s Stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stream = &s
}

// script returns the chunks of an answer and the pause before each.
func (p *Provider) script(docType, content string) ([]string, time.Duration, *Stream) {
	p.mu.Lock()
	s := p.stream
	call := p.calls[docType] - 1
	p.mu.Unlock()
	if s == nil {
		return nil, 0, nil
	}
	if s.Content != nil {
		content = s.Content(docType, call)
	}
	n := s.Chunks
	if n <= 0 {
		n = 1
	}
	out := make([]string, 0, n)
	from := 0
	for i := 1; i <= n; i++ {
		to := len(content) * i / n
		for to < len(content) && !utf8.RuneStart(content[to]) {
			to++
		}
		if to > from {
			out = append(out, content[from:to])
		}
		from = max(from, to)
	}
	var pace time.Duration
	if len(out) > 1 {
		pace = s.Over / time.Duration(len(out)-1)
	}
	return out, pace, s
}

func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
