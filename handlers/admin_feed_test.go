package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// adminPush reads s until an admin event whose data contains marker, and
// returns it; it fails after within.
func adminPush(t *testing.T, s *sseClient, marker string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev, err := s.next(time.Until(deadline))
		require.NoError(t, err, "no console push carrying %q within %s", marker, within)
		if ev.Name == "admin" && strings.Contains(ev.Data, marker) {
			return ev.Data
		}
	}
}

// A user whose administrator role is withdrawn gets no more of the console
// over the streams already open, on every instance, from the first push
// rendered after the withdrawal: no signal between instances is needed,
// since each instance's feed checks its subscribers' role before it pushes.
// The streams themselves go on (the user is still signed in), and one
// opened after the withdrawal does not subscribe.
//
// There is no command or page that withdraws the role: models.SetAdmin
// (false) or an UPDATE by hand does, on whichever process; this one is
// neither instance.
func TestADemotedAdministratorsOpenStreamsGetNoMoreOfTheConsole(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	const refresh = 50 * time.Millisecond
	var envs []*liveEnv
	for _, name := range []string{"a", "b"} {
		e := newLiveEnv(t, db, liveOptions{heartbeat: 100 * time.Millisecond, instance: name, bridge: true})
		// The console refreshes every 2 s by default; faster here. Set
		// before any stream subscribes to it.
		e.srv.admin = newAdminFeed(e.srv.adminLiveHTML, db.AdminIDs, refresh, e.srv.done)
		envs = append(envs, e)
	}
	ctx := context.Background()
	admin := func(email string) (*models.User, string) {
		u, token := envs[0].signIn(email)
		u, err := db.SetAdmin(ctx, u.Email, true)
		require.NoError(t, err)
		return u, token
	}
	demoted, demotedToken := admin("demoted@example.com")
	_, keptToken := admin("still-admin@example.com")

	type pair struct{ demoted, kept *sseClient }
	var streams []pair
	for _, e := range envs {
		p := pair{dialSSE(t, e.addr, "/events", demotedToken), dialSSE(t, e.addr, "/events", keptToken)}
		for _, s := range []*sseClient{p.demoted, p.kept} {
			require.Equal(t, http.StatusOK, s.Status, s.Body)
			s.batch(streamWait)
		}
		// Both get the console while they are administrators.
		adminPush(t, p.demoted, "admin-live-body", streamWait)
		adminPush(t, p.kept, "admin-live-body", streamWait)
		streams = append(streams, p)
	}

	_, err := db.SetAdmin(ctx, demoted.Email, false)
	require.NoError(t, err)
	// Something the console shows, written after the withdrawal: a push
	// that carries it was rendered after it.
	marker := "after-demotion@example.com"
	other, _ := envs[0].signIn(marker)
	envs[0].newJob(other.ID, "project_charter")

	for i, p := range streams {
		adminPush(t, p.kept, marker, streamWait) // the instance pushed it
		assert.False(t, envs[i].srv.admin.subscribed(demoted.ID), "instance %d: the demoted user's subscription is dropped", i)
		// The demoted user's stream goes on, without the console: read
		// until two heartbeats came after the push above.
		pings := 0
		for pings < 2 {
			ev, err := p.demoted.next(streamWait)
			require.NoError(t, err, "the demoted user's stream should go on")
			if ev.Comment == "ping" {
				pings++
			}
			if ev.Name == "admin" {
				assert.False(t, strings.Contains(ev.Data, marker), "instance %d: the console was pushed to a user who is no longer an administrator", i)
			}
		}
	}

	// A stream opened now does not subscribe.
	again := dialSSE(t, envs[1].addr, "/events", demotedToken)
	require.Equal(t, http.StatusOK, again.Status, again.Body)
	again.batch(streamWait)
	assert.False(t, envs[1].srv.admin.subscribed(demoted.ID))
}
