package events

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// Two updates a stream has not taken yet merge into one. A reset lists
// the notifications still unshown (the newest, and a count of the older
// ones, UnshownOlder), which a tab trusts to drop the announcements it
// holds that are not listed: the merge must keep that list true. An earlier update's unshown notification that a later reset
// no longer carries was shown meanwhile, and goes; an acknowledged one
// stays (shown is final). A catch-up after a reset keeps the list true, each
// row at its latest stamp.
func TestMergeKeepsTheListOfUnshownTrue(t *testing.T) {
	t.Parallel()
	now := time.Now()
	unshown := func(id string, pos int64) models.Notification {
		return models.Notification{ID: id, SyncPosition: pos}
	}
	shown := func(id string, pos int64) models.Notification {
		return models.Notification{ID: id, ShownAt: &now, SyncPosition: pos}
	}
	type note struct {
		ID    string
		Shown bool
	}
	for _, tc := range []struct {
		name       string
		old, later models.SyncState
		reset      bool
		older      int
		want       []note
	}{
		{
			name:  "a catch-up, then a reset",
			old:   models.SyncState{From: 2, To: 4, Notifications: []models.Notification{unshown("x", 3), shown("y", 4)}},
			later: models.SyncState{From: 4, To: 6, Reset: true, Notifications: []models.Notification{unshown("z", 6)}},
			reset: true,
			want:  []note{{"y", true}, {"z", false}},
		},
		{
			name:  "a reset, then a catch-up",
			old:   models.SyncState{From: 0, To: 4, Reset: true, Notifications: []models.Notification{unshown("x", 3)}},
			later: models.SyncState{From: 4, To: 6, Notifications: []models.Notification{shown("x", 5), unshown("w", 6)}},
			reset: true,
			want:  []note{{"x", true}, {"w", false}},
		},
		{
			name:  "a reset past the limit, then a catch-up: the count of older ones stays",
			old:   models.SyncState{From: 0, To: 4, Reset: true, UnshownOlder: 7, Notifications: []models.Notification{unshown("x", 3)}},
			later: models.SyncState{From: 4, To: 6, Notifications: []models.Notification{unshown("w", 6)}},
			reset: true, older: 7,
			want: []note{{"x", false}, {"w", false}},
		},
		{
			name:  "a reset past the limit, then one within it: the later count",
			old:   models.SyncState{From: 0, To: 4, Reset: true, UnshownOlder: 7, Notifications: []models.Notification{unshown("x", 3)}},
			later: models.SyncState{From: 0, To: 6, Reset: true, Notifications: []models.Notification{unshown("w", 6)}},
			reset: true,
			want:  []note{{"w", false}},
		},
		{
			name:  "two catch-ups",
			old:   models.SyncState{From: 2, To: 4, Notifications: []models.Notification{unshown("x", 3)}},
			later: models.SyncState{From: 4, To: 6, Notifications: []models.Notification{shown("x", 5)}},
			reset: false,
			want:  []note{{"x", true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.old.Notifications)
			m := mergeSync(&SyncUpdate{State: &tc.old}, &SyncUpdate{State: &tc.later}).State
			assert.Equal(t, tc.reset, m.Reset, "reset")
			assert.Equal(t, tc.older, m.UnshownOlder, "the older unshown ones counted")
			var got []note
			for _, n := range m.Notifications {
				got = append(got, note{n.ID, n.ShownAt != nil})
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, before, tc.old.Notifications, "the earlier update is shared: left as it was")
		})
	}
}
