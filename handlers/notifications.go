package handlers

import "github.com/gofiber/fiber/v2"

// NotificationRoutes registers the routes of this resource.
func (s *Server) NotificationRoutes(r fiber.Router) {}
