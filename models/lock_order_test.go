package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"dossier/models"
	"dossier/models/modelstest"
)

// The lock order on PostgreSQL (README, "Lock order"): a user's
// sync-position row before the user's jobs. A group commit takes its users'
// rows first (lockJobsUsers), then writes their jobs; a cancel, a retry or
// the end of expired leases that locked a job first and its owner second
// (the sync-stamp trigger) deadlocked with it. Each test holds the user's
// row as a commit's first statement does, starts the action, waits until it
// is blocked, then makes the commit's next write on the job: both must
// finish, neither with a deadlock.

// lockedLikeACommit opens a transaction that holds the user's row as the
// group commit's first statement does.
func lockedLikeACommit(t *testing.T, db *models.DB, userID string) *gorm.DB {
	t.Helper()
	commit := db.ForTests().Begin()
	require.NoError(t, commit.Error)
	t.Cleanup(func() { commit.Rollback() })
	require.NoError(t, commit.Exec(`UPDATE users SET sync_position = sync_position + 1, sync_xact = pg_current_xact_id() WHERE id = ?`, userID).Error)
	return commit
}

// waitForLockWait waits (with a deadline) until a backend of the database
// waits for a lock.
func waitForLockWait(t *testing.T, db *models.DB) {
	t.Helper()
	waitForLockWaits(t, db, 1)
}

func notDeadlock(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		var pgErr *pgconn.PgError
		assert.False(t, errors.As(err, &pgErr) && pgErr.Code == "40P01", "deadlock: %v", err)
	}
}

func lockOrderJob(t *testing.T, db *models.DB, email string) (*models.User, *models.Project, *models.Job) {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, email, "L", "x")
	require.NoError(t, err)
	p := newProject(t, db, u.ID)
	j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, MaxRetries: 3})
	require.NoError(t, err)
	return u, p, j
}

// raceACommit holds the user's row as a commit's first statement does,
// starts action, waits until it is blocked, then makes the commit's next
// write (next) and commits (or rolls back, a refused stale write). Both
// must finish, neither with a deadlock.
func raceACommit(t *testing.T, db *models.DB, userID string, action func() error, next func(commit *gorm.DB) error, commitIt bool) {
	t.Helper()
	commit := lockedLikeACommit(t, db, userID)
	done := make(chan error, 1)
	go func() { done <- action() }()
	waitForLockWait(t, db)
	err1 := next(commit)
	if commitIt {
		require.NoError(t, commit.Commit().Error)
	} else {
		require.NoError(t, commit.Rollback().Error)
	}
	err2 := <-done
	notDeadlock(t, err1, err2)
	require.NoError(t, err1)
	require.NoError(t, err2, "the action lands after the commit")
}

