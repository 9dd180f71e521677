package models

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// The write path of running jobs. Every write of a worker is a Write, and
// Commit stores any number of them, from any number of runs, in ONE
// transaction: the group commit. Each job's row is updated by one fenced
// UPDATE … FROM (VALUES …) … RETURNING: a job missing from RETURNING has
// lost its lease (or its cancel was requested), and nothing of its write is
// stored. Each document stays atomic with its checkpoint and the job's
// progress, because they share the transaction.

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
	// CurrentDocument and EstimatedCompletion are the job's progress after
	// this document, for CommitDocument (a Write carries its own).
	CurrentDocument     string
	EstimatedCompletion *time.Time
}

// DocumentFailure is how one document finally failed in a run.
type DocumentFailure struct {
	Type  string `json:"type"`
	Error string `json:"error"`
	// Summary is the failure as one plain sentence for people; Error is the
	// technical detail.
	Summary  string `json:"summary,omitempty"`
	Attempts int    `json:"attempts"`
	// Permanent failures are not retried automatically.
	Permanent bool `json:"permanent"`
	// RetryAfter is the wait the provider asked for, when it was longer
	// than the run would wait in process.
	RetryAfter time.Duration `json:"-"`
}

// Outcome is how a worker ends its run of a job. Documents not completed
// become pending again when the job is queued, and skipped when it ends
// (failed ones stay failed).
type Outcome struct {
	// Status is the job's next status: completed, failed or cancelled, or
	// queued to retry later (RetryAt) or to release it at shutdown.
	Status string
	// Failures are the documents that failed.
	Failures []DocumentFailure
	// RetryAt schedules the automatic retry of a queued outcome; a retry
	// increments retry_count. Without it, a queued outcome is a release.
	RetryAt *time.Time
	// Notify is the kind of notification to store for the user, if any.
	Notify string
	Now    time.Time
}

// Write is one run's change to its job.
type Write struct {
	Lease Lease
	// Documents finished, stored with their checkpoints and progress.
	Documents []DocumentResult
	// Started documents are marked generating.
	Started []string
	// Failed documents are marked failed, while the run goes on.
	Failed []DocumentFailure
	// CurrentDocument, when not nil, replaces the job's current document
	// ("" clears it).
	CurrentDocument     *string
	EstimatedCompletion *time.Time
	// End, when set, ends the run in the same transaction.
	End *Outcome
	Now time.Time
}

// Committed is what Commit reports for one Write.
type Committed struct {
	// Err is nil, ErrLeaseLost, or ErrCancelRequested (a write that does not
	// end the run, refused because the job's cancel was requested).
	Err error
	Job JobHead
	// Artifacts are the ids of the stored documents, in the write's order.
	Artifacts []string
}

// JobHead is the part of a job's row a writer needs back.
type JobHead struct {
	ID                 string
	UserID             string
	Status             string
	Version            int64
	CompletedDocuments int
	TotalDocuments     int
}

// Change is a committed change other instances should hear of: ids only.
// Control changes (a job to claim, a cancel) and display changes (progress)
// travel on different channels.
type Change struct {
	Kind    string // "job", "queued" or "cancel"
	JobID   string
	UserID  string
	Version int64
}

// Notice is one NOTIFY: a channel and its payload.
type Notice struct{ Channel, Payload string }

// Notifier turns a transaction's changes into NOTIFYs, sent inside that
// transaction (PostgreSQL): one per channel per batch.
type Notifier func([]Change) []Notice

// SetNotifier installs the notifier used by every state-changing
// transaction. Call it before the first write.
func (db *DB) SetNotifier(n Notifier) { db.notifier = n }

// Notifies reports whether state-changing transactions NOTIFY the other
// instances themselves.
func (db *DB) Notifies() bool { return db.Dialect == Postgres && db.notifier != nil }

