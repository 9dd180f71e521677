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

const streamWait = 5 * time.Second

func TestJobStreamSendsEveryStepInOrderThroughDone(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			e := newLiveEnv(t, modelstest.Open(t, d), liveOptions{heartbeat: time.Second})
			u, token := e.signIn("order@example.com")
			j := e.newJob(u.ID, "project_charter", "risk_register")

			html := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID, token)
			js := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
			require.Equal(t, http.StatusOK, html.Status)
			require.Equal(t, http.StatusOK, js.Status)

			first := js.events(2, streamWait)
			assert.Equal(t, []string{"status", "progress"}, eventNames(first), "the current state first")
			assert.Equal(t, "queued", first[0].json(t)["status"])
			h := html.events(2, streamWait)
			assert.Equal(t, "Queued", strings.TrimSpace(h[0].doc(t).Find("[data-testid=job-status]").Text()))

			dr := e.drive(j)
			dr.claim()
			ev := js.event(streamWait)
			assert.Equal(t, "status", ev.Name)
			assert.Equal(t, "processing", ev.json(t)["status"])
			h = html.events(1, streamWait)
			assert.Equal(t, "Processing", strings.TrimSpace(h[0].doc(t).Find("[data-testid=job-status]").Text()))

			dr.commit("project_charter", "risk_register")
			evs := js.events(2, streamWait)
			assert.Equal(t, []string{"document", "progress"}, eventNames(evs))
			assert.Equal(t, "project_charter", evs[0].json(t)["type"])
			assert.Equal(t, "completed", evs[0].json(t)["status"])
			assert.EqualValues(t, 50, evs[1].json(t)["progress"])
			assert.Equal(t, "risk_register", evs[1].json(t)["currentDocument"])
			h = html.events(2, streamWait)
			assert.Equal(t, []string{"document", "progress"}, eventNames(h))
			row := h[0].doc(t).Find("[data-testid=job-doc-project_charter]")
			assert.Equal(t, "outerHTML", row.AttrOr("hx-swap-oob", ""))
			assert.Equal(t, "completed", row.AttrOr("data-status", ""))
			card := h[1].doc(t)
			assert.Equal(t, "50%", card.Find("[data-testid=job-percent]").Text())
			assert.Equal(t, "50", card.Find("[data-testid=job-progress]").AttrOr("aria-valuenow", ""))
			assert.Contains(t, card.Find("[data-testid=job-current]").Text(), "Risk")
			assert.Contains(t, card.Find("[data-testid=job-eta]").Text(), "min left")
			assert.Equal(t, "job-"+j.ID, card.Find("[data-testid=job-card]").AttrOr("sse-swap", ""))

			dr.commit("risk_register", "")
			assert.Equal(t, []string{"document", "progress"}, eventNames(js.events(2, streamWait)))
			assert.Equal(t, []string{"document", "progress"}, eventNames(html.events(2, streamWait)))

			// Finishing clears the estimate (progress), ends the job
			// (status), and closes the stream (done).
			dr.finish(models.StatusCompleted)
			evs = js.events(3, streamWait)
			assert.Equal(t, []string{"progress", "status", "done"}, eventNames(evs))
			assert.Equal(t, "completed", evs[2].json(t)["status"])
			js.expectEOF(streamWait)
			evs = html.events(3, streamWait)
			assert.Equal(t, []string{"progress", "status", "done"}, eventNames(evs))
			done := evs[2].doc(t)
			assert.Equal(t, "Completed", strings.TrimSpace(done.Find("[data-testid=job-status]").Text()))
			assert.Equal(t, 0, done.Find("[data-testid=job-cancel]").Length())
			html.expectEOF(streamWait)
		})
	}
}

func TestMidJobClientGetsTheCurrentStateFirst(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("mid@example.com")
	j := e.newJob(u.ID, "project_charter", "scope_statement", "risk_register", "executive_summary")
	dr := e.drive(j)
	dr.claim()
	dr.commit("project_charter", "scope_statement")
	dr.commit("scope_statement", "risk_register")

	c := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
	first := c.event(streamWait)
	assert.Equal(t, "status", first.Name)
	m := first.json(t)
	assert.Equal(t, "processing", m["status"])
	assert.EqualValues(t, 50, m["progress"])
	assert.EqualValues(t, 2, m["completedDocuments"])
	assert.Equal(t, "risk_register", m["currentDocument"])

	card := dialSSE(t, e.addr, "/events", token)
	evs := card.events(2, streamWait)
	assert.Equal(t, []string{"badge", "job-" + j.ID}, eventNames(evs))
	assert.Contains(t, evs[0].doc(t).Find("[data-testid=job-badge]").Text(), "1 generation in progress")
	assert.Equal(t, "50%", evs[1].doc(t).Find("[data-testid=job-percent]").Text())
}

func TestReconnectEndsWithTheDatabaseState(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("reconnect@example.com")
	j := e.newJob(u.ID, "project_charter", "risk_register")
	dr := e.drive(j)

	c := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
	c.events(2, streamWait)
	dr.claim()
	c.event(streamWait)
	c.close() // the tab lost its connection

	dr.commit("project_charter", "risk_register")
	dr.commit("risk_register", "")
	dr.finish(models.StatusCompleted)

	c = dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
	evs := c.events(3, streamWait)
	assert.Equal(t, []string{"status", "progress", "done"}, eventNames(evs))
	c.expectEOF(streamWait)
	snap, err := e.db.Snapshot(context.Background(), j.ID)
	require.NoError(t, err)
	got := evs[2].json(t)
	assert.Equal(t, snap.Job.Status, got["status"])
	assert.EqualValues(t, snap.Job.Version, got["version"])
	assert.EqualValues(t, snap.Job.CompletedDocuments, got["completedDocuments"])
	assert.EqualValues(t, 100, got["progress"])
}

