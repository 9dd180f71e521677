package events

import (
	"context"
	"time"

	"dossier/models"
)

// RecentUserJobs is the UserJobs a resync needs: the user's active jobs and
// those that changed in the last hour (one may have ended while the bridge
// was disconnected).
func RecentUserJobs(db *models.DB) UserJobs {
	return func(ctx context.Context, userID string) ([]string, error) {
		js, err := db.Jobs(ctx, userID, models.JobFilter{Limit: 50})
		if err != nil {
			return nil, err
		}
		since := time.Now().Add(-time.Hour)
		ids := make([]string, 0, len(js))
		for _, j := range js {
			if j.Active() || j.UpdatedAt.After(since) {
				ids = append(ids, j.ID)
			}
		}
		return ids, nil
	}
}
