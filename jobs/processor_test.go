package jobs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/models/modelstest"
)

func TestLifecycle(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		gen := newFakeGen()
		u := e.user("ada")
		p := e.project(u, "Lifecycle")
		job := e.job(u, p, nil, nil)
		require.Equal(t, models.StatusQueued, job.Status)
		require.Equal(t, len(documents.Keys()), job.TotalDocuments)
		sub := e.broker.SubscribeJob(job.ID)
		defer sub.Close()

		e.processor(gen, nil)
		done := e.waitStatus(job.ID, models.StatusCompleted, 20*time.Second)

		assert.Equal(t, 100, done.ProgressPercentage)
		assert.Equal(t, done.TotalDocuments, done.CompletedDocuments)
		assert.Len(t, done.GeneratedArtifacts, done.TotalDocuments)
		assert.Nil(t, done.LockedBy)
		assert.Nil(t, done.CurrentDocument)
		assert.NotNil(t, done.StartedAt)
		assert.NotNil(t, done.CompletedAt)

		docs, err := e.db.JobDocuments(context.Background(), job.ID)
		require.NoError(t, err)
		for _, doc := range docs {
			assert.Equal(t, models.DocCompleted, doc.Status, doc.DocumentType)
			assert.Equal(t, 1, doc.Attempts, doc.DocumentType)
			assert.NotNil(t, doc.ArtifactID)
			assert.Equal(t, 20, doc.CompletionTokens)
			assert.Equal(t, 1, gen.count("Lifecycle", doc.DocumentType), doc.DocumentType)
		}
		// Dependencies were generated first and handed to the generator.
		arts, err := e.db.JobArtifacts(context.Background(), job.ID)
		require.NoError(t, err)
		require.Len(t, arts, done.TotalDocuments)
		for _, a := range arts {
			if a.DocumentType == "executive_summary" {
				for _, dep := range []string{"risk_register", "budget_estimate", "schedule"} {
					assert.Contains(t, a.Markdown, dep)
				}
			}
		}
		counts := artifactCounts(t, e.db)
		for k, n := range counts {
			assert.Equal(t, 1, n, k)
		}
		notes, err := e.db.Notifications(context.Background(), u.ID, 10)
		require.NoError(t, err)
		require.Len(t, notes, 1)
		assert.Equal(t, "job_completed", notes[0].Kind)
		// The engine stores facts; the views write the words.
		assert.Empty(t, notes[0].Title)
		assert.Equal(t, "Lifecycle", notes[0].ProjectName)
		assert.Equal(t, notes[0].DocumentsTotal, notes[0].DocumentsDone)
		assert.Positive(t, notes[0].DocumentsDone)

		// The broker saw the job through to the end.
		deadline := time.After(5 * time.Second)
		for {
			select {
			case <-sub.Ready():
				for _, u := range sub.Take() {
					if u.Snapshot != nil && u.Snapshot.Job.Status == models.StatusCompleted {
						return
					}
				}
			case <-deadline:
				t.Fatal("no completed update from the broker")
			}
		}
	})
}

func TestPriorityOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		gen := newFakeGen()
		u := e.user("pri")
		one := []string{"project_charter"}
		last := e.job(u, e.project(u, "low"), one, func(n *models.NewJob) { n.Priority = models.PriorityLow })
		e.job(u, e.project(u, "normal"), one, nil)
		e.job(u, e.project(u, "high"), one, func(n *models.NewJob) { n.Priority = models.PriorityHigh })
		e.job(u, e.project(u, "normal2"), one, nil)
		e.processor(gen, func(c *Config) { c.Concurrency = 1 })
		e.waitStatus(last.ID, models.StatusCompleted, 20*time.Second)
		gen.mu.Lock()
		defer gen.mu.Unlock()
		assert.Equal(t, []string{"high", "normal", "normal2", "low"}, gen.order)
	})
}

func TestFairness(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		busy, other := e.user("busy"), e.user("other")
		one := []string{"project_charter"}
		for i := range 3 {
			e.job(busy, e.project(busy, fmt.Sprintf("busy-%d", i)), one, func(n *models.NewJob) { n.Priority = models.PriorityHigh })
		}
		late := e.job(other, e.project(other, "other"), one, func(n *models.NewJob) { n.Priority = models.PriorityLow })

		// With a cap of one running job per user, a batch of two takes one
		// job of each user, though the busy user's jobs rank higher.
		claimed, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 2, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, claimed, 2)
		owners := map[string]int{}
		for _, j := range claimed {
			owners[j.UserID]++
		}
		assert.Equal(t, 1, owners[busy.ID])
		assert.Equal(t, 1, owners[other.ID])
		assert.Contains(t, []string{claimed[0].ID, claimed[1].ID}, late.ID)

		// Nobody else waits: spare capacity goes to the busy user.
		more, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 5, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
		require.NoError(t, err)
		assert.Len(t, more, 2)
	})
}

