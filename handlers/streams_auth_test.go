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

	"dossier/models"
	"dossier/models/modelstest"
)

// A stream lives no longer than the sign-in that authorised it: a logout,
// a revoked API token or an expired session ends it, whichever instance
// the end happened on.

// postWithSession sends a form POST as the browser of the session would,
// and returns the status (redirects are not followed).
func postWithSession(t *testing.T, addr, path, cookie, csrf string) int {
	t.Helper()
	form := url.Values{"_csrf": {csrf}}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", sessionCookie+"="+cookie)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// dialCookie opens a stream with a session cookie.
func dialCookie(t *testing.T, addr, path, cookie string) *sseClient {
	t.Helper()
	return dialSSEWith(t, &net.Dialer{Timeout: streamWait}, addr, path, "", "Cookie: "+sessionCookie+"="+cookie)
}

// endsWithout reads s until the server ends it (the same end a logout
// gives the stream of its own instance: the response ends, the browser's
// EventSource reconnects and is refused), failing if that takes longer than
// within or if an event before the end carries leak. It returns when the
// end came.
func endsWithout(t *testing.T, s *sseClient, within time.Duration, leak string) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev, err := s.next(time.Until(deadline))
		if errors.Is(err, io.EOF) {
			return time.Now()
		}
		require.NoError(t, err, "the stream should have ended within %s", within)
		if leak != "" {
			require.NotContains(t, ev.Data, leak, "the stream received the user's data after its sign-in ended")
		}
	}
}

// stillOpen checks the stream goes on: its heartbeat still comes.
func stillOpen(t *testing.T, s *sseClient) {
	t.Helper()
	for {
		ev, err := s.next(streamWait)
		require.NoError(t, err, "the stream ended")
		if ev.Comment == "ping" {
			return
		}
	}
}

// A logout made on one instance ends the session's streams on another:
// scale-out needs no stickiness, and the README promises every tab.
func TestLogoutOnOneInstanceEndsTheSessionsStreamsOnAnother(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	a := newLiveEnv(t, db, liveOptions{heartbeat: 200 * time.Millisecond, instance: "a", bridge: true})
	b := newLiveEnv(t, db, liveOptions{heartbeat: 200 * time.Millisecond, instance: "b", bridge: true})
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "leaver2@example.com", "Leaver", "x")
	require.NoError(t, err)
	cookie, sess, err := db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	otherCookie, _, err := db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	tab := dialCookie(t, b.addr, "/events?view=projects", cookie)
	require.Equal(t, http.StatusOK, tab.Status, tab.Body)
	tab.batch(streamWait)
	other := dialCookie(t, b.addr, "/events?view=projects", otherCookie)
	require.Equal(t, http.StatusOK, other.Status, other.Body)
	other.batch(streamWait)

	require.Equal(t, http.StatusSeeOther, postWithSession(t, a.addr, "/logout", cookie, sess.CSRFToken))
	require.NoError(t, db.CreateProject(ctx, &models.Project{UserID: u.ID, Name: "After logout"}))
	a.srv.publishUser(u.ID)
	endsWithout(t, tab, 3*time.Second, "After logout")
	require.Equal(t, http.StatusUnauthorized, dialCookie(t, b.addr, "/events?view=projects", cookie).Status)

	stillOpen(t, other) // the user's other session is not logged out
}

// A session that expires while its stream is open ends the stream at its
// expiry, not before.
func TestAnExpiringSessionEndsItsStreams(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 100 * time.Millisecond})
	ctx := context.Background()
	u, err := e.db.CreateUser(ctx, "expiring@example.com", "Expiring", "x")
	require.NoError(t, err)
	cookie, sess, err := e.db.CreateSession(ctx, u.ID, 2*time.Second)
	require.NoError(t, err)

	tab := dialCookie(t, e.addr, "/events?view=projects", cookie)
	require.Equal(t, http.StatusOK, tab.Status, tab.Body)
	tab.batch(streamWait)

	ended := endsWithout(t, tab, time.Until(sess.ExpiresAt)+2*time.Second, "")
	require.False(t, ended.Before(sess.ExpiresAt.Add(-50*time.Millisecond)), "the stream ended %s before its session expired", sess.ExpiresAt.Sub(ended))
	require.Equal(t, http.StatusUnauthorized, dialCookie(t, e.addr, "/events?view=projects", cookie).Status)
}

// An end announced while this instance's LISTEN connection was down is
// lost; the bridge's reconnect resyncs, and the resync checks the open
// streams' sign-ins again. Here the sign-ins end in the database only (no
// announcement at all), and the resync alone must end their streams.
func TestResyncEndsStreamsWhoseSignInEndedUnheard(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 100 * time.Millisecond})
	ctx := context.Background()
	u, token := e.signIn("unheard@example.com")
	cookie, _, err := e.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	keptCookie, _, err := e.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	tab := dialCookie(t, e.addr, "/events?view=projects", cookie)
	require.Equal(t, http.StatusOK, tab.Status, tab.Body)
	tab.batch(streamWait)
	api := dialSSE(t, e.addr, "/events?view=projects", token)
	require.Equal(t, http.StatusOK, api.Status, api.Body)
	api.batch(streamWait)
	kept := dialCookie(t, e.addr, "/events?view=projects", keptCookie)
	require.Equal(t, http.StatusOK, kept.Status, kept.Body)
	kept.batch(streamWait)

	require.NoError(t, e.db.DeleteSession(ctx, cookie))
	ts, err := e.db.APITokens(ctx, u.ID)
	require.NoError(t, err)
	require.NoError(t, e.db.RevokeAPIToken(ctx, u.ID, ts[0].ID))
	require.NoError(t, e.broker.Resync(ctx)) // what the bridge does after it LISTENs again

	endsWithout(t, tab, 2*time.Second, "")
	endsWithout(t, api, 2*time.Second, "")
	stillOpen(t, kept)
}
