package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// DocumentFailure is how one document finally failed in a run.
type DocumentFailure struct {
	Type  string `json:"type"`
	Error string `json:"error"`
	// Summary is the failure as one plain sentence for people; Error is the
	// technical detail (docs, issue 10).
	Summary  string `json:"summary,omitempty"`
	Attempts int    `json:"attempts"`
	// Permanent failures are not retried automatically.
	Permanent bool `json:"permanent"`
}

// Outcome is how a worker ends its run of a job.
type Outcome struct {
	// Status is the job's next status: completed, failed or cancelled, or
	// queued to retry later (RetryAt) or to release it at shutdown.
	Status string
	// Failures are the documents that failed; Skipped depended on them.
	Failures []DocumentFailure
	Skipped  []string
	// RetryAt schedules the automatic retry of a queued outcome; a retry
	// increments retry_count. Without it, a queued outcome is a release.
	RetryAt *time.Time
	Now     time.Time
	// Notify, when set, is stored in the same transaction.
	Notify *Notification
}

// FinishJob ends a worker's run of a job in one fenced transaction: the job's
// status, its failed and skipped checkpoints, and the user's notification.
func (db *DB) FinishJob(ctx context.Context, lease Lease, o Outcome) (*Job, error) {
	now := o.Now.UTC()
	var job *Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		j, err := lockJob(tx, db.Dialect, lease)
		if err != nil {
			return err
		}
		// The row decides, not the worker's view: a requested cancel wins
		// over a hand-back, and a cancel nobody requested (a stale event)
		// is a hand-back.
		switch {
		case o.Status == StatusQueued && j.CancelRequestedAt != nil:
			o.Status, o.RetryAt, o.Failures, o.Notify = StatusCancelled, nil, nil, nil
		case o.Status == StatusCancelled && j.CancelRequestedAt == nil:
			o.Status, o.RetryAt = StatusQueued, nil
		}
		retrying := o.Status == StatusQueued && o.RetryAt != nil
		for _, f := range o.Failures {
			status, msg := DocFailed, f.Error
			if retrying {
				status = DocPending
			}
			if err := tx.Exec(`UPDATE job_documents SET status = ?, attempts = ?, error = ?
				WHERE job_id = ? AND document_type = ? AND status <> 'completed'`,
				status, f.Attempts, msg, j.ID, f.Type).Error; err != nil {
				return err
			}
		}
		if len(o.Skipped) > 0 {
			status := DocSkipped
			if o.Status == StatusQueued {
				status = DocPending
			}
			if err := tx.Exec(`UPDATE job_documents SET status = ?
				WHERE job_id = ? AND document_type IN ? AND status <> 'completed'`,
				status, j.ID, o.Skipped).Error; err != nil {
				return err
			}
		}
		// Nothing stays "generating" once the run has ended.
		leftover := DocSkipped
		if o.Status == StatusQueued {
			leftover = DocPending
		}
		if err := tx.Exec(`UPDATE job_documents SET status = ? WHERE job_id = ? AND status = 'generating'`,
			leftover, j.ID).Error; err != nil {
			return err
		}

		j.Status = o.Status
		j.LockedBy, j.LeaseExpiresAt, j.CurrentDocument, j.EstimatedCompletion = nil, nil, nil, nil
		j.Version++
		j.UpdatedAt = now
		switch {
		case o.Status == StatusQueued:
			j.RunAt = now
			if retrying {
				j.RunAt = o.RetryAt.UTC()
				j.RetryCount++
			}
		default:
			j.CompletedAt = &now
		}
		if o.Status == StatusCompleted {
			j.ProgressPercentage = 100
		}
		if o.Status == StatusCompleted {
			j.ErrorMessage, j.ErrorDetails = nil, nil
		}
		if len(o.Failures) > 0 {
			details := JSONMap{}
			for _, f := range o.Failures {
				details[f.Type] = map[string]any{"error": f.Error, "summary": f.Summary, "attempts": f.Attempts, "permanent": f.Permanent}
			}
			msg := fmt.Sprintf("%s failed: %s", o.Failures[0].Type, o.Failures[0].Error)
			if len(o.Failures) > 1 {
				msg = fmt.Sprintf("%d documents failed; first: %s", len(o.Failures), msg)
			}
			j.ErrorMessage, j.ErrorDetails = &msg, details
		}
		if err := tx.Exec(`UPDATE document_generation_jobs
			SET status = ?, locked_by = NULL, lease_expires_at = NULL, current_document = NULL,
			    estimated_completion = NULL, run_at = ?, retry_count = ?, completed_at = ?,
			    progress_percentage = ?, error_message = ?, error_details = ?, version = ?, updated_at = ?
			WHERE id = ? AND fencing_token = ?`,
			j.Status, j.RunAt, j.RetryCount, j.CompletedAt, j.ProgressPercentage,
			j.ErrorMessage, j.ErrorDetails, j.Version, j.UpdatedAt, j.ID, lease.Token).Error; err != nil {
			return err
		}
		if o.Notify != nil {
			n := *o.Notify
			n.ID, n.UserID, n.CreatedAt = uuid.NewString(), j.UserID, now
			jobID := j.ID
			n.JobID = &jobID
			if err := tx.Create(&n).Error; err != nil {
				return err
			}
		}
		job = j
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return nil, ErrLeaseLost
		}
		return nil, fmt.Errorf("finish job: %w", err)
	}
	return job, nil
}

