package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// The end of a sign-in reaches the other instances as a NOTIFY sent after
// the commit that ended it: an instance that stops in between (a crash, a
// kill) loses it. Every instance checks its open streams' sign-ins again
// each AccessRecheck (the heartbeat), so such a stream ends within one
// interval. Here the sign-ins end in the database only, as the stopped
// instance left them, and nothing is announced; the LISTEN connection
// stays up, so no reconnect's recheck ends them either.
func TestAStreamWhoseEndWasNeverAnnouncedEndsWithinTheRecheck(t *testing.T) {
	const interval = 200 * time.Millisecond
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	// a is the instance that ended the sign-ins and stopped before it
	// could announce it; b holds their streams.
	newLiveEnv(t, db, liveOptions{heartbeat: interval, instance: "a", bridge: true})
	b := newLiveEnv(t, db, liveOptions{heartbeat: interval, instance: "b", bridge: true})
	ctx := context.Background()
	u, token := b.signIn("unannounced@example.com")
	cookie, _, err := db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	keptCookie, _, err := db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	tab := dialCookie(t, b.addr, "/events?view=projects", cookie)
	require.Equal(t, http.StatusOK, tab.Status, tab.Body)
	tab.batch(streamWait)
	api := dialSSE(t, b.addr, "/events?view=projects", token)
	require.Equal(t, http.StatusOK, api.Status, api.Body)
	api.batch(streamWait)
	kept := dialCookie(t, b.addr, "/events?view=projects", keptCookie)
	require.Equal(t, http.StatusOK, kept.Status, kept.Body)
	kept.batch(streamWait)
	listens := b.bridge.Listens()

	// The logout and the revocation commit; their announcements are lost.
	require.NoError(t, db.DeleteSession(ctx, cookie))
	ts, err := db.APITokens(ctx, u.ID)
	require.NoError(t, err)
	require.NoError(t, db.RevokeAPIToken(ctx, u.ID, ts[0].ID))

	// Within the interval (plus the read, on a busy machine: a stream that
	// is never checked again would stay open for good).
	bound := 10 * interval
	endsWithout(t, tab, bound, "")
	endsWithout(t, api, bound, "")
	assert.Equal(t, listens, b.bridge.Listens(), "no reconnect rechecked them")
	stillOpen(t, kept) // the user's live session keeps its stream
}
