package models

import (
	"context"
	"fmt"
	"time"
)

// Document checkpoint statuses.
const (
	DocPending    = "pending"
	DocGenerating = "generating"
	DocCompleted  = "completed"
	DocFailed     = "failed"
	DocSkipped    = "skipped"
)

// JobDocument is one document of a job: the checkpoint. A resumed job never
// regenerates a completed one.
type JobDocument struct {
	ID               string `gorm:"primaryKey"`
	JobID            string
	DocumentType     string
	Position         int
	Wave             int
	Status           string
	Attempts         int
	StartedAt        *time.Time
	CompletedAt      *time.Time
	DurationMS       *int64 `gorm:"column:duration_ms"`
	Error            *string
	ArtifactID       *string
	PromptTokens     int
	CompletionTokens int
}

// JobDocuments returns a job's checkpoints in generation order.
func (db *DB) JobDocuments(ctx context.Context, jobID string) ([]JobDocument, error) {
	var ds []JobDocument
	if err := db.g.WithContext(ctx).Where("job_id = ?", jobID).Order("position").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("job documents: %w", err)
	}
	return ds, nil
}

// JobDocumentsFor returns the checkpoints of several jobs, keyed by job id.
func (db *DB) JobDocumentsFor(ctx context.Context, jobIDs []string) (map[string][]JobDocument, error) {
	out := make(map[string][]JobDocument, len(jobIDs))
	if len(jobIDs) == 0 {
		return out, nil
	}
	var ds []JobDocument
	if err := db.g.WithContext(ctx).Where("job_id IN ?", jobIDs).Order("job_id, position").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("job documents: %w", err)
	}
	for _, d := range ds {
		out[d.JobID] = append(out[d.JobID], d)
	}
	return out, nil
}

// AverageDurations returns the mean duration of completed documents per type,
// over the most recent history: the basis of estimated completion.
func (db *DB) AverageDurations(ctx context.Context) (map[string]time.Duration, error) {
	var rows []struct {
		DocumentType string
		Avg          float64
	}
	err := db.g.WithContext(ctx).Raw(`SELECT document_type, AVG(duration_ms) AS avg
		FROM job_documents WHERE status = 'completed' AND duration_ms IS NOT NULL
		GROUP BY document_type`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("average durations: %w", err)
	}
	out := make(map[string]time.Duration, len(rows))
	for _, r := range rows {
		out[r.DocumentType] = time.Duration(r.Avg * float64(time.Millisecond))
	}
	return out, nil
}
