package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/views/pages"
)

// NotificationRoutes registers the notifications page and the two writes
// on notifications. Reading the page changes nothing (a GET is safe, even
// a cross-site one): the page script marks them read with a POST, and a
// tab acknowledges each announcement it has shown.
func (s *Server) NotificationRoutes(r fiber.Router) {
	r.Get("/notifications", s.notificationsPage)
	r.Post("/notifications/read", s.markNotificationsRead)
	r.Post("/notifications/:id/shown", s.ackNotification)
}

// notificationsPage lists the user's notifications; unread ones are marked
// "new".
func (s *Server) notificationsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ns, err := s.db.Notifications(c.UserContext(), u.ID, 100)
	if err != nil {
		return err
	}
	now := time.Now()
	var vm pages.NotificationsVM
	for _, n := range ns {
		title, body, link := notificationWords(n)
		vm.Items = append(vm.Items, pages.NotificationItem{
			ID: n.ID, Kind: n.Kind, Title: title, Body: body, Link: link,
			When: relTime(n.CreatedAt, now), WhenAt: exactTime(n.CreatedAt), WhenISO: n.CreatedAt.UTC().Format(time.RFC3339),
			Unread: n.ReadAt == nil,
		})
		vm.Unread = vm.Unread || n.ReadAt == nil
	}
	vm.CSRF = csrfToken(c)
	return s.page(c, "Notifications", "", pages.Notifications(vm))
}

// markNotificationsRead is POST /notifications/read: every notification of
// the user is read. The bell follows over the stream. A form post goes back
// to the page.
func (s *Server) markNotificationsRead(c *fiber.Ctx) error {
	u := currentUser(c)
	if err := s.db.MarkAllRead(c.UserContext(), u.ID, time.Now()); err != nil {
		return err
	}
	s.publishUser(u.ID)
	if c.Get("HX-Request") == "true" || c.Get("X-CSRF-Token") != "" {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

// ackNotification is POST /notifications/:id/shown: a tab showed the
// announcement. The first acknowledgement marks it shown, and the other
// tabs, told over their streams, drop theirs. 204 either way; another
// user's notification is left alone.
func (s *Server) ackNotification(c *fiber.Ctx) error {
	u := currentUser(c)
	first, err := s.db.AckShown(c.UserContext(), u.ID, c.Params("id"), time.Now())
	if err != nil {
		return err
	}
	if first {
		s.publishUser(u.ID)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
