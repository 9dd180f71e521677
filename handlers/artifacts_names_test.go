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
