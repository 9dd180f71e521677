package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Notification is a persisted message to a user, such as "documents ready".
// ShownAt marks that some tab has toasted it, so that a completion that
// happened while the user was away is toasted once on their next page.
type Notification struct {
	ID     string `gorm:"primaryKey"`
	UserID string
	JobID  *string
	Kind   string // job_completed, job_failed
	// Facts the views render the words from.
	DocumentsDone  int
	DocumentsTotal int
	// ProjectName is read with the notification (the job's project).
	ProjectName string `gorm:"->"`
	// RunNumber is the job's per-project number, read with it ("Run #2"):
	// a project's runs are otherwise worded alike.
	RunNumber int `gorm:"->"`
	// JobErrorDetails is the job's error_details, read with it: a failed
	// job's notification says why it failed, in the plain sentences the
	// job page shows.
	JobErrorDetails JSONMap `gorm:"->"`
	// Title, Body and Link are the words of notifications stored before
	// the engine stored facts only; new rows leave them empty.
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
	err := db.g.WithContext(ctx).Raw(`SELECT n.*, COALESCE(p.name, '') AS project_name, COALESCE(j.run_number, 0) AS run_number,
		j.error_details AS job_error_details FROM notifications n
		LEFT JOIN document_generation_jobs j ON j.id = n.job_id
		LEFT JOIN projects p ON p.id = j.project_id
		WHERE n.user_id = ? ORDER BY n.created_at DESC LIMIT ?`, userID, limit).Scan(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}

// CountUnread counts the user's unread notifications: the bell.
func (db *DB) CountUnread(ctx context.Context, userID string) (int, error) {
	var n int64
	err := db.g.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return int(n), err
}

// UnshownLimit is how many unshown notifications a page announces.
const UnshownLimit = 20

// Unshown lists the newest UnshownLimit notifications no tab has shown yet,
// oldest of them first: the next page announces them, and they stay
// unshown until a tab acknowledges one (AckShown), so that a page left
// before it could show them loses nothing. The newest, as a resync takes
// them (SyncSince): the oldest twenty announced stale news and left out
// the latest.
func (db *DB) Unshown(ctx context.Context, userID string) ([]Notification, error) {
	var ns []Notification
	err := db.g.WithContext(ctx).Where("user_id = ? AND shown_at IS NULL", userID).
		Order("sync_position DESC").Limit(UnshownLimit).Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("unshown notifications: %w", err)
	}
	slices.Reverse(ns) // position order, as a resync lists them
	if err := db.withProjectNames(ctx, ns); err != nil {
		return nil, err
	}
	return ns, nil
}

// AckShown records that a tab of the user showed the notification. It
// reports whether this was the first acknowledgement; another user's
// notification is never touched.
func (db *DB) AckShown(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	if !IsID(id) {
		return false, nil
	}
	var first bool
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The owner's row first (lockOwner), as every write path takes it:
		// the sync-stamp trigger would take it after the notification's,
		// and a mark-all-read of the same user, which goes on to this
		// notification holding the owner, would deadlock with it.
		if err := db.lockOwner(tx, userID); err != nil {
			return err
		}
		res := tx.Exec(`UPDATE notifications SET shown_at = ?
			WHERE id = ? AND user_id = ? AND shown_at IS NULL`, now.UTC(), id, userID)
		first = res.RowsAffected == 1
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("acknowledge notification: %w", err)
	}
	return first, nil
}

// MarkAllRead marks every notification of the user as read.
func (db *DB) MarkAllRead(ctx context.Context, userID string, now time.Time) error {
	return db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The owner's row first, as in AckShown.
		if err := db.lockOwner(tx, userID); err != nil {
			return err
		}
		return tx.Exec(`UPDATE notifications SET read_at = ?, shown_at = COALESCE(shown_at, ?)
			WHERE user_id = ? AND read_at IS NULL`, now.UTC(), now.UTC(), userID).Error
	})
}

// withProjectNames fills in each notification's project name, run number
// and job's failures, which its
// words are written with: every path that shows a notification (a page's
// toasts, the stream's announcements) must read it, or the same event is
// worded two ways ("Documents ready: Relaunch" on load, "Documents ready:"
// live).
func (db *DB) withProjectNames(ctx context.Context, ns []Notification) error {
	for i := range ns {
		if ns[i].JobID == nil {
			continue
		}
		var row struct {
			Name         string
			RunNumber    int
			ErrorDetails JSONMap
		}
		if err := db.g.WithContext(ctx).Raw(`SELECT p.name, j.run_number, j.error_details FROM document_generation_jobs j JOIN projects p ON p.id = j.project_id
			WHERE j.id = ?`, *ns[i].JobID).Scan(&row).Error; err != nil {
			return fmt.Errorf("notification project name: %w", err)
		}
		ns[i].ProjectName, ns[i].RunNumber, ns[i].JobErrorDetails = row.Name, row.RunNumber, row.ErrorDetails
	}
	return nil
}

// DeleteOldNotifications removes, in batches, the notifications created
// before cutoff that are read or whose job is gone (the cleanup removes
// finished jobs after the same retention): they would otherwise pile up for
// good, linking to job pages that no longer exist. An unread one about a
// job that is still there stays. It returns the number removed and their
// owners, whose open tabs resync (removedFor).
func (db *DB) DeleteOldNotifications(ctx context.Context, cutoff time.Time, batch int) (int64, []string, error) {
	// A candidate stays one once locked: its job cannot come back, and a
	// read one stays read.
	return db.deleteOwned(ctx, batch, ownedRows{
		what:  "delete old notifications",
		table: "notifications",
		candidates: func(tx *gorm.DB, skip []string) ([]string, error) {
			var ids []string
			not, args := notIn("n.id", skip)
			err := tx.Raw(`SELECT n.id FROM notifications n
				WHERE n.created_at < ? AND (n.read_at IS NOT NULL OR n.job_id IS NULL
				   OR NOT EXISTS (SELECT 1 FROM document_generation_jobs j WHERE j.id = n.job_id))`+not+`
				LIMIT ?`, append(append([]any{cutoff.UTC()}, args...), batch)...).Scan(&ids).Error
			return ids, err
		},
	})
}
