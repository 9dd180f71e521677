package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Project is a user's project: its data and company intelligence pack.
type Project struct {
	ID                      string `gorm:"primaryKey"`
	UserID                  string
	Name                    string
	Description             string
	Data                    ProjectData
	CompanyIntelligencePack CompanyPack
	CreatedAt               time.Time
	UpdatedAt               time.Time
	// SyncPosition is the owner's sync position when a save last changed
	// what the project shows or is fingerprinted from (migration 00018).
	SyncPosition int64
}

// CreateProject stores a new project for the user. A new project moves
// the user's sync position (migration 00019), so that the user's other
// tabs list it: tell the user's streams once it returns. The owner's row is
// locked first, the order every writer keeps.
func (db *DB) CreateProject(ctx context.Context, p *Project) error {
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, db.Dialect, `?`, p.UserID); err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		return tx.Create(p).Error
	})
	if err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	return nil
}

// ErrProjectChanged says a save's base is not the project's current
// state: someone saved it since (UpdateProjectIf).
var ErrProjectChanged = errors.New("the project changed since it was read")

// UpdateProject saves a project the user owns. A save that changes its
// name, description, data or company pack moves the user's sync position
// (migration 00018): tell the user's streams once it returns. The owner's
// row is locked before the project's (see lockProjectVersions): the
// trigger takes it while the update holds the project's row, and the group
// commit takes the two the other way round.
func (db *DB) UpdateProject(ctx context.Context, p *Project) error {
	return db.UpdateProjectIf(ctx, p, "")
}

// UpdateProjectIf is UpdateProject when the project's fingerprint is still
// base (Project.Fingerprint: what the writer read and changed), else
// ErrProjectChanged; an empty base saves whatever the project holds. Every
// save of a project's content takes the owner's row first, so the
// comparison holds until the commit.
func (db *DB) UpdateProjectIf(ctx context.Context, p *Project, base string) error {
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, db.Dialect, `?`, p.UserID); err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		if base != "" {
			var cur Project
			if err := tx.Where("id = ? AND user_id = ?", p.ID, p.UserID).Take(&cur).Error; err != nil {
				return notFound(err)
			}
			if cur.Fingerprint() != base {
				return ErrProjectChanged
			}
		}
		res := tx.Model(&Project{}).Where("id = ? AND user_id = ?", p.ID, p.UserID).Updates(map[string]any{
			"name": p.Name, "description": p.Description, "data": p.Data,
			"company_intelligence_pack": p.CompanyIntelligencePack, "updated_at": time.Now().UTC(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrProjectChanged):
		return err
	case err != nil:
		return fmt.Errorf("update project: %w", err)
	}
	return nil
}

// ProjectForUser returns the project if the user owns it, else ErrNotFound.
func (db *DB) ProjectForUser(ctx context.Context, userID, id string) (*Project, error) {
	var p Project
	if !IsID(id) {
		return nil, ErrNotFound
	}
	if err := db.g.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// Projects lists the user's projects, most recently updated first.
func (db *DB) Projects(ctx context.Context, userID string) ([]Project, error) {
	var ps []Project
	err := db.g.WithContext(ctx).Where("user_id = ?", userID).Order("updated_at DESC").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return ps, nil
}

// ProjectDeleted is what DeleteProject removed with the project.
type ProjectDeleted struct {
	Name                string
	Runs, Notifications int64
}

// DeleteProject removes a project the user owns with everything that
// belongs to it: its runs and their documents' checkpoints, every version
// of its documents (the foreign keys cascade) and the notifications of its
// runs, which would otherwise point at nothing. A project with a queued or
// processing run answers *ActiveJobError: the run must be cancelled (or
// end) first, so that no worker writes into a project that is gone.
//
// The owner's row is locked first (every writer's order), then the
// project's: a run being created waits for it (its foreign key check takes
// the project's row), so the check for an active run holds until the
// commit. The removal leaves no rows to catch up from, so it moves the
// owner's position as a removal (removedFor): the owner's open tabs
// resync. Tell the user's streams once it returns.
func (db *DB) DeleteProject(ctx context.Context, userID, id string) (*ProjectDeleted, error) {
	return db.DeleteProjectIf(ctx, userID, id, "")
}

// DeleteProjectIf is DeleteProject when the project's fingerprint is still
// base (what the caller read), else ErrProjectChanged; an empty base
// deletes whatever the project holds.
func (db *DB) DeleteProjectIf(ctx context.Context, userID, id, base string) (*ProjectDeleted, error) {
	if !IsID(id) {
		return nil, ErrNotFound
	}
	out := &ProjectDeleted{}
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, db.Dialect, `?`, userID); err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		lock := ""
		if db.Dialect == Postgres {
			lock = " FOR UPDATE"
		}
		var cur []Project
		if err := tx.Raw(`SELECT * FROM projects WHERE id = ? AND user_id = ?`+lock, id, userID).Scan(&cur).Error; err != nil {
			return fmt.Errorf("lock project: %w", err)
		}
		if len(cur) == 0 {
			return ErrNotFound
		}
		out.Name = cur[0].Name
		if base != "" && cur[0].Fingerprint() != base {
			return ErrProjectChanged
		}
		var active []string
		if err := tx.Raw(`SELECT id FROM document_generation_jobs WHERE project_id = ? AND status IN ?`,
			id, []string{StatusQueued, StatusProcessing}).Scan(&active).Error; err != nil {
			return fmt.Errorf("active run: %w", err)
		}
		if len(active) > 0 {
			return &ActiveJobError{JobID: active[0]}
		}
		res := tx.Exec(`DELETE FROM notifications WHERE user_id = ? AND job_id IN (
			SELECT id FROM document_generation_jobs WHERE project_id = ?)`, userID, id)
		if res.Error != nil {
			return fmt.Errorf("delete notifications: %w", res.Error)
		}
		out.Notifications = res.RowsAffected
		if err := tx.Raw(`SELECT count(*) FROM document_generation_jobs WHERE project_id = ?`, id).Scan(&out.Runs).Error; err != nil {
			return fmt.Errorf("count runs: %w", err)
		}
		if err := tx.Exec(`DELETE FROM projects WHERE id = ? AND user_id = ?`, id, userID).Error; err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		return db.removedFor(tx, []string{userID})
	})
	var active *ActiveJobError
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrProjectChanged), errors.As(err, &active):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("delete project: %w", err)
	}
	return out, nil
}
