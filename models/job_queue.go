package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// The queue: claim, heartbeat, rescue and release. Every query that decides
// who holds a job is here, once, with its SQL visible. Commits are the
// scarce resource: a claim is one commit per batch (and starts the first
// documents in it), a heartbeat one per process.

// ClaimParams tunes Claim.
type ClaimParams struct {
	Worker string
	Limit  int
	Lease  time.Duration
	// MaxPerUser caps a user's processing jobs while other users' jobs wait.
	// 0 means no cap.
	MaxPerUser int
	// PerJob is how many documents of one job run at once
	// (LLM_CONCURRENCY): the claim marks up to that many ready documents
	// generating. 0 marks none.
	PerJob int
	Now    time.Time
}

// ClaimedJob is a job as the claim hands it to its run: the job (without
// its output columns), its project's text, and its checkpoints.
type ClaimedJob struct {
	Job
	ProjectName        string
	ProjectDescription string
	// Documents are the job's checkpoints in generation order, with the
	// statuses the claim left them in.
	Documents []ClaimedDocument
	// rawProject and rawCompany are the project's JSON as read, until Load
	// decodes them: decoding is the costliest part of reading a claim, and
	// belongs in the run's goroutine, not in the group commit's.
	rawProject, rawCompany []byte
}

// Load decodes the job's project data and company pack, if the claim left
// them encoded (CommitAndClaim does; Claim returns them decoded). Safe to
// call more than once.
func (c *ClaimedJob) Load() error {
	if c.rawProject != nil {
		c.ProjectData = ProjectData{}
		if err := decodeSnapshot(c.rawProject, &c.ProjectData); err != nil {
			return fmt.Errorf("project data: %w", err)
		}
		c.rawProject = nil
	}
	if c.rawCompany != nil {
		var pack CompanyPack
		if err := decodeSnapshot(c.rawCompany, &pack); err != nil {
			return fmt.Errorf("company pack: %w", err)
		}
		c.CompanyIntelligencePack, c.rawCompany = &pack, nil
	}
	return nil
}

// decodeSnapshot decodes a claimed job's project data or company pack. It
// is the one JSON decode of every run, about 6 KB for a full project: with
// encoding/json it was the largest part of a worker's CPU time per job
// (135 µs of about 290 for a 1-document job with an instant generator);
// goccy/go-json decodes the same into the same values (TestSnapshotDecode)
// in a quarter of the time.
func decodeSnapshot(raw []byte, dst any) error {
	return gojson.Unmarshal(raw, dst)
}

// ClaimedDocument is one checkpoint of a claimed job.
type ClaimedDocument struct {
	Type   string
	Status string
	Wave   int
}

// Started lists the documents the claim marked generating.
func (c *ClaimedJob) Started() []string {
	var out []string
	for _, d := range c.Documents {
		if d.Status == DocGenerating {
			out = append(out, d.Type)
		}
	}
	return out
}

// claimLockKey serialises claims across instances on PostgreSQL when the
// per-user fairness cap is on, which makes the cap exact.
const claimLockKey = 7311002

// firstDocuments is the rule the claim starts documents by: every document
// of the lowest wave not yet completed is ready (its dependencies are in
// lower waves, all completed), up to perJob in generation order. The
// PostgreSQL claim applies it in SQL.
func firstDocuments(docs []ClaimedDocument, perJob int) []int {
	low := -1
	for _, d := range docs {
		if d.Status != DocCompleted && (low < 0 || d.Wave < low) {
			low = d.Wave
		}
	}
	var out []int
	for i, d := range docs {
		if len(out) >= perJob {
			break
		}
		if d.Status != DocCompleted && d.Wave == low {
			out = append(out, i)
		}
	}
	return out
}

// Claim moves up to Limit due queued jobs (due by Now, or by the
// database's clock when Now is zero) to processing under Worker's
// lease, by priority, then run_at, then age, and marks their first
// documents generating: on PostgreSQL in one statement. Users at
// MaxPerUser are passed over while others wait; leftover capacity then goes
// to them (work-conserving).
func (db *DB) Claim(ctx context.Context, p ClaimParams) ([]ClaimedJob, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	p.Now = p.Now.UTC()
	var claimed []ClaimedJob
	var err error
	if db.Dialect == Postgres {
		claimed, err = db.claimPipelined(ctx, p)
		for i := range claimed {
			if err == nil {
				err = claimed[i].Load()
			}
		}
	} else {
		if p.Now.IsZero() {
			p.Now = db.Now(ctx)
		}
		err = db.claimTx(ctx, p, &claimed)
	}
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sortClaimed(claimed)
	return claimed, nil
}

