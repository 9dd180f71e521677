package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
	"dossier/views/pages"
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

	// Without a position, the user stream resyncs in full.
	card := dialSSE(t, e.addr, "/events", token)
	evs, pos := card.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "job-" + j.ID, "unshown", "sync"}, eventNames(evs))
	assert.Contains(t, evs[0].doc(t).Find("[data-testid=job-badge]").Text(), "1 generation in progress")
	assert.Equal(t, "50%", evs[2].doc(t).Find("[data-testid=job-percent]").Text())
	want, err := e.db.SyncPosition(context.Background(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(want), pos)
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

// The per-job stream follows the job's sync position: the last event of
// each batch carries it as id: (and only the last, so a client cut off
// mid-batch resumes from before it). A reconnect with Last-Event-ID gets
// nothing again when it is current, the current state when it is behind,
// and the end when the job ended.
func TestJobStreamResumesFromLastEventID(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 100 * time.Millisecond})
	u, token := e.signIn("resume@example.com")
	j := e.newJob(u.ID, "project_charter", "scope_statement", "risk_register")
	dr := e.drive(j)
	const path = "/api/generation/jobs/stream/"
	position := func() string {
		t.Helper()
		snap, err := e.db.Snapshot(context.Background(), j.ID)
		require.NoError(t, err)
		return fmt.Sprint(snap.Job.SyncPosition)
	}
	// batch reads n events: only the last carries an id, the job's
	// position in the database.
	batch := func(c *sseClient, names ...string) []sseEvent {
		t.Helper()
		evs := c.events(len(names), streamWait)
		require.Equal(t, names, eventNames(evs))
		for _, ev := range evs[:len(evs)-1] {
			require.Empty(t, ev.ID, "%s: only the last event of a batch carries the position", ev.Name)
		}
		require.Equal(t, position(), evs[len(evs)-1].ID)
		return evs
	}
	// quiet reads up to two heartbeats: nothing but comments comes.
	quiet := func(c *sseClient) {
		t.Helper()
		for pings := 0; pings < 2; {
			ev, err := c.next(streamWait)
			require.NoError(t, err)
			require.Empty(t, ev.Name, "nothing was missed, yet the stream sent %q", ev.Name)
			if ev.Comment == "ping" {
				pings++
			}
		}
	}

	c := dialSSE(t, e.addr, path+j.ID+"?format=json", token)
	batch(c, "status", "progress")
	dr.claim()
	batch(c, "status")
	dr.commit("project_charter", "scope_statement")
	seen := batch(c, "document", "progress")[1].ID
	c.close() // the client loses its connection

	// It missed a document: it gets the current state, at the new position.
	dr.commit("scope_statement", "risk_register")
	c = dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, path+j.ID+"?format=json", token, "Last-Event-ID: "+seen)
	require.Equal(t, http.StatusOK, c.Status)
	evs := batch(c, "status", "progress")
	assert.EqualValues(t, 2, evs[1].json(t)["completedDocuments"])
	current := evs[1].ID
	assert.NotEqual(t, seen, current)
	c.close()

	// It missed nothing: nothing is sent again, and it goes on from there
	// (the HTML stream too, and ?since= as well as Last-Event-ID).
	c = dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, path+j.ID+"?format=json", token, "Last-Event-ID: "+current)
	html := dialSSE(t, e.addr, path+j.ID+"?since="+current, token)
	quiet(c)
	quiet(html)
	dr.commit("risk_register", "")
	batch(c, "document", "progress")
	batch(html, "document", "progress")
	dr.finish(models.StatusCompleted)
	end := batch(c, "progress", "status", "done")[2].ID
	batch(html, "progress", "status", "done")
	c.expectEOF(streamWait)
	html.expectEOF(streamWait)

	// At the end, a client that saw the end is told it ended; one from
	// before gets the final state.
	c = dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, path+j.ID+"?format=json", token, "Last-Event-ID: "+end)
	assert.Equal(t, "completed", batch(c, "done")[0].json(t)["status"])
	c.expectEOF(streamWait)
	c = dialSSEWith(t, &net.Dialer{Timeout: streamWait}, e.addr, path+j.ID+"?format=json", token, "Last-Event-ID: "+seen)
	batch(c, "status", "progress", "done")
	c.expectEOF(streamWait)
}

