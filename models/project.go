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

// CreateProject stores a new project for the user.
func (db *DB) CreateProject(ctx context.Context, p *Project) error {
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	if err := db.g.WithContext(ctx).Create(p).Error; err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	return nil
}

// UpdateProject saves a project the user owns. A save that changes its
// name, description, data or company pack moves the user's sync position
// (migration 00018): tell the user's streams once it returns. The owner's
// row is locked before the project's, the order every writer keeps (see
// lockProjectVersions): the trigger takes it while the update holds the
// project's row, and the group commit takes the two the other way round.
func (db *DB) UpdateProject(ctx context.Context, p *Project) error {
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, db.Dialect, `?`, p.UserID); err != nil {
			return fmt.Errorf("lock user: %w", err)
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
	case errors.Is(err, ErrNotFound):
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
