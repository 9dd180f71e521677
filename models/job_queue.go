package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The queue's write path. Every query that decides correctness (claim,
// lease, fencing, progress) is here, once, with its SQL visible. Commits are
// the scarce resource: a claim is one commit per batch, a heartbeat one per
// process, a document one.

// ClaimParams tunes Claim.
type ClaimParams struct {
	Worker string
	Limit  int
	Lease  time.Duration
	// MaxPerUser caps a user's processing jobs while other users' jobs wait.
	// 0 means no cap.
	MaxPerUser int
	Now        time.Time
}

// claimLockKey serialises claims across instances on PostgreSQL, which makes
// the per-user fairness cap exact. Claims are batched, so this costs little.
const claimLockKey = 7311002

// Claim moves up to Limit due queued jobs to processing under Worker's lease,
// by priority, then run_at, then age. Users at MaxPerUser are passed over
// while others wait; leftover capacity then goes to them (work-conserving).
func (db *DB) Claim(ctx context.Context, p ClaimParams) ([]Job, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	now := p.Now.UTC()
	var claimed []Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		lockClause := ""
		if db.Dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", claimLockKey).Error; err != nil {
				return err
			}
			lockClause = " FOR UPDATE SKIP LOCKED"
		}
		var ids []string
		if p.MaxPerUser > 0 {
			err := tx.Raw(`SELECT id FROM document_generation_jobs
				WHERE status = 'queued' AND run_at <= ?
				  AND user_id NOT IN (
				    SELECT user_id FROM document_generation_jobs WHERE status = 'processing'
				    GROUP BY user_id HAVING COUNT(*) >= ?)
				ORDER BY priority DESC, run_at, queued_at
				LIMIT ?`+lockClause, now, p.MaxPerUser, p.Limit*4).Scan(&ids).Error
			if err != nil {
				return err
			}
			ids, err = capPerUser(tx, ids, p.MaxPerUser, p.Limit)
			if err != nil {
				return err
			}
		}
		if len(ids) < p.Limit {
			var more []string
			q := `SELECT id FROM document_generation_jobs
				WHERE status = 'queued' AND run_at <= ?`
			args := []any{now}
			if len(ids) > 0 {
				q += ` AND id NOT IN ?`
				args = append(args, ids)
			}
			q += ` ORDER BY priority DESC, run_at, queued_at LIMIT ?` + lockClause
			args = append(args, p.Limit-len(ids))
			if err := tx.Raw(q, args...).Scan(&more).Error; err != nil {
				return err
			}
			ids = append(ids, more...)
		}
		if len(ids) == 0 {
			return nil
		}
		exp := now.Add(p.Lease)
		return tx.Raw(`UPDATE document_generation_jobs
			SET status = 'processing', locked_by = ?, lease_expires_at = ?,
			    fencing_token = fencing_token + 1, version = version + 1,
			    started_at = COALESCE(started_at, ?), updated_at = ?
			WHERE id IN ? AND status = 'queued'
			RETURNING *`, p.Worker, exp, now, now, ids).Scan(&claimed).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	// RETURNING does not promise the claim's order; restore it.
	slices.SortStableFunc(claimed, func(a, b Job) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), a.RunAt.Compare(b.RunAt), a.QueuedAt.Compare(b.QueuedAt))
	})
	return claimed, nil
}

