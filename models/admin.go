package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The operator console's reads: across users, never scoped to one. Only the
// admin handlers and the metrics call them.

// QueueDepth counts jobs of one status and priority.
type QueueDepth struct {
	Status   string
	Priority int
	N        int
}

// QueueDepths counts the jobs by status and priority: one grouped scan, the
// queue-depth gauge and the console's table.
func (db *DB) QueueDepths(ctx context.Context) ([]QueueDepth, error) {
	var out []QueueDepth
	err := db.g.WithContext(ctx).Raw(`SELECT status, priority, count(*) AS n
		FROM document_generation_jobs GROUP BY status, priority ORDER BY status, priority DESC`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	return out, nil
}

// MinuteCount is a count within one UTC minute ("2006-01-02 15:04"), of one
// kind (a job status, or "documents").
type MinuteCount struct {
	Minute string
	Kind   string
	N      int
}

// minuteKey and dayKey are SQL expressions that format a timestamp column
// as its UTC minute and day, the same text in both dialects.
func (db *DB) minuteKey(col string) string {
	if db.Dialect == Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
	}
	return "substr(" + col + ", 1, 16)"
}

func (db *DB) dayKey(col string) string {
	if db.Dialect == Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// Throughput counts, per minute since since, the jobs that ended (by
// status) and the documents completed.
func (db *DB) Throughput(ctx context.Context, since time.Time) ([]MinuteCount, error) {
	var out []MinuteCount
	err := db.g.WithContext(ctx).Raw(`SELECT `+db.minuteKey("completed_at")+` AS minute, status AS kind, count(*) AS n
		FROM document_generation_jobs WHERE completed_at >= ? GROUP BY 1, 2
		UNION ALL
		SELECT `+db.minuteKey("completed_at")+` AS minute, 'documents' AS kind, count(*) AS n
		FROM job_documents WHERE status = 'completed' AND completed_at >= ? GROUP BY 1, 2`,
		since.UTC(), since.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("throughput: %w", err)
	}
	return out, nil
}

// QueueWait is when a job was queued and when a worker started it.
type QueueWait struct {
	QueuedAt  time.Time
	StartedAt time.Time
}

// QueueWaits lists the jobs started since since (at most limit, the latest).
func (db *DB) QueueWaits(ctx context.Context, since time.Time, limit int) ([]QueueWait, error) {
	var out []QueueWait
	err := db.g.WithContext(ctx).Raw(`SELECT queued_at, started_at FROM document_generation_jobs
		WHERE started_at >= ? ORDER BY started_at DESC LIMIT ?`, since.UTC(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("queue waits: %w", err)
	}
	return out, nil
}

// AdminJob is a job as the console lists it, with its owner and project.
type AdminJob struct {
	Job
	UserEmail   string
	ProjectName string
}

const adminJobSelect = `SELECT j.*, u.email AS user_email, coalesce(p.name, '') AS project_name
	FROM document_generation_jobs j JOIN users u ON u.id = j.user_id LEFT JOIN projects p ON p.id = j.project_id `

// RunningJobs lists the processing jobs, by lease expiry.
func (db *DB) RunningJobs(ctx context.Context, limit int) ([]AdminJob, error) {
	var out []AdminJob
	err := db.g.WithContext(ctx).Raw(adminJobSelect+`WHERE j.status = 'processing'
		ORDER BY j.lease_expires_at, j.id LIMIT ?`, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("running jobs: %w", err)
	}
	return out, nil
}

// FailingJobs lists the jobs that carry an error and have not completed:
// failed ones, and queued or processing ones on an automatic retry. Newest
// first.
func (db *DB) FailingJobs(ctx context.Context, limit int) ([]AdminJob, error) {
	var out []AdminJob
	err := db.g.WithContext(ctx).Raw(adminJobSelect+`WHERE j.error_message IS NOT NULL
		AND j.status IN ('failed', 'queued', 'processing')
		ORDER BY j.updated_at DESC, j.id LIMIT ?`, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("failing jobs: %w", err)
	}
	return out, nil
}

// UsageDay is one user's use on one UTC day ("2006-01-02").
type UsageDay struct {
	UserID    string
	UserEmail string
	Day       string
	Jobs      int
	Documents int
	Tokens    int64
}

// Usage sums, per user and day since since, the jobs created, the documents
// completed and the model tokens they used. Newest day first.
func (db *DB) Usage(ctx context.Context, since time.Time) ([]UsageDay, error) {
	var jobs, docs []UsageDay
	err := db.g.WithContext(ctx).Raw(`SELECT j.user_id, u.email AS user_email, `+db.dayKey("j.queued_at")+` AS day, count(*) AS jobs
		FROM document_generation_jobs j JOIN users u ON u.id = j.user_id
		WHERE j.queued_at >= ? GROUP BY 1, 2, 3`, since.UTC()).Scan(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("usage jobs: %w", err)
	}
	err = db.g.WithContext(ctx).Raw(`SELECT j.user_id, u.email AS user_email, `+db.dayKey("d.completed_at")+` AS day,
		    count(*) AS documents, coalesce(sum(d.prompt_tokens + d.completion_tokens), 0) AS tokens
		FROM job_documents d JOIN document_generation_jobs j ON j.id = d.job_id JOIN users u ON u.id = j.user_id
		WHERE d.status = 'completed' AND d.completed_at >= ? GROUP BY 1, 2, 3`, since.UTC()).Scan(&docs).Error
	if err != nil {
		return nil, fmt.Errorf("usage documents: %w", err)
	}
	type key struct{ user, day string }
	byKey := map[key]*UsageDay{}
	add := func(u UsageDay) *UsageDay {
		k := key{u.UserID, u.Day}
		p, ok := byKey[k]
		if !ok {
			p = &UsageDay{UserID: u.UserID, UserEmail: u.UserEmail, Day: u.Day}
			byKey[k] = p
		}
		return p
	}
	for _, j := range jobs {
		add(j).Jobs += j.Jobs
	}
	for _, d := range docs {
		p := add(d)
		p.Documents += d.Documents
		p.Tokens += d.Tokens
	}
	out := make([]UsageDay, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b UsageDay) int {
		return cmp.Or(cmp.Compare(b.Day, a.Day), cmp.Compare(a.UserEmail, b.UserEmail))
	})
	return out, nil
}