// sortClaimed restores the claim's order, which RETURNING does not promise.
func sortClaimed(claimed []ClaimedJob) {
	slices.SortStableFunc(claimed, func(a, b ClaimedJob) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), a.RunAt.Compare(b.RunAt), a.QueuedAt.Compare(b.QueuedAt))
	})
}

// claimTx is the claim in a GORM transaction, on SQLite.
func (db *DB) claimTx(ctx context.Context, p ClaimParams, out *[]ClaimedJob) error {
	var claimed []ClaimedJob
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []string
		if p.MaxPerUser > 0 {
			var err error
			if ids, err = db.fairCandidates(tx, p); err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
		}
		var err error
		claimed, err = db.claimSQLite(tx, p, ids)
		if err != nil {
			return err
		}
		changes := make([]Change, len(claimed))
		for i, c := range claimed {
			changes[i] = Change{Kind: "job", JobID: c.ID, UserID: c.UserID, Version: c.Version}
		}
		return db.notify(tx, changes)
	})
	*out = claimed
	return err
}

// claimedColumns are the job columns a run needs: not its output (the
// generated artifacts, the error details). The snapshot (project_data,
// company_intelligence_pack) comes between claimedHead and claimedTail.
const (
	claimedHead = `j.id, j.project_id, j.user_id, j.status, j.priority`
	claimedTail = `j.total_documents, j.completed_documents, j.queued_at, j.started_at,
	j.retry_count, j.max_retries, j.locked_by, j.lease_expires_at, j.fencing_token, j.run_at, j.version,
	j.run_number, j.instruction, j.requested_documents`
	claimedColumns = claimedHead + `, j.project_data, j.company_intelligence_pack, ` + claimedTail
)

// claimedSnapshot is the snapshot as the PostgreSQL claim sends it: the
// JSON text kept beside the job (job_snapshots, migration 00014), sent as
// stored; printed from the jsonb only for a job that has none.
const claimedSnapshot = `CASE WHEN s.job_id IS NULL
	    THEN (SELECT x.project_data::text FROM document_generation_jobs x WHERE x.id = c.id) ELSE s.project_text END AS project_data,
	  CASE WHEN s.job_id IS NULL
	    THEN (SELECT x.company_intelligence_pack::text FROM document_generation_jobs x WHERE x.id = c.id) ELSE s.company_text END AS company_intelligence_pack`

type claimRow struct {
	Job
	ProjectName        string
	ProjectDescription string
	Docs               string
	Started            string
}

func (r claimRow) claimed() ClaimedJob {
	c := ClaimedJob{Job: r.Job, ProjectName: r.ProjectName, ProjectDescription: r.ProjectDescription}
	started := map[string]bool{}
	for _, t := range strings.Split(r.Started, ",") {
		started[t] = true
	}
	for _, s := range strings.Split(r.Docs, ",") {
		if s == "" {
			continue
		}
		parts := strings.SplitN(s, ":", 3)
		d := ClaimedDocument{Type: parts[0], Status: parts[1]}
		fmt.Sscan(parts[2], &d.Wave)
		if started[d.Type] {
			d.Status = DocGenerating
		}
		c.Documents = append(c.Documents, d)
	}
	return c
}

// resumedWaitSQL is the claim's new waited_ms (PostgreSQL): a job claimed
// again (it has started before) waited since its last change, which ended
// its previous run (a retry's hand-back, a manual retry, a rescue); a job
// whose waits were not recorded (NULL, from before migration 00021) stays
// so.
const resumedWaitSQL = `CASE WHEN j.started_at IS NULL THEN j.waited_ms
		ELSE j.waited_ms + GREATEST(0, (EXTRACT(EPOCH FROM ((SELECT now FROM t) - j.updated_at)) * 1000)::bigint) END`