// notify sends the changes' notices inside tx.
func (db *DB) notify(tx *gorm.DB, changes []Change) error {
	if db.Dialect != Postgres || db.notifier == nil || len(changes) == 0 {
		return nil
	}
	for _, n := range db.notifier(changes) {
		if err := tx.Exec(`SELECT pg_notify(?, ?)`, n.Channel, n.Payload).Error; err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	return nil
}

// Commit stores the writes in one transaction and reports each one's fate,
// in the writes' order. An error means nothing was stored; the caller may
// retry (IsInfrastructure) or commit the writes one by one.
//
// The row decides, not the worker's view: a run that ends while its job's
// cancel was requested ends it cancelled (its last documents are not
// stored), and a cancel nobody requested (a stale event) is a hand-back.
func (db *DB) Commit(ctx context.Context, writes []Write) ([]Committed, error) {
	out, _, err := db.CommitAndClaim(ctx, writes, nil)
	return out, err
}

// CommitAndClaim is Commit that also claims jobs, in the same transaction,
// for the slots the batch frees (PostgreSQL, when claim is not nil; the
// fair claim too, under its lock): one transaction instead of two, and a worker
// that never waits between the end of its runs and the claim of the next.
// The claim is made only if every write of the batch holds its fence. The
// claimed jobs' project data is decoded by their Load, in their runs.
func (db *DB) CommitAndClaim(ctx context.Context, writes []Write, claim *ClaimParams) ([]Committed, []ClaimedJob, error) {
	if claim != nil && (db.Dialect != Postgres || claim.Limit <= 0) {
		claim = nil
	}
	var claimed []ClaimedJob
	out := make([]Committed, len(writes))
	pending := make([]int, len(writes))
	for i := range writes {
		pending[i] = i
	}
	for pass := 0; len(pending) > 0 && pass < 3; pass++ {
		batch := make([]Write, len(pending))
		for k, i := range pending {
			batch[k] = writes[i]
		}
		res, got, err := db.commitOnce(ctx, batch, claim)
		if err != nil {
			if pass == 0 {
				return nil, nil, err
			}
			// The first pass is committed: its results stand, and only
			// the writes written again fail (retrying the whole batch
			// would store its documents twice, or refuse them).
			for _, i := range pending {
				out[i] = Committed{Err: err}
			}
			return out, claimed, nil
		}
		claimed, claim = append(claimed, got...), nil
		var again []int
		for k, i := range pending {
			out[i] = res[k]
			if res[k].Err == nil {
				continue
			}
			w := &writes[i]
			switch {
			case errors.Is(res[k].Err, ErrLeaseLost):
			case errors.Is(res[k].Err, ErrCancelRequested) && w.End != nil:
				*w = Write{Lease: w.Lease, Now: w.Now, End: &Outcome{Status: StatusCancelled, Now: w.End.Now}}
				again = append(again, i)
			case errors.Is(res[k].Err, errNotCancelled) && w.End != nil:
				*w = Write{Lease: w.Lease, Now: w.Now, End: &Outcome{Status: StatusQueued, Now: w.End.Now}}
				again = append(again, i)
			}
		}
		pending = again
	}
	for i := range out {
		if errors.Is(out[i].Err, errNotCancelled) {
			out[i].Err = ErrLeaseLost
		}
	}
	return out, claimed, nil
}

type jobValues struct {
	w       *Write
	idx     int
	arts    []string
	status  string
	retry   int
	errMode int // 0 keep, 1 clear, 2 set
	errMsg  *string
	errDet  *string
	runAt   *time.Time
}

func (db *DB) commitOnce(ctx context.Context, writes []Write, claim *ClaimParams) ([]Committed, []ClaimedJob, error) {
	out := make([]Committed, len(writes))
	vals := make([]jobValues, len(writes))
	for i := range writes {
		w := &writes[i]
		v := jobValues{w: w, idx: i, status: StatusProcessing}
		for range w.Documents {
			v.arts = append(v.arts, uuid.NewString())
		}
		if o := w.End; o != nil {
			v.status = o.Status
			switch {
			case o.Status == StatusQueued && o.RetryAt != nil:
				at := o.RetryAt.UTC()
				v.runAt, v.retry = &at, 1
			case o.Status == StatusQueued:
				now := o.Now.UTC()
				v.runAt = &now
			}
			if o.Status == StatusCompleted {
				v.errMode = 1
			}
			if len(o.Failures) > 0 {
				details := map[string]any{}
				for _, f := range o.Failures {
					details[f.Type] = map[string]any{"error": f.Error, "summary": f.Summary, "attempts": f.Attempts, "permanent": f.Permanent}
				}
				msg := fmt.Sprintf("%s failed: %s", o.Failures[0].Type, o.Failures[0].Error)
				if len(o.Failures) > 1 {
					msg = fmt.Sprintf("%d documents failed; first: %s", len(o.Failures), msg)
				}
				b, _ := json.Marshal(details)
				d := string(b)
				v.errMode, v.errMsg, v.errDet = 2, &msg, &d
			}
		}
		vals[i] = v
	}
	// Rows are touched in a stable order (by job id), so that concurrent
	// batches cannot deadlock on each other.
	order := slices.Clone(vals)
	slices.SortFunc(order, func(a, b jobValues) int { return cmp.Compare(a.w.Lease.JobID, b.w.Lease.JobID) })

	upd, updArgs := db.updateJobsSQL(order)
	var err error
	var claimed []ClaimedJob
	if db.Dialect == Postgres {
		claimed, err = db.commitPipelined(ctx, upd, updArgs, order, out, claim)
	}
	if db.Dialect != Postgres || errors.Is(err, errFenceMissed) {
		clear(out)
		claimed = nil
		err = db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if db.Dialect == Postgres {
				lock := lockJobsUsers(jobIDs(order, false))
				if err := tx.Exec(lock.sql, lock.args...).Error; err != nil {
					return fmt.Errorf("lock users: %w", err)
				}
			}
			var rows []JobHead
			if err := tx.Raw(upd, updArgs...).Scan(&rows).Error; err != nil {
				return fmt.Errorf("update jobs: %w", err)
			}
			ok, changes := fenced(order, rows, out)
			stmts := append(db.documentStatements(ok), db.endStatements(ok)...)
			if err := runStatements(tx, stmts); err != nil {
				return err
			}
			// Why each unfenced write was refused is read in the same
			// transaction: once it commits, an error reading it would
			// fail a batch that is stored.
			for i := range writes {
				if out[i].Job.ID == "" {
					if out[i].Err = refusal(tx, writes[i].Lease); !isRefusal(out[i].Err) {
						return out[i].Err
					}
				}
			}
			return db.notify(tx, changes)
		})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	return out, claimed, nil
}

