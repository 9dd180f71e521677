package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// The cleanup skips the rows another transaction holds (a retry, a tab
// marking a notification read), and a batch that skipped some, or all, is
// not its last: the rest of the old rows are removed in the same run, not
// the next day. Batches of 2 over 4 old rows; the two rows held are the
// first the candidates' query meets in either order it may read them
// (first written, and the oldest jobs or the newest notifications, as
// their indexes run), so that they fill the first batch.
func TestCleanupGoesOnPastASkippedRow(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.Postgres)
	ctx := context.Background()
	g := db.ForTests()
	u, err := db.CreateUser(ctx, "skipped@example.com", "S", "x")
	require.NoError(t, err)
	old := time.Now().Add(-800 * time.Hour)
	var jobs []string
	for i := range 4 {
		p := newProject(t, db, u.ID)
		j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, MaxRetries: 3})
		require.NoError(t, err)
		require.NoError(t, g.Exec(`UPDATE document_generation_jobs SET status = 'completed', completed_at = ? WHERE id = ?`,
			old.Add(time.Duration(i)*time.Minute), j.ID).Error)
		require.NoError(t, g.Exec(`INSERT INTO notifications (id, user_id, kind, title, created_at, read_at) VALUES (?, ?, 'job_completed', 'Old', ?, ?)`,
			uuidString(i), u.ID, old.Add(-time.Duration(i)*time.Minute), old).Error)
		jobs = append(jobs, j.ID)
	}
	cutoff := time.Now().Add(-720 * time.Hour)

	for _, tc := range []struct {
		name  string
		table string
		held  []string
		run   func() (int64, []string, error)
	}{
		{"jobs", "document_generation_jobs", jobs[:2], func() (int64, []string, error) { return db.DeleteFinishedJobs(ctx, cutoff, 2) }},
		{"notifications", "notifications", []string{uuidString(0), uuidString(1)}, func() (int64, []string, error) { return db.DeleteOldNotifications(ctx, cutoff, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hold := g.Begin()
			require.NoError(t, hold.Error)
			defer hold.Rollback()
			require.NoError(t, hold.Exec(`SELECT 1 FROM `+tc.table+` WHERE id IN ? FOR UPDATE`, tc.held).Error)

			n, owners, err := tc.run()
			require.NoError(t, err)
			assert.EqualValues(t, 2, n, "both rows nobody holds are removed in this run")
			assert.Equal(t, []string{u.ID}, owners)
			var left []string
			require.NoError(t, g.Raw(`SELECT id FROM `+tc.table+` WHERE user_id = ?`, u.ID).Scan(&left).Error)
			assert.ElementsMatch(t, tc.held, left, "only the held rows wait for the next run")
		})
	}
}

func uuidString(i int) string {
	return "00000000-0000-4000-8000-00000000000" + string(rune('1'+i))
}
