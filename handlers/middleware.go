package handlers

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"dossier/models"
)

const sessionCookie = "dossier_session"

const (
	localUser    = "user"
	localSession = "session"
	localCookie  = "session_cookie"
)

// currentUser is the signed-in user (session cookie or bearer token), or nil.
func currentUser(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localUser).(*models.User)
	return u
}

// currentSession is the cookie session, or nil for bearer-token requests.
func currentSession(c *fiber.Ctx) *models.Session {
	s, _ := c.Locals(localSession).(*models.Session)
	return s
}

// authenticate resolves the caller from `Authorization: Bearer` or the
// session cookie. A bad bearer token is a 401; a stale cookie is ignored,
// and so is an Authorization header of another scheme (Basic, from a proxy
// in front, say): the request goes on as one without it, and requireUser
// refuses it where a user is needed.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if token, bearer := bearerToken(c.Get(fiber.HeaderAuthorization)); bearer {
		if token == "" {
			return errNotBearer
		}
		u, err := s.db.UserByAPIToken(ctx, token)
		if errors.Is(err, models.ErrNotFound) {
			return &Error{Status: fiber.StatusUnauthorized, Code: "unauthorized", Message: "the API token is invalid or revoked"}
		}
		if err != nil {
			return err
		}
		c.Locals(localUser, u)
		return c.Next()
	}
	if cookie := c.Cookies(sessionCookie); cookie != "" {
		sess, u, err := s.db.SessionByCookie(ctx, cookie)
		switch {
		case err == nil:
			c.Locals(localUser, u)
			c.Locals(localSession, sess)
			c.Locals(localCookie, strings.Clone(cookie))
		case errors.Is(err, models.ErrNotFound):
			s.clearSessionCookie(c)
		default:
			return err
		}
	}
	return c.Next()
}

// bearerToken reads an Authorization header: whether its scheme is Bearer,
// which RFC 7235 compares without regard to case (bearer, BEARER), and if
// so its token.
func bearerToken(h string) (token string, bearer bool) {
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

var errNotBearer = &Error{Status: fiber.StatusUnauthorized, Code: "unauthorized", Message: "Authorization must be \"Bearer <token>\""}

// csrf refuses unsafe requests that a browser sent from another site (log-in
// and sign-up included, which have no session yet), then cookie-authenticated
// ones without the session's
// token, sent by htmx in the X-CSRF-Token header (hx-headers) or by plain
// forms in the _csrf field, URL-encoded or multipart (the document editor's):
// c.FormValue reads both. Bearer requests need none: browsers never send
// them on their own. They do send Basic credentials on their own, so a
// request with another scheme is checked like any other.
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if _, bearer := bearerToken(c.Get(fiber.HeaderAuthorization)); !bearer && crossOrigin(c) {
		return errCrossOrigin
	}
	sess := currentSession(c)
	if sess == nil {
		return c.Next()
	}
	token := c.Get("X-CSRF-Token")
	if token == "" {
		token = c.FormValue("_csrf")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRFToken)) != 1 {
		return &Error{Status: fiber.StatusForbidden, Code: "csrf_failed", Message: "the form expired or the CSRF token is missing; reload the page and try again"}
	}
	return c.Next()
}

var errCrossOrigin = &Error{Status: fiber.StatusForbidden, Code: "cross_origin", Message: "cross-site form posts are refused; open Dossier itself and try again"}

// crossOrigin reports whether a browser sent the request from another
// origin, as Go's net/http CrossOriginProtection decides it: browsers since
// 2023 send Sec-Fetch-Site, and only "same-origin" and "none" (typed, a
// bookmark) pass; older ones send Origin on every POST, which must name this
// host. A request with neither is not from a browser (curl, scripts).
func crossOrigin(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default: // cross-site, same-site (a sibling subdomain)
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" { // "null": sandboxed frames, some redirects
		return true
	}
	return !strings.EqualFold(u.Host, c.Hostname())
}

// requireUser stops anonymous requests: 401 JSON for the API, a redirect to
// the login page for pages. An API request that sent credentials of
// another scheme is told which one the API takes.
//
// An htmx request gets a 401 with HX-Redirect, whose next= is the page the
// request came from (HX-Current-URL), not the request's own URL: that is a
// fragment or a POST-only action (the editor's /preview, a job's /cancel),
// which the log-in would land on as a 405 or a bare fragment. app.js keeps
// a page with unsaved edits in place instead of following it. A plain form
// POST (no htmx) is redirected the same way, to the page it was sent from
// (its Referer, on this site; else the home page): a POST URL is no page to
// come back to.
func (s *Server) requireUser(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Next()
	}
	if wantsJSON(c) { // the API, and streams (Accept: text/event-stream)
		if c.Get(fiber.HeaderAuthorization) != "" {
			return errNotBearer
		}
		return ErrUnauthorized
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", loginURL(htmxPage(c)))
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		return c.Redirect(loginURL(sitePage(c, c.Get(fiber.HeaderReferer))), fiber.StatusSeeOther)
	}
	return c.Redirect(loginURL(c.OriginalURL()), fiber.StatusSeeOther)
}

// loginURL is the log-in page that brings the user back to next, a local
// path; without one the log-in goes to its default.
func loginURL(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// htmxPage is the path and query of the page an htmx request was sent
// from (its HX-Current-URL), when that page is on this site; else "".
func htmxPage(c *fiber.Ctx) string { return sitePage(c, c.Get("HX-Current-URL")) }

// sitePage is the path and query of the absolute URL raw (a page a request
// says it came from), when that page is on this site; else "".
func sitePage(c *fiber.Ctx, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, c.Hostname()) ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	next := u.EscapedPath()
	if u.RawQuery != "" {
		next += "?" + u.RawQuery
	}
	if localPath(next) != next {
		return ""
	}
	return next
}

// rateLimit limits requests per key (the IP by default) and window.
func rateLimit(max int, window time.Duration, key func(*fiber.Ctx) string) fiber.Handler {
	cfg := limiter.Config{
		Max:        max,
		Expiration: window,
		LimitReached: func(c *fiber.Ctx) error {
			return &Error{Status: fiber.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts; wait a minute and try again"}
		},
	}
	if key != nil {
		cfg.KeyGenerator = key
	}
	return limiter.New(cfg)
}

func (s *Server) setSessionCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: s.cfg.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.cfg.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}