func claimOne(t *testing.T, db *models.DB) {
	t.Helper()
	claimed, err := db.Claim(context.Background(), models.ClaimParams{Worker: "w", Limit: 1, PerJob: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
}

func progressWrite(jobID string) func(commit *gorm.DB) error {
	return func(commit *gorm.DB) error {
		return commit.Exec(`UPDATE document_generation_jobs SET progress_percentage = 50, version = version + 1 WHERE id = ?`, jobID).Error
	}
}

func TestCancelWaitsForACommitOfTheSameUser(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	u, _, j := lockOrderJob(t, db, "cancel@example.com")
	claimOne(t, db)
	raceACommit(t, db, u.ID, func() error {
		_, err := db.RequestCancel(context.Background(), u.ID, j.ID, time.Now())
		return err
	}, progressWrite(j.ID), true)
}

func TestRetryWaitsForAStaleCommitOfTheSameUser(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	u, p, j := lockOrderJob(t, db, "retry@example.com")
	require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'failed', completed_at = now() WHERE id = ?`, j.ID).Error)
	// A commit carrying a stale write of the failed job (its worker hung
	// past its lease): it holds the owner, then inserts the document, whose
	// foreign key takes a key-share lock on the job; the fence then refuses
	// the write and the batch rolls back.
	raceACommit(t, db, u.ID, func() error {
		_, err := db.RetryJob(context.Background(), u.ID, j.ID, time.Now())
		return err
	}, func(commit *gorm.DB) error {
		return commit.Exec(`INSERT INTO artifacts (id, job_id, project_id, user_id, document_type, title, markdown, version, created_at)
			VALUES (gen_random_uuid(), ?, ?, ?, 'project_charter', 'C', '# C', 1, now())`, j.ID, p.ID, u.ID).Error
	}, false)
}

func TestRescueWaitsForACommitOfTheSameUser(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	u, _, j := lockOrderJob(t, db, "rescue@example.com")
	claimOne(t, db)
	raceACommit(t, db, u.ID, func() error {
		_, err := db.Rescue(context.Background(), time.Now().Add(2*time.Minute)) // the lease has expired
		return err
	}, progressWrite(j.ID), true)
	got, err := db.JobByID(context.Background(), j.ID)
	require.NoError(t, err)
	assert.Equal(t, models.StatusQueued, got.Status, "rescued after the commit")
}

// The fair claim serialises on claimLockKey across instances, so that the
// processing counts it reads cannot move under it: a claim with the cap
// waits while another transaction holds the lock. A group commit's fair
// claim does not wait (its transaction holds its users' rows): it commits
// its writes and claims nothing, and claims once the lock is free. A claim
// without the cap does not take the lock.
func TestFairClaimTakesTheClaimLock(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	u, _, _ := lockOrderJob(t, db, "fair-lock@example.com")
	running, err := db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 1, PerJob: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, running, 1)
	for range 2 {
		_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
		require.NoError(t, err)
	}

	holder := db.ForTests().Begin()
	require.NoError(t, holder.Error)
	t.Cleanup(func() { holder.Rollback() })
	require.NoError(t, holder.Exec(`SELECT pg_advisory_xact_lock(7311002)`).Error)

	fair := models.ClaimParams{Worker: "w", Limit: 1, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = db.Claim(short, fair)
	assert.Error(t, err, "the fair claim waits for the lock")
	// A deadline far beyond a commit's time even on a loaded machine: a
	// commit that waited for the lock would reach it and fail.
	bounded, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	cur := "project_charter"
	progress := models.Write{Lease: running[0].Lease(), Now: time.Now(), CurrentDocument: &cur}
	res, got, err := db.CommitAndClaim(bounded, []models.Write{progress}, &fair)
	require.NoError(t, err, "a group commit does not wait for the lock")
	require.NoError(t, res[0].Err, "its writes are stored")
	assert.Empty(t, got, "and it claims nothing")

	unfair := fair
	unfair.MaxPerUser = 0
	got, err = db.Claim(ctx, unfair)
	require.NoError(t, err, "a claim without the cap does not take the lock")
	assert.Len(t, got, 1)

	require.NoError(t, holder.Rollback().Error)
	progress.Now = time.Now()
	res, got, err = db.CommitAndClaim(ctx, []models.Write{progress}, &fair)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Len(t, got, 1, "once the lock is free, the commit claims")
}

// Mark-all-read and a tab's acknowledgement of one toast, of the same user,
// while a commit holds the user's row: both take the owner's row before any
// notification. (They took it after, through the sync-stamp trigger: the
// mark-all-read held the first notification and the owner, the
// acknowledgement held the second and waited for the owner, and the
// mark-all-read then waited for the second: a deadlock, every time.)
func TestMarkAllReadAndAckShownDoNotDeadlock(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "bell@example.com", "B", "x")
	require.NoError(t, err)
	var ids []string
	for i := range 2 {
		id := uuid.NewString()
		require.NoError(t, db.ForTests().Exec(`INSERT INTO notifications (id, user_id, kind, title, created_at) VALUES (?, ?, 'job_completed', '', ?)`,
			id, u.ID, time.Now().Add(time.Duration(i)*time.Second)).Error)
		ids = append(ids, id)
	}
	commit := lockedLikeACommit(t, db, u.ID)
	marked := make(chan error, 1)
	go func() { marked <- db.MarkAllRead(ctx, u.ID, time.Now()) }()
	waitForLockWaits(t, db, 1)
	acked := make(chan error, 1)
	go func() {
		_, err := db.AckShown(ctx, u.ID, ids[1], time.Now())
		acked <- err
	}()
	waitForLockWaits(t, db, 2)
	require.NoError(t, commit.Commit().Error)
	err1, err2 := <-marked, <-acked
	notDeadlock(t, err1, err2)
	require.NoError(t, err1)
	require.NoError(t, err2)
	unread, err := db.CountUnread(ctx, u.ID)
	require.NoError(t, err)
	assert.Zero(t, unread)
}

// waitForLockWaits waits (with a deadline) until n backends of the
// database wait for a lock.
func waitForLockWaits(t *testing.T, db *models.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		require.NoError(t, db.ForTests().Raw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error)
		if waiting >= n {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d backends never waited for a lock", n)
		time.Sleep(5 * time.Millisecond)
	}
}

// A project save that changes the project moves the owner's position
// (migration 00018): it locks the owner's row before the project's, like
// the group commit (lockJobsUsers, then lockJobsProjects).
func TestProjectSaveWaitsForACommitOfTheSameUser(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	u, p, _ := lockOrderJob(t, db, "project-save@example.com")
	raceACommit(t, db, u.ID, func() error {
		p.Name = "Renamed while a commit runs"
		return db.UpdateProject(context.Background(), p)
	}, func(commit *gorm.DB) error {
		return commit.Exec(`SELECT id FROM projects WHERE id = ? FOR NO KEY UPDATE`, p.ID).Error
	}, true)
}

// A project's creation, deletion and conditional save move the owner's
// position too: each locks the owner's row first, then the project's, in
// the group commit's order.
func TestProjectCreateDeleteAndMergeWaitForACommitOfTheSameUser(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	u, p, j := lockOrderJob(t, db, "project-lifecycle@example.com")
	ctx := context.Background()
	raceACommit(t, db, u.ID, func() error {
		return db.CreateProject(ctx, &models.Project{UserID: u.ID, Name: "Created while a commit runs"})
	}, progressWrite(j.ID), true)

	idle := newProject(t, db, u.ID)
	raceACommit(t, db, u.ID, func() error {
		_, err := db.DeleteProject(ctx, u.ID, idle.ID)
		return err
	}, func(commit *gorm.DB) error {
		return commit.Exec(`SELECT id FROM projects WHERE id = ? FOR NO KEY UPDATE`, idle.ID).Error
	}, true)

	base := p.Fingerprint()
	raceACommit(t, db, u.ID, func() error {
		p.Name = "Saved over its base while a commit runs"
		return db.UpdateProjectIf(ctx, p, base)
	}, func(commit *gorm.DB) error {
		return commit.Exec(`SELECT id FROM projects WHERE id = ? FOR NO KEY UPDATE`, p.ID).Error
	}, true)
}
