package handlers

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"dossier/static"
)

// isStream reports whether the path is an SSE stream, which compression,
// ETag and any buffering middleware would break.
func isStream(c *fiber.Ctx) bool {
	p := c.Path()
	return p == "/events" || strings.HasPrefix(p, "/api/generation/jobs/stream/") ||
		strings.HasSuffix(p, "/generate/stream")
}

// App builds the Fiber app with every route.
func (s *Server) App() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "Dossier",
		ErrorHandler:          s.errorHandler,
		BodyLimit:             s.cfg.BodyLimit,
		ReadTimeout:           s.cfg.ReadTimeout,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// X-Forwarded-Host and -Proto count only from TRUSTED_PROXIES (Fiber
		// believes anyone's without the check). The client address is read
		// by clientIP, from the right of X-Forwarded-For: Fiber's
		// ProxyHeader takes its leftmost entry, which the client writes.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          proxyStrings(s.cfg.TrustedProxies),
		// SSE streams must not be cut by a write timeout.
	})
	app.Server().ErrorHandler = markUnread(app.Server().ErrorHandler)
	app.Server().Handler = s.refuseUnknownMethods(app, app.Server().Handler)
	app.Use(recover.New())
	app.Use(securityHeaders)
	app.Use(refuseEncodedBodies)
	app.Use(compress.New(compress.Config{Next: isStream}))
	app.Use(etag.New(etag.Config{Next: func(c *fiber.Ctx) bool { return isStream(c) || c.Method() != fiber.MethodGet }}))

	assets, _ := fs.Sub(static.FS, ".")
	app.Use("/static", filesystem.New(filesystem.Config{
		Root:   http.FS(assets),
		MaxAge: 3600,
	}))
	// Browsers ask for /favicon.ico whatever the page links to.
	app.Get("/favicon.ico", func(c *fiber.Ctx) error {
		return c.Redirect("/static/favicon.svg", fiber.StatusMovedPermanently)
	})
	s.HealthRoutes(app)
	s.APIDocRoutes(app)

	app.Use(s.authenticate, s.csrf)
	s.AuthRoutes(app)
	s.AdminRoutes(app)

	r := app.Group("", s.requireUser, s.pagePosition)
	s.CatalogRoutes(r)
	s.ProjectRoutes(r)
	s.JobRoutes(r)
	s.JobPageRoutes(r)
	s.EventRoutes(r)
	s.ArtifactRoutes(r)
	s.DocumentRoutes(r)
	s.TokenRoutes(r)
	s.DashboardRoutes(r)
	s.NotificationRoutes(r)
	s.SessionRoutes(r)

	// No catch-all: Fiber's router answers a path that no route matches
	// with 404, and one that routes of other methods match with 405 and an
	// Allow header naming them (a GET route takes HEAD too); a catch-all
	// would answer both with 404. errorHandler shapes both.
	return app
}

// refuseUnknownMethods answers a method Fiber does not know (FOO, PROPFIND)
// with 501 in the error shape, with the security headers. Fiber answers it
// itself, before any middleware and outside the error handler, with a
// plain-text 400.
func (s *Server) refuseUnknownMethods(app *fiber.App, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	methods := app.Config().RequestMethods
	return func(ctx *fasthttp.RequestCtx) {
		if slices.Contains(methods, string(ctx.Method())) {
			next(ctx)
			return
		}
		c := app.AcquireCtx(ctx)
		defer app.ReleaseCtx(c)
		setSecurityHeaders(&ctx.Response.Header)
		if err := s.errorHandler(c, errMethodNotImplemented); err != nil {
			ctx.Error("method not implemented", fiber.StatusNotImplemented)
		}
	}
}