// fenced matches the rows the fenced update returned with the writes (in
// order), fills their results, and lists the changes to announce.
func fenced(order []jobValues, rows []JobHead, out []Committed) ([]jobValues, []Change) {
	heads := make(map[string]JobHead, len(rows))
	for _, r := range rows {
		heads[r.ID] = r
	}
	ok := make([]jobValues, 0, len(order))
	var changes []Change
	for _, v := range order {
		h, found := heads[v.w.Lease.JobID]
		if !found {
			continue
		}
		out[v.idx] = Committed{Job: h, Artifacts: v.arts}
		ok = append(ok, v)
		changes = append(changes, Change{Kind: "job", JobID: h.ID, UserID: h.UserID, Version: h.Version})
		if h.Status == StatusQueued {
			changes = append(changes, Change{Kind: "queued", JobID: h.ID, UserID: h.UserID, Version: h.Version})
		}
	}
	return ok, changes
}

// commitPipelined is the commit on PostgreSQL in two round trips: the
// fenced update and every statement that follows it, written as if every
// write held its lease (the common case), and the claim if any; then the
// NOTIFY and COMMIT. A write that lost its fence rolls the batch back
// (errFenceMissed), and the caller commits it statement by statement, with
// the fenced set known, and claims nothing.
func (db *DB) commitPipelined(ctx context.Context, upd string, updArgs []any, order []jobValues, out []Committed, claim *ClaimParams) ([]ClaimedJob, error) {
	stmts := append(db.documentStatements(order), db.endStatements(order)...)
	var claimed []ClaimedJob
	err := db.withPgx(ctx, func(c *pgx.Conn) error {
		p := db.newPipeline(ctx, c)
		if err := p.queue("BEGIN"); err != nil {
			return err
		}
		lock := lockJobsUsers(jobIDs(order, false))
		if err := p.queue(lock.sql, lock.args...); err != nil {
			return err
		}
		if err := p.queue(upd, updArgs...); err != nil {
			return err
		}
		for _, st := range stmts {
			if err := p.queue(st.sql, st.args...); err != nil {
				return err
			}
		}
		want := 3 + len(stmts)
		if claim != nil {
			n, err := queueClaim(p, *claim, true)
			if err != nil {
				return err
			}
			want += n
		}
		res, err := p.send(ctx)
		if err != nil {
			p.rollback()
			if len(res) > 2 && res[2].Err == nil && len(res[2].Rows) < len(order) {
				// A write without its fence made a later statement fail
				// (its document is already stored, say): it is refused,
				// not an error of the batch.
				return errFenceMissed
			}
			// The failed statement is the one with an error, or the
			// first without a result (pgx gives a failed statement that
			// returns no rows no result of its own).
			failed := len(res)
			for i, r := range res {
				if r.Err != nil {
					failed = i
					break
				}
			}
			switch {
			case failed == 1:
				return fmt.Errorf("lock users: %w", err)
			case failed >= 3 && failed < 3+len(stmts):
				return fmt.Errorf("%s: %w", stmts[failed-3].what, err)
			case failed >= 3:
				return fmt.Errorf("claim jobs: %w", err)
			}
			return fmt.Errorf("update jobs: %w", err)
		}
		if len(res) != want {
			p.rollback()
			return fmt.Errorf("pipeline: %d results for %d statements", len(res), want)
		}
		rows := make([]JobHead, len(res[2].Rows))
		for i := range rows {
			h := &rows[i]
			for col, dst := range []any{&h.ID, &h.UserID, &h.Status, &h.Version, &h.CompletedDocuments, &h.TotalDocuments} {
				if err := p.scan(res[2], i, col, dst); err != nil {
					p.rollback()
					return fmt.Errorf("update jobs: %w", err)
				}
			}
		}
		if len(rows) != len(order) {
			p.rollback()
			return errFenceMissed
		}
		for i, st := range stmts {
			if n := res[3+i].CommandTag.RowsAffected(); st.want >= 0 && n != st.want {
				p.rollback()
				return fmt.Errorf("%s: %d of %d written: %w", st.what, n, st.want, ErrConflict)
			}
		}
		_, changes := fenced(order, rows, out)
		if claim != nil {
			var more []Change
			if claimed, more, err = readClaim(p, res[3+len(stmts):]); err != nil {
				p.rollback()
				return err
			}
			changes = append(changes, more...)
		}
		return db.notifyCommit(ctx, p, changes)
	})
	return claimed, err
}