// The user stream follows the user's sync positions: each batch ends with a
// sync event whose id is the position; announcements stay until a tab
// acknowledges them; a reconnect replays exactly what changed after its
// position, and a position it cannot resume gets a full resync.
func TestUserStreamFollowsPositions(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("user@example.com")
	other, _ := e.signIn("other@example.com")
	ctx := context.Background()

	c := dialSSE(t, e.addr, "/events?since=0", token)
	evs, pos := c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "unshown", "sync"}, eventNames(evs))
	assert.Equal(t, "[]", evs[2].Data, "nothing unshown")
	assert.True(t, evs[0].doc(t).Find("#job-badge").HasClass("hidden"), "hidden at 0")
	assert.Equal(t, "0", pos)

	j := e.newJob(u.ID, "project_charter")
	foreign := e.newJob(other.ID, "project_charter")
	e.drive(foreign).publish(foreign) // another user's job never shows here
	dr := e.drive(j)
	dr.publish(j)
	evs, pos = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "job-" + j.ID, "unshown", "sync"}, eventNames(evs), "a load from 0 is a resync")
	assert.Equal(t, "2", pos, "the project, then its job")
	card := evs[1].doc(t).Find("#job-" + j.ID)
	assert.Equal(t, "job-card", card.AttrOr("data-testid", ""))
	assert.Equal(t, "outerHTML", card.AttrOr("hx-swap", ""))
	assert.Equal(t, "Website <relaunch> · Run #1", strings.TrimSpace(card.Find("a.link").First().Text()), "escaped, never raw")
	assert.Contains(t, evs[0].Data, "1 generation in progress")

	dr.claim()
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"job-" + j.ID, "sync"}, eventNames(evs))
	dr.commit("project_charter", "")
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"job-" + j.ID, "sync"}, eventNames(evs))
	dr.finish(models.StatusCompleted)
	evs, pos = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "job-" + j.ID, "announce", "sync"}, eventNames(evs))
	assert.Equal(t, "6", pos, "the ending and its notification are two changes")
	bell := evs[1].doc(t).Find("#bell-count")
	assert.Equal(t, "1", strings.TrimSpace(bell.Find("[data-testid=bell-count]").Text()), "the bell counts the new notification")
	assert.Equal(t, "(1 unread)", strings.TrimSpace(bell.Find("[data-testid=bell-count-text]").Text()), "and says it to a screen reader")
	assert.Equal(t, "bell", bell.AttrOr("sse-swap", ""), "the swapped bell listens again")
	toast := evs[3].doc(t).Find("[data-testid=toast]")
	assert.Equal(t, "/jobs/"+j.ID, toast.Find("a").AttrOr("href", ""))
	assert.Equal(t, "job-"+j.ID, toast.AttrOr("data-tag", ""))
	nid := toast.AttrOr("data-announce", "")
	require.NotEmpty(t, nid)
	assert.True(t, evs[0].doc(t).Find("#job-badge").HasClass("hidden"))

	// Nothing is marked shown until a tab says it showed it.
	ns, err := e.db.Notifications(ctx, u.ID, 10)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Nil(t, ns[0].ShownAt, "delivered is not shown")

	// The tab went away before showing it: a reconnect from its position
	// replays nothing, and a page loaded later announces it again.
	c.close()
	c = dialSSE(t, e.addr, "/events?since=6", token)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs))
	c.close()
	c = dialSSE(t, e.addr, "/events", token)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "announce", "unshown", "sync"}, eventNames(evs), "a resync announces what no tab has shown")
	assert.Equal(t, `["`+nid+`"]`, evs[3].Data, "and lists it")

	// A tab acknowledges it: every stream hears it was shown.
	ack := e.post("/notifications/"+nid+"/shown", token)
	assert.Equal(t, http.StatusNoContent, ack)
	evs, pos = c.batch(streamWait)
	assert.Equal(t, []string{"shown", "sync"}, eventNames(evs))
	assert.Equal(t, nid, evs[0].Data)
	assert.Equal(t, "7", pos)
	assert.Equal(t, http.StatusNoContent, e.post("/notifications/"+nid+"/shown", token), "a second acknowledgement is harmless")
	c.close()

	// Last-Event-ID wins over an older ?since (the browser's own
	// reconnect), and replays only what changed after it.
	c = dialSSEWith(t, &net.Dialer{Timeout: 5 * time.Second}, e.addr, "/events?since=3", token, "Last-Event-ID: 6")
	evs, pos = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "shown", "sync"}, eventNames(evs))
	assert.Equal(t, "7", pos)
	c.close()
	// A position ahead of the user's (another database, say) resyncs. A
	// resync tells no tab what was shown, only what was not: a tab that
	// holds the announcement drops it.
	c = dialSSE(t, e.addr, "/events?since=999", token)
	evs, pos = c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "unshown", "sync"}, eventNames(evs), "nothing live")
	assert.Equal(t, "[]", evs[2].Data, "nothing unshown")
	assert.Equal(t, "7", pos)
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
	require.NoError(t, db.ForTests().Raw("SELECT pg_terminate_backend(?)", pid).Scan(&killed).Error)
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

