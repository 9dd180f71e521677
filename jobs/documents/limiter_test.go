package documents

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimitedRateConfiguration(t *testing.T) {
	t.Parallel()
	// 600 per minute is one every 100 ms with a burst of 1. Reservations at
	// a fixed instant show the spacing without depending on the clock.
	l := NewLimited(&scriptedGenerator{}, 2, 600)
	require.NotNil(t, l.limiter)
	t0 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	var delays []time.Duration
	for range 4 {
		delays = append(delays, l.limiter.ReserveN(t0, 1).DelayFrom(t0))
	}
	assert.Equal(t, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, delays)
	assert.Equal(t, 1, l.limiter.Burst())

	assert.Nil(t, NewLimited(&scriptedGenerator{}, 1, 0).limiter, "rpm 0 means no limit")
	assert.Equal(t, 1, cap(NewLimited(&scriptedGenerator{}, 0, 0).sem), "concurrency below 1 means 1")
}

func TestLimitedRateWaitRespectsDeadline(t *testing.T) {
	t.Parallel()
	g := &scriptedGenerator{}
	l := NewLimited(g, 4, 1) // one call a minute
	_, err := l.Generate(context.Background(), Request{Type: "schedule"})
	require.NoError(t, err)

	// The next token is a minute away; a 2 s deadline cannot wait for it, so
	// the limiter refuses at once instead of holding the slot.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = l.Generate(ctx, Request{Type: "schedule"})
	require.Error(t, err)
	assert.True(t, IsRetryable(err))
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, 1, g.calls)
	assert.Equal(t, 0, l.InFlight())
}

func TestLimitedSlotWaitHonoursCancel(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	g := generatorFunc(func(ctx context.Context, req Request) (Document, error) {
		started <- struct{}{}
		<-block
		return Document{}, nil
	})
	l := NewLimited(g, 1, 0)
	go func() { _, _ = l.Generate(context.Background(), Request{}) }()
	<-started
	assert.Equal(t, 1, l.InFlight())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Generate(ctx, Request{})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("waiting for a slot ignored cancel")
	}
	close(block)
}

type generatorFunc func(ctx context.Context, req Request) (Document, error)

func (f generatorFunc) Generate(ctx context.Context, req Request) (Document, error) {
	return f(ctx, req)
}