// statement is one SQL statement of a commit, with GORM-style placeholders.
type statement struct {
	what string
	sql  string
	args []any
	// want is the number of rows the statement must change; -1: any.
	want int64
}

// runStatements runs the statements in tx, in order.
func runStatements(tx *gorm.DB, stmts []statement) error {
	for _, st := range stmts {
		res := tx.Exec(st.sql, st.args...)
		if res.Error != nil {
			return fmt.Errorf("%s: %w", st.what, res.Error)
		}
		if st.want >= 0 && res.RowsAffected != st.want {
			return fmt.Errorf("%s: %d of %d written: %w", st.what, res.RowsAffected, st.want, ErrConflict)
		}
	}
	return nil
}

func isRefusal(err error) bool {
	return errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrCancelRequested) || errors.Is(err, errNotCancelled)
}

// valuesCTE is the common table `v` holding rows of the given columns and
// types: on SQLite a VALUES list, on PostgreSQL one array per column
// unnested, so that a batch of any size is one short statement with a
// parameter per column (parsing and binding a thousand parameters was a
// large part of the server's time per batch).
func (db *DB) valuesCTE(cols, types []string, rows [][]any) (string, []any) {
	if db.Dialect != Postgres {
		ph := make([]string, len(cols))
		for i := range ph {
			ph[i] = "?"
		}
		row := "(" + strings.Join(ph, ", ") + ")"
		list := make([]string, len(rows))
		args := make([]any, 0, len(rows)*len(cols))
		for i, r := range rows {
			list[i] = row
			args = append(args, r...)
		}
		return "v (" + strings.Join(cols, ", ") + ") AS (VALUES " + strings.Join(list, ", ") + ")", args
	}
	arrays := make([]string, len(cols))
	args := make([]any, len(cols))
	for c := range cols {
		arrays[c] = "?::" + types[c] + "[]"
		col := make(nullableArray, len(rows))
		for i, r := range rows {
			b, err := pgText(r[c])
			if err != nil {
				panic(fmt.Sprintf("valuesCTE: column %s: %v", cols[c], err)) // a programming error: a Go type pgText lacks
			}
			if b != nil {
				v := string(b)
				col[i] = &v
			}
		}
		args[c] = col
	}
	return "v AS (SELECT * FROM unnest(" + strings.Join(arrays, ", ") + ") AS v (" + strings.Join(cols, ", ") + "))", args
}