// A bridge reconnect reloads the user's changes from the broker's cursor:
// nothing is announced twice, and nothing is lost.
func TestUserStreamResyncAfterBridgeLoss(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("old@example.com")
	c := dialSSE(t, e.addr, "/events", token)
	_, pos := c.batch(streamWait)
	assert.Equal(t, "0", pos)

	// Changes whose events were lost.
	old := e.newJob(u.ID, "project_charter")
	dr := e.drive(old)
	js, err := e.db.Claim(context.Background(), models.ClaimParams{Worker: "worker-1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	dr.lease = js[0].Lease()
	require.NoError(t, e.broker.Resync(context.Background()))
	evs, pos := c.batch(streamWait)
	assert.Equal(t, []string{"badge", "job-" + old.ID, "unshown", "sync"}, eventNames(evs), "a load from 0 is a resync")
	assert.Equal(t, "3", pos, "the project, its job, the claim")
	require.NoError(t, e.broker.Resync(context.Background()))
	fresh := e.newJob(u.ID, "project_charter")
	e.drive(fresh).publish(fresh)
	// The new project and its job (in one batch or two, as the second
	// resync's load falls): nothing of the old job again.
	var names []string
	for !slices.Contains(names, "job-"+fresh.ID) {
		evs, _ = c.batch(streamWait)
		names = append(names, eventNames(evs)...)
	}
	for _, n := range names {
		assert.Contains(t, []string{"badge", "job-" + fresh.ID, "projectname-" + fresh.ProjectID, "sync"}, n, "the second resync changed nothing")
	}
}

// The project page's runs and library are pushed by its stream (view
// project:<id>): a run appears, changes status and finishes, and each
// document it writes joins the library, all as whole fragments that keep
// listening. Other projects' jobs push nothing there.
func TestUserStreamPushesTheProjectsRunsAndLibrary(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	u, token := e.signIn("project-live@example.com")
	ctx := context.Background()
	p := &models.Project{UserID: u.ID, Name: "Live project"}
	require.NoError(t, e.db.CreateProject(ctx, p))
	elsewhere := e.newJob(u.ID, "project_charter") // in another project
	pos, err := e.db.SyncPosition(ctx, u.ID)
	require.NoError(t, err)

	c := dialSSE(t, e.addr, fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID), token)
	evs, _ := c.batch(streamWait)
	assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "nothing of the project changed since the page")
	e.drive(elsewhere).claim()
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"job-" + elsewhere.ID, "sync"}, eventNames(evs), "another project's job pushes no runs")

	runs := func(evs []sseEvent) (status []string) {
		t.Helper()
		i := slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == "runs-"+p.ID })
		require.GreaterOrEqual(t, i, 0, "no runs in %v", eventNames(evs))
		sec := evs[i].doc(t).Find("#project-runs")
		assert.Equal(t, "runs-"+p.ID, sec.AttrOr("sse-swap", ""), "the swapped list listens again")
		assert.Equal(t, "outerHTML", sec.AttrOr("hx-swap", ""))
		sec.Find("[data-testid=run]").Each(func(_ int, r *goquery.Selection) { status = append(status, r.AttrOr("data-status", "")) })
		return status
	}
	library := func(evs []sseEvent) (types []string) {
		t.Helper()
		i := slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == "library-"+p.ID })
		require.GreaterOrEqual(t, i, 0, "no library in %v", eventNames(evs))
		sec := evs[i].doc(t).Find("#project-library")
		assert.Equal(t, "library-"+p.ID, sec.AttrOr("sse-swap", ""))
		sec.Find("[data-testid=library-doc]").Each(func(_ int, d *goquery.Selection) { types = append(types, d.AttrOr("data-type", "")) })
		return types
	}

	j, _, err := e.db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter", "scope_statement"}, MaxRetries: 1})
	require.NoError(t, err)
	dr := e.drive(j)
	dr.publish(j)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"queued"}, runs(evs), "the run appears")
	assert.Empty(t, library(evs))
	// Claimed here: the driver's claim would take any queued job.
	js, err := e.db.Claim(ctx, models.ClaimParams{Worker: "worker-1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Equal(t, j.ID, js[0].Job.ID)
	dr.lease = js[0].Lease()
	dr.publish(&js[0].Job)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"processing"}, runs(evs))
	dr.commit("project_charter", "scope_statement")
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"project_charter"}, library(evs), "the written document joins the library")
	dr.commit("scope_statement", "")
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"project_charter", "scope_statement"}, library(evs))
	dr.finish(models.StatusCompleted)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"completed"}, runs(evs), "the run finishes")
	c.close()

	// A page rendered before the run ended catches up on connecting.
	c = dialSSE(t, e.addr, fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID), token)
	evs, _ = c.batch(streamWait)
	assert.Equal(t, []string{"completed"}, runs(evs))
	assert.Len(t, library(evs), 2)
}

