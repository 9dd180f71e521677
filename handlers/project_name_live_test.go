package handlers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
	"dossier/views/partials"
)

// A page about a project names it in its headings and its <title>, and
// follows a rename made in another tab: each place listens for the
// project's name (projectname-<id>), and the title is marked with what
// opens it before the name, which app.js needs to put the new name in
// place of the old one.
func TestPagesAboutAProjectFollowItsName(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	token, p, _ := e.seedCurrentRiskRegister(uniqueEmail("name-pages"), `Relaunch <b>&"x`)
	j, _, err := e.db.CreateJob(context.Background(), models.NewJob{UserID: p.UserID, ProjectID: p.ID, Documents: []string{"risk_register"}})
	require.NoError(t, err)
	event := partials.ProjectNameEvent(p.ID)

	for _, c := range []struct {
		path, before string
		// live are the places that must name the project live.
		live []string
	}{
		{"/jobs/" + j.ID, "", []string{`[data-testid="job-head"] nav`, `[data-testid="job-title"]`, `[data-testid="job-card-title"]`}},
		{"/projects/" + p.ID + "/generate", "Generate · ", []string{`[data-testid="generate-project-link"]`, `[data-testid="job-card-title"]`}},
		{"/projects/" + p.ID, "", []string{`[data-testid="project-name"]`}},
		{"/projects/" + p.ID + "/edit", "Edit ", []string{`nav[aria-label="Breadcrumb"]`}},
		{"/projects/" + p.ID + "/documents/risk_register/edit", "", []string{`nav[aria-label="Breadcrumb"]`}},
	} {
		t.Run(c.path, func(t *testing.T) {
			doc := e.getPage(token, c.path)
			for _, sel := range c.live {
				span := doc.Find(sel).Find(`[sse-swap="` + event + `"]`)
				require.Equal(t, 1, span.Length(), "%s names the project through ProjectName", sel)
				assert.Equal(t, p.Name, span.Text(), "%s shows the name as text", sel)
			}
			if c.path == "/projects/"+p.ID+"/documents/risk_register/edit" {
				// Titled with the document's type: no name to follow.
				assert.Equal(t, 0, doc.Find("[data-title-project]").Length())
				return
			}
			mark := doc.Find("[data-title-project]")
			require.Equal(t, 1, mark.Length(), "the title is marked")
			assert.Equal(t, p.ID, mark.AttrOr("data-title-project", ""))
			assert.Equal(t, p.Name, mark.AttrOr("data-title-name", ""))
			assert.Equal(t, c.before, mark.AttrOr("data-title-before", ""))
			title := strings.TrimSpace(doc.Find("title").Text())
			assert.True(t, strings.HasPrefix(title, c.before+p.Name), "the title %q opens as its mark says", title)
		})
	}
}

// A tab that resyncs (it reconnects from a position it cannot resume, as
// after a long absence) on a job's page, its generate page or one of the
// project's documents gets the project's name, escaped, after the job's
// fragments: a rename while it was away reaches its headings and title. A
// resync of a view about nothing names no project.
func TestResyncNamesTheViewedProject(t *testing.T) {
	run := func(t *testing.T, e *liveEnv) {
		token, p, _ := e.seedCurrentRiskRegister(uniqueEmail("name-resync"), "Relaunch")
		j, _, err := e.db.CreateJob(context.Background(), models.NewJob{UserID: p.UserID, ProjectID: p.ID, Documents: []string{"risk_register"}})
		require.NoError(t, err)
		e.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm { return f.set("name", `Renamed <b>&"x`) })
		event := partials.ProjectNameEvent(p.ID)

		for _, view := range []string{"job:" + j.ID, "generate:" + j.ID, "document:" + p.ID + ":risk_register:1", "project:" + p.ID} {
			tab := dialSSE(t, e.addr, "/events?since=0&view="+view, token)
			evs, _ := tab.batch(streamWait)
			tab.close()
			names := eventNames(evs)
			assert.Equal(t, "Renamed &lt;b&gt;&amp;&#34;x", eventNamed(t, evs, event).Data, "a resync of %s names its project, escaped", view)
			if strings.HasPrefix(view, "job:") || strings.HasPrefix(view, "generate:") {
				assert.Less(t, slices.Index(names, "job-"+j.ID), slices.Index(names, event), "the name comes after the card (%s)", view)
			}
		}
		tab := dialSSE(t, e.addr, "/events?since=0", token)
		evs, _ := tab.batch(streamWait)
		tab.close()
		assert.NotContains(t, eventNames(evs), event, "a view about nothing names no project")
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second}))
	})
	t.Run("postgres", func(t *testing.T) {
		modelstest.PostgresURL(t)
		run(t, newLiveEnv(t, modelstest.Open(t, models.Postgres), liveOptions{heartbeat: time.Second}))
	})
}
