package handlers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
)

// A resync sends no shown event for what another tab acknowledged while
// this one was away (it carries only what is still unshown): it lists
// instead every notification still unshown, and the tab drops the
// announcements it holds that are not listed. A catch-up from a position
// says shown, as before. A resync past the replay limit lists the newest
// unshown ones it carries, and counts the others (unshown-older).
func TestAResyncListsTheAnnouncementsStillUnshown(t *testing.T) {
	t.Parallel()
	job := "6d0c1b8e-4a43-4c39-9a0e-2f5b8a8f1d10"
	now := time.Now()
	unshown := models.Notification{ID: "n-unshown", JobID: &job, Kind: models.NotifyCompleted, SyncPosition: 7}
	shown := models.Notification{ID: "n-shown", JobID: &job, Kind: models.NotifyCompleted, ShownAt: &now, SyncPosition: 8}
	for _, tc := range []struct {
		name  string
		state models.SyncState
		want  []string // event: data
	}{
		{
			name:  "a resync lists what is unshown",
			state: models.SyncState{From: 0, To: 9, Reset: true, Notifications: []models.Notification{unshown}},
			want:  []string{"announce", `unshown: ["n-unshown"]`, "sync: 9"},
		},
		{
			name:  "a resync with nothing unshown lists nothing, but says so",
			state: models.SyncState{From: 99, To: 9, Reset: true},
			want:  []string{`unshown: []`, "sync: 9"},
		},
		{
			name:  "a resync past the limit lists the newest and counts the others",
			state: models.SyncState{From: 0, To: 9, Reset: true, UnshownOlder: 3, Notifications: []models.Notification{unshown}},
			want:  []string{"announce", `unshown: ["n-unshown"]`, "unshown-older: 3", "sync: 9"},
		},
		{
			name:  "a catch-up says what was shown",
			state: models.SyncState{From: 6, To: 9, Notifications: []models.Notification{unshown, shown}},
			want:  []string{"announce", "shown: n-shown", "sync: 9"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := &sse{w: bufio.NewWriter(&buf)}
			// The badge and bell are as the tab has them: only the
			// announcements are sent.
			ls := &liveStream{seen: map[string]int64{}, projectAt: -1}
			_, err := ls.send(e, &events.SyncUpdate{State: &tc.state})
			require.NoError(t, err)
			require.NoError(t, e.flush())
			assert.Equal(t, tc.want, sentEvents(buf.String()))
		})
	}
}

// A user with more unshown notifications than a resync carries (leftovers
// of an earlier session) still gets the newest toasted and the list of
// them, and is told how many older ones there are: before, such a resync
// announced the oldest 200 and listed none.
func TestAResyncPastTheLimitAnnouncesTheNewestAndCountsTheRest(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("many-unshown@example.com")
	j := e.newJob(u.ID, "project_charter")
	const older = 3
	var ids []string
	for range models.SyncReplayLimit + older {
		id := uuid.NewString()
		require.NoError(t, e.db.ForTests().Exec(`INSERT INTO notifications (id, user_id, job_id, kind, title, created_at) VALUES (?, ?, ?, ?, '', ?)`,
			id, u.ID, j.ID, models.NotifyCompleted, time.Now().UTC()).Error)
		ids = append(ids, id)
	}
	newest := ids[older:]

	c := dialSSE(t, e.addr, "/events", token) // no position: a resync
	require.Equal(t, http.StatusOK, c.Status, c.Body)
	evs, _ := c.batch(streamWait)
	var announced []string
	for _, ev := range evs {
		if ev.Name == "announce" {
			announced = append(announced, ev.doc(t).Find("[data-announce]").AttrOr("data-announce", ""))
		}
	}
	assert.Equal(t, newest, announced, "the newest are announced, oldest of them first")
	var listed []string
	require.NoError(t, json.Unmarshal([]byte(eventNamed(t, evs, "unshown").Data), &listed))
	assert.Equal(t, newest, listed, "and listed")
	assert.Equal(t, "3", eventNamed(t, evs, "unshown-older").Data, "the older ones are counted")
	names := eventNames(evs)
	assert.Equal(t, []string{"unshown", "unshown-older", "sync"}, names[len(names)-3:])
}

// sentEvents reads a written stream as "name: data" per event, or the name
// alone for an announcement (its data is the toast).
func sentEvents(stream string) []string {
	var out []string
	for _, block := range strings.Split(strings.TrimSpace(stream), "\n\n") {
		var name, data string
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				data += v
			}
		}
		if name == "" {
			continue
		}
		if name == "announce" {
			out = append(out, name)
		} else {
			out = append(out, name+": "+data)
		}
	}
	return out
}
