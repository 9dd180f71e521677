package handlers

import "github.com/gofiber/fiber/v2"

// DashboardRoutes registers the routes of this resource.
func (s *Server) DashboardRoutes(r fiber.Router) {}