// capPerUser keeps, in order, the candidates that leave each user within max
// processing jobs, up to limit.
func capPerUser(tx *gorm.DB, ids []string, max, limit int) ([]string, error) {
	if len(ids) == 0 {
		return ids, nil
	}
	var rows []struct {
		ID, UserID string
	}
	if err := tx.Raw(`SELECT id, user_id FROM document_generation_jobs WHERE id IN ?`, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	owner := make(map[string]string, len(rows))
	users := map[string]bool{}
	for _, r := range rows {
		owner[r.ID] = r.UserID
		users[r.UserID] = true
	}
	var running []struct {
		UserID string
		N      int
	}
	userList := make([]string, 0, len(users))
	for u := range users {
		userList = append(userList, u)
	}
	if err := tx.Raw(`SELECT user_id, COUNT(*) AS n FROM document_generation_jobs
		WHERE status = 'processing' AND user_id IN ? GROUP BY user_id`, userList).Scan(&running).Error; err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, r := range running {
		count[r.UserID] = r.N
	}
	out := ids[:0:0]
	for _, id := range ids {
		u := owner[id]
		if count[u] >= max {
			continue
		}
		count[u]++
		out = append(out, id)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// LeaseState is what a heartbeat learns about one of the worker's jobs.
type LeaseState struct {
	ID                string
	FencingToken      int64
	CancelRequestedAt *time.Time
}

// Heartbeat renews, in one statement, the leases the worker holds on the
// jobs it is still running, and returns them. A job missing from the answer
// was rescued and must be abandoned; one with CancelRequestedAt set must be
// stopped. A job the worker holds but no longer runs (its run gave up after
// a failed write) is not renewed, so its lease expires and the sweep
// requeues it.
func (db *DB) Heartbeat(ctx context.Context, worker string, running []string, lease time.Duration, now time.Time) ([]LeaseState, error) {
	if len(running) == 0 {
		return nil, nil
	}
	var out []LeaseState
	err := db.WithContext(ctx).Raw(`UPDATE document_generation_jobs
		SET lease_expires_at = ?
		WHERE locked_by = ? AND status = 'processing' AND id IN ?
		RETURNING id, fencing_token, cancel_requested_at`, now.UTC().Add(lease), worker, running).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("heartbeat: %w", err)
	}
	return out, nil
}

// Rescue requeues processing jobs whose lease expired (their worker died or
// hung), so that they resume from their checkpoints. A job whose cancel was
// requested ends cancelled instead. It returns the affected jobs.
func (db *DB) Rescue(ctx context.Context, now time.Time) ([]Job, error) {
	now = now.UTC()
	var rescued []Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A job whose cancel was requested ends cancelled; the rest are
		// requeued and resume from their checkpoints.
		var cancelled []Job
		if err := tx.Raw(`UPDATE document_generation_jobs
			SET status = 'cancelled', completed_at = ?, current_document = NULL, estimated_completion = NULL,
			    locked_by = NULL, lease_expires_at = NULL, fencing_token = fencing_token + 1,
			    version = version + 1, updated_at = ?
			WHERE status = 'processing' AND lease_expires_at < ? AND cancel_requested_at IS NOT NULL
			RETURNING *`, now, now, now).Scan(&cancelled).Error; err != nil {
			return err
		}
		// A lost lease counts as a job-level retry, so that a job that
		// kills its worker every time (a panic, an OOM) ends failed instead
		// of taking down every instance in turn.
		var failed []Job
		if err := tx.Raw(`UPDATE document_generation_jobs
			SET status = 'failed', completed_at = ?, current_document = NULL, estimated_completion = NULL,
			    locked_by = NULL, lease_expires_at = NULL, fencing_token = fencing_token + 1,
			    error_message = 'the worker running this job stopped responding too many times (lease expired)',
			    version = version + 1, updated_at = ?
			WHERE status = 'processing' AND lease_expires_at < ? AND retry_count >= max_retries
			RETURNING *`, now, now, now).Scan(&failed).Error; err != nil {
			return err
		}
		if err := tx.Raw(`UPDATE document_generation_jobs
			SET status = 'queued', current_document = NULL, estimated_completion = NULL,
			    locked_by = NULL, lease_expires_at = NULL, run_at = ?, retry_count = retry_count + 1,
			    fencing_token = fencing_token + 1, version = version + 1, updated_at = ?
			WHERE status = 'processing' AND lease_expires_at < ?
			RETURNING *`, now, now, now).Scan(&rescued).Error; err != nil {
			return err
		}
		rescued = append(append(rescued, cancelled...), failed...)
		if len(rescued) == 0 {
			return nil
		}
		ids := make([]string, len(rescued))
		for i, j := range rescued {
			ids[i] = j.ID
		}
		if err := tx.Exec(`UPDATE job_documents SET status = 'pending'
			WHERE job_id IN ? AND status = 'generating'`, ids).Error; err != nil {
			return err
		}
		for _, j := range failed {
			if err := tx.Exec(`UPDATE job_documents SET status = 'skipped' WHERE job_id = ? AND status = 'pending'`, j.ID).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rescue jobs: %w", err)
	}
	return rescued, nil
}

// DocumentResult is a finished document, as the worker commits it.
type DocumentResult struct {
	Type             string
	Title            string
	Markdown         string
	Attempts         int
	StartedAt        time.Time
	FinishedAt       time.Time
	PromptTokens     int
	CompletionTokens int
	// Instruction is the regeneration instruction the document was written
	// with, kept on its version.
	Instruction string
	// Started are the documents the worker launches next; they are marked
	// generating in the same transaction.
	Started []string
	// Progress after this document.
	CurrentDocument     string
	EstimatedCompletion *time.Time
}

// lockJob reads the job for update if, and only if, lease still owns it.
func lockJob(tx *gorm.DB, dialect Dialect, lease Lease) (*Job, error) {
	q := tx.Where("id = ? AND fencing_token = ? AND locked_by = ? AND status = 'processing'", lease.JobID, lease.Token, lease.Worker)
	if dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var j Job
	if err := q.Take(&j).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrLeaseLost
		}
		return nil, err
	}
	return &j, nil
}

