package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The user menu links to the operator console for an administrator only,
// from the request after a promotion, and no longer after a demotion.
func TestUserMenuLinksAdminsToTheConsole(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		user, admin := b.user(t), b.admin(t)
		menu := func(c *client, path string) (links int, href string) {
			t.Helper()
			resp := c.get(t, path)
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			link := testID(page(t, resp), "user-menu").Find(`[data-testid="admin-link"]`)
			return link.Length(), link.AttrOr("href", "")
		}
		for _, path := range []string{"/", "/projects", "/jobs", "/settings/tokens"} {
			n, href := menu(admin, path)
			assert.Equal(t, 1, n, "an admin's menu on %s", path)
			assert.Equal(t, "/admin", href, path)
			n, _ = menu(user, path)
			assert.Equal(t, 0, n, "a user's menu on %s", path)
		}

		_, err := b.db.SetAdmin(context.Background(), user.user.Email, true)
		require.NoError(t, err)
		n, _ := menu(user, "/")
		assert.Equal(t, 1, n, "promoted")
		_, err = b.db.SetAdmin(context.Background(), user.user.Email, false)
		require.NoError(t, err)
		n, _ = menu(user, "/")
		assert.Equal(t, 0, n, "demoted")
	})
}
