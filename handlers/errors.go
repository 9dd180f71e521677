package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
)

// Error is an error with an HTTP status and the JSON error shape:
// {"error":{"code":"…","message":"…","fields":{…}}}.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Extra is merged into the error object, e.g. the active job's id.
	Extra map[string]any `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Common errors.
var (
	ErrUnauthorized = &Error{Status: fiber.StatusUnauthorized, Code: "unauthorized", Message: "sign in or send Authorization: Bearer <token>"}
	ErrNotFound     = &Error{Status: fiber.StatusNotFound, Code: "not_found", Message: "not found"}
)

// ValidationError is a 422 with per-field messages.
func ValidationError(fields map[string]string) *Error {
	return &Error{Status: fiber.StatusUnprocessableEntity, Code: "validation_failed", Message: "some fields are invalid", Fields: fields}
}

// toError maps any error to an *Error.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := strings.ToLower(strings.ReplaceAll(fiber.ErrNotFound.Message, " ", "_"))
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			code = "body_too_large"
		case fiber.StatusNotFound:
			code = "not_found"
		case fiber.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case fiber.StatusTooManyRequests:
			code = "rate_limited"
		case fiber.StatusBadRequest:
			code = "bad_request"
		default:
			code = strings.ToLower(strings.ReplaceAll(fiber.ErrInternalServerError.Message, " ", "_"))
		}
		return &Error{Status: fe.Code, Code: code, Message: fe.Message}
	}
	if errors.Is(err, models.ErrNotFound) {
		return ErrNotFound
	}
	return nil
}

// wantsJSON reports whether the client should get the JSON error shape
// rather than an HTML page.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return true
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// errorHandler is fiber's single ErrorHandler: errors become the JSON error
// shape or an error page. Handlers never write 500s themselves.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	e := toError(err)
	if e == nil {
		slog.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		e = &Error{Status: fiber.StatusInternalServerError, Code: "internal_error", Message: "something went wrong on our side; it has been logged"}
	}
	if wantsJSON(c) {
		body := fiber.Map{"code": e.Code, "message": e.Message}
		if len(e.Fields) > 0 {
			body["fields"] = e.Fields
		}
		for k, v := range e.Extra {
			body[k] = v
		}
		return c.Status(e.Status).JSON(fiber.Map{"error": body})
	}
	c.Status(e.Status)
	return s.renderError(c, e)
}
