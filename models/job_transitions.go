package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// The job lifecycle in one place.
//
//	queued ──claim──▶ processing ──commit of the last document──▶ completed
//	  ▲                 │  │  │
//	  │                 │  │  └─ cancel requested (row) ─────────▶ cancelled
//	  │                 │  └──── documents failed, no retry left ─▶ failed
//	  └── retry (run_at)┴─────── retryable failure, lease expired, shutdown
//
// Each transition's SQL is written once below, and Decide is the one place
// that chooses the next status at the end of a run. The rescue of an
// expired lease applies the same rules in SQL (retriesLeftSQL).

// ErrNotRetryable refuses a manual retry that cannot succeed: every
// document the job failed on failed permanently (a rejected key, a bad
// request, a prompt over the context length). Fix the cause, then start a
// new generation.
var ErrNotRetryable = errors.New("a retry cannot fix this failure")

// RetryCannotHelp is the manual-retry rule: a failed job whose recorded
// failures (error_details) are all permanent, one of them at least with a
// summary to show, is not retried. A failure that is not permanent, a
// storage failure among them (its "storage" entry), makes a retry worth
// trying, and so does a failure without details (an older job). RetryJob
// applies it in the retry's transaction; the pages use it to offer Retry
// or not.
func (j *Job) RetryCannotHelp() bool {
	if j.Status != StatusFailed || len(j.ErrorDetails) == 0 {
		return false
	}
	summarised := false
	for _, v := range j.ErrorDetails {
		detail, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if s, _ := detail["summary"].(string); s != "" {
			summarised = true
		}
		if permanent, _ := detail["permanent"].(bool); !permanent {
			return false
		}
	}
	return summarised
}

// Job-row SQL fragments, one per transition.
const (
	// endLeaseSQL ends the holder's lease. Bumping the fencing token fences
	// off any late write of the worker that held it.
	endLeaseSQL = `locked_by = NULL, lease_expires_at = NULL, current_document = NULL,
	    estimated_completion = NULL, fencing_token = fencing_token + 1`
	// retriesLeftSQL is RetriesLeft, for statements that decide in SQL.
	retriesLeftSQL = `retry_count < max_retries`
	// fencedSQL: the row is still held under the lease (a write's guard).
	fencedSQL = `fencing_token = ? AND locked_by = ? AND status = 'processing'`
)

// resetInflightSQL returns the documents a run left in flight to pending
// (the job resumes) or skipped (it has ended).
const resetInflightSQL = `UPDATE job_documents SET status = ? WHERE job_id IN ? AND status = 'generating'`

// RetriesLeft is the one retries-left rule: a job may be retried
// automatically while it has used fewer retries than its maximum.
func RetriesLeft(retryCount, maxRetries int) bool { return retryCount < maxRetries }

// Cause is why a run ends.
type Cause int

const (
	// CauseFinished: the run has nothing left to start; every document is
	// done, failed, or blocked by a failed dependency.
	CauseFinished Cause = iota
	// CauseCancelRequested: the job's row has cancel_requested_at set.
	CauseCancelRequested
	// CauseLeaseLost: another worker holds the job now; write nothing.
	CauseLeaseLost
	// CauseShutdown: the process is draining; hand the job back at once.
	CauseShutdown
	// CauseStorage: a write failed for a reason other than the
	// infrastructure (a constraint, unstorable data). It counts as a retry,
	// so a write that always fails ends the job instead of looping.
	CauseStorage
)

func (c Cause) String() string {
	return [...]string{"finished", "cancel requested", "lease lost", "shutdown", "storage"}[c]
}

// Plan is what a run knows when it ends.
type Plan struct {
	// Order is every document of the job.
	Order []string
	// Done holds the completed documents, this run's and earlier ones.
	Done map[string]bool
	// Failures are the documents that failed in this run.
	Failures []DocumentFailure
	// RetryAfter is the longest wait a provider asked for in a failure that
	// was handed over to the job-level retry: no call before it.
	RetryAfter time.Duration
	// Backoff is the job-level retry delay (with jitter) the caller drew.
	Backoff time.Duration
	// StorageError describes the failed write of a CauseStorage end.
	StorageError string
	Now          time.Time
}