// cast writes a typed placeholder: PostgreSQL needs the types of VALUES.
func (db *DB) cast(typ string) string {
	if db.Dialect == Postgres {
		return "?::" + typ
	}
	return "?"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// updateJobsSQL is the fenced update of every job row of the batch, in one
// statement that returns the rows it changed (JobHead columns).
func (db *DB) updateJobsSQL(vals []jobValues) (string, []any) {
	var sb strings.Builder
	rows := make([][]any, len(vals))
	for i, v := range vals {
		arts := []byte("[]")
		if len(v.arts) > 0 {
			arts, _ = json.Marshal(v.arts)
		}
		cur := ""
		if v.w.CurrentDocument != nil {
			cur = *v.w.CurrentDocument
		}
		var eta *time.Time
		if v.w.EstimatedCompletion != nil {
			t := v.w.EstimatedCompletion.UTC()
			eta = &t
		}
		rows[i] = []any{v.w.Lease.JobID, v.w.Lease.Token, v.w.Lease.Worker, len(v.w.Documents),
			string(arts), b2i(v.w.CurrentDocument != nil), cur, eta, v.status,
			v.runAt, v.retry, v.errMode, v.errMsg, v.errDet, v.w.Now.UTC(), b2i(v.status != StatusCancelled)}
	}
	cte, args := db.valuesCTE(
		[]string{"id", "token", "worker", "n", "arts", "has_cur", "cur", "eta", "status", "run_at", "retry_inc",
			"err_mode", "err_msg", "err_det", "now", "no_cancel"},
		[]string{"text", "bigint", "text", "int", "text", "int", "text", "timestamptz", "text",
			"timestamptz", "int", "int", "text", "text", "timestamptz", "int"}, rows)
	stamp := ""
	if db.Dialect == Postgres {
		stamp = `
		sync_position = ` + syncStamp("j.user_id") + `,`
	}
	sb.WriteString("WITH " + cte + `
	UPDATE document_generation_jobs AS j SET
		status = v.status,
		completed_documents = j.completed_documents + v.n,
		generated_artifacts = ` + db.appendJSON("j.generated_artifacts", "v.arts") + `,
		progress_percentage = CASE WHEN v.status = 'completed' OR j.total_documents <= 0 THEN 100
			ELSE ` + db.least("100", "(j.completed_documents + v.n) * 100 / j.total_documents") + ` END,
		current_document = CASE WHEN v.status <> 'processing' THEN NULL WHEN v.has_cur = 1 THEN NULLIF(v.cur, '') ELSE j.current_document END,
		estimated_completion = CASE WHEN v.status <> 'processing' THEN NULL ELSE COALESCE(v.eta, j.estimated_completion) END,
		locked_by = CASE WHEN v.status = 'processing' THEN j.locked_by END,
		lease_expires_at = CASE WHEN v.status = 'processing' THEN j.lease_expires_at END,
		fencing_token = CASE WHEN v.status = 'processing' THEN j.fencing_token ELSE j.fencing_token + 1 END,
		run_at = CASE WHEN v.status = 'queued' THEN v.run_at ELSE j.run_at END,
		retry_count = j.retry_count + v.retry_inc,
		completed_at = CASE WHEN v.status IN ('completed', 'failed', 'cancelled') THEN v.now ELSE j.completed_at END,
		error_message = CASE v.err_mode WHEN 0 THEN j.error_message WHEN 1 THEN NULL ELSE v.err_msg END,
		error_details = CASE v.err_mode WHEN 0 THEN j.error_details WHEN 1 THEN NULL ELSE ` + db.jsonValue("v.err_det") + ` END,
		version = j.version + 1,` + stamp + `
		updated_at = v.now
	FROM v
	WHERE j.id = ` + db.uuidCol("v.id") + ` AND j.fencing_token = v.token AND j.locked_by = v.worker
	  AND j.status = 'processing' AND (CASE WHEN j.cancel_requested_at IS NULL THEN 1 ELSE 0 END) = v.no_cancel
	RETURNING ` + db.returning("j.id, j.user_id, j.status, j.version, j.completed_documents, j.total_documents"))
	return sb.String(), args
}

func (db *DB) appendJSON(col, arr string) string {
	if db.Dialect == Postgres {
		return col + " || " + arr + "::jsonb"
	}
	return `(SELECT json_group_array(value) FROM (SELECT value FROM json_each(` + col + `) UNION ALL SELECT value FROM json_each(` + arr + `)))`
}

// returning names the target's columns in RETURNING: SQLite takes them
// unqualified.
func (db *DB) returning(cols string) string {
	if db.Dialect == Postgres {
		return cols
	}
	return strings.ReplaceAll(cols, "j.", "")
}

func (db *DB) least(a, b string) string {
	if db.Dialect == Postgres {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "MIN(" + a + ", " + b + ")"
}

func (db *DB) jsonValue(col string) string {
	if db.Dialect == Postgres {
		return col + "::jsonb"
	}
	return col
}

func (db *DB) uuidCol(col string) string {
	if db.Dialect == Postgres {
		return col + "::uuid"
	}
	return col
}

// documentStatements insert the batch's artifacts and write their
// checkpoints, the documents started and the documents failed: a few
// statements for the whole batch.
func (db *DB) documentStatements(ok []jobValues) []statement {
	var stmts []statement
	var arts, done, started, failed [][]any
	for _, v := range ok {
		w := v.w
		now := w.Now.UTC()
		for i, d := range w.Documents {
			arts = append(arts, []any{v.arts[i], w.Lease.JobID, d.Type, d.Title, d.Markdown, d.PromptTokens, d.CompletionTokens, d.FinishedAt.UTC(), d.Instruction})
			done = append(done, []any{w.Lease.JobID, d.Type, d.Attempts, d.StartedAt.UTC(), d.FinishedAt.UTC(),
				d.FinishedAt.Sub(d.StartedAt).Milliseconds(), v.arts[i], d.PromptTokens, d.CompletionTokens})
		}
		for _, t := range w.Started {
			started = append(started, []any{w.Lease.JobID, t, now})
		}
		for _, f := range w.Failed {
			failed = append(failed, []any{w.Lease.JobID, f.Type, f.Attempts, f.Error, DocFailed})
		}
		if o := w.End; o != nil {
			status := DocFailed
			if o.Status == StatusQueued {
				status = DocPending
			}
			for _, f := range o.Failures {
				failed = append(failed, []any{w.Lease.JobID, f.Type, f.Attempts, f.Error, status})
			}
		}
	}
	if len(arts) > 0 {
		// The version is the project's next one for the type, numbered
		// under the projects' version locks (taken in id order); the unique
		// (job_id, document_type) makes each document exactly-once. Each
		// version copies its job's fingerprint from the job's row.
		if db.Dialect == Postgres {
			stmts = append(stmts, lockJobsProjects(jobIDs(ok, true)))
		}
		cte, artArgs := db.valuesCTE([]string{"id", "job_id", "type", "title", "markdown", "pt", "ct", "created", "instruction"},
			[]string{"text", "text", "text", "text", "text", "int", "int", "timestamptz", "text"}, arts)
		q := `WITH ` + cte + `
			INSERT INTO artifacts (id, job_id, project_id, user_id, document_type, title, markdown, version,
				prompt_tokens, completion_tokens, created_at, source, instruction, source_hash)
			SELECT ` + db.uuidCol("v.id") + `, j.id, j.project_id, j.user_id, v.type, v.title, v.markdown,
				COALESCE((SELECT MAX(a.version) FROM artifacts a WHERE a.project_id = j.project_id AND a.document_type = v.type), 0) + 1,
				v.pt, v.ct, v.created, '` + SourceGenerated + `', v.instruction, j.source_hash
			FROM v JOIN document_generation_jobs j ON j.id = ` + db.uuidCol("v.job_id")
		stmts = append(stmts, statement{what: "insert artifacts", sql: q, args: artArgs, want: int64(len(arts))})
		cte, doneArgs := db.valuesCTE([]string{"job_id", "type", "attempts", "started", "finished", "dur", "art", "pt", "ct"},
			[]string{"text", "text", "int", "timestamptz", "timestamptz", "bigint", "text", "int", "int"}, done)
		q = `WITH ` + cte + `
			UPDATE job_documents AS d SET status = 'completed', attempts = v.attempts, started_at = v.started,
				completed_at = v.finished, duration_ms = v.dur, error = NULL, artifact_id = ` + db.uuidCol("v.art") + `,
				prompt_tokens = v.pt, completion_tokens = v.ct
			FROM v WHERE d.job_id = ` + db.uuidCol("v.job_id") + ` AND d.document_type = v.type AND d.status <> 'completed'`
		stmts = append(stmts, statement{what: "checkpoints", sql: q, args: doneArgs, want: int64(len(done))})
	}
	if len(started) > 0 {
		cte, args := db.valuesCTE([]string{"job_id", "type", "now"}, []string{"text", "text", "timestamptz"}, started)
		q := `WITH ` + cte + `
			UPDATE job_documents AS d SET status = 'generating', started_at = v.now, error = NULL
			FROM v WHERE d.job_id = ` + db.uuidCol("v.job_id") + ` AND d.document_type = v.type AND d.status <> 'completed'`
		stmts = append(stmts, statement{what: "start documents", sql: q, args: args, want: -1})
	}
	if len(failed) > 0 {
		cte, args := db.valuesCTE([]string{"job_id", "type", "attempts", "err", "status"}, []string{"text", "text", "int", "text", "text"}, failed)
		q := `WITH ` + cte + `
			UPDATE job_documents AS d SET status = v.status, attempts = v.attempts, error = v.err
			FROM v WHERE d.job_id = ` + db.uuidCol("v.job_id") + ` AND d.document_type = v.type AND d.status <> 'completed'`
		stmts = append(stmts, statement{what: "failed documents", sql: q, args: args, want: -1})
	}
	return stmts
}

// jobIDs lists the writes' jobs: those storing documents, or all.
func jobIDs(vs []jobValues, withDocuments bool) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if !withDocuments || len(v.w.Documents) > 0 {
			out = append(out, v.w.Lease.JobID)
		}
	}
	return out
}