// claimPostgresSQL claims, starts the first documents and reads what the
// runs need, in one statement. A zero Now is the server's clock.
//
// The claim never waits for a lock. It skips the jobs another claim holds,
// and the jobs of users whose sync-position row another transaction holds
// (a group commit storing their jobs' writes, in this process or another,
// or a tab's acknowledgement): those wait for the next claim. A claim that
// waited for such a row while holding others could deadlock with the
// commits, which lock their users first, in id order (lockJobsUsers).
//
// The claim bumps the owners it locked (once per transaction, as
// dossier_sync_stamp does) and stamps the claimed rows itself, so the row
// trigger skips them (migration 00010). An owner bumped earlier in the
// transaction (the group commit's lockJobsUsers) keeps its position, which
// the statement's snapshot reads.
func claimPostgresSQL(p ClaimParams) (string, []any) {
	var now any
	if !p.Now.IsZero() {
		now = p.Now
	}
	candidates, args := claimCandidatesSQL(p)
	args = append([]any{now}, args...)
	args = append(args, p.PerJob, p.Worker, p.Lease.Microseconds())
	with := "WITH"
	if p.MaxPerUser > 0 {
		with = "WITH RECURSIVE"
	}
	return with + ` t AS (SELECT COALESCE(?::timestamptz, now()) AS now
	), ` + candidates + `, owners AS (
		SELECT id FROM users WHERE id IN (SELECT user_id FROM candidates)
		FOR NO KEY UPDATE SKIP LOCKED
	), bumped AS (
		UPDATE users u SET sync_position = u.sync_position + 1, sync_xact = pg_current_xact_id()
		FROM owners o WHERE u.id = o.id AND u.sync_xact IS DISTINCT FROM pg_current_xact_id()
		RETURNING u.id, u.sync_position
	), positions AS (
		SELECT o.id, COALESCE(b.sync_position, u.sync_position) AS pos
		FROM owners o JOIN users u ON u.id = o.id LEFT JOIN bumped b ON b.id = o.id
	), picked AS (
		SELECT c.id FROM candidates c JOIN owners o ON o.id = c.user_id
	), start AS (
		SELECT r.id, r.job_id, r.document_type, r.rn FROM (
			SELECT d.id, d.job_id, d.document_type,
			       row_number() OVER (PARTITION BY d.job_id ORDER BY d.position) AS rn
			FROM job_documents d JOIN picked ON picked.id = d.job_id
			WHERE d.status <> 'completed' AND d.wave = (
				SELECT MIN(x.wave) FROM job_documents x WHERE x.job_id = d.job_id AND x.status <> 'completed')
		) r WHERE r.rn <= ?::int
	), marked AS (
		UPDATE job_documents d SET status = 'generating', started_at = (SELECT now FROM t), error = NULL
		FROM start WHERE d.id = start.id
		RETURNING d.job_id, d.document_type
	), claimed AS (
		UPDATE document_generation_jobs j
		SET status = 'processing', locked_by = ?::text,
		    lease_expires_at = (SELECT now FROM t) + ?::bigint * interval '1 microsecond',
		    fencing_token = j.fencing_token + 1, version = j.version + 1,
		    started_at = COALESCE(j.started_at, (SELECT now FROM t)), updated_at = (SELECT now FROM t),
		    waited_ms = ` + resumedWaitSQL + `,
		    current_document = (SELECT s.document_type FROM start s WHERE s.job_id = j.id AND s.rn = 1),
		    sync_position = (SELECT p.pos FROM positions p WHERE p.id = j.user_id)
		FROM picked WHERE j.id = picked.id
		RETURNING ` + claimedHead + `, ` + claimedTail + `
	)
	SELECT ` + strings.ReplaceAll(claimedHead, "j.", "c.") + `, ` + claimedSnapshot + `,
	       ` + strings.ReplaceAll(claimedTail, "j.", "c.") + `,
	       p.name AS project_name, p.description AS project_description,
	       (SELECT string_agg(m.document_type, ',') FROM marked m WHERE m.job_id = c.id) AS started,
	       (SELECT string_agg(d.document_type || ':' || d.status || ':' || d.wave, ',' ORDER BY d.position)
	          FROM job_documents d WHERE d.job_id = c.id) AS docs
	FROM claimed c JOIN projects p ON p.id = c.project_id LEFT JOIN job_snapshots s ON s.job_id = c.id`, args
}

