package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RequestCancel cancels a queued job at once, or asks the worker running a
// processing job to stop. It answers ErrConflict for a job that has ended.
func (db *DB) RequestCancel(ctx context.Context, userID, id string, now time.Time) (*Job, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	now = now.UTC()
	q := db.g.WithContext(ctx)
	// Conditional updates, not read-then-write: a claim may move the job
	// from queued to processing at any moment, and either way the cancel
	// must land.
	for range 3 {
		var cancelled, requested []Ended
		err := q.Transaction(func(tx *gorm.DB) error {
			if err := db.lockOwner(tx, userID); err != nil {
				return err
			}
			// Queued: ends at once.
			if err := tx.Raw(`UPDATE document_generation_jobs
				SET status = 'cancelled', cancel_requested_at = ?, completed_at = ?, version = version + 1, updated_at = ?
				WHERE id = ? AND user_id = ? AND status = 'queued'
				RETURNING id, user_id, status, version`, now, now, now, id, userID).Scan(&cancelled).Error; err != nil {
				return err
			}
			if len(cancelled) == 1 {
				if err := tx.Exec(`UPDATE job_documents SET status = 'skipped' WHERE job_id = ? AND status = 'pending'`, id).Error; err != nil {
					return err
				}
				c := cancelled[0]
				return db.notify(tx, []Change{{Kind: "job", JobID: c.ID, UserID: c.UserID, Version: c.Version}})
			}
			// Processing: from now on the fenced commits refuse its
			// documents, and the instance running it aborts its calls.
			if err := tx.Raw(`UPDATE document_generation_jobs
				SET cancel_requested_at = COALESCE(cancel_requested_at, ?), version = version + 1, updated_at = ?
				WHERE id = ? AND user_id = ? AND status = 'processing'
				RETURNING id, user_id, status, version`, now, now, id, userID).Scan(&requested).Error; err != nil {
				return err
			}
			if len(requested) == 1 {
				c := requested[0]
				return db.notify(tx, []Change{{Kind: "cancel", JobID: c.ID, UserID: c.UserID, Version: c.Version},
					{Kind: "job", JobID: c.ID, UserID: c.UserID, Version: c.Version}})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cancel job: %w", err)
		}
		if len(cancelled)+len(requested) == 1 {
			return db.JobByID(ctx, id)
		}
		j, err := db.JobForUser(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		if j.Terminal() {
			return nil, ErrConflict
		}
		// It moved between the two updates; try again.
	}
	return nil, ErrConflict
}

// RetryJob requeues a failed or cancelled job by hand. Completed documents
// are kept; only the missing ones will be generated. It answers ErrConflict
// when the job is active or completed, ErrNotRetryable when its failure is
// one no retry can fix (RetryCannotHelp), and *ActiveJobError when the
// project has another active job.
func (db *DB) RetryJob(ctx context.Context, userID, id string, now time.Time) (*Job, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	now = now.UTC()
	var job Job
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The owner first (the lock order), then the job: the rule reads
		// the failure the retry replaces, and nothing may change it in
		// between (SQLite has one writer at a time). NO KEY UPDATE, not
		// UPDATE, which would conflict with the key-share lock a stale
		// commit's artifact insert takes on the job while holding the
		// owner's row.
		if err := db.lockOwner(tx, userID); err != nil {
			return err
		}
		q := tx.Where("id = ? AND user_id = ?", id, userID)
		if db.Dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
		}
		if err := q.Take(&job).Error; err != nil {
			return notFound(err)
		}
		if job.Status != StatusFailed && job.Status != StatusCancelled {
			return ErrConflict
		}
		if job.RetryCannotHelp() {
			return ErrNotRetryable
		}
		history := append(job.History, job.episode(now))
		res := tx.Exec(`UPDATE document_generation_jobs
			SET status = 'queued', run_at = ?, retry_count = 0, cancel_requested_at = NULL,
			    completed_at = NULL, error_message = NULL, error_details = NULL, history = ?,
			    version = version + 1, updated_at = ?
			WHERE id = ? AND status IN ('failed', 'cancelled')`, now, history, now, job.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		if err := tx.Exec(`UPDATE job_documents SET status = 'pending', error = NULL
			WHERE job_id = ? AND status <> 'completed'`, job.ID).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", job.ID).Take(&job).Error; err != nil {
			return err
		}
		return db.notify(tx, []Change{{Kind: "queued", JobID: job.ID, UserID: job.UserID, Version: job.Version},
			{Kind: "job", JobID: job.ID, UserID: job.UserID, Version: job.Version}})
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotRetryable) {
			return nil, err
		}
		if IsUniqueViolation(err) {
			if active, aerr := db.ActiveJobForProject(ctx, job.ProjectID); aerr == nil {
				return nil, &ActiveJobError{JobID: active.ID, RunNumber: active.RunNumber}
			}
		}
		return nil, fmt.Errorf("retry job: %w", err)
	}
	return &job, nil
}

