package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"dossier/views/layouts"
	"dossier/views/pages"
)

// render writes a templ component as HTML.
func render(c *fiber.Ctx, component templ.Component) error {
	c.Type("html", "utf-8")
	return component.Render(c.UserContext(), c.Response().BodyWriter())
}

// isPartial reports whether htmx asked for a fragment rather than a page.
func isPartial(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true"
}

// page renders body inside the base layout, or alone for a non-boosted htmx
// request.
func (s *Server) page(c *fiber.Ctx, title, nav string, body templ.Component) error {
	return s.pageIn(c, title, nav, false, body)
}

// widePage is page with a wider main column, for documents: their tables
// fit a laptop's screen beside the page's sidebar.
func (s *Server) widePage(c *fiber.Ctx, title, nav string, body templ.Component) error {
	return s.pageIn(c, title, nav, true, body)
}

func (s *Server) pageIn(c *fiber.Ctx, title, nav string, wide bool, body templ.Component) error {
	if isPartial(c) {
		return render(c, body)
	}
	p := s.layout(c, title, nav)
	p.Wide = wide
	return render(c, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return layouts.Base(p).Render(templ.WithChildren(ctx, body), w)
	}))
}

// layout builds the base layout's view model for the current user: the live
// badge, the bell, toasts for what no tab has shown yet, and the page's
// stream URL, which resumes from the position read before the page's data.
func (s *Server) layout(c *fiber.Ctx, title, nav string) layouts.Page {
	p := layouts.Page{Title: title, Nav: nav}
	u := currentUser(c)
	if u == nil {
		return p
	}
	ctx := c.UserContext()
	p.User = &layouts.User{Name: u.Name, Email: u.Email, Admin: u.IsAdmin}
	if sess := currentSession(c); sess != nil {
		p.CSRF = sess.CSRFToken
	}
	active, errActive := s.db.CountActiveJobs(ctx, u.ID)
	p.Badge = badgeComponent(active)
	unread, errUnread := s.db.CountUnread(ctx, u.ID)
	p.Unread = unread
	unshown, errUnshown := s.db.Unshown(ctx, u.ID)
	for _, n := range unshown {
		p.Toasts = append(p.Toasts, notificationToast(n))
	}
	if err := errors.Join(errActive, errUnread, errUnshown); err != nil {
		// The page still renders, without the header's state it could
		// not read; its stream then starts with a resync, which sends
		// the badge, the bell and the announcements no tab has shown
		// (from the page's position, they would never come).
		slog.Warn("page header state", "path", c.Path(), "err", err)
		c.Locals(localPosition, nil)
	}
	p.Stream = streamURL(c)
	return p
}

// renderError renders an error page (or fragment for htmx).
func (s *Server) renderError(c *fiber.Ctx, e *Error) error {
	body := pages.Error(pages.ErrorVM{Status: e.Status, Message: e.Message})
	if isPartial(c) {
		return render(c, body)
	}
	return s.page(c, "Error", "", body)
}
