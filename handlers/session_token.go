package handlers

import "github.com/gofiber/fiber/v2"

// SessionRoutes registers what a page asks of its session.
func (s *Server) SessionRoutes(r fiber.Router) {
	r.Get("/session/csrf", s.sessionCSRF)
}

// sessionCSRF is GET /session/csrf: the CSRF token of the request's
// session. A page kept open across the end of its session (it held unsaved
// edits) carries the ended session's token; once the user has logged in
// again in another tab, the page asks for the new session's before it
// posts, so that its save is not refused as a forged one. Only a page of
// this origin can read the answer (plain text: a page's helper, not the
// API); a request without a session (a bearer token) gets an empty token,
// which it never needs.
func (s *Server) sessionCSRF(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	token := ""
	if sess := currentSession(c); sess != nil {
		token = sess.CSRFToken
	}
	c.Type("txt", "utf-8")
	return c.SendString(token)
}
