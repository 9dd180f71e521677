package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/models"
	"dossier/models/modelstest"
)

// The daily cleanup removes an old finished job and its unread
// notification: open tabs of the owner resync at once (the bell drops to
// zero, the dashboard's lists lose the job), on this instance and, through
// the cleanup's NOTIFY, on another. Without it they kept the bell count
// and the card until the user's next change.
func TestCleanupResyncsTheOwnersTabs(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			db := modelstest.Open(t, d)
			// The stream is on b; a runs the cleanup (on PostgreSQL, another
			// instance that tells b through the database).
			b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: d == models.Postgres})
			a := b
			if d == models.Postgres {
				a = newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
			}
			ctx := context.Background()
			u, token := b.signIn("tidy@example.com")
			other, _ := b.signIn("other@example.com")
			j := b.newJob(u.ID, "project_charter")
			dr := b.drive(j)
			dr.claim()
			dr.commit("project_charter", "")
			dr.finish(models.StatusCompleted)
			kept := b.newJob(other.ID, "project_charter")

			c := dialSSE(t, b.addr, "/events?view=dashboard", token)
			evs, pos := c.batch(streamWait)
			require.Equal(t, "1", strings.TrimSpace(eventNamed(t, evs, "bell").doc(t).Find("[data-testid=bell-count]").Text()))
			assert.Contains(t, eventNamed(t, evs, "dash-recent").Data, j.ID, "the ended job is listed")
			otherPos, err := db.SyncPosition(ctx, other.ID)
			require.NoError(t, err)

			old := time.Now().Add(-40 * 24 * time.Hour)
			g := db.ForTests()
			require.NoError(t, g.Exec(`UPDATE document_generation_jobs SET completed_at = ? WHERE id = ?`, old, j.ID).Error)
			require.NoError(t, g.Exec(`UPDATE notifications SET created_at = ? WHERE user_id = ?`, old, u.ID).Error)

			p, err := jobs.NewProcessor(db, documents.NewTemplateGenerator(0), a.broker, jobs.Config{Worker: "cleaner"})
			require.NoError(t, err)
			n, err := p.Cleanup(ctx)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)

			evs, after := c.batch(streamWait)
			assert.NotEqual(t, pos, after, "the removal moved the position")
			bell := eventNamed(t, evs, "bell").doc(t).Find("[data-testid=bell-count]")
			assert.Equal(t, "0", strings.TrimSpace(bell.Text()), "the removed notification no longer counts")
			assert.NotContains(t, eventNamed(t, evs, "dash-recent").Data, j.ID, "the removed job leaves the list")
			assert.Equal(t, "[]", eventNamed(t, evs, "unshown").Data)

			// A tab that was away catches up from its old position with a
			// resync too: no row is left to tell it.
			c.close()
			c = dialSSE(t, b.addr, "/events?view=dashboard&since="+pos, token)
			evs, _ = c.batch(streamWait)
			assert.Equal(t, "0", strings.TrimSpace(eventNamed(t, evs, "bell").doc(t).Find("[data-testid=bell-count]").Text()))
			assert.NotContains(t, eventNamed(t, evs, "dash-recent").Data, j.ID)
			c.close()

			// The other user lost nothing, and their tabs have nothing to
			// resync.
			_, err = db.JobByID(ctx, kept.ID)
			require.NoError(t, err)
			now, err := db.SyncPosition(ctx, other.ID)
			require.NoError(t, err)
			assert.Equal(t, otherPos, now)
		})
	}
}

// eventNamed is the batch's event of that name.
func eventNamed(t *testing.T, evs []sseEvent, name string) sseEvent {
	t.Helper()
	for _, ev := range evs {
		if ev.Name == name {
			return ev
		}
	}
	require.Failf(t, "no such event", "%q not among %v", name, eventNames(evs))
	return sseEvent{}
}
