package providertest

import (
	"context"
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