// lockJobsUsers takes the sync-position rows of the jobs' owners first, in
// id order (PostgreSQL). The sync-position trigger would take them row by
// row in the update's order, which differs between batches: two commits of
// the same users (two instances, or a commit and a cancel) could deadlock,
// and PostgreSQL would break the tie only after deadlock_timeout. The claim
// never waits for these rows (it skips their users' jobs), so a commit
// waits only for transactions that lock users in the same order.
//
// It also bumps each owner's sync position, once per transaction as
// dossier_sync_stamp does (users.sync_xact): the batch's statements then
// stamp their rows from users.sync_position (syncStamp), and the row
// triggers skip them (migration 00010). A user whose write turns out to be
// refused has moved without a change: a position with nothing new is
// harmless to a tab catching up.
func lockJobsUsers(jobs []string) statement {
	return statement{what: "lock users", want: -1, args: []any{textArray(jobs)},
		sql: `WITH l AS (
			SELECT id FROM users WHERE id IN (SELECT user_id FROM document_generation_jobs WHERE id = ANY(?::uuid[]))
			ORDER BY id FOR NO KEY UPDATE
		)
		UPDATE users u SET sync_position = u.sync_position + 1, sync_xact = pg_current_xact_id()
		FROM l WHERE u.id = l.id AND u.sync_xact IS DISTINCT FROM pg_current_xact_id()`}
}

