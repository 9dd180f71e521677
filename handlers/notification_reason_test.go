package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// A failed job's notification says why it failed, in the plain sentence
// the job page shows, before the count: the toast's data-body (which
// app.js gives the browser Notification as its body) and the
// notifications page. Never the provider's text.
func TestFailedNotificationSaysWhy(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		c := b.user(t)
		ctx := context.Background()
		c.job(t, c.project(t, "Broken provider"), "project_charter", "scope_statement")
		js, err := b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
		require.NoError(t, err)
		require.Len(t, js, 1)
		why := documents.Explain(&documents.ProviderError{Status: http.StatusBadGateway}).Summary
		fail := func(typ string) models.DocumentFailure {
			return models.DocumentFailure{Type: typ, Attempts: 3, Summary: why,
				Error: "openai: the provider answered 502 Bad Gateway: upstream connect error req-99f1"}
		}
		_, err = b.db.FinishJob(ctx, js[0].Lease(), models.Outcome{Status: models.StatusFailed, Notify: models.NotifyFailed, Now: time.Now(),
			Failures: []models.DocumentFailure{fail("project_charter"), fail("scope_statement")}})
		require.NoError(t, err)

		want := why + " 0 of 2 documents generated."
		toast := testID(page(t, c.get(t, "/projects")), "toast")
		require.Equal(t, 1, toast.Length(), "the next page announces the failure")
		assert.Equal(t, want, toast.AttrOr("data-body", ""), "the browser notification's body: why, once for both documents, then the count")
		assert.Contains(t, collapse(toast.Text()), want)
		list := collapse(testID(page(t, c.get(t, "/notifications")), "notification-list").Text())
		assert.Contains(t, list, want)
		for _, text := range []string{toast.AttrOr("data-body", ""), list} {
			assert.NotContains(t, text, "upstream connect error", "the provider's text is the job page's technical detail")
		}
	})
}
