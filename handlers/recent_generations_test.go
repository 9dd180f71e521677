package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The dashboard's "Recent generations" (the jobs that ended lately) lists
// the ended jobs by the time they ended, not the time they were queued: a
// run retried by hand keeps its queue time, and when it completed after
// six newer runs ended it was missing from the recent ones, though it was
// the one that just ended (its toast said "Documents ready").
func TestRecentGenerationsListTheJobThatJustEnded(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		old := c.job(t, c.project(t, "Yesterday's run"), "scope_statement")
		_, err := b.db.RequestCancel(ctx, c.user.ID, old.ID, time.Now())
		require.NoError(t, err)
		for i := range 6 {
			j := c.job(t, c.project(t, fmt.Sprintf("Quick %d", i)), "scope_statement")
			b.run(t, j, []string{"scope_statement"}, models.StatusCompleted)
		}
		_, err = b.db.RetryJob(ctx, c.user.ID, old.ID, time.Now())
		require.NoError(t, err)
		b.run(t, old, []string{"scope_statement"}, models.StatusCompleted)

		resp := c.get(t, "/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		rows := testID(page(t, resp), "dash-recent").Find(`[data-testid="job-row"]`)
		require.Equal(t, 6, rows.Length())
		assert.Equal(t, old.ID, rows.First().AttrOr("data-id", ""), "the run that ended last comes first in Recent generations")
	})
}