func TestIdempotencyAndOneActiveJob(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("idem")
		p := e.project(u, "Idem")
		in := models.NewJob{UserID: u.ID, ProjectID: p.ID, ProjectData: p.Data, Documents: []string{"project_charter"}, MaxRetries: 3, IdempotencyKey: "key-1"}
		first, replay, err := e.client.Create(ctx, in)
		require.NoError(t, err)
		assert.False(t, replay)
		again, replay, err := e.client.Create(ctx, in)
		require.NoError(t, err)
		assert.True(t, replay)
		assert.Equal(t, first.ID, again.ID)

		in.IdempotencyKey = "key-2"
		_, _, err = e.client.Create(ctx, in)
		var active *models.ActiveJobError
		require.ErrorAs(t, err, &active)
		assert.Equal(t, first.ID, active.JobID)

		// The key is bound to its request.
		other := e.project(u, "Other")
		in.ProjectID, in.IdempotencyKey = other.ID, "key-1"
		_, _, err = e.client.Create(ctx, in)
		assert.ErrorIs(t, err, models.ErrIdempotencyMismatch)

		// The database itself refuses a second active job.
		err = e.db.ForTests().Exec(`INSERT INTO document_generation_jobs (id, project_id, user_id, status, project_data, queued_at, run_at, created_at, updated_at)
			VALUES (?, ?, ?, 'queued', '{}', ?, ?, ?, ?)`, "00000000-0000-4000-8000-000000000001", p.ID, u.ID, time.Now(), time.Now(), time.Now(), time.Now()).Error
		assert.True(t, models.IsUniqueViolation(err), "got %v", err)
	})
}

func TestCancelQueuedAndRunning(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("cancel")

		queued := e.job(u, e.project(u, "Queued"), nil, nil)
		got, err := e.client.Cancel(ctx, u.ID, queued.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusCancelled, got.Status)
		_, err = e.client.Cancel(ctx, u.ID, queued.ID)
		assert.ErrorIs(t, err, models.ErrConflict)

		gen := newFakeGen()
		gen.block = make(chan struct{})
		defer close(gen.block)
		e.processor(gen, func(c *Config) { c.HeartbeatInterval = time.Hour; c.LeaseDuration = 2 * time.Hour })
		running := e.job(u, e.project(u, "Running"), nil, nil)
		recv(t, gen.started, 10*time.Second, "a generator call")
		e.waitStatus(running.ID, models.StatusProcessing, 5*time.Second)

		start := time.Now()
		_, err = e.client.Cancel(ctx, u.ID, running.ID)
		require.NoError(t, err)
		recv(t, gen.cancelled, 5*time.Second, "the generator's context to be cancelled")
		assert.Less(t, time.Since(start), 5*time.Second)
		done := e.waitStatus(running.ID, models.StatusCancelled, 5*time.Second)
		assert.Equal(t, 0, done.CompletedDocuments)
		assert.Equal(t, 0, done.RetryCount, "a cancelled job is never retried")
		n := len(artifactCounts(t, e.db))
		assert.Equal(t, 0, n, "no document after cancel")
		_, err = e.client.Cancel(ctx, u.ID, running.ID)
		assert.ErrorIs(t, err, models.ErrConflict)
	})
}

func TestAutomaticRetryKeepsFinishedDocuments(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		gen := newFakeGen()
		// risk_register fails both attempts of the first run, then works.
		gen.failFor["risk_register"] = []error{errRetryable, errRetryable}
		u := e.user("retry")
		job := e.job(u, e.project(u, "Retry"), []string{"budget_estimate"}, nil)
		e.processor(gen, nil)
		done := e.waitStatus(job.ID, models.StatusCompleted, 20*time.Second)
		assert.Equal(t, 1, done.RetryCount)
		assert.Equal(t, 3, gen.count("Retry", "risk_register"))
		for _, typ := range []string{"scope_statement", "work_breakdown_structure", "budget_estimate"} {
			assert.Equal(t, 1, gen.count("Retry", typ), typ)
		}
		for k, n := range artifactCounts(t, e.db) {
			assert.Equal(t, 1, n, k)
		}
	})
}