// DeleteFinishedJobs removes terminal jobs that ended before cutoff, in
// batches, leaving their artifacts in place (job_id becomes NULL; the run
// number is kept on them). It returns the number removed and their owners,
// whose open tabs resync (removedFor).
func (db *DB) DeleteFinishedJobs(ctx context.Context, cutoff time.Time, batch int) (int64, []string, error) {
	const terminal = `status IN ('completed', 'failed', 'cancelled') AND completed_at < ?`
	return db.deleteOwned(ctx, batch, ownedRows{
		what:  "delete finished jobs",
		table: "document_generation_jobs",
		candidates: func(tx *gorm.DB, skip []string) ([]string, error) {
			var ids []string
			not, args := notIn("id", skip)
			err := tx.Raw(`SELECT id FROM document_generation_jobs WHERE `+terminal+not+` LIMIT ?`,
				append(append([]any{cutoff.UTC()}, args...), batch)...).Scan(&ids).Error
			return ids, err
		},
		// Still finished when locked: a retry may have requeued it since.
		still: " AND " + terminal, stillArgs: []any{cutoff.UTC()},
		// The versions the runs wrote keep their "Run #N" (the foreign
		// key sets their job_id to NULL).
		before: func(tx *gorm.DB, ids []string) error {
			return tx.Exec(`UPDATE artifacts SET kept_run_number = (
				SELECT j.run_number FROM document_generation_jobs j WHERE j.id = artifacts.job_id AND j.run_number > 0)
				WHERE job_id IN ?`, ids).Error
		},
	})
}

// ownedRows describes a batched removal of users' rows by the cleanup
// (deleteOwned).
type ownedRows struct {
	what  string
	table string
	// candidates chooses at most a batch of rows' ids, leaving out those
	// in skip (notIn).
	candidates func(tx *gorm.DB, skip []string) ([]string, error)
	// still is a condition the rows must still meet once locked.
	still     string
	stillArgs []any
	// before runs before the rows are deleted.
	before func(tx *gorm.DB, ids []string) error
}

// deleteOwned removes rows in batches, each in a transaction that locks
// the rows' owners first (removedFor moves their sync positions), then the
// rows as they are chosen, skipping on PostgreSQL those another
// transaction holds (a retry requeueing a job, a tab marking a
// notification read: that statement goes on to the owner's row, so waiting
// for it here could deadlock; SQLite's write transactions do not overlap).
// The rows skipped are left out of the next batches' candidates and wait
// for the next run: a batch of them does not end the cleanup, nor do they
// fill every batch. It goes on while a batch of candidates is full, and
// returns the number removed and their owners.
func (db *DB) deleteOwned(ctx context.Context, batch int, o ownedRows) (int64, []string, error) {
	owners := map[string]bool{}
	var total int64
	var skipped []string
	for {
		var n int64
		var candidates, removedIDs []string
		var users []string
		err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			candidates, err = o.candidates(tx, skipped)
			if err != nil || len(candidates) == 0 {
				return err
			}
			if err := tx.Raw(`SELECT DISTINCT user_id FROM `+o.table+` WHERE id IN ?`, candidates).
				Scan(&users).Error; err != nil {
				return err
			}
			if err := lockUsers(tx, db.Dialect, "?", users); err != nil {
				return fmt.Errorf("lock users: %w", err)
			}
			lock := ""
			if db.Dialect == Postgres {
				lock = " FOR UPDATE SKIP LOCKED"
			}
			var rows []struct{ ID, UserID string }
			if err := tx.Raw(`SELECT id, user_id FROM `+o.table+` WHERE id IN ?`+o.still+lock,
				append([]any{candidates}, o.stillArgs...)...).Scan(&rows).Error; err != nil {
				return err
			}
			ids := make([]string, len(rows))
			users = users[:0]
			for i, r := range rows {
				ids[i] = r.ID
				if !slices.Contains(users, r.UserID) {
					users = append(users, r.UserID)
				}
			}
			if len(rows) == 0 {
				return nil
			}
			if o.before != nil {
				if err := o.before(tx, ids); err != nil {
					return err
				}
			}
			res := tx.Exec(`DELETE FROM `+o.table+` WHERE id IN ?`, ids)
			if res.Error != nil {
				return res.Error
			}
			n, removedIDs = res.RowsAffected, ids
			return db.removedFor(tx, users)
		})
		if err != nil {
			return total, slices.Sorted(maps.Keys(owners)), fmt.Errorf("%s: %w", o.what, err)
		}
		total += n
		if n > 0 {
			for _, u := range users {
				owners[u] = true
			}
		}
		if len(candidates) < batch || len(candidates) == 0 {
			return total, slices.Sorted(maps.Keys(owners)), nil
		}
		// The candidates not removed were held (or no longer qualify).
		if int(n) < len(candidates) {
			removed := map[string]bool{}
			for _, id := range removedIDs {
				removed[id] = true
			}
			for _, id := range candidates {
				if !removed[id] {
					skipped = append(skipped, id)
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return total, slices.Sorted(maps.Keys(owners)), err
		}
	}
}

