package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// Revoking a token (the settings page's button) ends its open streams at
// once, before the owner's next change reaches them; the user's other token
// keeps its stream.
func TestRevokingATokenEndsItsStreams(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 100 * time.Millisecond})
	ctx := context.Background()
	u, token := e.signIn("leak@example.com")
	other, _, err := e.db.CreateAPIToken(ctx, u.ID, "other")
	require.NoError(t, err)
	cookie, sess, err := e.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	s := dialSSE(t, e.addr, "/events?view=projects", token)
	require.Equal(t, http.StatusOK, s.Status, s.Body)
	s.batch(streamWait)
	kept := dialSSE(t, e.addr, "/events?view=projects", other)
	require.Equal(t, http.StatusOK, kept.Status, kept.Body)
	kept.batch(streamWait)

	ts, err := e.db.APITokens(ctx, u.ID)
	require.NoError(t, err)
	var id string
	for _, tk := range ts {
		if tk.Name == "test" {
			id = tk.ID
		}
	}
	require.NotEmpty(t, id)
	require.Equal(t, http.StatusSeeOther, postWithSession(t, e.addr, "/settings/tokens/"+id+"/revoke", cookie, sess.CSRFToken))

	require.NoError(t, e.db.CreateProject(ctx, &models.Project{UserID: u.ID, Name: "Secret acquisition"}))
	e.srv.publishUser(u.ID)
	endsWithout(t, s, 2*time.Second, "Secret acquisition")
	require.Equal(t, http.StatusUnauthorized, dialSSE(t, e.addr, "/events", token).Status)

	stillOpen(t, kept)
}

// A revocation made on one instance ends the token's streams on another
// (the end crosses on the control channel, as the token's id).
func TestRevokingATokenOnOneInstanceEndsItsStreamsOnAnother(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	a := newLiveEnv(t, db, liveOptions{heartbeat: 200 * time.Millisecond, instance: "a", bridge: true})
	b := newLiveEnv(t, db, liveOptions{heartbeat: 200 * time.Millisecond, instance: "b", bridge: true})
	ctx := context.Background()
	u, token := b.signIn("leak2@example.com")
	cookie, sess, err := db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)

	s := dialSSE(t, b.addr, "/events?view=projects", token)
	require.Equal(t, http.StatusOK, s.Status, s.Body)
	s.batch(streamWait)

	ts, err := db.APITokens(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, ts, 1)
	require.Equal(t, http.StatusSeeOther, postWithSession(t, a.addr, "/settings/tokens/"+ts[0].ID+"/revoke", cookie, sess.CSRFToken))

	require.NoError(t, db.CreateProject(ctx, &models.Project{UserID: u.ID, Name: "Secret acquisition"}))
	a.srv.publishUser(u.ID)
	endsWithout(t, s, 3*time.Second, "Secret acquisition")
}
