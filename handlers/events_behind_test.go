package handlers

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
)

// A tab that opened while the broker was loading the user's changes gets
// that load too, read before the tab's own state: it must not turn the
// tab's badge, bell or position back. Only a later update moves them.
func TestAStreamIgnoresAnUpdateOlderThanItsState(t *testing.T) {
	var buf bytes.Buffer
	e := &sse{w: bufio.NewWriter(&buf)}
	ls := &liveStream{view: liveView{Kind: "job", Arg: "j"}, seen: map[string]int64{}, active: -1, unread: -1, projectAt: -1}
	send := func(st models.SyncState) string {
		t.Helper()
		buf.Reset()
		_, err := ls.send(e, &events.SyncUpdate{State: &st})
		require.NoError(t, err)
		require.NoError(t, e.flush())
		return buf.String()
	}

	// The tab's own state, read at 30: no job running, nothing unread.
	out := send(models.SyncState{UserID: "u", From: 0, To: 30, ActiveJobs: 0, Unread: 0})
	assert.Contains(t, out, "event: badge")
	assert.Contains(t, out, "id: 30\n")

	// The broker's load, read at 20 when a job still ran, reset and all.
	out = send(models.SyncState{UserID: "u", From: 10, To: 20, ActiveJobs: 1, Unread: 2, Reset: true})
	assert.Empty(t, out, "an update older than the tab's state sends nothing")
	assert.Equal(t, int64(30), ls.pos)
	assert.Equal(t, 0, ls.active)

	// A later one moves them.
	out = send(models.SyncState{UserID: "u", From: 30, To: 31, ActiveJobs: 1, Unread: 0})
	assert.Contains(t, out, "event: badge")
	assert.Contains(t, out, "id: 31\n")
	assert.Equal(t, 1, ls.active)
}