func TestPermanentFailureThenManualRetry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		gen := newFakeGen()
		gen.failFor["risk_register"] = []error{errPermanent}
		u := e.user("manual")
		job := e.job(u, e.project(u, "Manual"), []string{"budget_estimate", "quality_plan"}, nil)
		e.processor(gen, nil)
		failed := e.waitStatus(job.ID, models.StatusFailed, 20*time.Second)
		assert.Equal(t, 0, failed.RetryCount, "permanent errors are not retried automatically")
		require.NotNil(t, failed.ErrorMessage)
		assert.Contains(t, *failed.ErrorMessage, "risk_register")
		assert.Contains(t, failed.ErrorDetails, "risk_register")
		assert.Equal(t, 1, gen.count("Manual", "risk_register"), "no retry of a permanent error")

		docs, err := e.db.JobDocuments(ctx, job.ID)
		require.NoError(t, err)
		status := map[string]string{}
		for _, doc := range docs {
			status[doc.DocumentType] = doc.Status
		}
		assert.Equal(t, models.DocFailed, status["risk_register"])
		assert.Equal(t, models.DocSkipped, status["budget_estimate"], "its dependency failed")
		assert.Equal(t, models.DocCompleted, status["quality_plan"], "independent documents still finish")
		assert.Equal(t, models.DocCompleted, status["work_breakdown_structure"])

		notes, err := e.db.Notifications(ctx, u.ID, 10)
		require.NoError(t, err)
		require.Len(t, notes, 1)
		assert.Equal(t, "job_failed", notes[0].Kind)

		// No retry can fix it: a manual retry is refused too (models' rule;
		// the API answers 409 not_retryable), and the job stays failed.
		_, err = e.client.Retry(ctx, u.ID, job.ID)
		assert.ErrorIs(t, err, models.ErrNotRetryable)
		cur, err := e.db.JobByID(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusFailed, cur.Status)

		// A failure a retry may fix, with no automatic retry left: the
		// manual retry generates only what is missing.
		gen.failFor["risk_register"] = []error{errRetryable, errRetryable}
		job = e.job(u, e.project(u, "Again"), []string{"budget_estimate", "quality_plan"}, func(n *models.NewJob) { n.MaxRetries = 0 })
		e.waitStatus(job.ID, models.StatusFailed, 20*time.Second)
		assert.Equal(t, 2, gen.count("Again", "risk_register"), "two attempts, then the job fails")
		_, err = e.client.Retry(ctx, u.ID, job.ID)
		require.NoError(t, err)
		_, err = e.client.Retry(ctx, u.ID, job.ID)
		assert.ErrorIs(t, err, models.ErrConflict, "an active job can't be retried")
		e.waitStatus(job.ID, models.StatusCompleted, 20*time.Second)
		assert.Equal(t, 3, gen.count("Again", "risk_register"))
		assert.Equal(t, 1, gen.count("Again", "budget_estimate"))
		for _, typ := range []string{"scope_statement", "work_breakdown_structure", "quality_plan"} {
			assert.Equal(t, 1, gen.count("Again", typ), "%s was regenerated", typ)
		}
		_, err = e.client.Retry(ctx, u.ID, job.ID)
		assert.ErrorIs(t, err, models.ErrConflict, "a completed job can't be retried")
	})
}

// The sweep runs every SweepInterval as configured: robfig/cron's "@every"
// ran 100ms once a second, and 1500ms every second at whole seconds. Its
// schedule is the interval exactly; and a lease that has run out before
// the start is rescued by the first sweep, an interval later, not earlier.
func TestSweepHonoursItsInterval(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		for _, interval := range []time.Duration{100 * time.Millisecond, 1500 * time.Millisecond, 2500 * time.Millisecond} {
			t.Run(interval.String(), func(t *testing.T) {
				e := newEnv(t, d)
				ctx := context.Background()
				u := e.user("sweep")
				job := e.job(u, e.project(u, "Sweep"), []string{"project_charter"}, nil)
				// A dead worker holds it. The claim takes queued jobs only:
				// the sweep's rescue alone brings it back.
				claimed, err := e.db.Claim(ctx, models.ClaimParams{Worker: "dead-worker", Limit: 1, Lease: time.Hour})
				require.NoError(t, err)
				require.Len(t, claimed, 1)
				require.NoError(t, e.db.ForTests().Exec(`UPDATE document_generation_jobs SET lease_expires_at = ? WHERE id = ?`,
					time.Now().Add(-time.Minute), job.ID).Error)

				start := time.Now()
				p := e.processor(newFakeGen(), func(cfg *Config) { cfg.SweepInterval = interval })
				at := time.Date(2026, 11, 30, 12, 0, 0, 123_456_789, time.UTC)
				assert.Equal(t, at.Add(interval), p.cron.Entry(p.sweepID).Schedule.Next(at), "the next pass is an interval after the last")
				if interval < time.Second {
					return // the rest waits for a pass
				}
				e.waitJob(job.ID, interval+10*time.Second, "the rescue", func(j *models.Job) bool {
					return j.RetryCount > 0 || deref(j.LockedBy) != "dead-worker"
				})
				assert.GreaterOrEqual(t, time.Since(start), interval-100*time.Millisecond, "rescued before the first sweep")
			})
		}
	})
}