// CommitDocument stores a finished document in ONE transaction: the artifact
// (exactly once, by the unique (job_id, document_type)), its checkpoint, and
// the job's progress, all fenced by the lease. A stale worker gets
// ErrLeaseLost and changes nothing.
func (db *DB) CommitDocument(ctx context.Context, lease Lease, r DocumentResult) (*Job, *Artifact, error) {
	var job *Job
	var art *Artifact
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		j, err := lockJob(tx, db.Dialect, lease)
		if err != nil {
			return err
		}
		if err := lockProjectVersions(tx, db.Dialect, j.ProjectID); err != nil {
			return err
		}
		version, err := nextVersion(tx, j.ProjectID, r.Type)
		if err != nil {
			return err
		}
		jobID := j.ID
		art = &Artifact{
			ID: uuid.NewString(), JobID: &jobID, ProjectID: j.ProjectID, UserID: j.UserID,
			DocumentType: r.Type, Title: r.Title, Markdown: r.Markdown, Version: version,
			PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens, CreatedAt: r.FinishedAt.UTC(),
			Source: SourceGenerated, Instruction: r.Instruction,
		}
		if err := tx.Create(art).Error; err != nil {
			return fmt.Errorf("insert artifact: %w", err)
		}
		dur := r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		res := tx.Exec(`UPDATE job_documents
			SET status = 'completed', attempts = ?, started_at = ?, completed_at = ?, duration_ms = ?,
			    error = NULL, artifact_id = ?, prompt_tokens = ?, completion_tokens = ?
			WHERE job_id = ? AND document_type = ? AND status <> 'completed'`,
			r.Attempts, r.StartedAt.UTC(), r.FinishedAt.UTC(), dur, art.ID, r.PromptTokens, r.CompletionTokens, j.ID, r.Type)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("checkpoint %s of job %s: %w", r.Type, j.ID, ErrConflict)
		}
		if len(r.Started) > 0 {
			if err := tx.Exec(`UPDATE job_documents SET status = 'generating', started_at = ?, error = NULL
				WHERE job_id = ? AND document_type IN ? AND status <> 'completed'`, r.FinishedAt.UTC(), j.ID, r.Started).Error; err != nil {
				return err
			}
		}
		j.CompletedDocuments++
		j.GeneratedArtifacts = append(j.GeneratedArtifacts, art.ID)
		j.ProgressPercentage = percent(j.CompletedDocuments, j.TotalDocuments)
		cur := r.CurrentDocument
		j.CurrentDocument = &cur
		if cur == "" {
			j.CurrentDocument = nil
		}
		j.EstimatedCompletion = r.EstimatedCompletion
		j.Version++
		j.UpdatedAt = r.FinishedAt.UTC()
		job = j
		return tx.Exec(`UPDATE document_generation_jobs
			SET completed_documents = ?, generated_artifacts = ?, progress_percentage = ?,
			    current_document = ?, estimated_completion = ?, version = ?, updated_at = ?
			WHERE id = ? AND fencing_token = ?`,
			j.CompletedDocuments, j.GeneratedArtifacts, j.ProgressPercentage, j.CurrentDocument,
			j.EstimatedCompletion, j.Version, j.UpdatedAt, j.ID, lease.Token).Error
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return nil, nil, ErrLeaseLost
		}
		return nil, nil, fmt.Errorf("commit document: %w", err)
	}
	return job, art, nil
}

func percent(done, total int) int {
	if total <= 0 {
		return 100
	}
	return done * 100 / total
}

// DocumentsStarted is a checkpoint write that is not a finished document: the
// documents the worker starts now, and possibly one that just failed.
type DocumentsStarted struct {
	Started         []string
	Failed          *DocumentFailure
	CurrentDocument string
	Now             time.Time
}

// StartDocuments marks documents as generating (and a failed one as failed)
// in one fenced transaction, so that every instance's streams show them.
func (db *DB) StartDocuments(ctx context.Context, lease Lease, in DocumentsStarted) (*Job, error) {
	now := in.Now.UTC()
	var job *Job
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		j, err := lockJob(tx, db.Dialect, lease)
		if err != nil {
			return err
		}
		if len(in.Started) > 0 {
			if err := tx.Exec(`UPDATE job_documents SET status = 'generating', started_at = ?, error = NULL
				WHERE job_id = ? AND document_type IN ? AND status <> 'completed'`, now, j.ID, in.Started).Error; err != nil {
				return err
			}
		}
		if f := in.Failed; f != nil {
			if err := tx.Exec(`UPDATE job_documents SET status = 'failed', attempts = ?, error = ?
				WHERE job_id = ? AND document_type = ? AND status <> 'completed'`, f.Attempts, f.Error, j.ID, f.Type).Error; err != nil {
				return err
			}
		}
		cur := &in.CurrentDocument
		if in.CurrentDocument == "" {
			cur = j.CurrentDocument
		}
		j.CurrentDocument = cur
		j.Version++
		j.UpdatedAt = now
		job = j
		return tx.Exec(`UPDATE document_generation_jobs SET current_document = ?, version = ?, updated_at = ?
			WHERE id = ? AND fencing_token = ?`, j.CurrentDocument, j.Version, now, j.ID, lease.Token).Error
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return nil, ErrLeaseLost
		}
		return nil, fmt.Errorf("start documents: %w", err)
	}
	return job, nil
}

// WithAdvisoryLock runs fn only if this process gets the PostgreSQL advisory
// lock key (on SQLite, always): maintenance that one instance should do.
func (db *DB) WithAdvisoryLock(ctx context.Context, key int64, fn func(context.Context) error) (bool, error) {
	if db.Dialect != Postgres {
		return true, fn(ctx)
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("advisory lock: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return false, fmt.Errorf("advisory lock: %w", err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	return true, fn(ctx)
}
