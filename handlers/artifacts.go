package handlers

import "github.com/gofiber/fiber/v2"

// ArtifactRoutes registers the routes of this resource.
func (s *Server) ArtifactRoutes(r fiber.Router) {}
