package handlers

import (
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// A form posted without htmx (scripts off) is answered with a redirect; what
// the action did, or why it was refused, travels to the page it lands on in
// a flash cookie, read once. htmx requests get the message in the fragment
// instead.

const flashCookie = "dossier_flash"

// maxFlash bounds a flash message, so that the cookie stays well under the
// browsers' 4 KB.
const maxFlash = 1500

// setFlash keeps msg for the next page under path.
func (s *Server) setFlash(c *fiber.Ctx, path, msg string) {
	if len(msg) > maxFlash {
		cut := maxFlash
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	c.Cookie(&fiber.Cookie{
		Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: path,
		MaxAge: 60, HTTPOnly: true, Secure: s.cfg.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// takeFlash returns the flash message for this page, if any, and clears it.
func (s *Server) takeFlash(c *fiber.Ctx, path string) string {
	v := c.Cookies(flashCookie)
	if v == "" {
		return ""
	}
	c.Cookie(&fiber.Cookie{
		Name: flashCookie, Value: "", Path: path, Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.cfg.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(b) {
		return ""
	}
	return string(b)
}
