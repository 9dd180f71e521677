package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// contentSecurityPolicy allows the app's own scripts, styles, images and
// connections (htmx requests and the SSE stream), and nothing inline: page
// behaviour is in static/js/app.js, progress widths are classes, and htmx is
// told not to inject its indicator style (the htmx-config meta tag). data:
// images are the form plugin's SVG checkmarks in the stylesheet. Routes with
// needs of their own (the standalone print view) set their own policy.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"

// securityHeaders sets the headers every response carries: the CSP, framing
// by this origin only (frame-ancestors, and X-Frame-Options for browsers
// without CSP 2), no referrer to other sites, and nosniff (JSON included).
// A handler may replace any of them after this runs.
func securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(&c.Response().Header)
	return c.Next()
}

func setSecurityHeaders(h *fasthttp.ResponseHeader) {
	h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	h.Set(fiber.HeaderXFrameOptions, "SAMEORIGIN")
	h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
