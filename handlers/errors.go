package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"

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

	errMethodNotImplemented = &Error{Status: fiber.StatusNotImplemented, Code: "method_not_implemented", Message: "this server does not implement that method"}
	errMethodNotAllowed     = &Error{Status: fiber.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "this address does not take that method; the Allow header lists the ones it does"}
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
		switch fe.Code {
		case fiber.StatusNotFound: // the router's "Cannot GET /path"
			return ErrNotFound
		case fiber.StatusMethodNotAllowed:
			return errMethodNotAllowed
		case fiber.StatusRequestTimeout: // fasthttp's ReadTimeout
			return &Error{Status: fe.Code, Code: statusCode(fe.Code), Message: "the request did not arrive in time; send it again"}
		case fiber.StatusRequestHeaderFieldsTooLarge: // past fasthttp's read buffer
			return &Error{Status: fe.Code, Code: statusCode(fe.Code), Message: "the request's headers are too large (at most 4 KB in all)"}
		}
		return &Error{Status: fe.Code, Code: statusCode(fe.Code), Message: fe.Message}
	}
	if errors.Is(err, models.ErrNotFound) {
		return ErrNotFound
	}
	return nil
}

// statusCodes names the statuses whose API code is not the status's own
// name in snake case.
var statusCodes = map[int]string{
	fiber.StatusRequestEntityTooLarge:       "body_too_large",
	fiber.StatusTooManyRequests:             "rate_limited",
	fiber.StatusRequestHeaderFieldsTooLarge: "header_too_large",
}

// statusCode is the error code of a *fiber.Error, which Fiber and fasthttp
// raise with any status (the server's own 408 and 431 among them): the
// status's name in snake case (request_timeout, method_not_allowed,
// internal_server_error) unless statusCodes names it otherwise, or
// client_error/server_error for a status without a name.
func statusCode(status int) string {
	if code, ok := statusCodes[status]; ok {
		return code
	}
	words := strings.FieldsFunc(strings.ToLower(utils.StatusMessage(status)), func(r rune) bool {
		return r < 'a' || r > 'z'
	})
	switch {
	case len(words) > 0:
		return strings.Join(words, "_")
	case status >= 500:
		return "server_error"
	default:
		return "client_error"
	}
}

// localUnread marks a request that fasthttp could not read: a header over
// its read buffer (431), a body that arrived slower than ReadTimeout (408).
const localUnread = "unread"

// markUnread wraps the fasthttp server's error handler, through which
// fasthttp hands Fiber's ErrorHandler the requests it could not read. By
// then it has reset the request, path and headers included; the mark tells
// wantsJSON not to trust what is left.
func markUnread(next func(*fasthttp.RequestCtx, error)) func(*fasthttp.RequestCtx, error) {
	return func(ctx *fasthttp.RequestCtx, err error) {
		if len(ctx.Request.Header.RawHeaders()) == 0 {
			ctx.SetUserValue(localUnread, true)
		}
		next(ctx, err)
	}
}

// isAPIPath reports whether p is the JSON API's: /api and below it.
func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// wantsJSON reports whether the client should get the JSON error shape
// rather than an HTML page.
func wantsJSON(c *fiber.Ctx) bool {
	if c.Locals(localUnread) != nil {
		// fasthttp could not read the request (see App) and reset it:
		// the path is a placeholder "/", and no header is left to say
		// what the client takes. The API's error shape is the one
		// DESIGN.md documents, and a script cannot parse a page; a
		// browser shows the JSON as text.
		return true
	}
	if isAPIPath(c.Path()) {
		return true
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	if strings.Contains(accept, "text/event-stream") {
		return true // a stream's client (EventSource, curl -N) renders no page
	}
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
