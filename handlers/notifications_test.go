package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestNotificationsPageListsAndMarksRead(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ok := c.job(t, c.project(t, "Alpha"), "project_charter")
		b.run(t, ok, []string{"project_charter"}, models.StatusCompleted)
		bad := c.job(t, c.project(t, "Beta"), "project_charter")
		b.run(t, bad, nil, models.StatusFailed, "project_charter")

		doc := page(t, c.get(t, "/projects"))
		assert.Equal(t, "2", strings.TrimSpace(testID(doc, "bell-count").Text()), "the bell counts the unread")

		resp := c.get(t, "/notifications")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		items := testID(doc, "notification")
		require.Equal(t, 2, items.Length())
		assert.Equal(t, "true", items.First().AttrOr("data-unread", ""))
		assert.Contains(t, items.First().Text(), "Job failed", "newest first")
		assert.Equal(t, "/jobs/"+bad.ID, items.First().Find("a").AttrOr("href", ""))
		assert.Contains(t, items.Last().Find(".badge").Text(), "Completed")
		_, hidden := testID(doc, "bell-count").Attr("class")
		assert.True(t, hidden)
		assert.Contains(t, testID(doc, "bell-count").AttrOr("class", ""), "hidden", "visiting marks them read")

		doc = page(t, c.get(t, "/notifications"))
		assert.Equal(t, "false", testID(doc, "notification").First().AttrOr("data-unread", ""))

		assert.Equal(t, 1, testID(page(t, b.user(t).get(t, "/notifications")), "empty-state").Length())
	})
}
