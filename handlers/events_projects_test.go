package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
	"dossier/views/partials"
)

// seedCurrentRiskRegister signs a user in and gives them the example
// project with version 1 of its risk register written from its current
// data (not out of date), and the user's sync position after it.
func (e *liveEnv) seedCurrentRiskRegister(email, name string) (string, *models.Project, int64) {
	e.t.Helper()
	u, token := e.signIn(email)
	ctx := context.Background()
	_, desc, data, pack := models.ExampleProject()
	p := &models.Project{UserID: u.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(e.t, e.db.CreateProject(ctx, p))
	fp := p.Fingerprint()
	v1 := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: u.ID, DocumentType: "risk_register",
		Title: "Risk Register", Markdown: "# Risk Register\n", Version: 1, Source: models.SourceGenerated,
		CreatedAt: time.Now().UTC(), SourceHash: &fp}
	require.NoError(e.t, e.db.ForTests().Create(v1).Error)
	pos, err := e.db.SyncPosition(ctx, u.ID)
	require.NoError(e.t, err)
	return token, p, pos
}

// saveProjectForm sends the project's edit form back the way a browser
// does, after change edits it, and expects the redirect to the project.
func (e *liveEnv) saveProjectForm(token, projectID string, change func(orderedForm) orderedForm) {
	e.t.Helper()
	form := formValues(e.getPage(token, "/projects/"+projectID+"/edit"), `[data-testid="project-form"]`)
	req, err := http.NewRequest(http.MethodPost, "http://"+e.addr+"/projects/"+projectID, strings.NewReader(change(form).encode()))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode)
}

func (e *liveEnv) getPage(token, path string) *goquery.Document {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+e.addr+path, nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	return page(e.t, resp)
}

// until reads events until one of that name arrives, within the deadline:
// a batch that moved nothing the test looks at (a load another stream of
// the user asked for) may come first.
func (c *sseClient) until(name string, within time.Duration) sseEvent {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev := c.event(time.Until(deadline))
		if ev.Name == name {
			return ev
		}
	}
}

// A saved project is a change of the user's (migration 00018): another tab
// showing the project's page gets its library again, where the versions
// written from the old data are now marked out of date, on the instance
// that saved it and, through NOTIFY, on another; a tab that was away
// during the save and reconnects with Last-Event-ID from before it gets
// the same. A rename reaches the project page's heading and every other
// page that names the project (the dashboard's list).
func TestProjectSaveReachesOtherTabs(t *testing.T) {
	save := func(t *testing.T, saver, viewer *liveEnv) {
		token, p, pos := saver.seedCurrentRiskRegister(uniqueEmail("project-live"), "Relaunch")
		view := fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID)
		tab := dialSSE(t, viewer.addr, view, token)
		evs, _ := tab.batch(streamWait)
		assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "nothing changed since the page")
		dash := dialSSE(t, viewer.addr, fmt.Sprintf("/events?since=%d&view=dashboard", pos), token)
		evs, _ = dash.batch(streamWait)
		assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs))

		// The page's library carries no mark before the save.
		doc := viewer.getPage(token, "/projects/"+p.ID)
		assert.Empty(t, changedIn(doc.Selection))

		// Tab A saves a changed risk score.
		saver.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm {
			prob, err := strconv.Atoi(f.get("data.risks[0].probability"))
			require.NoError(t, err)
			return f.set("data.risks[0].probability", strconv.Itoa(prob%5+1))
		})
		lib := tab.until("library-"+p.ID, streamWait).doc(t)
		assert.Equal(t, "library-"+p.ID, lib.Find("#project-library").AttrOr("sse-swap", ""), "the swapped library listens again")
		assert.Equal(t, []string{"risk_register"}, changedIn(lib.Selection), "the version written before the save is marked")
		assert.Contains(t, lib.Find(`[data-testid="library-doc-changed"]`).Text(), "Project changed since this version")
		assert.Equal(t, strconv.FormatInt(pos+1, 10), tab.until("sync", streamWait).ID, "the save moved the position by one")
		name := partials.ProjectNameEvent(p.ID)
		assert.Equal(t, "Relaunch", dash.until(name, streamWait).Data, "a save sends the name, renamed or not")

		// A tab that was away during the save reconnects from before it.
		back := dialSSEWith(t, &net.Dialer{Timeout: streamWait}, viewer.addr, fmt.Sprintf("/events?view=project:%s", p.ID), token,
			"Last-Event-ID: "+strconv.FormatInt(pos, 10))
		evs, _ = back.batch(streamWait)
		assert.Equal(t, []string{"risk_register"}, changedIn(eventNamed(t, evs, "library-"+p.ID).doc(t).Selection))
		back.close()

		// Saved unchanged: nothing moves.
		saver.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm { return f })
		now, err := saver.db.SyncPosition(context.Background(), p.UserID)
		require.NoError(t, err)
		assert.Equal(t, pos+1, now, "a project saved unchanged is not a change")

		// A rename reaches the heading the page listens with, and the
		// dashboard's list.
		heading := viewer.getPage(token, "/projects/"+p.ID).Find(`[data-testid="project-name"] [sse-swap]`)
		require.Equal(t, 1, heading.Length())
		assert.Equal(t, name, heading.AttrOr("sse-swap", ""), "the heading listens for the name")
		saver.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm { return f.set("name", "Relaunch <2028>") })
		assert.Equal(t, "Relaunch &lt;2028&gt;", tab.until(name, streamWait).Data, "the name, escaped")
		assert.Equal(t, "Relaunch &lt;2028&gt;", dash.until(name, streamWait).Data)
		dashName := viewer.getPage(token, "/").Find(`[data-testid="dashboard-project"] [sse-swap="` + name + `"]`)
		assert.Equal(t, "Relaunch <2028>", dashName.Text(), "the dashboard's list listens for the name")
		// A dashboard that resyncs (from a position it cannot resume, as
		// after a long absence) gets the names of the projects it lists:
		// its list may have been rendered before the rename.
		for _, view := range []string{"dashboard", "projects"} {
			re := dialSSE(t, viewer.addr, "/events?since=0&view="+view, token)
			evs, _ = re.batch(streamWait)
			assert.Equal(t, "Relaunch &lt;2028&gt;", eventNamed(t, evs, name).Data, "a resync of the %s names the projects", view)
			re.close()
		}
		assert.Contains(t, viewer.getPage(token, "/projects").Find("[hx-ext]").AttrOr("sse-connect", ""), "view=projects", "the Projects page streams as its view")
		tab.close()
		dash.close()
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
		save(t, e, e)
	})
	t.Run("postgres, saved on another instance", func(t *testing.T) {
		modelstest.PostgresURL(t)
		db := modelstest.Open(t, models.Postgres)
		a := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
		b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: true})
		save(t, a, b)
	})
}