func TestExpiredLeaseIsRescuedAndStaleWriteFenced(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("lease")
		job := e.job(u, e.project(u, "Lease"), []string{"project_charter"}, nil)

		// A hung worker: its generator ignores cancellation and its
		// heartbeat never runs.
		stale := newFakeGen()
		stale.block, stale.ignoreCtx, stale.marker = make(chan struct{}), true, " STALE"
		// One slot, held by the hung run, so it claims nothing else.
		p1, err := NewProcessor(e.db, stale, nil, Config{
			Worker: "stale-worker", Concurrency: 1, HeartbeatInterval: time.Hour, LeaseDuration: 2 * time.Hour,
			SweepInterval: time.Hour, ShutdownTimeout: 100 * time.Millisecond, Logger: quietLogger(),
		})
		require.NoError(t, err)
		require.NoError(t, p1.Start(ctx))
		t.Cleanup(p1.Stop)
		recv(t, stale.started, 10*time.Second, "the stale worker's call")
		claimed := e.waitStatus(job.ID, models.StatusProcessing, 5*time.Second)
		staleLease := claimed.Lease()

		// Its lease runs out.
		require.NoError(t, e.db.ForTests().Exec(`UPDATE document_generation_jobs SET lease_expires_at = ? WHERE id = ?`, time.Now().Add(-time.Second), job.ID).Error)

		// A healthy worker's sweep rescues the job and completes it.
		fresh := newFakeGen()
		fresh.marker = " FRESH"
		p2, err := NewProcessor(e.db, fresh, nil, Config{Worker: "fresh-worker", SweepInterval: 50 * time.Millisecond, LeaseDuration: 5 * time.Second, HeartbeatInterval: 100 * time.Millisecond, Logger: quietLogger()})
		require.NoError(t, err)
		require.NoError(t, p2.Start(ctx))
		t.Cleanup(p2.Stop)
		done := e.waitStatus(job.ID, models.StatusCompleted, 10*time.Second)
		assert.Greater(t, done.FencingToken, staleLease.Token)

		// The stale worker wakes up and writes: the fencing token refuses it.
		close(stale.block)
		p1.Stop()
		_, _, err = e.db.CommitDocument(ctx, staleLease, models.DocumentResult{Type: "project_charter", Title: "late", Markdown: "STALE", StartedAt: time.Now(), FinishedAt: time.Now()})
		assert.ErrorIs(t, err, models.ErrLeaseLost)
		arts, err := e.db.JobArtifacts(ctx, job.ID)
		require.NoError(t, err)
		require.Len(t, arts, 1)
		assert.Contains(t, arts[0].Markdown, "FRESH")
		assert.NotContains(t, arts[0].Markdown, "STALE")
		after, err := e.db.JobByID(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusCompleted, after.Status)
		assert.Equal(t, done.Version, after.Version, "the stale worker changed nothing")
	})
}

func TestShutdownReleasesLeases(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		u := e.user("stop")
		gen := newFakeGen()
		gen.block = make(chan struct{})
		job := e.job(u, e.project(u, "Stop"), nil, nil)
		p := e.processor(gen, func(c *Config) { c.ShutdownTimeout = 200 * time.Millisecond })
		recv(t, gen.started, 10*time.Second, "a generator call")
		start := time.Now()
		p.Stop()
		assert.Less(t, time.Since(start), 5*time.Second)
		close(gen.block)
		j, err := e.db.JobByID(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusQueued, j.Status, "released for another instance")
		assert.Nil(t, j.LockedBy)
		assert.Nil(t, j.LeaseExpiresAt)
		p.Stop() // twice is safe

		// Another processor resumes it at once.
		e.client.local = nil
		gen2 := newFakeGen()
		e.processor(gen2, nil)
		e.waitStatus(job.ID, models.StatusCompleted, 20*time.Second)
		for k, n := range artifactCounts(t, e.db) {
			assert.Equal(t, 1, n, k)
		}
	})
}

