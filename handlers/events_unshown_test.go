package handlers

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
)

// A resync sends no shown event for what another tab acknowledged while
// this one was away (it carries only what is still unshown): it lists
// instead every notification still unshown, and the tab drops the
// announcements it holds that are not listed. A catch-up from a position
// says shown, as before; a resync cut at the replay limit lists nothing,
// since a tab must not drop what lies past it.
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
			state: models.SyncState{From: 0, To: 9, Reset: true, AllUnshown: true, Notifications: []models.Notification{unshown}},
			want:  []string{"announce", `unshown: ["n-unshown"]`, "sync: 9"},
		},
		{
			name:  "a resync with nothing unshown lists nothing, but says so",
			state: models.SyncState{From: 99, To: 9, Reset: true, AllUnshown: true},
			want:  []string{`unshown: []`, "sync: 9"},
		},
		{
			name:  "a resync cut at the limit lists nothing",
			state: models.SyncState{From: 0, To: 9, Reset: true, Notifications: []models.Notification{unshown}},
			want:  []string{"announce", "sync: 9"},
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
