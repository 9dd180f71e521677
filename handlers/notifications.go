package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/views/pages"
)

// NotificationRoutes registers the notifications page.
func (s *Server) NotificationRoutes(r fiber.Router) {
	r.Get("/notifications", s.notificationsPage)
}

// notificationsPage lists the user's notifications and marks them all read;
// those that were unread stay marked "new" on this rendering, and the bell
// in the layout (rendered after the mark) shows none.
func (s *Server) notificationsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	ns, err := s.db.Notifications(ctx, u.ID, 100)
	if err != nil {
		return err
	}
	now := time.Now()
	var vm pages.NotificationsVM
	unread := false
	for _, n := range ns {
		vm.Items = append(vm.Items, pages.NotificationItem{
			ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link,
			When: relTime(n.CreatedAt, now), WhenAt: exactTime(n.CreatedAt), Unread: n.ReadAt == nil,
		})
		unread = unread || n.ReadAt == nil
	}
	if unread {
		if err := s.db.MarkAllRead(ctx, u.ID, now); err != nil {
			return err
		}
	}
	return s.page(c, "Notifications", "", pages.Notifications(vm))
}
