package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// Deleting a project removes its runs, their checkpoints, every version of
// its documents and its runs' notifications, and moves the owner's
// position as a removal (a tab behind it resyncs); a project with an
// active run is refused with the run's id, and another user's project is
// not found.
func TestDeleteProject(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			db := modelstest.Open(t, d)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Ada", "x")
			require.NoError(t, err)
			other, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Bob", "x")
			require.NoError(t, err)
			p := newProject(t, db, u.ID)
			kept := newProject(t, db, u.ID)

			// A run that ends with a document and a notification.
			j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, MaxRetries: 1})
			require.NoError(t, err)
			now := time.Now()
			claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 1, Lease: time.Minute, Now: now})
			require.NoError(t, err)
			require.Len(t, claimed, 1)

			_, err = db.DeleteProject(ctx, u.ID, p.ID)
			var active *models.ActiveJobError
			require.ErrorAs(t, err, &active, "a project with a running job is not deleted")
			assert.Equal(t, j.ID, active.JobID)

			lease := claimed[0].Lease()
			_, _, err = db.CommitDocument(ctx, lease, models.DocumentResult{Type: "project_charter", Title: "Charter", Markdown: "# C",
				Attempts: 1, StartedAt: now, FinishedAt: now.Add(time.Second)})
			require.NoError(t, err)
			_, err = db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: now.Add(2 * time.Second), Notify: models.NotifyCompleted})
			require.NoError(t, err)
			// A job of the kept project, and its notification, stay.
			jk, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: kept.ID, Documents: []string{"project_charter"}})
			require.NoError(t, err)

			_, err = db.DeleteProject(ctx, other.ID, p.ID)
			require.ErrorIs(t, err, models.ErrNotFound, "another user's project")
			_, err = db.DeleteProject(ctx, u.ID, "not-an-id")
			require.ErrorIs(t, err, models.ErrNotFound)

			_, err = db.DeleteProjectIf(ctx, u.ID, p.ID, "a fingerprint read before a save")
			require.ErrorIs(t, err, models.ErrProjectChanged, "only the state the caller read is deleted")

			before, err := db.SyncPosition(ctx, u.ID)
			require.NoError(t, err)
			del, err := db.DeleteProjectIf(ctx, u.ID, p.ID, p.Fingerprint())
			require.NoError(t, err)
			assert.Equal(t, p.Name, del.Name)
			assert.Equal(t, int64(1), del.Runs)
			assert.Equal(t, int64(1), del.Notifications)

			_, err = db.ProjectForUser(ctx, u.ID, p.ID)
			require.ErrorIs(t, err, models.ErrNotFound)
			_, err = db.JobByID(ctx, j.ID)
			require.ErrorIs(t, err, models.ErrNotFound)
			count := func(q string, args ...any) int64 {
				var n int64
				require.NoError(t, db.ForTests().Raw(q, args...).Scan(&n).Error)
				return n
			}
			assert.Zero(t, count(`SELECT count(*) FROM artifacts WHERE project_id = ?`, p.ID), "its versions")
			assert.Zero(t, count(`SELECT count(*) FROM job_documents WHERE job_id = ?`, j.ID), "its checkpoints")
			assert.Zero(t, count(`SELECT count(*) FROM notifications WHERE job_id = ?`, j.ID), "its notifications")
			_, err = db.ProjectForUser(ctx, u.ID, kept.ID)
			require.NoError(t, err, "the other project stays")
			_, err = db.JobByID(ctx, jk.ID)
			require.NoError(t, err)

			after, err := db.SyncPosition(ctx, u.ID)
			require.NoError(t, err)
			assert.Greater(t, after, before, "a deletion moves the position")
			st, err := db.SyncSince(ctx, u.ID, before)
			require.NoError(t, err)
			assert.True(t, st.Reset, "a tab from before the deletion resyncs")
			a, err := db.ProjectActivity(ctx, u.ID, p.ID)
			require.NoError(t, err)
			assert.True(t, a.Gone, "the deleted project's page learns it is gone")
			a, err = db.ProjectActivity(ctx, u.ID, kept.ID)
			require.NoError(t, err)
			assert.False(t, a.Gone)

			_, err = db.DeleteProject(ctx, u.ID, p.ID)
			require.ErrorIs(t, err, models.ErrNotFound, "deleted twice")
		})
	}
}

// A save based on a fingerprint the project no longer has is refused, and
// stores nothing; one based on the current fingerprint, or on none, saves.
func TestUpdateProjectIf(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			db := modelstest.Open(t, d)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Ada", "x")
			require.NoError(t, err)
			p := newProject(t, db, u.ID)
			read := p.Fingerprint()

			first := *p
			first.Name = "First"
			require.NoError(t, db.UpdateProjectIf(ctx, &first, read))
			second := *p
			second.Name = "Second"
			require.ErrorIs(t, db.UpdateProjectIf(ctx, &second, read), models.ErrProjectChanged, "based on what it read before the first save")
			got, err := db.ProjectForUser(ctx, u.ID, p.ID)
			require.NoError(t, err)
			assert.Equal(t, "First", got.Name, "the refused save stored nothing")

			require.NoError(t, db.UpdateProjectIf(ctx, &second, got.Fingerprint()))
			third := *p
			third.Name = "Third"
			require.NoError(t, db.UpdateProjectIf(ctx, &third, ""), "no base: saves over anything")
			got, err = db.ProjectForUser(ctx, u.ID, p.ID)
			require.NoError(t, err)
			assert.Equal(t, "Third", got.Name)

			gone := *p
			gone.ID = uuid.NewString()
			require.ErrorIs(t, db.UpdateProjectIf(ctx, &gone, read), models.ErrNotFound)
		})
	}
}