// The daily cleanup chooses old finished jobs while a user retries one of
// them: the retry wins (the user got 202), and the job is not deleted
// under it.
func TestCleanupSparesAJobBeingRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, models.Postgres)
	ctx := context.Background()
	g := e.db.ForTests()
	u := e.user("retried")
	job := e.job(u, e.project(u, "Old"), []string{"project_charter"}, nil)
	old := time.Now().Add(-800 * time.Hour)
	require.NoError(t, g.Exec(`UPDATE document_generation_jobs SET status = 'failed', completed_at = ?, error_message = 'x' WHERE id = ?`, old, job.ID).Error)
	require.NoError(t, g.Exec(`UPDATE job_documents SET status = 'failed' WHERE job_id = ?`, job.ID).Error)

	// Hold the job's documents: the retry stops after it requeued the
	// job's row, before it commits.
	hold := g.Begin()
	t.Cleanup(func() { hold.Rollback() })
	require.NoError(t, hold.Exec(`SELECT 1 FROM job_documents WHERE job_id = ? FOR UPDATE`, job.ID).Error)
	waiting := func() int {
		var n int
		require.NoError(t, g.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n).Error)
		return n
	}
	retried := make(chan error, 1)
	go func() { _, err := e.client.Retry(ctx, u.ID, job.ID); retried <- err }()
	require.Eventually(t, func() bool { return waiting() >= 1 }, 10*time.Second, 5*time.Millisecond, "the retry waits on the documents")

	type result struct {
		n   int64
		err error
	}
	cleaned := make(chan result, 1)
	go func() {
		n, _, err := e.db.DeleteFinishedJobs(ctx, time.Now().Add(-720*time.Hour), 500)
		cleaned <- result{n, err}
	}()
	// The cleanup either passes the job over at once, or waits on its row.
	var r result
	var done bool
	require.Eventually(t, func() bool {
		select {
		case r = <-cleaned:
			done = true
			return true
		default:
			return waiting() >= 2
		}
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, hold.Commit().Error)
	require.NoError(t, <-retried, "the retry succeeds")
	if !done {
		r = <-cleaned
	}
	require.NoError(t, r.err)
	assert.EqualValues(t, 0, r.n, "nothing to delete: the only old job is being retried")
	j, err := e.db.JobByID(ctx, job.ID)
	require.NoError(t, err, "the job the user retried still exists")
	assert.Equal(t, models.StatusQueued, j.Status)
}

func TestCleanupKeepsArtifacts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("clean")
		gen := newFakeGen()
		oldProject := e.project(u, "Old")
		old := e.job(u, oldProject, []string{"project_charter"}, nil)
		p := e.processor(gen, func(c *Config) { c.Retention = time.Hour })
		e.waitStatus(old.ID, models.StatusCompleted, 10*time.Second)
		recent := e.job(u, e.project(u, "Recent"), []string{"project_charter"}, nil)
		e.waitStatus(recent.ID, models.StatusCompleted, 10*time.Second)
		require.NoError(t, e.db.ForTests().Exec(`UPDATE document_generation_jobs SET completed_at = ? WHERE id = ?`, time.Now().Add(-2*time.Hour), old.ID).Error)
		// Notifications past the retention go when they are read or their
		// job is gone; an unread one about a job still there stays, and so
		// does a recent one.
		twoHoursAgo, now := time.Now().Add(-2*time.Hour).UTC(), time.Now().UTC()
		require.NoError(t, e.db.ForTests().Exec(`UPDATE notifications SET created_at = ? WHERE job_id IN (?, ?)`, twoHoursAgo, old.ID, recent.ID).Error)
		require.NoError(t, e.db.ForTests().Exec(`UPDATE notifications SET read_at = ? WHERE job_id = ?`, now, recent.ID).Error)
		unreadOld := models.Notification{ID: uuid.NewString(), UserID: u.ID, JobID: &recent.ID, Kind: "job_completed", CreatedAt: twoHoursAgo}
		readNew := models.Notification{ID: uuid.NewString(), UserID: u.ID, JobID: &recent.ID, Kind: "job_completed", CreatedAt: now, ReadAt: &now}
		require.NoError(t, e.db.ForTests().Create(&[]models.Notification{unreadOld, readNew}).Error)
		var before int64
		require.NoError(t, e.db.ForTests().Model(&models.Notification{}).Count(&before).Error)
		require.EqualValues(t, 4, before, "one per finished job, and the two above")

		n, err := p.Cleanup(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		_, err = e.db.JobByID(ctx, old.ID)
		assert.ErrorIs(t, err, models.ErrNotFound)
		_, err = e.db.JobByID(ctx, recent.ID)
		assert.NoError(t, err)
		var arts int64
		require.NoError(t, e.db.ForTests().Model(&models.Artifact{}).Count(&arts).Error)
		assert.EqualValues(t, 2, arts, "artifacts stay")
		vs, err := e.db.DocumentVersions(ctx, u.ID, oldProject.ID, "project_charter")
		require.NoError(t, err)
		require.Len(t, vs, 1)
		assert.Nil(t, vs[0].JobID, "its job is gone")
		if assert.NotNil(t, vs[0].RunNumber, "the version keeps its run number") {
			assert.Equal(t, old.RunNumber, *vs[0].RunNumber)
		}
		var left []string
		require.NoError(t, e.db.ForTests().Model(&models.Notification{}).Order("id").Pluck("id", &left).Error)
		want := []string{unreadOld.ID, readNew.ID}
		slices.Sort(want)
		assert.Equal(t, want, left)
	})
}

