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

// A run's zip is labelled by the run users see ("Run #2 documents
// (.zip)") on its job page and on the page of each document it wrote: not
// "All documents (.zip)", which read as the project's current set (the
// project page's "Download all (.zip)"), nor a bare count. The file is
// named by project and run too.
func TestRunZipIsLabelledByItsRun(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	first := c.job(t, p, "project_charter")
	b.run(t, first, []string{"project_charter"}, models.StatusCompleted)
	second := c.job(t, p, "project_charter")
	b.run(t, second, []string{"project_charter"}, models.StatusCompleted)
	require.Equal(t, 2, second.RunNumber)

	doc := page(t, c.get(t, "/jobs/"+second.ID))
	zip := testID(doc, "job-zip")
	require.Equal(t, 1, zip.Length())
	assert.Equal(t, "Run #2 documents (.zip)", strings.Join(strings.Fields(zip.Text()), " "))

	arts, err := b.db.JobArtifacts(context.Background(), second.ID)
	require.NoError(t, err)
	require.NotEmpty(t, arts)
	doc = page(t, c.get(t, "/artifacts/"+arts[0].ID))
	zip = testID(doc, "download-zip")
	require.Equal(t, 1, zip.Length())
	assert.Equal(t, "Run #2 documents (.zip)", strings.TrimSpace(zip.Text()))
	assert.Equal(t, "/api/generation/jobs/"+second.ID+"/artifacts.zip", zip.AttrOr("href", ""))

	resp := c.get(t, "/api/generation/jobs/"+second.ID+"/artifacts.zip")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "filename=relaunch-run-2-documents.zip", "named by project and run")
}