func TestUserStreamBadgeCardsToastAndNotify(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("user@example.com")
	other, _ := e.signIn("other@example.com")

	c := dialSSE(t, e.addr, "/events", token)
	ev := c.event(streamWait)
	require.Equal(t, "badge", ev.Name)
	badge := ev.doc(t).Find("#job-badge")
	assert.Equal(t, "job-badge", badge.AttrOr("data-testid", ""))
	assert.True(t, badge.HasClass("hidden"), "hidden at 0")

	j := e.newJob(u.ID, "project_charter")
	foreign := e.newJob(other.ID, "project_charter")
	e.drive(foreign).publish(foreign) // another user's job never shows here
	dr := e.drive(j)
	dr.publish(j)
	evs := c.events(2, streamWait)
	assert.Equal(t, []string{"job-" + j.ID, "badge"}, eventNames(evs))
	card := evs[0].doc(t).Find("#job-" + j.ID)
	assert.Equal(t, "job-card", card.AttrOr("data-testid", ""))
	assert.Equal(t, "outerHTML", card.AttrOr("hx-swap", ""))
	assert.Equal(t, "Website <relaunch>", strings.TrimSpace(card.Find("a.link").First().Text()), "escaped, never raw")
	assert.False(t, evs[1].doc(t).Find("#job-badge").HasClass("hidden"))
	assert.Contains(t, evs[1].Data, "1 generation in progress")

	dr.claim() // the older job: ours
	assert.Equal(t, "job-"+j.ID, c.event(streamWait).Name)
	dr.commit("project_charter", "")
	assert.Equal(t, "job-"+j.ID, c.event(streamWait).Name)
	dr.finish(models.StatusCompleted)
	evs = c.events(5, streamWait)
	assert.Equal(t, []string{"job-" + j.ID, "toast", "notify", "bell", "badge"}, eventNames(evs))
	bell := evs[3].doc(t).Find("#bell-count")
	assert.Equal(t, "1", strings.TrimSpace(bell.Text()), "the bell counts the new notification")
	assert.False(t, bell.HasClass("hidden"))
	assert.Equal(t, "bell", bell.AttrOr("sse-swap", ""), "the swapped bell listens again")
	toast := evs[1].doc(t).Find("[data-testid=toast]")
	assert.Equal(t, "/jobs/"+j.ID, toast.Find("a").AttrOr("href", ""))
	n := evs[2].json(t)
	assert.Equal(t, "job-"+j.ID, n["tag"])
	assert.Equal(t, "/jobs/"+j.ID, n["url"])
	assert.NotEmpty(t, n["title"])
	assert.True(t, evs[4].doc(t).Find("#job-badge").HasClass("hidden"))

	// Seen live, so the next page load does not announce it again.
	require.Eventually(t, func() bool {
		ns, err := e.db.Notifications(context.Background(), u.ID, 10)
		return err == nil && len(ns) == 1 && ns[0].ShownAt != nil
	}, streamWait, 10*time.Millisecond)
}

func TestTwoInstancesOnOnePostgres(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	a := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
	b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: true})
	u, token := a.signIn("two@example.com")
	j := a.newJob(u.ID, "project_charter", "scope_statement", "risk_register")

	c := dialSSE(t, b.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
	require.Equal(t, http.StatusOK, c.Status)
	c.events(2, streamWait)

	// A processes the job; B's client sees every step.
	dr := a.drive(j)
	dr.claim()
	assert.Equal(t, "processing", c.event(streamWait).json(t)["status"])
	dr.commit("project_charter", "scope_statement")
	evs := c.events(2, streamWait)
	assert.Equal(t, []string{"document", "progress"}, eventNames(evs))
	assert.EqualValues(t, 33, evs[1].json(t)["progress"])

	// B's LISTEN connection dies mid-job; what happens meanwhile is
	// lost to NOTIFY, and the resync makes it good.
	pid := b.bridge.PID()
	var killed bool
	require.NoError(t, db.Raw("SELECT pg_terminate_backend(?)", pid).Scan(&killed).Error)
	require.True(t, killed)
	require.Eventually(t, func() bool { return b.bridge.PID() != pid }, streamWait, time.Millisecond)
	dr.commit("scope_statement", "risk_register")
	dr.commit("risk_register", "")
	dr.finish(models.StatusCompleted)

	var last sseEvent
	for last.Name != "done" {
		last = c.event(10 * time.Second)
	}
	assert.Equal(t, "completed", last.json(t)["status"])
	assert.EqualValues(t, 3, last.json(t)["completedDocuments"])
	c.expectEOF(streamWait)
	assert.GreaterOrEqual(t, b.bridge.Listens(), int64(2))
}

func TestUserStreamDoesNotReannounceAnOldEnding(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("old@example.com")
	old := e.newJob(u.ID, "project_charter")
	dr := e.drive(old)
	dr.claim()
	dr.commit("project_charter", "")
	dr.finish(models.StatusCompleted) // nobody watching: nothing loaded

	c := dialSSE(t, e.addr, "/events", token)
	require.Equal(t, "badge", c.event(streamWait).Name)
	// A bridge reconnect reloads the user's recent jobs.
	require.NoError(t, e.broker.Resync(context.Background()))
	assert.Equal(t, "job-"+old.ID, c.event(streamWait).Name)

	// The next thing this client hears is the new job, not a toast for the
	// old one.
	fresh := e.newJob(u.ID, "project_charter")
	e.drive(fresh).publish(fresh)
	evs := c.events(2, streamWait)
	assert.Equal(t, []string{"job-" + fresh.ID, "badge"}, eventNames(evs))
}
