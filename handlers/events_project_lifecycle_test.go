package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// apiCall sends an API request with the token to the environment's
// listener and returns the status.
func (e *liveEnv) apiCall(token, method, path, body string) int {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+e.addr+path, r)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// A project created in one tab (or by an API client) appears in the other
// tabs' lists (the Projects page, the dashboard); one deleted leaves them,
// and the pages about it (the project's, a run's) say it is gone. Over a
// real SSE socket; on PostgreSQL the change is made on another instance.
func TestProjectCreateAndDeleteReachOtherTabs(t *testing.T) {
	run := func(t *testing.T, saver, viewer *liveEnv) {
		u, token := saver.signIn(uniqueEmail("project-lifecycle"))
		ctx := context.Background()
		kept := &models.Project{UserID: u.ID, Name: "Kept"}
		require.NoError(t, saver.db.CreateProject(ctx, kept))
		doomed := &models.Project{UserID: u.ID, Name: "Doomed"}
		require.NoError(t, saver.db.CreateProject(ctx, doomed))
		j, _, err := saver.db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: doomed.ID, Documents: []string{"scope_statement"}})
		require.NoError(t, err)
		_, err = saver.db.RequestCancel(ctx, u.ID, j.ID, time.Now())
		require.NoError(t, err)
		pos, err := saver.db.SyncPosition(ctx, u.ID)
		require.NoError(t, err)

		dial := func(view string) *sseClient {
			c := dialSSE(t, viewer.addr, fmt.Sprintf("/events?since=%d&view=%s", pos, view), token)
			evs, _ := c.batch(streamWait)
			require.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "nothing changed since the page (%s)", view)
			return c
		}
		list := dial("projects")
		dash := dial("dashboard")
		projectTab := dial("project:" + doomed.ID)
		jobTab := dial("job:" + j.ID)
		keptTab := dial("project:" + kept.ID)

		// Created through the API: the lists show it, the name escaped.
		require.Equal(t, http.StatusCreated, saver.apiCall(token, http.MethodPost, "/api/projects", `{"name": "New <one>"}`))
		items := list.until("projects-list", streamWait).doc(t).Find(`[data-testid="project-item"]`)
		assert.Equal(t, 3, items.Length(), "the new project joins the Projects page")
		assert.Contains(t, items.Text(), "New <one>")
		dashItems := dash.until("dash-projects", streamWait).doc(t).Find(`[data-testid="dashboard-project"]`)
		assert.Equal(t, 3, dashItems.Length(), "and the dashboard's")
		assert.Equal(t, "The project list changed in another tab: 3 projects.", dash.until("projects-status", streamWait).Data, "said to screen readers")

		// Saved through the API: the kept project's page gets its new
		// fingerprint (an edit form filled before says so).
		require.Equal(t, http.StatusOK, saver.apiCall(token, http.MethodPut, "/api/projects/"+kept.ID, `{"name": "Kept, renamed"}`))
		stored, err := saver.db.ProjectForUser(ctx, u.ID, kept.ID)
		require.NoError(t, err)
		assert.Equal(t, stored.Fingerprint(), keptTab.until(ProjectFingerprintEvent(kept.ID), streamWait).Data)
		assert.Contains(t, list.until("projects-list", streamWait).Data, "Kept, renamed", "a rename re-sends the lists")
		assert.Contains(t, dash.until("dash-projects", streamWait).Data, "Kept, renamed")

		// Deleted: the lists drop it; its page and its run's say so.
		require.Equal(t, http.StatusNoContent, saver.apiCall(token, http.MethodDelete, "/api/projects/"+doomed.ID, ""))
		items = list.until("projects-list", streamWait).doc(t).Find(`[data-testid="project-item"]`)
		assert.Equal(t, 2, items.Length())
		assert.NotContains(t, items.Text(), "Doomed")
		dashItems = dash.until("dash-projects", streamWait).doc(t).Find(`[data-testid="dashboard-project"]`)
		assert.Equal(t, 2, dashItems.Length())
		assert.Contains(t, projectTab.until("gone", streamWait).Data, "This project was deleted")
		assert.Contains(t, jobTab.until("gone", streamWait).Data, "This run no longer exists")

		// The other project's page resyncs too (a removal), and is not
		// told it is gone.
		for {
			ev := keptTab.event(streamWait)
			require.NotEqual(t, "gone", ev.Name, "the kept project is not gone")
			if ev.Name == "sync" {
				break
			}
		}
		for _, c := range []*sseClient{list, dash, projectTab, jobTab, keptTab} {
			c.close()
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
		run(t, e, e)
	})
	t.Run("postgres, changed on another instance", func(t *testing.T) {
		modelstest.PostgresURL(t)
		db := modelstest.Open(t, models.Postgres)
		a := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
		b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: true})
		run(t, a, b)
	})
}
