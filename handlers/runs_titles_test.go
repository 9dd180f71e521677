package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
)

// TestGeneratePageWarnsAboutEditedDocuments: a full generation writes a
// new version of every selected document from the project data, over the
// user's edits. The form names the selected documents whose latest version
// is an edit (by whom, when) before anything runs, without a script.
func TestGeneratePageWarnsAboutEditedDocuments(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		j := c.job(t, p, "project_charter", "risk_register")
		b.run(t, j, []string{"project_charter", "risk_register"}, models.StatusCompleted)

		doc := page(t, c.get(t, "/projects/"+p.ID+"/generate"))
		assert.Equal(t, 0, testID(doc, "edited-warning").Length(), "nothing edited, nothing to warn about")

		latest, err := b.db.LatestDocuments(context.Background(), c.user.ID, p.ID)
		require.NoError(t, err)
		var charter string
		for _, v := range latest {
			if v.DocumentType == "project_charter" {
				charter = v.ID
			}
		}
		require.NotEmpty(t, charter)
		_, err = b.db.SaveEdit(context.Background(), models.NewEdit{UserID: c.user.ID, ProjectID: p.ID, DocumentType: "project_charter",
			Title: "Charter", Markdown: "# Charter\n\nMy words.", BaseArtifactID: charter})
		require.NoError(t, err)

		doc = page(t, c.get(t, "/projects/"+p.ID+"/generate"))
		warn := testID(doc, "edited-warning")
		require.Equal(t, 1, warn.Length(), "the edited charter is selected: the form warns")
		text := strings.Join(strings.Fields(warn.Text()), " ")
		assert.Contains(t, text, "One selected document has your edits")
		assert.Contains(t, text, "new version from the project data")
		assert.Contains(t, text, "stays in the document's history")
		assert.Contains(t, text, "untick")
		item := testID(doc, "edited-warning-project_charter")
		require.Equal(t, 1, item.Length())
		assert.Contains(t, item.Text(), "Project Charter")
		assert.Contains(t, item.Text(), "version 2 edited by "+c.user.Name)
		assert.Contains(t, item.Text(), time.Now().UTC().Format("2 Jan 2006"))
		assert.Equal(t, 0, testID(doc, "edited-warning-risk_register").Length(), "a generated version is not warned about")
		assert.Equal(t, 1, warn.Closest("form").Length(), "inside the form, so its re-render keeps it")
		note := testID(doc, "edited-project_charter")
		require.Equal(t, 1, note.Length(), "the checkbox itself says so")
		assert.Contains(t, note.Text(), "edited by "+c.user.Name)
		assert.Contains(t, testID(doc, "doc-project_charter").AttrOr("aria-describedby", ""), "doc-project_charter-desc")
		assert.Equal(t, 1, doc.Find("#doc-project_charter-desc [data-testid=edited-project_charter]").Length(), "read with the checkbox")

		// A form sent back without the charter (here for a bad priority)
		// warns no more about it; with it, it still does.
		form := url.Values{"priority": {"urgent"}}
		for _, k := range documents.Keys() {
			if k != "project_charter" {
				form.Add("documents", k)
			}
		}
		resp := c.postForm(t, "/projects/"+p.ID+"/generate", form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		doc = page(t, resp)
		require.Equal(t, 1, testID(doc, "generate-form").Length())
		assert.Equal(t, 0, testID(doc, "edited-warning").Length(), "an unticked edited document is not warned about")
		assert.Equal(t, 1, testID(doc, "edited-project_charter").Length(), "its checkbox still says it was edited")
		form.Add("documents", "project_charter")
		resp = c.postForm(t, "/projects/"+p.ID+"/generate", form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, 1, testID(page(t, resp), "edited-warning").Length())
	})
}

