package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A note added above the document's heading by an edit does not make the
// print view add the page's own title on top of the document's: the title
// showed twice, in two fonts. A document without a level-1 heading still
// gets the page's title, and a "# " line inside a code block is no heading.
func TestPrintViewShowsTheTitleOnceWhenTheHeadingIsNotFirst(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		const title = "Project Charter: Customer Portal Relaunch"
		for _, tc := range []struct {
			name, md string
			own      bool // the document has its own level-1 heading
		}{
			{"note above", "Draft for review, see the comments.\n\n# " + title + "\n\n## Purpose\n\nText.\n", true},
			{"quote above", "> Edited after the steering meeting.\n\n# " + title + "\n\nText.\n", true},
			{"setext heading", title + "\n" + strings.Repeat("=", 10) + "\n\nText.\n", true},
			{"no heading", "## Purpose\n\nText.\n", false},
			{"heading in code", "```\n# not a heading\n```\n\nText.\n", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := &models.Project{UserID: c.user.ID, Name: "Customer Portal Relaunch"}
				require.NoError(t, b.db.CreateProject(context.Background(), p))
				a := insertArtifact(t, b.db, p, title, tc.md)
				resp := c.get(t, "/artifacts/"+a.ID+".html")
				require.Equal(t, http.StatusOK, resp.StatusCode)
				doc := parseHTML(t, body(t, resp))
				h1 := doc.Find("h1")
				if tc.own {
					require.Equal(t, 1, h1.Length(), "the title once: %s", tc.md)
					assert.Equal(t, title, strings.TrimSpace(h1.Text()))
					assert.Zero(t, doc.Find("h1.doc-title").Length(), "the document's own heading, not the page's")
					return
				}
				require.Equal(t, 1, h1.Length(), "the page gives a document without a heading its title")
				assert.Equal(t, title, strings.TrimSpace(doc.Find("h1.doc-title").Text()))
			})
		}
	})
}

// Every version of a document downloads under its own name, in every
// format and inside the zip: versions 1 and 2 had the same name, and the
// second download became "name (1).docx".
func TestVersionsDownloadUnderTheirOwnNames(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		g := generateDocuments(t, b.db, c.user)
		charter := g.artifact(t, "project_charter")
		require.Equal(t, 1, charter.Version)
		resp := c.postJSON(t, "/api/projects/"+g.project.ID+"/documents/project_charter/versions",
			map[string]any{"markdown": charter.Markdown + "\nEdited.\n", "baseArtifactId": charter.ID})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var edit map[string]any
		decodeBody(t, resp, &edit)
		v2 := edit["artifactId"].(string)

		const base = "project-charter-customer-portal-relaunch"
		for _, ext := range []string{".md", ".html", ".docx"} {
			names := map[string]string{}
			for version, id := range map[string]string{"v1": charter.ID, "v2": v2} {
				path := "/artifacts/" + id + ext
				if ext == ".html" {
					path += "?download=1"
				}
				resp := c.get(t, path)
				require.Equal(t, http.StatusOK, resp.StatusCode, path)
				_, names[version] = dispositionOf(t, resp)
			}
			assert.Equal(t, base+"-v1"+ext, names["v1"])
			assert.Equal(t, base+"-v2"+ext, names["v2"])
		}

		// The zips hold each document under its single downloads' names.
		resp = c.get(t, "/api/projects/"+g.project.ID+"/documents.zip")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		_, files := zipEntries(t, body(t, resp))
		assert.Contains(t, files, base+"-v2.docx", "the project's zip holds the latest version")
		assert.NotContains(t, files, base+"-v1.docx")
		resp = c.get(t, "/api/generation/jobs/"+g.job.ID+"/artifacts.zip")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		_, files = zipEntries(t, body(t, resp))
		for _, ext := range []string{".md", ".html", ".docx"} {
			assert.Contains(t, files, base+"-v1"+ext, "the run's zip holds the version it wrote")
		}
	})
}
