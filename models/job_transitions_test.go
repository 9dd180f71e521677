package models_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

func TestDecide(t *testing.T) {
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	order := []string{"a", "b", "c"}
	all := map[string]bool{"a": true, "b": true, "c": true}
	some := map[string]bool{"a": true}
	retryable := models.DocumentFailure{Type: "b", Error: "503"}
	permanent := models.DocumentFailure{Type: "b", Error: "400", Permanent: true}
	slow := models.DocumentFailure{Type: "b", Error: "429", RetryAfter: 20 * time.Second}
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, tc := range []struct {
		name        string
		retries     int
		plan        models.Plan
		cause       models.Cause
		want        models.Outcome
		wantAbandon bool
	}{
		{name: "all done completes", plan: models.Plan{Order: order, Done: all},
			want: models.Outcome{Status: models.StatusCompleted, Notify: models.NotifyCompleted}},
		{name: "lease lost writes nothing", plan: models.Plan{Order: order, Done: all}, cause: models.CauseLeaseLost, wantAbandon: true},
		{name: "cancel wins over completion", plan: models.Plan{Order: order, Done: all}, cause: models.CauseCancelRequested,
			want: models.Outcome{Status: models.StatusCancelled}},
		{name: "shutdown hands back without a retry", plan: models.Plan{Order: order, Done: some}, cause: models.CauseShutdown,
			want: models.Outcome{Status: models.StatusQueued}},
		{name: "retryable failure retries after the backoff", plan: models.Plan{Order: order, Done: some, Failures: []models.DocumentFailure{retryable}, Backoff: 10 * time.Second},
			want: models.Outcome{Status: models.StatusQueued, RetryAt: at(10 * time.Second), Failures: []models.DocumentFailure{retryable}}},
		{name: "a long Retry-After sets run_at", plan: models.Plan{Order: order, Done: some, Failures: []models.DocumentFailure{slow}, Backoff: 5 * time.Second},
			want: models.Outcome{Status: models.StatusQueued, RetryAt: at(20 * time.Second), Failures: []models.DocumentFailure{slow}}},
		{name: "no retries left fails", retries: 3, plan: models.Plan{Order: order, Done: some, Failures: []models.DocumentFailure{retryable}},
			want: models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Failures: []models.DocumentFailure{retryable}}},
		{name: "permanent failure fails at once", plan: models.Plan{Order: order, Done: some, Failures: []models.DocumentFailure{permanent}},
			want: models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Failures: []models.DocumentFailure{permanent}}},
		{name: "storage error retries", plan: models.Plan{Order: order, Done: some, StorageError: "x", Backoff: time.Second}, cause: models.CauseStorage,
			want: models.Outcome{Status: models.StatusQueued, RetryAt: at(time.Second)}},
		{name: "storage error without retries fails", retries: 3, plan: models.Plan{Order: order, Done: some, StorageError: "x"}, cause: models.CauseStorage,
			want: models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Failures: []models.DocumentFailure{{Type: "storage", Error: "x", Attempts: 4}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.plan.Now = now
			got, ok := models.Decide(tc.retries, 3, tc.plan, tc.cause)
			if tc.wantAbandon {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			tc.want.Now = now
			assert.Equal(t, tc.want, got)
		})
	}
}

// fixture is a user, a project and a queued job with documents a (wave 0),
// b (wave 0) and c (wave 1, after both).
type fixture struct {
	db  *models.DB
	job *models.Job
	ctx context.Context
}

var fixtureSeq atomic.Int64

func newFixture(t *testing.T, db *models.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, fmt.Sprintf("t%d-%d@example.com", time.Now().UnixNano(), fixtureSeq.Add(1)), "T", "x")
	require.NoError(t, err)
	p := &models.Project{UserID: u.ID, Name: "P"}
	require.NoError(t, db.CreateProject(ctx, p))
	j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID,
		Documents: []string{"a", "b", "c"}, Waves: []int{0, 0, 1}, MaxRetries: 2})
	require.NoError(t, err)
	return &fixture{db: db, job: j, ctx: ctx}
}

