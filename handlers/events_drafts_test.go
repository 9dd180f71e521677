package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
)

// nextDraft reads the stream up to its next draft event.
func nextDraft(t *testing.T, c *sseClient) sseEvent {
	t.Helper()
	for {
		ev := c.event(streamWait)
		if ev.Name == "draft" {
			return ev
		}
	}
}

// The job page's /events stream sends the draft so far when it connects
// (on a resync and on a resumed position alike), then the growth; a
// dropped draft empties; another user's stream of the same view gets none.
func TestEventsSendTheDraftSoFarThenItsGrowth(t *testing.T) {
	hub := events.NewDraftHub(events.DraftConfig{Instance: "test"})
	e := newLiveEnv(t, liveSQLite(t), liveOptions{drafts: hub})
	u, token := e.signIn("drafts@example.com")
	j := e.newJob(u.ID, "project_charter")
	// Claimed with its first document started: the charter is being
	// written.
	js, err := e.db.Claim(context.Background(), models.ClaimParams{Worker: "w", Limit: 1, Lease: time.Minute, PerJob: 1, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, js, 1)
	e.drive(j).publish(&js[0].Job)
	publish := func(epoch int64, offset int, delta string) {
		hub.Publish(events.Draft{Op: events.DraftDelta, JobID: j.ID, UserID: u.ID, Type: "project_charter", Epoch: epoch, Offset: offset, Delta: delta})
	}
	text := "# Charter\n\nThe first words"
	publish(1, 0, text)
	view := "&view=job:" + j.ID

	// A resync (no position): the page's state, then the draft so far.
	c := dialSSE(t, e.addr, "/events?since=0"+view, token)
	_, pos := c.batch(streamWait)
	page := newDraftPage(t, j.ID, "project_charter")
	page.apply(nextDraft(t, c).Data)
	require.Equal(t, want(t, page.id, text), shape(page.doc.Find("#"+page.id), false))

	// Then only what grew: appended to the paragraph being written, and
	// the next block.
	more := " and more words.\n\n- a list " + strings.Repeat("that goes on ", 20)
	publish(1, len(text), more)
	text += more
	ev := nextDraft(t, c)
	assert.NotContains(t, ev.Data, "The first words", "the growth only")
	page.apply(ev.Data)
	require.Equal(t, want(t, page.id, text), shape(page.doc.Find("#"+page.id), false))

	// A stream that resumes from the position also starts with the whole
	// draft: the page it serves may have been loaded since.
	c2 := dialSSE(t, e.addr, "/events?since="+pos+view, token)
	c2.batch(streamWait)
	fresh := newDraftPage(t, j.ID, "project_charter")
	fresh.apply(nextDraft(t, c2).Data)
	require.Equal(t, want(t, fresh.id, text), shape(fresh.doc.Find("#"+fresh.id), false))

	// A new attempt starts again.
	publish(2, 0, "# Charter, again")
	for _, p := range []struct {
		c    *sseClient
		page *draftPage
	}{{c, page}, {c2, fresh}} {
		p.page.apply(nextDraft(t, p.c).Data)
		require.Equal(t, want(t, p.page.id, "# Charter, again"), shape(p.page.doc.Find("#"+p.page.id), false))
	}

	// The document failed: its draft empties at once.
	hub.Publish(events.Draft{Op: events.DraftDrop, JobID: j.ID, UserID: u.ID, Type: "project_charter", Epoch: 2})
	page.apply(nextDraft(t, c).Data)
	assert.Empty(t, strings.TrimSpace(page.doc.Find("#"+page.id).Text()))

	// Another user naming the job in a view gets nothing of it.
	_, other := e.signIn("other@example.com")
	c3 := dialSSE(t, e.addr, "/events?since=0"+view, other)
	c3.batch(streamWait)
	publish(3, 0, "# Charter, a third time")
	nextDraft(t, c2) // the owner's stream has it…
	for pings := 0; pings < 2; {
		ev, err := c3.next(streamWait)
		require.NoError(t, err)
		require.NotEqual(t, "draft", ev.Name, "another user's stream sent a draft")
		if ev.Comment == "ping" {
			pings++
		}
	}
}
