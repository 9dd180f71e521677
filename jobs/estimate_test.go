package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestEstimatedCompletion(t *testing.T) {
	db := newEnv(t, models.SQLite).db
	ctx := context.Background()
	e := newEstimator(db, 10*time.Second)
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

	assert.Nil(t, e.completion(ctx, nil, 2, now), "nothing left: no estimate")

	// No history: the prior, spread over the parallel lanes.
	at := e.completion(ctx, []string{"a", "b", "c", "d"}, 2, now)
	require.NotNil(t, at)
	assert.Equal(t, now.Add(20*time.Second), *at)
	// Fewer documents than lanes: one lane per document.
	at = e.completion(ctx, []string{"a"}, 4, now)
	assert.Equal(t, now.Add(10*time.Second), *at)

	// History replaces the prior for its type, as a running average.
	e.observe("a", 2*time.Second)
	e.observe("a", 4*time.Second)
	assert.Equal(t, 3*time.Second, e.expected("a"))
	assert.Equal(t, 10*time.Second, e.expected("b"))
	at = e.completion(ctx, []string{"a", "b"}, 1, now)
	assert.Equal(t, now.Add(13*time.Second), *at)
}

// The job's estimate is set as documents finish, and cleared at the end. The
// generator is gated, so the test decides when each document finishes.
func TestJobCarriesEstimatedCompletion(t *testing.T) {
	e := newEnv(t, models.SQLite)
	gen := newFakeGen()
	first := make(chan struct{})
	gen.set(func(g *fakeGen) { g.block = first })
	u := e.user("eta")
	job := e.job(u, e.project(u, "ETA"), []string{"schedule"}, nil)
	e.processor(gen, func(c *Config) { c.DocConcurrency = 1; c.PriorDuration = time.Hour })
	// schedule needs the WBS, which needs the scope: three documents in a chain.
	require.Equal(t, "scope_statement", waitStarted(t, gen))
	// Later calls wait on a new gate; the first document finishes.
	rest := make(chan struct{})
	gen.set(func(g *fakeGen) { g.block = rest })
	close(first)
	mid := e.waitJob(job.ID, 10*time.Second, "an estimate", func(j *models.Job) bool {
		return j.CompletedDocuments >= 1 && j.EstimatedCompletion != nil
	})
	require.Equal(t, 1, mid.CompletedDocuments, "the other documents are held at the gate")
	// Two documents left at about an hour each (the prior) on one lane.
	left := mid.EstimatedCompletion.Sub(mid.UpdatedAt)
	assert.InDelta(t, (2 * time.Hour).Seconds(), left.Seconds(), 60)
	close(rest)
	done := e.waitStatus(job.ID, models.StatusCompleted, 10*time.Second)
	assert.Nil(t, done.EstimatedCompletion)
}

// waitStarted returns the next document type the generator starts.
func waitStarted(t *testing.T, g *fakeGen) string {
	t.Helper()
	select {
	case typ := <-g.started:
		return typ
	case <-time.After(10 * time.Second):
		t.Fatal("no generator call started within 10 s")
		return ""
	}
}
