package models

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Artifact is a generated document. (job_id, document_type) is unique: each
// document of a job is stored exactly once.
type Artifact struct {
	ID               string `gorm:"primaryKey"`
	JobID            *string
	ProjectID        string
	UserID           string
	DocumentType     string
	Title            string
	Markdown         string
	Version          int
	PromptTokens     int
	CompletionTokens int
	CreatedAt        time.Time
}

// ArtifactForUser returns the artifact if the user owns it.
func (db *DB) ArtifactForUser(ctx context.Context, userID, id string) (*Artifact, error) {
	var a Artifact
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	if err := db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&a).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// JobArtifacts returns a job's artifacts in generation order.
func (db *DB) JobArtifacts(ctx context.Context, jobID string) ([]Artifact, error) {
	var as []Artifact
	err := db.WithContext(ctx).Raw(`SELECT a.* FROM artifacts a
		JOIN job_documents d ON d.job_id = a.job_id AND d.document_type = a.document_type
		WHERE a.job_id = ? ORDER BY d.position`, jobID).Scan(&as).Error
	if err != nil {
		return nil, fmt.Errorf("job artifacts: %w", err)
	}
	return as, nil
}

// ProjectArtifacts returns the latest version of each document of a project.
func (db *DB) ProjectArtifacts(ctx context.Context, userID, projectID string) ([]Artifact, error) {
	var as []Artifact
	err := db.WithContext(ctx).Raw(`SELECT a.* FROM artifacts a
		WHERE a.user_id = ? AND a.project_id = ? AND a.version = (
			SELECT MAX(b.version) FROM artifacts b
			WHERE b.project_id = a.project_id AND b.document_type = a.document_type)
		ORDER BY a.created_at`, userID, projectID).Scan(&as).Error
	if err != nil {
		return nil, fmt.Errorf("project artifacts: %w", err)
	}
	return as, nil
}
