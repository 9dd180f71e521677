package handlers

import "github.com/gofiber/fiber/v2"

// CatalogRoutes registers the routes of this resource.
func (s *Server) CatalogRoutes(r fiber.Router) {}
