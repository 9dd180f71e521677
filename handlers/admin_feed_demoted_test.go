package handlers

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A console open when its user's administrator role is withdrawn is told
// so: the feed's last push to it is the notice that replaces the live part
// (the page would otherwise go on showing its last state as if live), and
// nothing comes after it. Another administrator's console goes on.
func TestADemotedAdministratorsConsoleIsToldTheFeedStopped(t *testing.T) {
	var mu sync.Mutex
	admins := []string{"demoted", "kept"}
	renders := 0
	done := make(chan struct{})
	defer close(done)
	f := newAdminFeed(func(context.Context) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		renders++ // each render differs, so each is pushed
		return []byte(`<div data-testid="admin-live-body">render ` + strings.Repeat("|", renders) + `</div>`), nil
	}, func(_ context.Context, ids []string) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		var keep []string
		for _, id := range ids {
			if slices.Contains(admins, id) {
				keep = append(keep, id)
			}
		}
		return keep, nil
	}, 10*time.Millisecond, done)

	demoted, leaveDemoted := f.subscribe("demoted")
	defer leaveDemoted()
	kept, leaveKept := f.subscribe("kept")
	defer leaveKept()
	next := func(ch <-chan []byte, what string) string {
		t.Helper()
		select {
		case b := <-ch:
			return string(b)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no push within 5 s", what)
			return ""
		}
	}
	require.Contains(t, next(demoted, "the administrator's console"), "admin-live-body")
	require.Contains(t, next(kept, "the other administrator's console"), "admin-live-body")

	mu.Lock()
	admins = []string{"kept"}
	mu.Unlock()

	// Pushes rendered before the withdrawal may still be under way; the
	// notice comes, and it is the last.
	var last string
	for !strings.Contains(last, `data-testid="admin-revoked"`) {
		last = next(demoted, "the demoted user's console after the withdrawal")
	}
	assert.Contains(t, last, "You are no longer an administrator")
	assert.Contains(t, last, `id="admin-failing" hx-swap-oob="delete"`, "the failing jobs' form, whose actions are refused now, goes too")
	assert.False(t, f.subscribed("demoted"), "the subscription is dropped")
	// Two more pushes to the other administrator: none to the demoted one.
	for range 2 {
		assert.Contains(t, next(kept, "the other administrator's console"), "admin-live-body")
	}
	select {
	case b := <-demoted:
		t.Fatalf("pushed after the notice: %s", b)
	default:
	}
}
