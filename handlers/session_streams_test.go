package handlers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A logout ends the open streams of its session, in every tab: they stop
// receiving the user's changes at once, and their next connection is
// refused. Another session of the same user (another browser) keeps its.
func TestLogoutEndsTheSessionsStreams(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 100 * time.Millisecond})
	ctx := context.Background()
	u, err := e.db.CreateUser(ctx, "leaver@example.com", "Leaver", "x")
	require.NoError(t, err)
	cookie, sess, err := e.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	otherCookie, _, err := e.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	open := func(cookie string) *sseClient {
		t.Helper()
		c := dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, "/events?view=dashboard", "", "Cookie: "+sessionCookie+"="+cookie)
		require.Equal(t, http.StatusOK, c.Status, c.Body)
		return c
	}
	tab, other := open(cookie), open(otherCookie)

	form := url.Values{"_csrf": {sess.CSRFToken}}
	req, err := http.NewRequest(http.MethodPost, "http://"+e.addr+"/logout", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", sessionCookie+"="+cookie)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The logged-out session's stream ends (heartbeats may come first).
	deadline := time.Now().Add(streamWait)
	for {
		_, err := tab.next(streamWait)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the stream should end, not stall")
		require.True(t, time.Now().Before(deadline), "the logged-out session's stream is still open")
	}
	refused := dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, "/events?view=dashboard", "", "Cookie: "+sessionCookie+"="+cookie)
	require.Equal(t, http.StatusUnauthorized, refused.Status)

	// The other session's stream goes on: its heartbeat still comes.
	for {
		ev, err := other.next(streamWait)
		require.NoError(t, err, "the other session's stream ended")
		if ev.Comment == "ping" {
			break
		}
	}
}