// DeleteCompletedSnapshots removes, in batches, the snapshot text that the
// claim reads (job_snapshots, PostgreSQL) of completed jobs: nothing claims
// a completed job again, and the text would double its snapshot's space
// until the job itself goes (JOB_RETENTION). A failed or cancelled job
// keeps its text for a retry (without it, the claim reads the jsonb). It
// returns the number removed; SQLite has nothing to remove.
func (db *DB) DeleteCompletedSnapshots(ctx context.Context, batch int) (int64, error) {
	if db.Dialect != Postgres {
		return 0, nil
	}
	// Keyset over job_snapshots' key: each batch goes on from the last one,
	// instead of reading again the rows the earlier batches passed over.
	after := "00000000-0000-0000-0000-000000000000"
	return inBatches(ctx, batch, "delete completed snapshots", func() (int64, error) {
		var ids []string
		err := db.g.WithContext(ctx).Raw(`DELETE FROM job_snapshots WHERE job_id IN (
			SELECT s.job_id FROM job_snapshots s JOIN document_generation_jobs j ON j.id = s.job_id
			WHERE s.job_id > ?::uuid AND j.status = 'completed' ORDER BY s.job_id LIMIT ?)
			RETURNING job_id`, after, batch).Scan(&ids).Error
		for _, id := range ids {
			after = max(after, id)
		}
		return int64(len(ids)), err
	})
}

// inBatches runs one batch of a cleanup (which reports how many rows it
// removed) until a batch removes fewer than batch rows, or ctx ends; it
// returns the total removed.
func inBatches(ctx context.Context, batch int, what string, one func() (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := one()
		if err != nil {
			return total, fmt.Errorf("%s: %w", what, err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// notIn is a condition leaving out the ids (none: no condition).
func notIn(col string, ids []string) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	return " AND " + col + " NOT IN ?", []any{ids}
}

// lockOwner takes the user's sync-position row before the transaction
// changes the user's jobs: the sync-stamp trigger would take it only after
// the job's row, the reverse of the group commit's order (lockJobsUsers),
// and a cancel or a retry racing a commit of the same user could deadlock.
func (db *DB) lockOwner(tx *gorm.DB, userID string) error {
	if !IsID(userID) {
		return ErrNotFound
	}
	return lockUsers(tx, db.Dialect, "?", userID)
}

// lockUsers takes the sync-position rows of the users owners names (a
// placeholder or a sub-query), in id order, on PostgreSQL: every write path
// locks a user's row before the user's projects and jobs (README, "Lock
// order"). The group commit's lockJobsUsers does the same in its pipeline,
// and bumps the positions too.
func lockUsers(tx *gorm.DB, dialect Dialect, owners string, args ...any) error {
	if dialect != Postgres {
		return nil
	}
	return tx.Exec(`SELECT id FROM users WHERE id IN (`+owners+`) ORDER BY id FOR NO KEY UPDATE`, args...).Error
}
