package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Instance is a running Dossier process as its heartbeat row records it.
// Its ID is the worker name that a job's locked_by carries, so the console
// can tell which instances hold leases.
type Instance struct {
	ID        string `gorm:"primaryKey"`
	Role      string
	Version   string
	StartedAt time.Time
	LastSeen  time.Time
}

// TouchInstance records that the instance is alive: it inserts its row or
// renews last_seen, and drops the rows of instances not seen since before
// deadBefore (crashed processes never delete their own). One transaction,
// one commit.
func (db *DB) TouchInstance(ctx context.Context, in Instance, deadBefore time.Time) error {
	in.StartedAt, in.LastSeen = in.StartedAt.UTC(), in.LastSeen.UTC()
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"last_seen", "role", "version"}),
		}).Create(&in).Error; err != nil {
			return err
		}
		return tx.Where("last_seen < ? AND id <> ?", deadBefore.UTC(), in.ID).Delete(&Instance{}).Error
	})
	if err != nil {
		return fmt.Errorf("touch instance: %w", err)
	}
	return nil
}

// RemoveInstance deletes the instance's row: a clean stop leaves the list at
// once instead of after the timeout.
func (db *DB) RemoveInstance(ctx context.Context, id string) error {
	if err := db.g.WithContext(ctx).Where("id = ?", id).Delete(&Instance{}).Error; err != nil {
		return fmt.Errorf("remove instance: %w", err)
	}
	return nil
}

// InstanceLeases is an alive instance with the number of running jobs whose
// lease it holds.
type InstanceLeases struct {
	Instance
	Leases int
}

// AliveInstances lists the instances seen since aliveSince, oldest first,
// with the leases each holds (now decides which leases are still valid).
func (db *DB) AliveInstances(ctx context.Context, aliveSince, now time.Time) ([]InstanceLeases, error) {
	var out []InstanceLeases
	err := db.g.WithContext(ctx).Raw(`SELECT i.id, i.role, i.version, i.started_at, i.last_seen,
		    (SELECT count(*) FROM document_generation_jobs j
		     WHERE j.locked_by = i.id AND j.status = 'processing' AND j.lease_expires_at > ?) AS leases
		FROM instances i WHERE i.last_seen >= ? ORDER BY i.started_at, i.id`, now.UTC(), aliveSince.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("alive instances: %w", err)
	}
	return out, nil
}