// syncStamp is the sync position a row of the batch's statements carries,
// on PostgreSQL: its owner's, which lockJobsUsers bumped in the same
// transaction. Only statements that follow lockJobsUsers use it; SQLite's
// rows are stamped by its triggers.
func syncStamp(userCol string) string {
	return `(SELECT su.sync_position FROM users su WHERE su.id = ` + userCol + `)`
}

// lockJobsProjects takes the version locks of the jobs' projects, in id
// order so that concurrent batches cannot deadlock (PostgreSQL). The batch
// holds the projects' owners' rows already (lockJobsUsers), as a save or a
// new run does before it locks its project (lockProjectVersions).
func lockJobsProjects(jobs []string) statement {
	return statement{what: "lock projects", want: -1, args: []any{textArray(jobs)},
		sql: `SELECT id FROM projects WHERE id IN (SELECT project_id FROM document_generation_jobs WHERE id = ANY(?::uuid[]))
		ORDER BY id FOR NO KEY UPDATE`}
}

// in is a membership test of col in ids, as each dialect takes a list.
func (db *DB) in(col string, ids []string) (string, any) {
	if db.Dialect == Postgres {
		return col + " = ANY(?::uuid[])", textArray(ids)
	}
	return col + " IN ?", ids
}

// endStatements apply the end of the runs that ended: what is not completed
// goes back to pending (queued) or is skipped (ended; failed ones stay
// failed), and the user is notified.
func (db *DB) endStatements(ok []jobValues) []statement {
	var stmts []statement
	var requeued, ended []string
	var notes []Notification
	for _, v := range ok {
		o := v.w.End
		if o == nil {
			continue
		}
		switch o.Status {
		case StatusQueued:
			requeued = append(requeued, v.w.Lease.JobID)
		case StatusCompleted:
			// Decide completes a job only when every document is
			// completed: there is nothing to skip.
		default:
			ended = append(ended, v.w.Lease.JobID)
		}
		if o.Notify != "" {
			jobID := v.w.Lease.JobID
			notes = append(notes, Notification{ID: uuid.NewString(), JobID: &jobID, Kind: o.Notify, CreatedAt: o.Now.UTC()})
		}
	}
	if len(requeued) > 0 {
		cond, arg := db.in("job_id", requeued)
		stmts = append(stmts, statement{what: "requeue documents", want: -1, args: []any{arg},
			sql: `UPDATE job_documents SET status = 'pending' WHERE ` + cond + ` AND status <> 'completed'`})
	}
	if len(ended) > 0 {
		cond, arg := db.in("job_id", ended)
		stmts = append(stmts, statement{what: "skip documents", want: -1, args: []any{arg},
			sql: `UPDATE job_documents SET status = 'skipped' WHERE ` + cond + ` AND status IN ('pending', 'generating')`})
	}
	if len(notes) > 0 {
		rows := make([][]any, len(notes))
		for i, n := range notes {
			rows[i] = []any{n.ID, *n.JobID, n.Kind, n.CreatedAt}
		}
		cte, args := db.valuesCTE([]string{"id", "job_id", "kind", "created"}, []string{"text", "text", "text", "timestamptz"}, rows)
		stampCol, stamp := "", ""
		if db.Dialect == Postgres {
			stampCol, stamp = ", sync_position", ", "+syncStamp("j.user_id")
		}
		q := `WITH ` + cte + `
			INSERT INTO notifications (id, user_id, job_id, kind, title, documents_done, documents_total, created_at` + stampCol + `)
			SELECT ` + db.uuidCol("v.id") + `, j.user_id, j.id, v.kind, '', j.completed_documents, j.total_documents, v.created` + stamp + `
			FROM v JOIN document_generation_jobs j ON j.id = ` + db.uuidCol("v.job_id") + `
			ORDER BY v.id`
		stmts = append(stmts, statement{what: "notify user", sql: q, args: args, want: -1})
	}
	return stmts
}

