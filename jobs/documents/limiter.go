package documents

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Limited caps the model calls of the whole process, across all jobs: at
// most concurrency calls in flight and at most rpm started per minute. The
// provider's limits are per account, so per-job limits would not add up to
// a safe total. Wrap the real generator once and share it.
type Limited struct {
	next     Generator
	sem      chan struct{}
	limiter  *rate.Limiter // nil: no rate limit
	inFlight atomic.Int64
}

// NewLimited wraps g. concurrency below 1 means 1; rpm 0 or less means no
// rate limit. The burst is 1, so calls are spread evenly over the minute
// rather than fired together at its start.
func NewLimited(g Generator, concurrency, rpm int) *Limited {
	l := &Limited{next: g, sem: make(chan struct{}, max(concurrency, 1))}
	if rpm > 0 {
		l.limiter = rate.NewLimiter(rate.Limit(float64(rpm)/60), 1)
	}
	return l
}

// Generate waits for a slot and a rate token (both abandoned if ctx ends),
// then calls the wrapped generator.
func (l *Limited) Generate(ctx context.Context, req Request) (Document, error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return Document{}, fmt.Errorf("wait for a model slot: %w", ctx.Err())
	}
	defer func() { <-l.sem }()
	if l.limiter != nil {
		if err := l.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return Document{}, fmt.Errorf("wait for the model rate limit: %w", ctx.Err())
			}
			// The wait would outlast ctx's deadline: give the slot back and
			// let the retry policy decide.
			return Document{}, Retryable(fmt.Errorf("wait for the model rate limit: %w", err), 0)
		}
	}
	l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	return l.next.Generate(ctx, req)
}

// InFlight reports the calls currently running, for metrics.
func (l *Limited) InFlight() int { return int(l.inFlight.Load()) }
