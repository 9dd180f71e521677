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

// A page announces the newest unshown notifications, oldest of them first,
// as a resync does: it announced the oldest twenty and left out the
// latest news. A shown one is not listed.
func TestUnshownListsTheNewest(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := models.Open(ctx, modelstest.URL(t, d))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			u, err := db.CreateUser(ctx, "unshown-page@example.com", "Una", "x")
			require.NoError(t, err)
			start := time.Now().UTC().Add(-time.Hour)
			var ids []string
			for i := range models.UnshownLimit + 3 {
				id := uuid.NewString()
				require.NoError(t, db.ForTests().Exec(`INSERT INTO notifications (id, user_id, kind, title, created_at) VALUES (?, ?, ?, '', ?)`,
					id, u.ID, models.NotifyCompleted, start.Add(time.Duration(i)*time.Second)).Error)
				ids = append(ids, id)
			}
			newest := ids[len(ids)-1]
			ok, err := db.AckShown(ctx, u.ID, newest, time.Now())
			require.NoError(t, err)
			require.True(t, ok)

			ns, err := db.Unshown(ctx, u.ID)
			require.NoError(t, err)
			var got []string
			for _, n := range ns {
				got = append(got, n.ID)
			}
			// 22 unshown: the newest 20 of them, the shown one left out.
			want := ids[len(ids)-1-models.UnshownLimit : len(ids)-1]
			assert.Equal(t, want, got, "the newest unshown, oldest of them first")
		})
	}
}