// claimCandidatesSQL is the claim's candidates CTE: the first due queued
// jobs in claim order, locked (skipping those another claim holds).
//
// With a per-user cap (MaxPerUser > 0, the fair claim), the candidates are
// first each user's first due jobs that keep the user within the cap,
// counting the user's processing jobs, in claim order across users; when
// they are fewer than Limit, the rest are the next due jobs of anyone (the
// claim is work-conserving: capacity nobody else waits for goes to the
// capped users). The users with queued jobs are read from the per-user
// queue index (idx_generation_jobs_user_queue, migration 00011) one index
// probe each, and each user's first jobs from the same index: a user with
// thousands of queued jobs ahead of everyone else's costs the claim no more
// than one with a few. The caller holds claimLockKey (queueClaim), so that
// the processing counts it reads are not moving under it: the cap is exact
// across instances. The statement must be WITH RECURSIVE (claimPostgresSQL).
func claimCandidatesSQL(p ClaimParams) (string, []any) {
	if p.MaxPerUser <= 0 {
		return `candidates AS (
		SELECT id, user_id FROM document_generation_jobs
		WHERE status = 'queued' AND run_at <= (SELECT now FROM t)
		ORDER BY priority DESC, run_at, queued_at
		LIMIT ?::int FOR UPDATE SKIP LOCKED
	)`, []any{p.Limit}
	}
	return `queued_users(user_id) AS (
		(SELECT user_id FROM document_generation_jobs WHERE status = 'queued' ORDER BY user_id LIMIT 1)
		UNION ALL
		SELECT (SELECT x.user_id FROM document_generation_jobs x
		         WHERE x.status = 'queued' AND x.user_id > q.user_id ORDER BY x.user_id LIMIT 1)
		FROM queued_users q WHERE q.user_id IS NOT NULL
	), pool AS (
		SELECT c.id, c.user_id, c.priority, c.run_at, c.queued_at
		FROM queued_users u
		CROSS JOIN LATERAL (
			SELECT ?::int - count(*) AS room FROM document_generation_jobs r
			WHERE r.status = 'processing' AND r.user_id = u.user_id
		) n
		CROSS JOIN LATERAL (
			SELECT j.id, j.user_id, j.priority, j.run_at, j.queued_at FROM document_generation_jobs j
			WHERE j.status = 'queued' AND j.user_id = u.user_id AND j.run_at <= (SELECT now FROM t)
			ORDER BY j.priority DESC, j.run_at, j.queued_at
			LIMIT GREATEST(n.room, 0) FOR UPDATE SKIP LOCKED
		) c
		WHERE u.user_id IS NOT NULL AND ` + claimLocked + `
	), fair AS (
		SELECT id, user_id FROM pool ORDER BY priority DESC, run_at, queued_at LIMIT ?::int
	), fill AS (
		SELECT id, user_id FROM document_generation_jobs
		WHERE status = 'queued' AND run_at <= (SELECT now FROM t) AND id NOT IN (SELECT id FROM fair)
		  AND ` + claimLocked + `
		ORDER BY priority DESC, run_at, queued_at
		LIMIT GREATEST(?::int - (SELECT count(*) FROM fair), 0) FOR UPDATE SKIP LOCKED
	), candidates AS (
		SELECT id, user_id FROM fair UNION ALL SELECT id, user_id FROM fill
	)`, []any{p.MaxPerUser, p.Limit, p.Limit}
}

// claimLocked is the fair claim's condition that the transaction holds
// claimLockKey: a group commit that tried it and found it taken
// (queueClaim) set dossier.claim_locked to false, and claims nothing.
const claimLocked = `(SELECT current_setting('dossier.claim_locked', true)) IS DISTINCT FROM 'false'`

