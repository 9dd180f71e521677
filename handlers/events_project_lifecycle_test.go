package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
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

		// listOf waits for the list event that shows want items (a load
		// begun before the change may send the list as it was).
		listOf := func(c *sseClient, event, item string, want int) *goquery.Selection {
			t.Helper()
			deadline := time.Now().Add(streamWait)
			for {
				items := c.until(event, time.Until(deadline)).doc(t).Find(`[data-testid="` + item + `"]`)
				if items.Length() == want {
					return items
				}
				require.True(t, time.Now().Before(deadline), "%s never showed %d items (last %d)", event, want, items.Length())
			}
		}

		// Created through the API: the lists show it, the name escaped.
		require.Equal(t, http.StatusCreated, saver.apiCall(token, http.MethodPost, "/api/projects", `{"name": "New <one>"}`))
		items := listOf(list, "projects-list", "project-item", 3) // the new project joins the Projects page
		assert.Contains(t, items.Text(), "New <one>")
		listOf(dash, "dash-projects", "dashboard-project", 3) // and the dashboard's
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
		removed, err := saver.db.SyncPosition(ctx, u.ID)
		require.NoError(t, err)
		items = listOf(list, "projects-list", "project-item", 2)
		assert.NotContains(t, items.Text(), "Doomed")
		listOf(dash, "dash-projects", "dashboard-project", 2)
		assert.Contains(t, projectTab.until("gone", streamWait).Data, "This project was deleted")
		assert.Contains(t, jobTab.until("gone", streamWait).Data, "This run no longer exists")

		// The other project's page resyncs too (a removal), and is not
		// told it is gone: up to the batch that brings it past the removal.
		for {
			ev := keptTab.event(streamWait)
			require.NotEqual(t, "gone", ev.Name, "the kept project is not gone")
			if at, err := strconv.ParseInt(ev.ID, 10, 64); ev.Name == "sync" && err == nil && at >= removed {
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
