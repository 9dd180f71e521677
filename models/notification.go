package models

import (
	"context"
	"fmt"
	"time"
)

// Notification is a persisted message to a user, such as "documents ready".
// ShownAt marks that some tab has toasted it, so that a completion that
// happened while the user was away is toasted once on their next page.
type Notification struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	JobID     *string
	Kind      string // job_completed, job_failed
	Title     string
	Body      string
	Link      string
	CreatedAt time.Time
	ShownAt   *time.Time
	ReadAt    *time.Time
}

// Notifications lists the user's notifications, newest first.
func (db *DB) Notifications(ctx context.Context, userID string, limit int) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Limit(limit).Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

// CountUnread counts the user's unread notifications: the bell.
func (db *DB) CountUnread(ctx context.Context, userID string) (int, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return int(n), err
}

// TakeUnshown returns the notifications no tab has toasted yet and marks
// them shown, atomically, so that only one page announces each.
func (db *DB) TakeUnshown(ctx context.Context, userID string, now time.Time) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).Raw(`UPDATE notifications SET shown_at = ?
		WHERE user_id = ? AND shown_at IS NULL
		RETURNING *`, now.UTC(), userID).Scan(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("take unshown notifications: %w", err)
	}
	return ns, nil
}

// MarkShown marks the job's notifications as toasted (a live tab showed it).
func (db *DB) MarkShown(ctx context.Context, userID, jobID string, now time.Time) error {
	return db.WithContext(ctx).Exec(`UPDATE notifications SET shown_at = ?
		WHERE user_id = ? AND job_id = ? AND shown_at IS NULL`, now.UTC(), userID, jobID).Error
}

// MarkAllRead marks every notification of the user as read.
func (db *DB) MarkAllRead(ctx context.Context, userID string, now time.Time) error {
	return db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = ?, shown_at = COALESCE(shown_at, ?)
		WHERE user_id = ? AND read_at IS NULL`, now.UTC(), now.UTC(), userID).Error
}
