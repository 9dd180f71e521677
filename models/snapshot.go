package models

import (
	"context"
	"fmt"
)

// JobSnapshot is a job's whole visible state at one version: what the live
// streams render. It is loaded once per instance per change, never per
// client.
type JobSnapshot struct {
	Job         Job
	Documents   []JobDocument
	ProjectName string
	// ActiveJobs is the owner's number of queued and processing jobs: the
	// header badge.
	ActiveJobs int
	// Unread is the owner's unread notifications: the bell.
	Unread int
}

// Snapshot loads a job's current state.
func (db *DB) Snapshot(ctx context.Context, jobID string) (*JobSnapshot, error) {
	j, err := db.JobByID(ctx, jobID)
	if err != nil {
		return nil, err
	}
	docs, err := db.JobDocuments(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var name string
	if err := db.g.WithContext(ctx).Raw(`SELECT name FROM projects WHERE id = ?`, j.ProjectID).Scan(&name).Error; err != nil {
		return nil, fmt.Errorf("snapshot project name: %w", err)
	}
	n, err := db.CountActiveJobs(ctx, j.UserID)
	if err != nil {
		return nil, fmt.Errorf("snapshot active jobs: %w", err)
	}
	unread := 0
	if j.Terminal() {
		if unread, err = db.CountUnread(ctx, j.UserID); err != nil {
			return nil, fmt.Errorf("snapshot unread: %w", err)
		}
	}
	return &JobSnapshot{Job: *j, Documents: docs, ProjectName: name, ActiveJobs: n, Unread: unread}, nil
}