// TestRunsAreTitledByNumberAndRequest: a project's runs are told apart
// everywhere a job is titled: its page (and the header its stream
// renders), the jobs list's rows and cards, and the notifications, with
// what the run was asked for when not everything.
func TestRunsAreTitledByNumberAndRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		p := c.project(t, "Relaunch")
		all := c.job(t, p, documents.Keys()...)
		b.run(t, all, documents.Keys(), models.StatusCompleted)
		resolved, err := documents.Resolve([]string{"risk_register"})
		require.NoError(t, err)
		second, _, err := b.db.CreateJob(context.Background(), models.NewJob{UserID: c.user.ID, ProjectID: p.ID, Documents: resolved,
			Requested: []string{"risk_register"}, Instruction: "shorter, please", MaxRetries: 2})
		require.NoError(t, err)
		b.run(t, second, resolved, models.StatusCompleted)
		third := c.job(t, p, "project_charter")

		doc := page(t, c.get(t, "/jobs/"+second.ID))
		assert.Equal(t, "Relaunch · Run #2", strings.TrimSpace(testID(doc, "job-title").Text()))
		assert.Contains(t, doc.Find("title").Text(), "Relaunch · Run #2")
		head := testID(doc, "job-head")
		assert.Contains(t, testID(doc, "run-asked-docs").Text(), "Risk Register")
		assert.Equal(t, "“shorter, please”", strings.TrimSpace(head.Find("[data-testid=run-instruction]").Text()))

		// The header the job's stream sends is the same.
		snap, err := b.db.Snapshot(context.Background(), second.ID)
		require.NoError(t, err)
		live, err := goquery.NewDocumentFromReader(strings.NewReader(string(renderBytes(pages.JobHead(jobVM(snap, time.Now()))))))
		require.NoError(t, err)
		assert.Equal(t, "Relaunch · Run #2", strings.TrimSpace(testID(live, "job-title").Text()))
		assert.Contains(t, testID(live, "run-instruction").Text(), "shorter, please")

		doc = page(t, c.get(t, "/jobs/"+all.ID))
		assert.Equal(t, "Relaunch · Run #1", strings.TrimSpace(testID(doc, "job-title").Text()))
		assert.Equal(t, 0, testID(doc, "run-asked").Length(), "a full run without an instruction needs no line")

		doc = page(t, c.get(t, "/jobs"))
		var titles []string
		testID(doc, "job-row-title").Each(func(_ int, s *goquery.Selection) { titles = append(titles, strings.TrimSpace(s.Text())) })
		assert.ElementsMatch(t, []string{"Relaunch · Run #1", "Relaunch · Run #2"}, titles)
		row := doc.Find("[data-testid=job-row][data-id='" + second.ID + "']")
		assert.Contains(t, row.Find("[data-testid=run-asked-docs]").Text(), "Risk Register")
		assert.Contains(t, row.Find("[data-testid=run-instruction]").Text(), "shorter, please")
		card := doc.Find("[data-testid=job-card]")
		require.Equal(t, 1, card.Length())
		assert.Equal(t, "Relaunch · Run #3", strings.TrimSpace(card.Find("[data-testid=job-card-title]").Text()))
		assert.Contains(t, card.Find("[data-testid=run-asked-docs]").Text(), "Project Charter")
		_ = third

		// Notifications: the page, and the toasts of the next page.
		doc = page(t, c.get(t, "/notifications"))
		var notes []string
		testID(doc, "notification").Each(func(_ int, s *goquery.Selection) {
			notes = append(notes, strings.Join(strings.Fields(s.Find("p").First().Text()), " "))
		})
		assert.ElementsMatch(t, []string{"Documents ready: Relaunch · Run #1 New", "Documents ready: Relaunch · Run #2 New"}, notes)
		ns, err := b.db.Unshown(context.Background(), c.user.ID)
		require.NoError(t, err)
		var toasts []string
		for _, n := range ns {
			title, _, _ := notificationWords(n)
			toasts = append(toasts, title)
		}
		assert.ElementsMatch(t, []string{"Documents ready: Relaunch · Run #1", "Documents ready: Relaunch · Run #2"}, toasts,
			"the toasts (and the stream's announcements) read the same")
		doc = page(t, c.get(t, "/projects"))
		var shown []string
		testID(doc, "toast").Each(func(_ int, s *goquery.Selection) { shown = append(shown, s.AttrOr("data-title", "")) })
		assert.ElementsMatch(t, toasts, shown)
	})
}
