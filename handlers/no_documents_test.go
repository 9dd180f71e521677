package handlers

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A run that ended before its first document (failed, or cancelled while
// queued) says so on its page, in place of the download: not "No finished
// documents yet", which promises what will not come. A run still going
// says "yet"; one that wrote documents offers them.
func TestRunThatFinishedNoDocumentSaysSo(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	const none = "No documents were finished in this run."
	noDocs := func(jobID string) string {
		t.Helper()
		resp := c.get(t, "/jobs/"+jobID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)
		tl := testID(doc, "job-timeline")
		require.Equal(t, 1, tl.Length())
		return collapse(testID(doc, "job-no-documents").Text())
	}

	failed := c.job(t, c.project(t, "Failed first"), "project_charter", "scope_statement")
	b.run(t, failed, nil, models.StatusFailed, "project_charter")
	assert.Equal(t, none, noDocs(failed.ID), "failed before the first document")

	cancelled := c.job(t, c.project(t, "Cancelled first"), "project_charter")
	require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs/"+cancelled.ID+"/cancel", nil).StatusCode)
	assert.Equal(t, none, noDocs(cancelled.ID), "cancelled while queued")

	done := c.job(t, c.project(t, "Done"), "project_charter")
	b.run(t, done, []string{"project_charter"}, models.StatusCompleted)
	assert.Empty(t, noDocs(done.ID), "a run that wrote a document offers it")

	running := c.job(t, c.project(t, "Running"), "project_charter")
	assert.Equal(t, "No finished documents yet", noDocs(running.ID), "a run still going")
}
