package models

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
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
	// SyncPosition is the owner's sync position at the notification's
	// latest change (models/sync.go); set by the database, never written.
	SyncPosition int64 `gorm:"->"`
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

// Unshown lists the notifications no tab has shown yet, oldest first: the
// next page announces them, and they stay unshown until a tab acknowledges
// one (AckShown), so that a page left before it could show them loses
// nothing.
func (db *DB) Unshown(ctx context.Context, userID string) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).Where("user_id = ? AND shown_at IS NULL", userID).Order("created_at").Limit(20).Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("unshown notifications: %w", err)
	}
	return ns, nil
}

// AckShown records that a tab of the user showed the notification. It
// reports whether this was the first acknowledgement; another user's
// notification is never touched.
func (db *DB) AckShown(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	if _, err := uuid.Parse(id); err != nil {
		return false, nil
	}
	res := db.WithContext(ctx).Exec(`UPDATE notifications SET shown_at = ?
		WHERE id = ? AND user_id = ? AND shown_at IS NULL`, now.UTC(), id, userID)
	if res.Error != nil {
		return false, fmt.Errorf("acknowledge notification: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// MarkAllRead marks every notification of the user as read.
func (db *DB) MarkAllRead(ctx context.Context, userID string, now time.Time) error {
	return db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = ?, shown_at = COALESCE(shown_at, ?)
		WHERE user_id = ? AND read_at IS NULL`, now.UTC(), now.UTC(), userID).Error
}
