package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A running job's card stops it with "Stop", and asks "Stop generating
// …?": the browser's dialog answers OK or Cancel, and a question about
// cancelling made its Cancel read as "yes, cancel" when it keeps the run
// going.
func TestStopAsksAboutStoppingNotCancelling(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		j := c.job(t, c.project(t, "Customer Portal Relaunch"), "schedule")
		resp := c.get(t, "/jobs/"+j.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		stop := testID(page(t, resp), "job-cancel")
		require.Equal(t, 1, stop.Length())
		assert.Equal(t, "Stop", strings.TrimSpace(stop.Text()))
		question := stop.AttrOr("hx-confirm", "")
		assert.True(t, strings.HasPrefix(question, "Stop generating “Customer Portal Relaunch · Run #1”?"), "the question: %q", question)
		assert.Contains(t, question, "The documents it has finished are kept")
		assert.NotContains(t, question, "Cancel", "no answer of the dialog repeats the question's verb")
	})
}
