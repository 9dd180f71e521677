package handlers

import "github.com/gofiber/fiber/v2"

// JobPageRoutes registers the job pages.
func (s *Server) JobPageRoutes(r fiber.Router) {}