// Decide chooses how a run ends: a pure function of the job's retry state,
// what the run achieved, and why it ended. ok is false when the run must
// write nothing (its lease is lost).
func Decide(retryCount, maxRetries int, plan Plan, cause Cause) (o Outcome, ok bool) {
	now := plan.Now.UTC()
	o.Now = now
	missing := 0
	for _, t := range plan.Order {
		if !plan.Done[t] {
			missing++
		}
	}
	wait := max(plan.Backoff, plan.RetryAfter)
	for _, f := range plan.Failures {
		wait = max(wait, f.RetryAfter)
	}
	retryAt := now.Add(wait)
	switch {
	case cause == CauseLeaseLost:
		return Outcome{}, false
	case cause == CauseCancelRequested:
		o.Status = StatusCancelled
	case cause == CauseStorage:
		if RetriesLeft(retryCount, maxRetries) {
			o.Status, o.RetryAt = StatusQueued, &retryAt
		} else {
			o.Status, o.Notify = StatusFailed, NotifyFailed
			o.Failures = append(slices.Clone(plan.Failures), DocumentFailure{Type: "storage", Error: plan.StorageError, Attempts: retryCount + 1})
		}
	case missing == 0:
		o.Status, o.Notify = StatusCompleted, NotifyCompleted
	case len(plan.Failures) == 0:
		// Drained or aborted at shutdown: hand the job back, no retry spent.
		o.Status = StatusQueued
	default:
		o.Failures = plan.Failures
		permanent := false
		for _, f := range plan.Failures {
			permanent = permanent || f.Permanent
		}
		if !permanent && RetriesLeft(retryCount, maxRetries) {
			o.Status, o.RetryAt = StatusQueued, &retryAt
		} else {
			o.Status, o.Notify = StatusFailed, NotifyFailed
		}
	}
	return o, true
}

// Notification kinds the engine stores; the views write the words.
const (
	NotifyCompleted = "job_completed"
	NotifyFailed    = "job_failed"
)

// ErrCancelRequested is returned for a write refused because the job's
// cancel was requested: the run must end the job cancelled.
var ErrCancelRequested = errors.New("cancel requested")

// errNotCancelled refuses a cancelled outcome for a job whose cancel nobody
// requested (a stale event): the run hands the job back instead.
var errNotCancelled = errors.New("cancel not requested")

// refusal explains, read in tx, why a fenced write of l matched no row:
// the lease is lost, or the row's cancel state forbids the write.
func refusal(tx *gorm.DB, l Lease) error {
	var row struct {
		FencingToken      int64
		LockedBy          *string
		Status            string
		CancelRequestedAt *time.Time
	}
	err := tx.Raw(`SELECT fencing_token, locked_by, status, cancel_requested_at
		FROM document_generation_jobs WHERE id = ?`, l.JobID).Scan(&row).Error
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	if row.Status != StatusProcessing || row.FencingToken != l.Token || row.LockedBy == nil || *row.LockedBy != l.Worker {
		return ErrLeaseLost
	}
	if row.CancelRequestedAt != nil {
		return ErrCancelRequested
	}
	return errNotCancelled
}

// IsInfrastructure reports whether err says the database could not be
// reached or dropped the connection (or asked to retry a deadlock or a
// serialization failure): nothing about the job itself. Such errors do not
// count against a job's retries: the run waits and writes again.
func IsInfrastructure(err error) bool {
	if err == nil || errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrCancelRequested) {
		return false
	}
	// A connection that could not be made is the database's trouble,
	// whatever the server said: it refused connections for a while
	// (ALLOW_CONNECTIONS false, 55000), an authentication that fails
	// during a password rotation (28P01). Checked before the SQLSTATE
	// list, which the server's answer would otherwise meet first.
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) >= 2 && pgErr.Code[:2] == "08": // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			pgErr.Code == "53300",                        // too many connections
			pgErr.Code == "40001", pgErr.Code == "40P01", // serialization failure, deadlock
			pgErr.Code == "55P03", pgErr.Code == "57014", // lock not available, statement timeout
			isStalePrepared(pgErr): // the connection is dropped; another prepares afresh
			return true
		}
		return false
	}
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &netErr), errors.As(err, &opErr):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return pgconn.SafeToRetry(err) || isTimeoutErr(err)
}

func isTimeoutErr(err error) bool { return pgconn.Timeout(err) }