// A saved edit is a change of the user's (migration 00009): the project
// page's stream pushes the library with the new version, on the instance
// that saved it and, through NOTIFY, on another; the runs are pushed with
// it, and a page rendered before the save catches up on connecting.
func TestSavedEditPushesTheProjectsLibrary(t *testing.T) {
	edit := func(t *testing.T, saver, viewer *liveEnv) {
		_, token, p, v1, pos := saver.seedRiskRegister(uniqueEmail("edit-live"), "Edited live")
		view := fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID)
		c := dialSSE(t, viewer.addr, view, token)
		evs, _ := c.batch(streamWait)
		assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs))

		saver.saveRiskRegister(token, p.ID, v1.ID)

		library := func(evs []sseEvent) string {
			t.Helper()
			i := slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == "library-"+p.ID })
			require.GreaterOrEqual(t, i, 0, "no library in %v", eventNames(evs))
			sec := evs[i].doc(t).Find("#project-library")
			assert.Equal(t, "library-"+p.ID, sec.AttrOr("sse-swap", ""), "the swapped library listens again")
			return strings.Join(strings.Fields(sec.Find("[data-testid=library-doc][data-type=risk_register]").Text()), " ")
		}
		evs, after := c.batch(streamWait)
		// The page's data parts come with the stream's first activity (it
		// does not know the content the page was rendered with).
		assert.Equal(t, []string{"runs-" + p.ID, "library-" + p.ID, pages.ProjectPartEvent("company", p.ID), pages.ProjectPartEvent("summary", p.ID),
			pages.ProjectPartEvent("details", p.ID), ProjectFingerprintEvent(p.ID), "sync"}, eventNames(evs),
			"the project's fingerprint follows its activity (an edit form compares it)")
		doc := library(evs)
		assert.Contains(t, doc, "Version 2")
		assert.Contains(t, doc, "Edited by Test edit-live")
		assert.Equal(t, strconv.FormatInt(pos+1, 10), after, "the save moved the position by one")
		c.close()

		// A page rendered before the save catches up on connecting; one
		// rendered after it gets nothing of the project.
		c = dialSSE(t, viewer.addr, view, token)
		evs, _ = c.batch(streamWait)
		assert.Contains(t, library(evs), "Version 2")
		c.close()
		c = dialSSE(t, viewer.addr, fmt.Sprintf("/events?since=%s&view=project:%s", after, p.ID), token)
		evs, _ = c.batch(streamWait)
		assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs))
		c.close()
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
		edit(t, e, e)
	})
	t.Run("postgres, saved on another instance", func(t *testing.T) {
		modelstest.PostgresURL(t)
		db := modelstest.Open(t, models.Postgres)
		a := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
		b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: true})
		edit(t, a, b)
	})
}

// A stream's query that is not one of its values is a 422 before any
// streaming, not a silent default: ?format=xml sent HTML fragments, and
// ?since=abc every change from the start.
func TestStreamQueryValuesAreChecked(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.apiClient(t)
	g := generateDocuments(t, b.db, c.user)
	for path, field := range map[string]string{
		"/api/generation/jobs/stream/" + g.job.ID + "?format=xml":  "format",
		"/api/generation/jobs/stream/" + g.job.ID + "?format=JSON": "format",
		"/api/generation/jobs/stream/" + g.job.ID + "?since=abc":   "since",
		"/api/generation/jobs/stream/" + g.job.ID + "?since=-1":    "since",
		"/events?since=abc": "since",
	} {
		resp := c.get(t, path, "Accept", "text/event-stream")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, path)
		assert.Contains(t, errorOf(t, resp).Error.Fields, field, path)
	}
}

// A page that could not read its header's state (the badge, the bell, the
// announcements no tab has shown) still renders, and its stream starts
// with a resync that sends them: streaming from the page's position, the
// announcements made before it would never come.
func TestPageWithoutHeaderStateStreamsItWhole(t *testing.T) {
	b := setup(t, models.SQLite)
	c := b.user(t)
	connect := func() string {
		t.Helper()
		resp := c.get(t, "/projects")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return page(t, resp).Find("body").AttrOr("sse-connect", "")
	}
	require.Contains(t, connect(), "since=", "a page streams from its position")
	require.NoError(t, b.db.ForTests().Exec(`ALTER TABLE notifications RENAME TO notifications_away`).Error)
	url := connect()
	assert.NotContains(t, url, "since=", "a page without its header's state resyncs")
	assert.Contains(t, url, "view=projects")
}
