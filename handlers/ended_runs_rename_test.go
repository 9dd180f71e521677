package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/views/partials"
)

// README (Live sync) promises a saved project's name "wherever a page
// shows it in a heading, a list or a job card": the Jobs page's rows and
// the dashboard's Recent rows title an ended run "<project> · Run #N" with
// the live project name, so a rename reaches every ended run of the
// project in an open tab (it kept the old name until some job changed
// status).
func TestEndedRunsFollowARename(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	token, p, _ := e.seedCurrentRiskRegister(uniqueEmail("rename-rows"), "Relaunch")
	ctx := context.Background()
	j, _, err := e.db.CreateJob(ctx, models.NewJob{UserID: p.UserID, ProjectID: p.ID, Documents: []string{"risk_register"}})
	require.NoError(t, err)
	d := e.drive(j)
	d.claim()
	d.commit("risk_register", "")
	d.finish(models.StatusCompleted)

	// Each ended row must follow the rename: either its title listens
	// for the project's name, or the rename re-sends the list.
	listens := map[string]bool{}
	for _, path := range []string{"/jobs", "/"} {
		row := e.getPage(token, path).Find(`[data-testid="job-row"][data-id="` + j.ID + `"]`)
		require.Equal(t, 1, row.Length(), path)
		listens[path] = row.Find(`[sse-swap="`+partials.ProjectNameEvent(p.ID)+`"]`).Length() == 1
	}

	pos, err := e.db.SyncPosition(ctx, p.UserID)
	require.NoError(t, err)
	for _, c := range []struct{ path, view, list string }{{"/jobs", "jobs", "jobs-list"}, {"/", "dashboard", "dash-recent"}} {
		tab := dialSSE(t, e.addr, "/events?view="+c.view+"&since="+strconv.FormatInt(pos, 10), token)
		tab.batch(streamWait)
		name := "Renamed " + c.view
		e.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm { return f.set("name", name) })
		evs, at := tab.batch(streamWait)
		tab.close()
		pos, _ = strconv.ParseInt(at, 10, 64)
		resent := false
		for _, ev := range evs {
			resent = resent || (ev.Name == c.list && strings.Contains(ev.Data, name+" · Run #1"))
		}
		assert.True(t, listens[c.path] || resent,
			"%s: the ended run's title neither listens for the project's name nor is re-sent on a rename (the batch: %v)", c.path, eventNames(evs))
	}
}