// Two processors on one PostgreSQL database share 50 jobs: every job is done
// once and no document is generated twice.
func TestTwoProcessorsFiftyJobs(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.Postgres)
	e := newEnvDB(t, db)
	gen := newFakeGen()
	docs := []string{"project_charter", "scope_statement", "risk_register"}
	var ids []string
	users := []*models.User{e.user("a"), e.user("b"), e.user("c")}
	for i := range 50 {
		u := users[i%len(users)]
		ids = append(ids, e.job(u, e.project(u, fmt.Sprintf("P%02d", i)), docs, nil).ID)
	}
	mod := func(name string) func(*Config) {
		return func(c *Config) { c.Worker = name; c.Concurrency = 4; c.MaxPerUser = 2 }
	}
	e.processor(gen, mod("one"))
	other := newEnvDB(t, db)
	other.processor(gen, mod("two"))
	for _, id := range ids {
		e.waitStatus(id, models.StatusCompleted, 60*time.Second)
	}
	counts := artifactCounts(t, db)
	assert.Len(t, counts, 50*len(docs))
	for k, n := range counts {
		assert.Equal(t, 1, n, k)
	}
	assert.Equal(t, 50*len(docs), gen.total(), "no document generated twice")
}

// Tests of the fencing token at the query level, on both databases.
func TestFencingRejectsStaleWrites(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("fence")
		e.job(u, e.project(u, "Fence"), []string{"scope_statement", "risk_register"}, nil)
		c1, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, c1, 1)
		l1 := c1[0].Lease()
		later := time.Now().Add(2 * time.Minute) // w1's lease has expired
		rescued, err := e.db.Rescue(ctx, later)
		require.NoError(t, err)
		require.Len(t, rescued, 1)
		c2, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w2", Limit: 1, Lease: time.Minute, Now: later})
		require.NoError(t, err)
		require.Len(t, c2, 1)
		l2 := c2[0].Lease()
		require.NotEqual(t, l1.Token, l2.Token)

		res := models.DocumentResult{Type: "scope_statement", Title: "Scope", Markdown: "x", Attempts: 1, StartedAt: time.Now(), FinishedAt: time.Now()}
		_, _, err = e.db.CommitDocument(ctx, l1, res)
		assert.ErrorIs(t, err, models.ErrLeaseLost)
		_, err = e.db.StartDocuments(ctx, l1, models.DocumentsStarted{Started: []string{"risk_register"}, Now: time.Now()})
		assert.ErrorIs(t, err, models.ErrLeaseLost)
		_, err = e.db.FinishJob(ctx, l1, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
		assert.ErrorIs(t, err, models.ErrLeaseLost)

		j, _, err := e.db.CommitDocument(ctx, l2, res)
		require.NoError(t, err)
		assert.Equal(t, 1, j.CompletedDocuments)
		assert.Equal(t, 50, j.ProgressPercentage)
		// Exactly once: the same document again violates the constraint.
		_, _, err = e.db.CommitDocument(ctx, l2, res)
		assert.Error(t, err)
		held, err := e.db.Heartbeat(ctx, "w2", []string{l2.JobID}, time.Minute, time.Now())
		require.NoError(t, err)
		require.Len(t, held, 1)
		assert.Equal(t, l2.Token, held[0].FencingToken)
		none, err := e.db.Heartbeat(ctx, "w1", []string{l1.JobID}, time.Minute, time.Now())
		require.NoError(t, err)
		assert.Empty(t, none, "the stale worker renews nothing")
		none, err = e.db.Heartbeat(ctx, "w2", []string{"00000000-0000-4000-8000-000000000000"}, time.Minute, time.Now())
		require.NoError(t, err)
		assert.Empty(t, none, "only the jobs the worker still runs are renewed")
	})
}

