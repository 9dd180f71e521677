package handlers

import (
	"net/http"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
)

// followFlash follows a redirect that left a flash message, as a browser
// does (with the flash cookie), and returns the page it lands on. The page
// must clear the cookie: the message is shown once.
func (c *client) followFlash(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	var flash *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == flashCookie {
			flash = k
		}
	}
	require.NotNil(t, flash, "the redirect sets a flash cookie")
	require.Equal(t, resp.Header.Get("Location"), flash.Path, "the flash is for the page the redirect names")
	landed := c.get(t, resp.Header.Get("Location"), "Cookie", sessionCookie+"="+c.cookie+"; "+flashCookie+"="+flash.Value)
	require.Equal(t, http.StatusOK, landed.StatusCode)
	cleared := false
	for _, k := range landed.Cookies() {
		expired := k.MaxAge < 0 || (!k.Expires.IsZero() && k.Expires.Before(time.Now()))
		cleared = cleared || (k.Name == flashCookie && k.Value == "" && expired)
	}
	require.True(t, cleared, "the page clears the flash it showed")
	return page(t, landed)
}
