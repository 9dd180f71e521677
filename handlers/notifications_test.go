package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Issue 13 item 9: reading the page changes nothing, even a cross-site GET
// with the user's cookie; reads are marked by a POST with the CSRF token
// (the page script sends it), and a tab's acknowledgement marks one shown.
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
		// A screen reader hears the link's text, count included: no
		// aria-label replaces it, and the number on the bell is for the eye.
		bell := testID(doc, "bell")
		_, labelled := bell.Attr("aria-label")
		assert.False(t, labelled, "the bell's aria-label would hide its count")
		assert.Equal(t, "true", testID(doc, "bell-count").AttrOr("aria-hidden", ""))
		assert.Equal(t, "Notifications (2 unread)", spokenText(bell))

		resp := c.get(t, "/notifications")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc = page(t, resp)
		items := testID(doc, "notification")
		require.Equal(t, 2, items.Length())
		assert.Equal(t, "true", items.First().AttrOr("data-unread", ""))
		assert.Contains(t, items.First().Text(), "Generation failed: Beta", "newest first")
		assert.Equal(t, "/jobs/"+bad.ID, items.First().Find("a").AttrOr("href", ""))
		assert.Contains(t, items.Last().Find(".badge").Text(), "Completed")
		assert.Equal(t, "2", strings.TrimSpace(testID(doc, "bell-count").Text()), "loading the page marks nothing")
		assert.Equal(t, 1, doc.Find("[data-mark-read]").Length(), "the page script marks them read")

		// A cross-site page that loads /notifications with the user's
		// cookie changes nothing either.
		doc = page(t, c.get(t, "/notifications", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"))
		assert.Equal(t, "true", testID(doc, "notification").First().AttrOr("data-unread", ""))
		unread, err := b.db.CountUnread(t.Context(), c.user.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, unread, "a GET is safe")
		ns, err := b.db.Notifications(t.Context(), c.user.ID, 10)
		require.NoError(t, err)
		for _, n := range ns {
			assert.Nil(t, n.ShownAt, "a page load does not mark an announcement shown")
		}

		// The POST needs the CSRF token.
		assert.Equal(t, http.StatusForbidden, c.do(t, http.MethodPost, "/notifications/read", nil).StatusCode)
		assert.Equal(t, http.StatusForbidden, c.do(t, http.MethodPost, "/notifications/"+ns[0].ID+"/shown", nil).StatusCode)
		assert.Equal(t, http.StatusNoContent, c.do(t, http.MethodPost, "/notifications/"+ns[0].ID+"/shown", nil, "X-CSRF-Token", c.csrf).StatusCode)
		o := b.user(t)
		assert.Equal(t, http.StatusNoContent, o.do(t, http.MethodPost, "/notifications/"+ns[1].ID+"/shown", nil, "X-CSRF-Token", o.csrf).StatusCode)
		ns, err = b.db.Notifications(t.Context(), c.user.ID, 10)
		require.NoError(t, err)
		assert.NotNil(t, ns[0].ShownAt, "acknowledged")
		assert.Nil(t, ns[1].ShownAt, "another user cannot acknowledge it")

		resp = c.postForm(t, "/notifications/read", nil)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the form goes back to the page")
		doc = page(t, c.get(t, "/notifications"))
		assert.Equal(t, "false", testID(doc, "notification").First().AttrOr("data-unread", ""))
		assert.Contains(t, testID(doc, "bell-count").AttrOr("class", ""), "hidden")
		assert.Equal(t, "Notifications", spokenText(testID(doc, "bell")), "nothing unread, nothing said")
		assert.Equal(t, 0, doc.Find("[data-mark-read]").Length())

		assert.Equal(t, 1, testID(page(t, b.user(t).get(t, "/notifications")), "empty-state").Length())
	})
}

// spokenText is the text of the selection without what is hidden from
// screen readers (aria-hidden, hidden), its white space collapsed.
func spokenText(sel *goquery.Selection) string {
	c := sel.Clone()
	c.Find(`[aria-hidden="true"], .hidden, [hidden]`).Remove()
	return strings.Join(strings.Fields(c.Text()), " ")
}