// claimPipelined is the claim on PostgreSQL in two round trips: the claim,
// then its NOTIFY with the COMMIT.
func (db *DB) claimPipelined(ctx context.Context, p ClaimParams) ([]ClaimedJob, error) {
	var out []ClaimedJob
	err := db.withPgx(ctx, func(c *pgx.Conn) error {
		pl := db.newPipeline(ctx, c)
		if err := pl.queue("BEGIN"); err != nil {
			return err
		}
		n, err := queueClaim(pl, p, false)
		if err != nil {
			return err
		}
		res, err := pl.send(ctx)
		if err != nil {
			pl.rollback()
			return err
		}
		if len(res) != 1+n {
			pl.rollback()
			return fmt.Errorf("pipeline: %d results for %d statements", len(res), 1+n)
		}
		var changes []Change
		if out, changes, err = readClaim(pl, res[1:]); err != nil {
			pl.rollback()
			return err
		}
		return db.notifyCommit(ctx, pl, changes)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimProjectColumn is project_data's index in claimedColumns (then
// company_intelligence_pack).
const claimProjectColumn = 5

// queueClaim queues the claim in a pipelined transaction, and returns the
// number of statements it queued (the last one returns the claimed jobs).
//
// inCommit says the claim is a group commit's: the transaction holds its
// users' rows, and must not wait for another instance's fair claim while it
// does (saves, acknowledgements and commits of those users would wait with
// it). It only tries the claim lock, and when another transaction holds it,
// the claim claims nothing (claimLocked) and the commit goes on; the
// processor's claim loop, woken for the slots the commit freed, claims in
// a transaction of its own, which waits for the lock holding nothing.
func queueClaim(pl *pipeline, p ClaimParams, inCommit bool) (int, error) {
	n := 0
	if p.MaxPerUser > 0 {
		// The fair claim reads the users' processing counts: claims that
		// read them at once would each see room under the cap. The lock is
		// the transaction's, taken in its own statement so that the claim's
		// snapshot is taken after it, and released by the commit.
		lock := `SELECT pg_advisory_xact_lock(?::bigint)`
		if inCommit {
			lock = `SELECT set_config('dossier.claim_locked', pg_try_advisory_xact_lock(?::bigint)::text, true)`
		}
		if err := pl.queue(lock, claimLockKey); err != nil {
			return 0, err
		}
		n++
	}
	// The claim walks the claim index in its order and stops at the
	// limit. Without statistics (a queue filled faster than autovacuum
	// analyzes it) the planner would rather read every queued row and
	// sort them, at every claim: O(queue) instead of O(limit).
	if err := pl.queue("SET LOCAL enable_bitmapscan = off"); err != nil {
		return 0, err
	}
	q, args := claimPostgresSQL(p)
	return n + 2, pl.queue(q, args...)
}

// readClaim reads the claim's rows (the results of queueClaim's
// statements) and the changes to announce.
func readClaim(pl *pipeline, res []*pgconn.Result) ([]ClaimedJob, []Change, error) {
	r := res[len(res)-1]
	out := make([]ClaimedJob, len(r.Rows))
	if len(r.Rows) > 0 && (r.FieldDescriptions[claimProjectColumn].Format != pgx.TextFormatCode ||
		r.FieldDescriptions[claimProjectColumn+1].Format != pgx.TextFormatCode) {
		return nil, nil, fmt.Errorf("claim: the project snapshot is not in text format")
	}
	for i := range r.Rows {
		var row claimRow
		j := &row.Job
		var started, docs *string
		dsts := []any{&j.ID, &j.ProjectID, &j.UserID, &j.Status, &j.Priority, nil,
			nil, &j.TotalDocuments, &j.CompletedDocuments, &j.QueuedAt, &j.StartedAt,
			&j.RetryCount, &j.MaxRetries, &j.LockedBy, &j.LeaseExpiresAt, &j.FencingToken, &j.RunAt, &j.Version,
			&j.RunNumber, &j.Instruction, &j.RequestedDocuments,
			&row.ProjectName, &row.ProjectDescription, &started, &docs}
		if len(dsts) != len(r.FieldDescriptions) {
			return nil, nil, fmt.Errorf("claim: %d columns, %d expected", len(r.FieldDescriptions), len(dsts))
		}
		for col, dst := range dsts {
			if dst == nil {
				continue // the snapshot, below
			}
			if err := pl.scan(r, i, col, dst); err != nil {
				return nil, nil, fmt.Errorf("claim: column %s: %w", r.FieldDescriptions[col].Name, err)
			}
		}
		if started != nil {
			row.Started = *started
		}
		if docs != nil {
			row.Docs = *docs
		}
		out[i] = row.claimed()
		// The snapshot's JSON text, as received: the result's values are
		// the caller's (pgconn copies them), and Load decodes them in the
		// run's goroutine.
		out[i].rawProject, out[i].rawCompany = r.Rows[i][claimProjectColumn], r.Rows[i][claimProjectColumn+1]
	}
	changes := make([]Change, len(out))
	for i, c := range out {
		changes[i] = Change{Kind: "job", JobID: c.ID, UserID: c.UserID, Version: c.Version}
	}
	sortClaimed(out)
	return out, changes, nil
}

// notifyCommit sends the changes' NOTIFYs and the COMMIT of a pipelined
// transaction, in one round trip. When that round trip fails without the
// server's answer (the connection dropped after the COMMIT left), whether
// the transaction committed is unknown: it is read back (resolveCommit)
// rather than guessed. Taking a committed batch for a failed one would
// have the completer write it again: its documents then fail as
// duplicates and its runs end on a storage error, and jobs it claimed wait
// for their lease to expire.
func (db *DB) notifyCommit(ctx context.Context, pl *pipeline, changes []Change) error {
	if db.notifier != nil && len(changes) > 0 {
		for _, n := range db.notifier(changes) {
			if err := pl.queue(`SELECT pg_notify(?, ?)`, n.Channel, n.Payload); err != nil {
				pl.rollback()
				return err
			}
		}
	}
	fault := commitFault.Load()
	end := "COMMIT"
	if fault != nil && fault.rollback {
		end = "ROLLBACK"
	}
	if err := pl.queue(end); err != nil {
		pl.rollback()
		return err
	}
	_, err := pl.send(ctx)
	if err == nil && fault != nil {
		commitFault.CompareAndSwap(fault, nil)
		err = fmt.Errorf("%w (simulated)", io.ErrUnexpectedEOF)
	}
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr):
		pl.rollback()
		return fmt.Errorf("notify and commit: %w", err) // the server refused it: not committed
	}
	pl.rollback()
	// The caller's deadline may be what cut the round trip: the reading
	// back gets its own.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	committed, rerr := db.resolveCommit(rctx, changes)
	switch {
	case rerr != nil:
		return fmt.Errorf("notify and commit: %w; whether it committed is unknown: %v", err, rerr)
	case committed:
		return nil
	}
	return fmt.Errorf("notify and commit (not committed): %w", err)
}

// resolveCommit reads whether a transaction whose COMMIT got no answer
// committed: its first job change is there if the job's version reached
// the one the transaction wrote (versions only grow, and the transaction
// held the row until it ended). It reads on another connection, once the
// transaction has ended, retrying while the database is unreachable, until
// ctx ends.
func (db *DB) resolveCommit(ctx context.Context, changes []Change) (bool, error) {
	var probe *Change
	for i := range changes {
		if changes[i].Kind == "job" {
			probe = &changes[i]
			break
		}
	}
	if probe == nil {
		return false, nil // nothing was changed: nothing to lose
	}
	backoff := 20 * time.Millisecond
	for {
		var versions []int64
		// FOR SHARE waits for the transaction, if the server still runs
		// it (its COMMIT may be on its way), to end either way.
		err := db.g.WithContext(ctx).Raw(`SELECT version FROM document_generation_jobs WHERE id = ? FOR SHARE`, probe.JobID).Scan(&versions).Error
		if err == nil {
			return len(versions) == 1 && versions[0] >= probe.Version, nil
		}
		if !IsInfrastructure(err) || ctx.Err() != nil {
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// commitFault, when set (by tests), makes the next pipelined COMMIT's
// answer get lost after the server ran it, or after it rolled back
// instead.
var commitFault atomic.Pointer[lostCommit]

type lostCommit struct{ rollback bool }

// claimSQLite is the same claim in a few statements: SQLite has one writer,
// so the transaction is the lock.
func (db *DB) claimSQLite(tx *gorm.DB, p ClaimParams, ids []string) ([]ClaimedJob, error) {
	if ids == nil {
		if err := tx.Raw(`SELECT id FROM document_generation_jobs
			WHERE status = 'queued' AND run_at <= ?
			ORDER BY priority DESC, run_at, queued_at LIMIT ?`, p.Now, p.Limit).Scan(&ids).Error; err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// A job claimed again waited since its last change (resumedWaitSQL).
	var before []struct {
		ID        string
		StartedAt *time.Time
		UpdatedAt time.Time
	}
	if err := tx.Raw(`SELECT id, started_at, updated_at FROM document_generation_jobs WHERE id IN ? AND status = 'queued'`, ids).Scan(&before).Error; err != nil {
		return nil, err
	}
	for _, b := range before {
		if b.StartedAt == nil {
			continue
		}
		if err := tx.Exec(`UPDATE document_generation_jobs SET waited_ms = waited_ms + ? WHERE id = ?`,
			max(0, p.Now.Sub(b.UpdatedAt).Milliseconds()), b.ID).Error; err != nil {
			return nil, err
		}
	}
	var rows []claimRow
	if err := tx.Raw(`UPDATE document_generation_jobs AS j
		SET status = 'processing', locked_by = ?, lease_expires_at = ?,
		    fencing_token = fencing_token + 1, version = version + 1,
		    started_at = COALESCE(started_at, ?), updated_at = ?
		WHERE id IN ? AND status = 'queued'
		RETURNING `+strings.ReplaceAll(claimedColumns, "j.", ""), p.Worker, p.Now.Add(p.Lease), p.Now, p.Now, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ClaimedJob, 0, len(rows))
	for _, r := range rows {
		c := ClaimedJob{Job: r.Job}
		var docs []struct {
			DocumentType, Status string
			Wave                 int
		}
		if err := tx.Raw(`SELECT document_type, status, wave FROM job_documents WHERE job_id = ? ORDER BY position`, c.ID).Scan(&docs).Error; err != nil {
			return nil, err
		}
		for _, d := range docs {
			c.Documents = append(c.Documents, ClaimedDocument{Type: d.DocumentType, Status: d.Status, Wave: d.Wave})
		}
		var start []string
		for _, i := range firstDocuments(c.Documents, p.PerJob) {
			c.Documents[i].Status = DocGenerating
			start = append(start, c.Documents[i].Type)
		}
		if len(start) > 0 {
			if err := tx.Exec(`UPDATE job_documents SET status = 'generating', started_at = ?, error = NULL
				WHERE job_id = ? AND document_type IN ?`, p.Now, c.ID, start).Error; err != nil {
				return nil, err
			}
			if err := tx.Exec(`UPDATE document_generation_jobs SET current_document = ? WHERE id = ?`, start[0], c.ID).Error; err != nil {
				return nil, err
			}
		}
		var proj struct{ Name, Description string }
		if err := tx.Raw(`SELECT name, description FROM projects WHERE id = ?`, c.ProjectID).Scan(&proj).Error; err != nil {
			return nil, err
		}
		c.ProjectName, c.ProjectDescription = proj.Name, proj.Description
		out = append(out, c)
	}
	return out, nil
}

// fairCandidates picks the jobs to claim under the per-user cap, in claim
// order, on SQLite (whose one writer at a time makes the cap exact); the
// PostgreSQL claim does the same in SQL (claimCandidatesSQL). First each
// user's first jobs that keep the user within the cap, counting the user's
// processing jobs, in claim order across users; then, with room to spare,
// anyone's next due jobs (work-conserving). SQLite reads every due job of
// the queue for it, which an embedded single instance's queue affords.
func (db *DB) fairCandidates(tx *gorm.DB, p ClaimParams) ([]string, error) {
	var ids []string
	err := tx.Raw(`SELECT id FROM (
			SELECT j.id, j.priority, j.run_at, j.queued_at,
			       row_number() OVER (PARTITION BY j.user_id ORDER BY j.priority DESC, j.run_at, j.queued_at) AS k,
			       (SELECT COUNT(*) FROM document_generation_jobs r
			         WHERE r.status = 'processing' AND r.user_id = j.user_id) AS n
			FROM document_generation_jobs j WHERE j.status = 'queued' AND j.run_at <= ?
		) WHERE n + k <= ?
		ORDER BY priority DESC, run_at, queued_at
		LIMIT ?`, p.Now, p.MaxPerUser, p.Limit).Scan(&ids).Error
	if err != nil {
		return nil, err
	}
	if len(ids) < p.Limit {
		var more []string
		q := `SELECT id FROM document_generation_jobs WHERE status = 'queued' AND run_at <= ?`
		args := []any{p.Now}
		if len(ids) > 0 {
			q += ` AND id NOT IN ?`
			args = append(args, ids)
		}
		q += ` ORDER BY priority DESC, run_at, queued_at LIMIT ?`
		args = append(args, p.Limit-len(ids))
		if err := tx.Raw(q, args...).Scan(&more).Error; err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// HasDueJobs says whether a queued job is due by the database's clock. A
// claim that filled fewer slots than it had while due jobs remain passed
// some over: another transaction held them, or held their owner's
// sync-position row (a commit of another instance, a tab's acknowledgement,
// a save), and the claim never waits for those.
func (db *DB) HasDueJobs(ctx context.Context) (bool, error) {
	var due bool
	q := `SELECT EXISTS (SELECT 1 FROM document_generation_jobs WHERE status = 'queued' AND run_at <= now())`
	if db.Dialect != Postgres {
		q = `SELECT EXISTS (SELECT 1 FROM document_generation_jobs WHERE status = 'queued' AND run_at <= ?)`
		return due, db.g.WithContext(ctx).Raw(q, time.Now().UTC()).Scan(&due).Error
	}
	return due, db.g.WithContext(ctx).Raw(q).Scan(&due).Error
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
// stopped. A job the worker holds but no longer runs is not renewed, so its
// lease expires and the sweep requeues it. A renewal is not a user-visible
// change: the version does not move.
func (db *DB) Heartbeat(ctx context.Context, worker string, running []string, lease time.Duration, now time.Time) ([]LeaseState, error) {
	if len(running) == 0 {
		return nil, nil
	}
	slices.Sort(running)
	var out []LeaseState
	err := db.g.WithContext(ctx).Raw(`UPDATE document_generation_jobs
		SET lease_expires_at = ?
		WHERE locked_by = ? AND status = 'processing' AND id IN ?
		RETURNING id, fencing_token, cancel_requested_at`, now.UTC().Add(lease), worker, running).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("heartbeat: %w", err)
	}
	return out, nil
}

// Ended is a job a rescue or a release moved: enough to announce it.
type Ended struct {
	ID      string
	UserID  string
	Status  string
	Version int64
}

// Rescue ends the leases that expired (the worker died or hung) by the
// lifecycle's rules: a requested cancel ends the job cancelled; a lost lease
// counts as a retry, so a job that kills its worker every time ends failed
// instead of taking every instance down in turn; otherwise the job is
// queued and resumes from its checkpoints.
func (db *DB) Rescue(ctx context.Context, now time.Time) ([]Ended, error) {
	now = now.UTC()
	return db.endLeases(ctx, `status = 'processing' AND lease_expires_at < ?`, []any{now}, now, true)
}

// ReleaseWorker hands back every job the worker holds, at shutdown, so that
// another instance resumes them at once; it spends no retry. Documents in
// flight go back to pending; completed ones stay.
func (db *DB) ReleaseWorker(ctx context.Context, worker string, now time.Time) ([]Ended, error) {
	now = now.UTC()
	return db.endLeases(ctx, `locked_by = ? AND status = 'processing'`, []any{worker}, now, false)
}

// endLeases ends the leases of the processing jobs that match where, in one
// statement.
func (db *DB) endLeases(ctx context.Context, where string, args []any, now time.Time, countRetry bool) ([]Ended, error) {
	retry := "retry_count"
	failWhen := "FALSE"
	if countRetry {
		retry = "retry_count + 1"
		failWhen = "NOT (" + retriesLeftSQL + ")"
	}
	var ended []Ended
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The owners first (the lock order): the trigger would lock each
		// after its job's row.
		if err := lockUsers(tx, db.Dialect, `SELECT user_id FROM document_generation_jobs WHERE `+where, args...); err != nil {
			return err
		}
		q := `UPDATE document_generation_jobs SET ` + endLeaseSQL + `,
			status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
			              WHEN ` + failWhen + ` THEN 'failed' ELSE 'queued' END,
			completed_at = CASE WHEN cancel_requested_at IS NOT NULL OR ` + failWhen + ` THEN ? ELSE completed_at END,
			error_message = CASE WHEN cancel_requested_at IS NULL AND ` + failWhen + `
			    THEN 'the worker running this job stopped responding too many times (lease expired)' ELSE error_message END,
			retry_count = CASE WHEN cancel_requested_at IS NULL AND NOT (` + failWhen + `) THEN ` + retry + ` ELSE retry_count END,
			run_at = CASE WHEN cancel_requested_at IS NULL THEN ? ELSE run_at END,
			version = version + 1, updated_at = ?
			WHERE ` + where + `
			RETURNING id, user_id, status, version`
		if err := tx.Raw(q, append([]any{now, now, now}, args...)...).Scan(&ended).Error; err != nil {
			return err
		}
		if len(ended) == 0 {
			return nil
		}
		var requeued, over, failed []string
		changes := make([]Change, 0, len(ended)*2)
		for _, e := range ended {
			changes = append(changes, Change{Kind: "job", JobID: e.ID, UserID: e.UserID, Version: e.Version})
			if e.Status == StatusQueued {
				requeued = append(requeued, e.ID)
				changes = append(changes, Change{Kind: "queued", JobID: e.ID, UserID: e.UserID, Version: e.Version})
				continue
			}
			over = append(over, e.ID)
			if e.Status == StatusFailed {
				failed = append(failed, e.ID)
			}
		}
		// A job that failed here (its worker died once too often) tells
		// its user, as every other failure does (the run's end write).
		for _, id := range failed {
			if err := tx.Exec(`INSERT INTO notifications (id, user_id, job_id, kind, title, documents_done, documents_total, created_at)
				SELECT `+db.uuidCol("?")+`, j.user_id, j.id, ?, '', j.completed_documents, j.total_documents, ?
				FROM document_generation_jobs j WHERE j.id = `+db.uuidCol("?"), uuid.NewString(), NotifyFailed, now, id).Error; err != nil {
				return fmt.Errorf("notify user: %w", err)
			}
		}
		if len(requeued) > 0 {
			if err := tx.Exec(resetInflightSQL, DocPending, requeued).Error; err != nil {
				return err
			}
		}
		if len(over) > 0 {
			if err := tx.Exec(`UPDATE job_documents SET status = 'skipped' WHERE job_id IN ? AND status IN ('pending', 'generating')`, over).Error; err != nil {
				return err
			}
		}
		return db.notify(tx, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("end leases: %w", err)
	}
	return ended, nil
}

// WithAdvisoryLock runs fn only if this process gets the PostgreSQL advisory
// lock key (on SQLite, always): maintenance that one instance should do.
func (db *DB) WithAdvisoryLock(ctx context.Context, key int64, fn func(context.Context) error) (bool, error) {
	if db.Dialect != Postgres {
		return true, fn(ctx)
	}
	sqlDB, err := db.g.DB()
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
