package handlers

import (
	"fmt"
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

// A project page open in one tab shows the project's data as another tab
// (or instance) saved it, with no reload: its stream sends the parts that
// show the data (the company under the heading, the description and key
// facts, the details below the library) after the save, rendered from the
// saved project, each into the part of the page that listens for it. A
// job's progress does not send them again. The edit page has no such
// part: what is typed in its form is never replaced.
func TestProjectSaveSendsTheProjectPagesData(t *testing.T) {
	save := func(t *testing.T, saver, viewer *liveEnv) {
		token, p, pos := saver.seedCurrentRiskRegister(uniqueEmail("project-parts"), "Relaunch")
		parts := map[string]string{
			"company": `[data-testid="project-company-live"]`,
			"summary": `[data-testid="project-summary-live"]`,
			"details": `[data-testid="project-details-live"]`,
		}
		doc := viewer.getPage(token, "/projects/"+p.ID)
		for part, sel := range parts {
			assert.Equal(t, pages.ProjectPartEvent(part, p.ID), doc.Find(sel).AttrOr("sse-swap", ""), "the page's %s listens", part)
		}
		edit := viewer.getPage(token, "/projects/"+p.ID+"/edit")
		assert.Zero(t, edit.Find(`[sse-swap^="project`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return !strings.HasPrefix(s.AttrOr("sse-swap", ""), "projectname")
		}).Length(), "the edit page listens for no part of the data")

		tab := dialSSE(t, viewer.addr, fmt.Sprintf("/events?since=%d&view=project:%s", pos, p.ID), token)
		evs, _ := tab.batch(streamWait)
		require.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "nothing changed since the page")

		saver.saveProjectForm(token, p.ID, func(f orderedForm) orderedForm {
			return f.set("data.sponsor", "Grace Hopper").set("description", "Now with a wider scope.").
				set("companyIntelligencePack.companyName", "Hopper & Co").set("data.constraints", "Launch before the trade fair")
		})
		evs, _ = tab.batch(streamWait)
		names := eventNames(evs)
		for _, part := range []string{"company", "summary", "details"} {
			assert.Contains(t, names, pages.ProjectPartEvent(part, p.ID), "the save sends the page's %s", part)
		}
		summary := eventNamed(t, evs, pages.ProjectPartEvent("summary", p.ID)).doc(t)
		assert.Contains(t, summary.Find(`[data-testid="project-facts"]`).Text(), "Grace Hopper")
		assert.Contains(t, summary.Text(), "Now with a wider scope.")
		assert.Contains(t, eventNamed(t, evs, pages.ProjectPartEvent("company", p.ID)).doc(t).Text(), "Hopper & Co")
		details := eventNamed(t, evs, pages.ProjectPartEvent("details", p.ID)).doc(t)
		assert.Equal(t, "Launch before the trade fair", strings.TrimSpace(details.Find(`[data-testid="constraints-list"]`).Text()))
		saved, err := saver.db.ProjectForUser(t.Context(), p.UserID, p.ID)
		require.NoError(t, err)
		assert.Contains(t, details.Find(`[data-testid="project-updated"]`).Text(), saved.UpdatedAt.UTC().Format(pages.MinuteLayout))

		// A saved edit of a document (as a run's progress) reads the same
		// activity: the page's library comes again, its data does not.
		latest, err := saver.db.LatestDocuments(t.Context(), p.UserID, p.ID)
		require.NoError(t, err)
		require.Len(t, latest, 1)
		saver.saveRiskRegister(token, p.ID, latest[0].ID)
		evs, _ = tab.batch(streamWait)
		names = eventNames(evs)
		assert.Contains(t, names, "library-"+p.ID, "the edit reaches the page's library")
		for _, part := range []string{"company", "summary", "details"} {
			assert.NotContains(t, names, pages.ProjectPartEvent(part, p.ID), "an edit of a document sends the project's %s again", part)
		}
		tab.close()
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