// ReleaseWorker hands back every job the worker holds, at shutdown, so that
// another instance resumes them at once. Documents in flight go back to
// pending; completed ones stay.
func (db *DB) ReleaseWorker(ctx context.Context, worker string, now time.Time) ([]Job, error) {
	now = now.UTC()
	var released []Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cancelled []Job
		if err := tx.Raw(`UPDATE document_generation_jobs
			SET status = 'cancelled', completed_at = ?, locked_by = NULL, lease_expires_at = NULL,
			    current_document = NULL, estimated_completion = NULL, fencing_token = fencing_token + 1,
			    version = version + 1, updated_at = ?
			WHERE locked_by = ? AND status = 'processing' AND cancel_requested_at IS NOT NULL
			RETURNING *`, now, now, worker).Scan(&cancelled).Error; err != nil {
			return err
		}
		if err := tx.Raw(`UPDATE document_generation_jobs
			SET status = 'queued', locked_by = NULL, lease_expires_at = NULL,
			    current_document = NULL, estimated_completion = NULL, run_at = ?,
			    fencing_token = fencing_token + 1, version = version + 1, updated_at = ?
			WHERE locked_by = ? AND status = 'processing'
			RETURNING *`, now, now, worker).Scan(&released).Error; err != nil {
			return err
		}
		released = append(released, cancelled...)
		if len(released) == 0 {
			return nil
		}
		ids := make([]string, len(released))
		for i, j := range released {
			ids[i] = j.ID
		}
		return tx.Exec(`UPDATE job_documents SET status = 'pending' WHERE job_id IN ? AND status = 'generating'`, ids).Error
	})
	if err != nil {
		return nil, fmt.Errorf("release jobs: %w", err)
	}
	return released, nil
}

// RequestCancel cancels a queued job at once, or asks the worker running a
// processing job to stop. It answers ErrConflict for a job that has ended.
func (db *DB) RequestCancel(ctx context.Context, userID, id string, now time.Time) (*Job, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	now = now.UTC()
	q := db.WithContext(ctx)
	// Conditional updates, not read-then-write: a claim may move the job
	// from queued to processing at any moment, and either way the cancel
	// must land.
	for range 3 {
		res := q.Exec(`UPDATE document_generation_jobs
			SET status = 'cancelled', cancel_requested_at = ?, completed_at = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND user_id = ? AND status = 'queued'`, now, now, now, id, userID)
		if res.Error != nil {
			return nil, fmt.Errorf("cancel job: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			if err := q.Exec(`UPDATE job_documents SET status = 'skipped' WHERE job_id = ? AND status = 'pending'`, id).Error; err != nil {
				return nil, fmt.Errorf("cancel job: %w", err)
			}
			return db.JobByID(ctx, id)
		}
		res = q.Exec(`UPDATE document_generation_jobs
			SET cancel_requested_at = COALESCE(cancel_requested_at, ?), version = version + 1, updated_at = ?
			WHERE id = ? AND user_id = ? AND status = 'processing'`, now, now, id, userID)
		if res.Error != nil {
			return nil, fmt.Errorf("cancel job: %w", res.Error)
		}
		if res.RowsAffected == 1 {
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
// when the job is active or completed, and *ActiveJobError when the project
// has another active job.
func (db *DB) RetryJob(ctx context.Context, userID, id string, now time.Time) (*Job, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	now = now.UTC()
	var job Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND user_id = ?", id, userID).Take(&job).Error; err != nil {
			return notFound(err)
		}
		if job.Status != StatusFailed && job.Status != StatusCancelled {
			return ErrConflict
		}
		res := tx.Exec(`UPDATE document_generation_jobs
			SET status = 'queued', run_at = ?, retry_count = 0, cancel_requested_at = NULL,
			    completed_at = NULL, error_message = NULL, error_details = NULL,
			    version = version + 1, updated_at = ?
			WHERE id = ? AND status IN ('failed', 'cancelled')`, now, now, job.ID)
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
		return tx.Where("id = ?", job.ID).Take(&job).Error
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return nil, err
		}
		if IsUniqueViolation(err) {
			if active, aerr := db.ActiveJobForProject(ctx, job.ProjectID); aerr == nil {
				return nil, &ActiveJobError{JobID: active.ID}
			}
		}
		return nil, fmt.Errorf("retry job: %w", err)
	}
	return &job, nil
}

// DeleteFinishedJobs removes terminal jobs that ended before cutoff, in
// batches, leaving their artifacts in place (job_id becomes NULL).
func (db *DB) DeleteFinishedJobs(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		res := db.WithContext(ctx).Exec(`DELETE FROM document_generation_jobs WHERE id IN (
			SELECT id FROM document_generation_jobs
			WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < ?
			LIMIT ?)`, cutoff.UTC(), batch)
		if res.Error != nil {
			return total, fmt.Errorf("delete finished jobs: %w", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