// CommitDocument stores one finished document: the artifact (exactly once),
// its checkpoint and the job's progress, fenced by the lease. A stale worker
// gets ErrLeaseLost and changes nothing; once the job's cancel is requested
// it gets ErrCancelRequested. It is Commit of one write, returning the job.
func (db *DB) CommitDocument(ctx context.Context, lease Lease, r DocumentResult) (*Job, *Artifact, error) {
	cur := r.CurrentDocument
	res, err := db.commitOne(ctx, Write{Lease: lease, Documents: []DocumentResult{r}, CurrentDocument: &cur,
		EstimatedCompletion: r.EstimatedCompletion, Now: r.FinishedAt})
	if err != nil {
		return nil, nil, err
	}
	j, err := db.JobByID(ctx, lease.JobID)
	if err != nil {
		return nil, nil, err
	}
	a, err := db.artifactByID(ctx, res.Artifacts[0])
	return j, a, err
}

// DocumentsStarted is a write that is not a finished document: documents
// started, and possibly one that failed.
type DocumentsStarted struct {
	Started         []string
	Failed          *DocumentFailure
	CurrentDocument string
	Now             time.Time
}

// StartDocuments marks documents generating (and a failed one failed) in
// one fenced write. It is Commit of one write, returning the job.
func (db *DB) StartDocuments(ctx context.Context, lease Lease, in DocumentsStarted) (*Job, error) {
	w := Write{Lease: lease, Started: in.Started, Now: in.Now}
	if in.CurrentDocument != "" {
		w.CurrentDocument = &in.CurrentDocument
	}
	if in.Failed != nil {
		w.Failed = []DocumentFailure{*in.Failed}
	}
	if _, err := db.commitOne(ctx, w); err != nil {
		return nil, err
	}
	return db.JobByID(ctx, lease.JobID)
}

// FinishJob ends a worker's run of a job in one fenced transaction. It is
// Commit of one write, returning the job.
func (db *DB) FinishJob(ctx context.Context, lease Lease, o Outcome) (*Job, error) {
	if _, err := db.commitOne(ctx, Write{Lease: lease, End: &o, Now: o.Now}); err != nil {
		return nil, err
	}
	return db.JobByID(ctx, lease.JobID)
}

func (db *DB) commitOne(ctx context.Context, w Write) (*Committed, error) {
	res, err := db.Commit(ctx, []Write{w})
	if err != nil {
		return nil, err
	}
	if res[0].Err != nil {
		return nil, res[0].Err
	}
	return &res[0], nil
}
