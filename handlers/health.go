package handlers

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HealthRoutes registers liveness, readiness and, unless it is served on
// its own address (METRICS_ADDR), metrics.
func (s *Server) HealthRoutes(r fiber.Router) {
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	if !s.cfg.MetricsElsewhere {
		r.Get("/metrics", adaptor.HTTPHandler(MetricsHandler(s.cfg.MetricsToken)))
	}
}

// MetricsHandler serves the Prometheus metrics. With a token, a request
// must carry `Authorization: Bearer <token>` or gets 401; without one it is
// open, for a listener that only the scraper reaches (METRICS_ADDR) or a
// deployment that accepts that.
func MetricsHandler(token string) http.Handler {
	metrics := promhttp.Handler()
	if token == "" {
		return metrics
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, bearer := bearerToken(r.Header.Get("Authorization"))
		if !bearer || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"/metrics needs Authorization: Bearer <METRICS_TOKEN>"}}`))
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 503 while the database is unreachable or the process is
// shutting down, so a load balancer stops sending traffic.
func (s *Server) readyz(c *fiber.Ctx) error {
	select {
	case <-s.done:
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "shutting down"})
	default:
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ready", "database": string(s.db.Dialect)})
}