// Model output with NUL bytes or invalid UTF-8 is still stored (PostgreSQL
// refuses both in text), so the job finishes instead of looping.
func TestUnstorableModelOutputIsCleaned(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		gen := newFakeGen()
		gen.marker = " nul:\x00 bad:\xff\xfe end"
		u := e.user("nul")
		job := e.job(u, e.project(u, "Nul"), []string{"project_charter"}, nil)
		e.processor(gen, nil)
		e.waitStatus(job.ID, models.StatusCompleted, 10*time.Second)
		arts, err := e.db.JobArtifacts(context.Background(), job.ID)
		require.NoError(t, err)
		require.Len(t, arts, 1)
		assert.NotContains(t, arts[0].Markdown, "\x00")
		assert.Contains(t, arts[0].Markdown, "bad:\uFFFD")
		assert.Contains(t, arts[0].Markdown, "end")
	})
}

// A lost lease counts as a retry: a job that kills its worker every time
// ends failed instead of taking down every instance in turn.
func TestRescueCountsRetriesAndFailsPoisonJobs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("poison")
		job := e.job(u, e.project(u, "Poison"), []string{"project_charter"}, func(n *models.NewJob) { n.MaxRetries = 2 })
		now := time.Now()
		for i := range 3 {
			claimed, err := e.db.Claim(ctx, models.ClaimParams{Worker: "dies", Limit: 1, Lease: time.Minute, Now: now})
			require.NoError(t, err)
			require.Len(t, claimed, 1, "round %d", i)
			now = now.Add(2 * time.Minute) // the worker died; its lease runs out
			rescued, err := e.db.Rescue(ctx, now)
			require.NoError(t, err)
			require.Len(t, rescued, 1)
		}
		j, err := e.db.JobByID(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusFailed, j.Status)
		assert.Equal(t, 2, j.RetryCount)
		require.NotNil(t, j.ErrorMessage)
		assert.Contains(t, *j.ErrorMessage, "stopped responding")
		// The user is told, once (the rounds that requeued it told
		// nobody), as by any other failure: a toast on their next page.
		ns, err := e.db.Notifications(ctx, u.ID, 10)
		require.NoError(t, err)
		require.Len(t, ns, 1, "a job failed by the rescue leaves a notification")
		assert.Equal(t, models.NotifyFailed, ns[0].Kind)
		require.NotNil(t, ns[0].JobID)
		assert.Equal(t, job.ID, *ns[0].JobID)
		unshown, err := e.db.Unshown(ctx, u.ID)
		require.NoError(t, err)
		assert.Len(t, unshown, 1)
	})
}

// The job row decides how a run ends: a cancel requested meanwhile wins over
// a hand-back, and a stale cancel event nobody requested is a hand-back.
func TestFinishHonoursTheRowsCancelState(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		u := e.user("row")
		claim := func(name string) models.Lease {
			job := e.job(u, e.project(u, name), []string{"project_charter"}, nil)
			c, err := e.db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 1, Lease: time.Minute, Now: time.Now()})
			require.NoError(t, err)
			require.Len(t, c, 1)
			require.Equal(t, job.ID, c[0].ID)
			return c[0].Lease()
		}
		l := claim("Stale")
		j, err := e.db.FinishJob(ctx, l, models.Outcome{Status: models.StatusCancelled, Now: time.Now()})
		require.NoError(t, err)
		assert.Equal(t, models.StatusQueued, j.Status, "nobody asked to cancel")

		_, err = e.client.Cancel(ctx, u.ID, j.ID) // queued: cancelled at once
		require.NoError(t, err)

		l = claim("Requested")
		_, err = e.client.Cancel(ctx, u.ID, l.JobID)
		require.NoError(t, err)
		at := time.Now().Add(time.Minute)
		j, err = e.db.FinishJob(ctx, l, models.Outcome{Status: models.StatusQueued, RetryAt: &at, Now: time.Now()})
		require.NoError(t, err)
		assert.Equal(t, models.StatusCancelled, j.Status, "a requested cancel wins over a retry")
		assert.Equal(t, 0, j.RetryCount)
	})
}

// A generator that panics fails its document; the process carries on.
func TestGeneratorPanicFailsTheDocument(t *testing.T) {
	e := newEnv(t, models.SQLite)
	u := e.user("panic")
	job := e.job(u, e.project(u, "Panic"), []string{"project_charter"}, nil)
	e.processor(panicky{}, nil)
	failed := e.waitStatus(job.ID, models.StatusFailed, 10*time.Second)
	require.NotNil(t, failed.ErrorMessage)
	assert.Contains(t, *failed.ErrorMessage, "crashed")
	assert.Equal(t, 0, failed.RetryCount, "a crash is permanent")
}

type panicky struct{}

func (panicky) Generate(context.Context, documents.Request) (documents.Document, error) {
	panic("template bug")
}

