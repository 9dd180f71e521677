package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The Projects list and the dashboard say when a project last changed as
// the rest of the app does ("2 Jan 2006, 15:04 UTC", what its page says),
// in a <time datetime> that app.js writes in the browser's zone: not a
// bare date in one place and a minute in another.
func TestProjectUpdatedTimesUseTheAppsFormat(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil)
	c := b.user(t)
	p := c.project(t, "Relaunch")
	stored, err := b.db.ProjectForUser(context.Background(), c.user.ID, p.ID)
	require.NoError(t, err)
	want := stored.UpdatedAt.UTC().Format("2 Jan 2006, 15:04 UTC")
	wantISO := stored.UpdatedAt.UTC().Truncate(time.Minute).Format(time.RFC3339)

	for _, tc := range []struct{ path, item string }{
		{"/projects", "project-item"},
		{"/", "dashboard-project"},
		{"/projects/" + p.ID, "project-updated"},
	} {
		doc := page(t, c.get(t, tc.path))
		item := testID(doc, tc.item)
		require.Equal(t, 1, item.Length(), "%s: %s", tc.path, tc.item)
		tm := item.Find("time")
		require.Equal(t, 1, tm.Length(), "%s: the update time is a <time>", tc.path)
		assert.Equal(t, want, strings.TrimSpace(tm.Text()), "%s", tc.path)
		assert.Equal(t, wantISO, tm.AttrOr("datetime", ""), "%s", tc.path)
	}
}
