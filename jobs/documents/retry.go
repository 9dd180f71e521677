package documents

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy retries one document's generation within a job. The SDK's own
// retries are off (they cap Retry-After at 8 s and ignore our ctx policy), so
// this is the only place that decides whether and how long to wait.
type RetryPolicy struct {
	// MaxAttempts is the total number of calls, first one included. Default 3.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles after
	// each failure. Default 1s.
	BaseDelay time.Duration
	// MaxDelay caps the exponential backoff. Default 30s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest provider-requested wait honoured in
	// process. A longer Retry-After gives up with the retryable error so the
	// job-level retry (with its own run_at) takes over instead of holding a
	// worker slot. Default 2m. Negative honours none (LLM_MAX_RETRY_AFTER=0):
	// every Retry-After hands over at once, while a retryable error without
	// one is still retried here after the backoff.
	MaxRetryAfter time.Duration
	// Jitter randomises a backoff delay. Nil means "equal jitter": a uniform
	// delay between half and all of the backoff. Tests pass an identity.
	Jitter func(time.Duration) time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	p.MaxAttempts = max(cmp.Or(p.MaxAttempts, 3), 1)
	p.BaseDelay = cmp.Or(p.BaseDelay, time.Second)
	p.MaxDelay = cmp.Or(p.MaxDelay, 30*time.Second)
	p.MaxRetryAfter = cmp.Or(p.MaxRetryAfter, 2*time.Minute)
	if p.Jitter == nil {
		p.Jitter = equalJitter
	}
	return p
}

func equalJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// backoff is the delay after the given failed attempt (1-based), before
// jitter: BaseDelay × 2^(attempt-1), capped at MaxDelay.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// Generate calls g until it succeeds, fails permanently, runs out of
// attempts or ctx ends. It returns the document, the number of attempts made
// and the last error. onAttempt, if set, is called before each attempt so the
// caller can record it (the job's attempts column). A cancelled ctx returns
// an error wrapping ctx.Err(), never a retryable one.
func (p RetryPolicy) Generate(ctx context.Context, g Generator, req Request, onAttempt func(attempt int)) (Document, int, error) {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Document{}, attempt - 1, err
		}
		if onAttempt != nil {
			onAttempt(attempt)
		}
		doc, err := g.Generate(ctx, req)
		if err == nil {
			return doc, attempt, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Document{}, attempt, fmt.Errorf("%w (last attempt: %w)", ctxErr, err)
		}
		if !IsRetryable(err) || attempt >= p.MaxAttempts {
			return Document{}, attempt, err
		}
		ra := RetryAfter(err)
		if ra > 0 && ra > p.MaxRetryAfter {
			return Document{}, attempt, err
		}
		delay := max(ra, p.Jitter(p.backoff(attempt)))
		if ctxErr := wait(ctx, delay); ctxErr != nil {
			return Document{}, attempt, fmt.Errorf("%w (while waiting to retry: %w)", ctxErr, err)
		}
	}
}
