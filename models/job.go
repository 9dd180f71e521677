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
)

// Job statuses.
const (
	StatusQueued     = "queued"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// Priorities, stored as integers so that claims can ORDER BY priority DESC.
const (
	PriorityLow    = -1
	PriorityNormal = 0
	PriorityHigh   = 1
)

// PriorityName maps a stored priority to its API name.
func PriorityName(p int) string {
	switch {
	case p > 0:
		return "high"
	case p < 0:
		return "low"
	}
	return "normal"
}

// ParsePriority maps an API name to a stored priority.
func ParsePriority(s string) (int, bool) {
	switch s {
	case "high":
		return PriorityHigh, true
	case "", "normal":
		return PriorityNormal, true
	case "low":
		return PriorityLow, true
	}
	return 0, false
}

// Job is a document generation job (document_generation_jobs): the columns
// of the original analysis, plus cancel, lease, fencing, backoff and
// idempotency.
type Job struct {
	ID                      string `gorm:"primaryKey"`
	ProjectID               string
	UserID                  string
	Status                  string
	Priority                int
	ProjectData             ProjectData
	CompanyIntelligencePack *CompanyPack
	DocumentsToGenerate     StringList
	TotalDocuments          int
	CompletedDocuments      int
	CurrentDocument         *string
	ProgressPercentage      int
	GeneratedArtifacts      StringList
	ErrorMessage            *string
	ErrorDetails            JSONMap
	QueuedAt                time.Time
	StartedAt               *time.Time
	CompletedAt             *time.Time
	EstimatedCompletion     *time.Time
	RetryCount              int
	MaxRetries              int
	CancelRequestedAt       *time.Time
	LockedBy                *string
	LeaseExpiresAt          *time.Time
	FencingToken            int64
	RunAt                   time.Time
	IdempotencyKey          *string
	// RunNumber counts the project's jobs: Run #1, #2, … (docs, issue 10).
	RunNumber int
	// Instruction is the user's note for a regeneration ("shorter"); it goes
	// into the prompts of RequestedDocuments and onto their new versions.
	Instruction        string
	IncludeDependents  bool
	RequestedDocuments StringList
	// History is what the job went through before this run (docs, issue
	// 10: a retried job's earlier ends).
	History JobHistory
	// SourceHash is the project's Fingerprint when the job was made from
	// the project's own inputs (NewJob.SourceHash); the versions the job
	// writes copy it (migration 00017). Nil for jobs created before, and
	// for jobs sent with data of their own.
	SourceHash *string
	// WaitedMS is the time, in milliseconds, the job spent queued between
	// its runs (its automatic retries' waits, and a worker's after a manual
	// retry or a hand-back), added at each claim that resumes it (migration
	// 00021); nil for jobs from before, whose waits were not recorded.
	WaitedMS *int64 `gorm:"column:waited_ms"`
	// Version increases with every write, so that subscribers can drop
	// stale snapshots.
	Version int64
	// SyncPosition is the owner's sync position at the job's latest
	// visible change (models/sync.go); set by the database, never written.
	SyncPosition int64 `gorm:"->"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName keeps the original analysis's table name.
func (Job) TableName() string { return "document_generation_jobs" }

// Active reports whether the job is queued or processing.
func (j *Job) Active() bool { return j.Status == StatusQueued || j.Status == StatusProcessing }

// Terminal reports whether the job has ended.
func (j *Job) Terminal() bool { return !j.Active() }

// Lease is a worker's claim on a job. Every write of the owning worker is
// checked against Token: after a rescue, a stale worker's writes change
// nothing.
type Lease struct {
	JobID  string
	Worker string
	Token  int64
}

// Lease returns the job's current lease as claimed.
func (j *Job) Lease() Lease {
	w := ""
	if j.LockedBy != nil {
		w = *j.LockedBy
	}
	return Lease{JobID: j.ID, Worker: w, Token: j.FencingToken}
}

var (
	// ErrLeaseLost is returned to a worker whose lease was taken away.
	ErrLeaseLost = errors.New("lease lost")
	// ErrConflict is returned when a job's state does not allow the action.
	ErrConflict = errors.New("conflict")
	// ErrIdempotencyMismatch is returned when an idempotency key is reused
	// for a different request (replayed).
	ErrIdempotencyMismatch = errors.New("idempotency key reused for a different request")
)

// ActiveJobError says the project already has a queued or processing job.
// RunNumber is its per-project number, 0 where it was not read.
type ActiveJobError struct {
	JobID     string
	RunNumber int
}

func (e *ActiveJobError) Error() string { return "project already has an active job " + e.JobID }

// NewJob is what CreateJob needs.
type NewJob struct {
	UserID      string
	ProjectID   string
	Priority    int
	ProjectData ProjectData
	Company     *CompanyPack
	Documents   []string // resolved, in dependency order
	// Waves are the documents' dependency depths within the job (0: needs
	// none of the others); the claim starts the lowest wave at once.
	Waves          []int
	MaxRetries     int
	IdempotencyKey string
	// Requested are the documents the user chose (Documents adds dependents
	// and missing dependencies); Instruction applies to them.
	Requested         []string
	Instruction       string
	IncludeDependents bool
	// SourceHash is the project's Fingerprint when the job is written from
	// the project's own inputs; empty when it carries data of its own (a
	// job sent with other data): its versions are then not compared with
	// the project's, which never had that data.
	SourceHash string
}

// CreateJob inserts a queued job and its pending checkpoints in one
// transaction. With an idempotency key already used by the user, it returns
// the earlier job and replay=true. With another active job on the project, it
// returns *ActiveJobError: the partial unique index decides, not a read.
func (db *DB) CreateJob(ctx context.Context, in NewJob) (job *Job, replay bool, err error) {
	if in.IdempotencyKey != "" {
		if j, err := db.jobByIdempotencyKey(ctx, in.UserID, in.IdempotencyKey); err == nil {
			return replayed(j, in)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	now := time.Now().UTC()
	j := &Job{
		ID: uuid.NewString(), ProjectID: in.ProjectID, UserID: in.UserID, Status: StatusQueued,
		Priority: in.Priority, ProjectData: in.ProjectData, CompanyIntelligencePack: in.Company,
		DocumentsToGenerate: in.Documents, TotalDocuments: len(in.Documents),
		GeneratedArtifacts: StringList{}, QueuedAt: now, RunAt: now, MaxRetries: in.MaxRetries, WaitedMS: new(int64),
		Version: 1, CreatedAt: now, UpdatedAt: now,
		Instruction: in.Instruction, IncludeDependents: in.IncludeDependents, RequestedDocuments: StringList(in.Requested),
	}
	if j.RequestedDocuments == nil {
		j.RequestedDocuments = StringList{}
	}
	if in.SourceHash != "" {
		fp := in.SourceHash
		j.SourceHash = &fp
	}
	if in.IdempotencyKey != "" {
		k := in.IdempotencyKey
		j.IdempotencyKey = &k
	}
	err = db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := nextRunNumber(tx, db.Dialect, in.ProjectID)
		if err != nil {
			return err
		}
		j.RunNumber = n
		if err := tx.Create(j).Error; err != nil {
			return err
		}
		docs := make([]JobDocument, len(in.Documents))
		for i, t := range in.Documents {
			docs[i] = JobDocument{ID: uuid.NewString(), JobID: j.ID, DocumentType: t, Position: i, Status: DocPending}
			if i < len(in.Waves) {
				docs[i].Wave = in.Waves[i]
			}
		}
		if len(docs) > 0 {
			if err := tx.Create(&docs).Error; err != nil {
				return err
			}
		}
		return db.notify(tx, []Change{{Kind: "queued", JobID: j.ID, UserID: j.UserID, Version: j.Version},
			{Kind: "job", JobID: j.ID, UserID: j.UserID, Version: j.Version}})
	})
	if err == nil {
		return j, false, nil
	}
	if !IsUniqueViolation(err) {
		return nil, false, fmt.Errorf("create job: %w", err)
	}
	// Either the project has an active job, or a concurrent request with
	// the same idempotency key won the race.
	if in.IdempotencyKey != "" {
		if j, err := db.jobByIdempotencyKey(ctx, in.UserID, in.IdempotencyKey); err == nil {
			return replayed(j, in)
		}
	}
	if active, err := db.ActiveJobForProject(ctx, in.ProjectID); err == nil {
		return nil, false, &ActiveJobError{JobID: active.ID, RunNumber: active.RunNumber}
	}
	return nil, false, fmt.Errorf("create job: %w", err)
}

// replayed answers a request whose idempotency key names job j: j itself
// when the request is the one that created it, ErrIdempotencyMismatch when
// it asks for something else (another project, documents, priority,
// instruction or dependents). What the request sent is compared, not what
// the server made of it: the project data (a request without data of its
// own snapshots the project as it is, which may have changed since), and
// the plan (the missing dependencies it adds depend on the documents
// stored since: a retry made after the job wrote the scope statement
// plans the risk register alone, and is still the same request).
func replayed(j *Job, in NewJob) (*Job, bool, error) {
	same := j.ProjectID == in.ProjectID && j.Priority == in.Priority &&
		slices.Equal([]string(j.RequestedDocuments), in.Requested) &&
		j.Instruction == in.Instruction && j.IncludeDependents == in.IncludeDependents
	if !same {
		return nil, false, ErrIdempotencyMismatch
	}
	return j, true, nil
}

func (db *DB) jobByIdempotencyKey(ctx context.Context, userID, key string) (*Job, error) {
	var j Job
	err := db.g.WithContext(ctx).Where("user_id = ? AND idempotency_key = ?", userID, key).Take(&j).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &j, nil
}

// ActiveJobForProject returns the project's queued or processing job.
func (db *DB) ActiveJobForProject(ctx context.Context, projectID string) (*Job, error) {
	var j Job
	err := db.g.WithContext(ctx).Where("project_id = ? AND status IN ?", projectID, []string{StatusQueued, StatusProcessing}).Take(&j).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &j, nil
}

// JobByID returns a job regardless of owner; for the processor only.
func (db *DB) JobByID(ctx context.Context, id string) (*Job, error) {
	var j Job
	if !IsID(id) {
		return nil, ErrNotFound
	}
	if err := db.g.WithContext(ctx).Where("id = ?", id).Take(&j).Error; err != nil {
		return nil, notFound(err)
	}
	return &j, nil
}

// JobForUser returns the job if the user owns it, else ErrNotFound.
func (db *DB) JobForUser(ctx context.Context, userID, id string) (*Job, error) {
	j, err := db.JobByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.UserID != userID {
		return nil, ErrNotFound
	}
	return j, nil
}

// JobFilter narrows Jobs.
type JobFilter struct {
	Statuses  []string
	ProjectID string
	Limit     int
}

// Jobs lists the user's jobs, newest first.
func (db *DB) Jobs(ctx context.Context, userID string, f JobFilter) ([]Job, error) {
	q := db.g.WithContext(ctx).Where("user_id = ?", userID)
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.ProjectID != "" {
		if !IsID(f.ProjectID) {
			return nil, nil // no project has that id
		}
		q = q.Where("project_id = ?", f.ProjectID)
	}
	var js []Job
	err := q.Order("queued_at DESC").Limit(cmp.Or(f.Limit, 100)).Find(&js).Error
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return js, nil
}

// CountActiveJobs counts the user's queued and processing jobs: the header badge.
func (db *DB) CountActiveJobs(ctx context.Context, userID string) (int, error) {
	var n int64
	err := db.g.WithContext(ctx).Model(&Job{}).Where("user_id = ? AND status IN ?", userID, []string{StatusQueued, StatusProcessing}).Count(&n).Error
	return int(n), err
}
