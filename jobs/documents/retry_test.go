package documents

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedGenerator returns the scripted errors in turn, then succeeds.
type scriptedGenerator struct {
	mu     sync.Mutex
	errs   []error
	calls  int
	called chan int // optional: receives the call number
}

func (g *scriptedGenerator) Generate(ctx context.Context, req Request) (Document, error) {
	g.mu.Lock()
	g.calls++
	n := g.calls
	var err error
	if n <= len(g.errs) {
		err = g.errs[n-1]
	}
	g.mu.Unlock()
	if g.called != nil {
		g.called <- n
	}
	if err != nil {
		return Document{}, err
	}
	return Document{Type: req.Type, Title: "ok", Markdown: "# ok\n"}, nil
}

func identity(d time.Duration) time.Duration { return d }

func TestRetryPolicyDefaults(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{}.withDefaults()
	assert.Equal(t, 3, p.MaxAttempts)
	assert.Equal(t, time.Second, p.BaseDelay)
	assert.Equal(t, 30*time.Second, p.MaxDelay)
	assert.Equal(t, 2*time.Minute, p.MaxRetryAfter)
	assert.Equal(t, 1, RetryPolicy{MaxAttempts: -2}.withDefaults().MaxAttempts)
}

func TestRetryPolicyBackoff(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{}.withDefaults()
	var got []time.Duration
	for a := 1; a <= 7; a++ {
		got = append(got, p.backoff(a))
	}
	assert.Equal(t, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}, got)
	for range 1000 {
		j := equalJitter(4 * time.Second)
		require.GreaterOrEqual(t, j, 2*time.Second)
		require.LessOrEqual(t, j, 4*time.Second)
	}
}

func TestRetryPolicyOutcomes(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		errs      []error
		attempts  int
		wantErr   bool
		wantCalls int
	}{
		{name: "success", attempts: 1, wantCalls: 1},
		{name: "permanent stops at once", errs: []error{Permanent(boom)}, attempts: 1, wantErr: true, wantCalls: 1},
		{name: "retryable then success", errs: []error{Retryable(boom, 0), Retryable(boom, 0)}, attempts: 3, wantCalls: 3},
		{name: "unclassified is retried", errs: []error{boom}, attempts: 2, wantCalls: 2},
		{name: "gives up after max attempts", errs: []error{Retryable(boom, 0), Retryable(boom, 0), Retryable(boom, 0), nil}, attempts: 3, wantErr: true, wantCalls: 3},
		{name: "retry-after beyond ceiling hands back", errs: []error{Retryable(boom, time.Hour)}, attempts: 1, wantErr: true, wantCalls: 1},
		{name: "short retry-after is waited", errs: []error{Retryable(boom, 5*time.Millisecond)}, attempts: 2, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &scriptedGenerator{errs: tt.errs}
			var seen []int
			p := RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxRetryAfter: time.Second, Jitter: identity}
			doc, attempts, err := p.Generate(context.Background(), g, Request{Type: "schedule"}, func(a int) { seen = append(seen, a) })
			assert.Equal(t, tt.attempts, attempts)
			assert.Equal(t, tt.wantCalls, g.calls)
			assert.Len(t, seen, tt.wantCalls)
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, boom)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "schedule", doc.Type)
		})
	}
}

func TestRetryPolicyWaitsForRetryAfter(t *testing.T) {
	t.Parallel()
	g := &scriptedGenerator{errs: []error{Retryable(errors.New("429"), 150*time.Millisecond)}}
	start := time.Now()
	_, attempts, err := RetryPolicy{BaseDelay: time.Millisecond, Jitter: identity}.Generate(context.Background(), g, Request{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func TestRetryPolicyCancelDuringWait(t *testing.T) {
	t.Parallel()
	g := &scriptedGenerator{errs: []error{Retryable(errors.New("busy"), time.Hour)}, called: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := RetryPolicy{MaxRetryAfter: 2 * time.Hour}.Generate(ctx, g, Request{}, nil)
		done <- err
	}()
	select {
	case <-g.called:
	case <-time.After(5 * time.Second):
		t.Fatal("generator never called")
	}
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, IsRetryable(err))
	case <-time.After(5 * time.Second):
		t.Fatal("policy kept waiting after cancel")
	}
	assert.Equal(t, 1, g.calls)
}

func TestRetryPolicyCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &scriptedGenerator{}
	_, attempts, err := RetryPolicy{}.Generate(ctx, g, Request{}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, attempts)
	assert.Equal(t, 0, g.calls)
}

// A negative MaxRetryAfter (LLM_MAX_RETRY_AFTER=0) honours no Retry-After:
// a 429 asking for 90 s hands over after one attempt, without waiting,
// while a retryable error without a Retry-After is still retried after the
// backoff. A zero MaxRetryAfter is the 2 minute default (it used to be
// what LLM_MAX_RETRY_AFTER=0 became, so a 90 s wait was held in process).
func TestRetryPolicyNoRetryAfterInProcess(t *testing.T) {
	t.Parallel()
	boom := errors.New("429")
	none := RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: -1, Jitter: identity}

	g := &scriptedGenerator{errs: []error{Retryable(boom, 90*time.Second)}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, attempts, err := none.Generate(ctx, g, Request{}, nil)
	require.Error(t, err)
	assert.NoError(t, ctx.Err(), "handed over at once, not after a wait")
	assert.True(t, IsRetryable(err), "the job-level retry takes over")
	assert.Equal(t, 90*time.Second, RetryAfter(err))
	assert.Equal(t, 1, attempts)

	g = &scriptedGenerator{errs: []error{Retryable(boom, 0)}}
	_, attempts, err = none.Generate(context.Background(), g, Request{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, attempts, "no Retry-After: retried in process")

	assert.Equal(t, 2*time.Minute, RetryPolicy{}.withDefaults().MaxRetryAfter)
}