// The claim a group commit makes for the slots it frees is the claim loop's:
// the same per-user cap (the fair claim) and documents per job.
func TestGroupCommitClaimsUnderTheCap(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		p, err := NewProcessor(e.db, nil, e.broker, Config{Worker: "w", Concurrency: 4, DocConcurrency: 3, MaxPerUser: 2, Logger: quietLogger()})
		require.NoError(t, err)
		got, ok := p.reserve(1)
		require.True(t, ok)
		defer p.claimed(nil, nil)
		assert.Equal(t, 5, got.Limit, "four free slots and one the batch frees")
		assert.Equal(t, 2, got.MaxPerUser)
		assert.Equal(t, 3, got.PerJob)
		if d == models.Postgres {
			assert.NotNil(t, p.completer.claims, "the group commit claims on PostgreSQL, capped or not")
		}
	})
}

// gatedGen returns at once except for the projects in gates, which wait
// until their gate closes.
type gatedGen struct {
	mu    sync.Mutex
	gates map[string]chan struct{}
}

func (g *gatedGen) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	g.mu.Lock()
	gate := g.gates[req.ProjectName]
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return documents.Document{}, ctx.Err()
		}
	}
	return documents.Document{Type: req.Type, Title: req.Type, Markdown: "# " + req.Type + "\n\nFor " + req.ProjectName + ".\n"}, nil
}

// A running processor keeps the per-user cap in every claim, the group
// commit's included: with two slots and a cap of one, while the busy
// user's first job runs, the slot another job's end frees goes to a third
// user's low-priority job, not to the busy user's next, higher-priority
// one. Once nobody else waits, the busy user's next job takes the spare
// slot (work-conserving) though its first still runs.
func TestProcessorKeepsTheCapWhenACommitFreesASlot(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		one := []string{"project_charter"}
		busy, b, c := e.user("busy"), e.user("b"), e.user("c")
		high := func(n *models.NewJob) { n.Priority = models.PriorityHigh }
		low := func(n *models.NewJob) { n.Priority = models.PriorityLow }
		a1ID := e.job(busy, e.project(busy, "A1"), one, high).ID
		a2 := e.job(busy, e.project(busy, "A2"), one, high)
		b1 := e.job(b, e.project(b, "B1"), one, low)
		c1 := e.job(c, e.project(c, "C1"), one, low)
		gate := make(chan struct{})
		gen := &gatedGen{gates: map[string]chan struct{}{"A1": gate}}
		e.processor(gen, func(cfg *Config) { cfg.Concurrency = 2; cfg.MaxPerUser = 1 })

		e.waitStatus(b1.ID, models.StatusCompleted, 20*time.Second)
		gotC := e.waitStatus(c1.ID, models.StatusCompleted, 20*time.Second)
		gotA2 := e.waitStatus(a2.ID, models.StatusCompleted, 20*time.Second)
		require.NotNil(t, gotC.StartedAt)
		require.NotNil(t, gotA2.StartedAt)
		assert.True(t, gotC.StartedAt.Before(*gotA2.StartedAt),
			"B1's slot goes to C1 while A1 runs (C1 claimed %s); A2 takes the slot C1 frees (claimed %s)", gotC.StartedAt, gotA2.StartedAt)
		a1, err := e.db.JobByID(context.Background(), a1ID)
		require.NoError(t, err)
		assert.Equal(t, models.StatusProcessing, a1.Status, "A1 ran throughout")
		close(gate)
	})
}

// A claim passes over a due job whose owner's sync-position row another
// transaction holds (it never waits for one); the processor looks again
// shortly, not at the next sweep: the job runs soon after the row is free,
// with the sweep a minute away.
func TestClaimLooksAgainForJobsItPassedOver(t *testing.T) {
	e := newEnv(t, models.Postgres)
	u := e.user("held")
	job := e.job(u, e.project(u, "Held"), []string{"project_charter"}, nil)

	holder := e.db.ForTests().Begin()
	require.NoError(t, holder.Error)
	t.Cleanup(func() { holder.Rollback() })
	require.NoError(t, holder.Exec(`SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE`, u.ID).Error)

	gen := newFakeGen()
	e.processor(gen, func(c *Config) { c.SweepInterval = time.Minute })
	// The start's claim passes the job over while the row is held.
	require.Never(t, func() bool { return gen.total() > 0 }, 300*time.Millisecond, 20*time.Millisecond,
		"the job ran while its owner's row was held")
	require.NoError(t, holder.Rollback().Error)
	e.waitStatus(job.ID, models.StatusCompleted, 10*time.Second)
}
