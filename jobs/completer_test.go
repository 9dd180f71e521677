package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A run's writes sent without waiting commit in the order the run made
// them: a document started, then failed, ends failed. The writes used to
// reach the queue from a goroutine each, in either order.
func TestCompleterCommitsARunsWritesInTheirOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		ctx := context.Background()
		e := newEnv(t, d)
		u := e.user("ann")
		job := e.job(u, e.project(u, "Apollo"), []string{"project_charter", "business_case"}, nil)
		claimed, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		lease := claimed[0].Lease()

		c := newCompleter(e.db, quietLogger(), nil)
		// Both are queued before the completer runs: a batch holds one
		// write per job, so they commit in two batches, in queue order.
		now := time.Now()
		started := c.enqueue(ctx, models.Write{Lease: lease, Started: []string{"business_case"}, Now: now})
		failed := c.enqueue(ctx, models.Write{Lease: lease, Now: now,
			Failed: []models.DocumentFailure{{Type: "business_case", Error: "provider down", Attempts: 3}}})
		c.start()
		t.Cleanup(c.close)
		_, err = started.wait()
		require.NoError(t, err)
		_, err = failed.wait()
		require.NoError(t, err)

		docs, err := e.db.JobDocuments(ctx, job.ID)
		require.NoError(t, err)
		status := map[string]string{}
		for _, doc := range docs {
			status[doc.DocumentType] = doc.Status
		}
		assert.Equal(t, models.DocFailed, status["business_case"], "the later write wins")
	})
}
