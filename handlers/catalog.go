package handlers

import (
	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
)

// CatalogRoutes registers the document type catalog.
func (s *Server) CatalogRoutes(r fiber.Router) {
	r.Get("/api/document-types", s.documentTypes)
}

// documentTypes lists every document type with its dependencies, in a valid
// generation order; dependsOn is always an array.
func (s *Server) documentTypes(c *fiber.Ctx) error {
	return c.JSON(documents.Catalog())
}