func (f *fixture) claim(t *testing.T, worker string, now time.Time) models.ClaimedJob {
	t.Helper()
	c, err := f.db.Claim(f.ctx, models.ClaimParams{Worker: worker, Limit: 1, Lease: time.Minute, PerJob: 4, Now: now})
	require.NoError(t, err)
	require.Len(t, c, 1)
	return c[0]
}

func (f *fixture) docs(t *testing.T) map[string]string {
	t.Helper()
	ds, err := f.db.JobDocuments(f.ctx, f.job.ID)
	require.NoError(t, err)
	out := map[string]string{}
	for _, d := range ds {
		out[d.DocumentType] = d.Status
	}
	return out
}

func doc(typ string) models.DocumentResult {
	now := time.Now()
	return models.DocumentResult{Type: typ, Title: typ, Markdown: "# " + typ, Attempts: 1, StartedAt: now.Add(-time.Second), FinishedAt: now}
}

func TestTransitions(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			t.Run("claim starts the first wave and reads what the run needs", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				assert.Equal(t, models.StatusProcessing, c.Status)
				assert.Equal(t, "P", c.ProjectName)
				assert.Equal(t, []string{"a", "b"}, c.Started())
				assert.Equal(t, map[string]string{"a": "generating", "b": "generating", "c": "pending"}, f.docs(t))
				j, err := db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Equal(t, "a", *j.CurrentDocument)
				assert.Equal(t, "w1", *j.LockedBy)
				assert.Greater(t, j.Version, f.job.Version)
			})

			t.Run("a manual retry is refused when no retry can fix the failure", func(t *testing.T) {
				db := modelstest.Open(t, d)
				fail := func(permanent bool) *fixture {
					f := newFixture(t, db)
					c := f.claim(t, "w1", time.Now())
					_, err := db.FinishJob(f.ctx, c.Lease(), models.Outcome{Status: models.StatusFailed, Now: time.Now(),
						Failures: []models.DocumentFailure{{Type: "b", Error: "401", Summary: "The provider rejected the key.", Attempts: 1, Permanent: permanent}}})
					require.NoError(t, err)
					return f
				}
				f := fail(true)
				j, err := db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.True(t, j.RetryCannotHelp())
				_, err = db.RetryJob(f.ctx, f.job.UserID, f.job.ID, time.Now())
				assert.ErrorIs(t, err, models.ErrNotRetryable)
				j, err = db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Equal(t, models.StatusFailed, j.Status, "refused: nothing changed")

				f = fail(false)
				j, err = db.RetryJob(f.ctx, f.job.UserID, f.job.ID, time.Now())
				require.NoError(t, err, "a failure a retry may fix is retried")
				assert.Equal(t, models.StatusQueued, j.Status)

				// A permanent failure with a storage failure: the storage
				// may have recovered, and the retry is worth trying. (A
				// database of its own: the retried job above is queued.)
				db = modelstest.Open(t, d)
				f = newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				_, err = db.FinishJob(f.ctx, c.Lease(), models.Outcome{Status: models.StatusFailed, Now: time.Now(),
					Failures: []models.DocumentFailure{{Type: "b", Error: "401", Summary: "The provider rejected the key.", Attempts: 1, Permanent: true},
						{Type: "storage", Error: "connection refused", Attempts: 3}}})
				require.NoError(t, err)
				j, err = db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.False(t, j.RetryCannotHelp())
				_, err = db.RetryJob(f.ctx, f.job.UserID, f.job.ID, time.Now())
				require.NoError(t, err)
			})

			t.Run("claim honours run_at", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				retryAt := time.Now().Add(20 * time.Second)
				_, err := db.FinishJob(f.ctx, c.Lease(), models.Outcome{Status: models.StatusQueued, RetryAt: &retryAt, Now: time.Now()})
				require.NoError(t, err)
				early, err := db.Claim(f.ctx, models.ClaimParams{Worker: "w2", Limit: 5, Lease: time.Minute, Now: retryAt.Add(-time.Second)})
				require.NoError(t, err)
				for _, e := range early {
					assert.NotEqual(t, f.job.ID, e.ID, "claimed before its run_at")
				}
				late := f.claim(t, "w2", retryAt.Add(time.Second))
				assert.Equal(t, f.job.ID, late.ID)
				assert.Equal(t, 1, late.RetryCount)
			})

			t.Run("commit stores text byte for byte, whatever it quotes", func(t *testing.T) {
				// PostgreSQL receives a batch's columns as array literals:
				// quotes, backslashes, braces, commas and the word NULL in
				// a document must come back unchanged.
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				d := doc("a")
				d.Title = `Quote " back\slash {brace}, NULL`
				d.Markdown = "# \"NULL\"\n\n{a,b} \\ \\\" é ✓\nNULL\n"
				_, art, err := db.CommitDocument(f.ctx, c.Lease(), d)
				require.NoError(t, err)
				assert.Equal(t, d.Title, art.Title)
				assert.Equal(t, d.Markdown, art.Markdown)
				d2 := doc("b")
				d2.Markdown = "NULL"
				_, art, err = db.CommitDocument(f.ctx, c.Lease(), d2)
				require.NoError(t, err)
				assert.Equal(t, "NULL", art.Markdown, "the text NULL is not a null")
			})

			t.Run("commit stores progress, the last one completes with a notification", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				l := c.Lease()
				j, art, err := db.CommitDocument(f.ctx, l, doc("a"))
				require.NoError(t, err)
				assert.Equal(t, 1, j.CompletedDocuments)
				assert.Equal(t, 33, j.ProgressPercentage)
				assert.Equal(t, models.StringList{art.ID}, j.GeneratedArtifacts)
				assert.Equal(t, 1, art.Version)
				res, err := db.Commit(f.ctx, []models.Write{{Lease: l, Documents: []models.DocumentResult{doc("b"), doc("c")},
					End: &models.Outcome{Status: models.StatusCompleted, Notify: models.NotifyCompleted, Now: time.Now()}, Now: time.Now()}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				assert.Equal(t, models.StatusCompleted, res[0].Job.Status)
				j, err = db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Equal(t, 100, j.ProgressPercentage)
				assert.Len(t, j.GeneratedArtifacts, 3)
				assert.Nil(t, j.LockedBy)
				assert.NotNil(t, j.CompletedAt)
				ns, err := db.Notifications(f.ctx, j.UserID, 10)
				require.NoError(t, err)
				require.Len(t, ns, 1)
				assert.Equal(t, models.NotifyCompleted, ns[0].Kind)
				assert.Equal(t, 3, ns[0].DocumentsDone)
				assert.Equal(t, 3, ns[0].DocumentsTotal)
			})

			t.Run("a stale lease writes nothing", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				stale := c.Lease()
				stale.Token--
				_, _, err := db.CommitDocument(f.ctx, stale, doc("a"))
				assert.ErrorIs(t, err, models.ErrLeaseLost)
				_, err = db.FinishJob(f.ctx, stale, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
				assert.ErrorIs(t, err, models.ErrLeaseLost)
				arts, err := db.JobArtifacts(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Empty(t, arts)
			})

			t.Run("once cancel is requested no document is stored and the job ends cancelled", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				_, err := db.RequestCancel(f.ctx, c.UserID, c.ID, time.Now())
				require.NoError(t, err)
				_, _, err = db.CommitDocument(f.ctx, c.Lease(), doc("a"))
				assert.ErrorIs(t, err, models.ErrCancelRequested)
				// Even the write that would complete the job ends it cancelled.
				j, err := db.FinishJob(f.ctx, c.Lease(), models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
				require.NoError(t, err)
				assert.Equal(t, models.StatusCancelled, j.Status)
				arts, err := db.JobArtifacts(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Empty(t, arts)
				assert.Equal(t, map[string]string{"a": "skipped", "b": "skipped", "c": "skipped"}, f.docs(t))
			})

			t.Run("a cancel nobody requested is a hand-back", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				j, err := db.FinishJob(f.ctx, c.Lease(), models.Outcome{Status: models.StatusCancelled, Now: time.Now()})
				require.NoError(t, err)
				assert.Equal(t, models.StatusQueued, j.Status)
				assert.Equal(t, 0, j.RetryCount)
			})

			t.Run("heartbeat renews only the worker's running jobs", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w1", time.Now())
				held, err := db.Heartbeat(f.ctx, "w1", []string{c.ID}, time.Minute, time.Now())
				require.NoError(t, err)
				require.Len(t, held, 1)
				assert.Equal(t, c.FencingToken, held[0].FencingToken)
				j, err := db.JobByID(f.ctx, c.ID)
				require.NoError(t, err)
				assert.Equal(t, c.Version, j.Version, "a renewal is not a visible change")
				none, err := db.Heartbeat(f.ctx, "w2", []string{c.ID}, time.Minute, time.Now())
				require.NoError(t, err)
				assert.Empty(t, none)
			})

			t.Run("rescue requeues, counts a retry, then fails", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				now := time.Now()
				for i := range 3 {
					c := f.claim(t, "dies", now)
					if i == 0 {
						_, _, err := db.CommitDocument(f.ctx, c.Lease(), doc("a"))
						require.NoError(t, err)
					}
					now = now.Add(2 * time.Minute)
					ended, err := db.Rescue(f.ctx, now)
					require.NoError(t, err)
					require.Len(t, ended, 1)
					if i < 2 {
						assert.Equal(t, models.StatusQueued, ended[0].Status)
						assert.Equal(t, map[string]string{"a": "completed", "b": "pending", "c": "pending"}, f.docs(t))
					} else {
						assert.Equal(t, models.StatusFailed, ended[0].Status)
						assert.Equal(t, map[string]string{"a": "completed", "b": "skipped", "c": "skipped"}, f.docs(t))
					}
				}
				j, err := db.JobByID(f.ctx, f.job.ID)
				require.NoError(t, err)
				assert.Equal(t, 2, j.RetryCount)
			})

			t.Run("release hands back without a retry", func(t *testing.T) {
				db := modelstest.Open(t, d)
				f := newFixture(t, db)
				c := f.claim(t, "w-release", time.Now())
				ended, err := db.ReleaseWorker(f.ctx, "w-release", time.Now())
				require.NoError(t, err)
				require.Len(t, ended, 1)
				assert.Equal(t, models.StatusQueued, ended[0].Status)
				j, err := db.JobByID(f.ctx, c.ID)
				require.NoError(t, err)
				assert.Equal(t, 0, j.RetryCount)
				assert.Nil(t, j.LockedBy)
				assert.Greater(t, j.FencingToken, c.FencingToken)
				assert.Equal(t, map[string]string{"a": "pending", "b": "pending", "c": "pending"}, f.docs(t))
			})

			t.Run("one batch commits many jobs, and refuses only the stale one", func(t *testing.T) {
				db := modelstest.Open(t, d)
				var writes []models.Write
				var fs []*fixture
				for range 4 {
					f := newFixture(t, db)
					fs = append(fs, f)
					c := f.claim(t, "batch", time.Now())
					writes = append(writes, models.Write{Lease: c.Lease(), Documents: []models.DocumentResult{doc("a")}, Started: []string{"c"}, Now: time.Now()})
				}
				writes[2].Lease.Token++
				res, err := db.Commit(context.Background(), writes)
				require.NoError(t, err)
				for i, r := range res {
					if i == 2 {
						assert.ErrorIs(t, r.Err, models.ErrLeaseLost)
						continue
					}
					require.NoError(t, r.Err)
					assert.Equal(t, 1, r.Job.CompletedDocuments)
					assert.Equal(t, "completed", fs[i].docs(t)["a"])
					assert.Equal(t, "generating", fs[i].docs(t)["c"])
				}
				assert.Equal(t, "generating", fs[2].docs(t)["a"])
			})
		})
	}
}
