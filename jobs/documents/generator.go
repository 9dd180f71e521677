// Package documents knows what Dossier can write and how: the catalog of
// document types, the generators (built-in template and OpenAI-compatible),
// the retry policy, the process-wide model rate limiter, and Markdown to safe
// HTML. It knows nothing of jobs, HTTP or events.
package documents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dossier/models"
)

// Generator writes one document. Implementations must honour ctx
// cancellation promptly: a cancelled job aborts its in-flight call this way.
type Generator interface {
	Generate(ctx context.Context, req Request) (Document, error)
}

// Request is everything one document is written from.
type Request struct {
	Type        string // a catalog key, such as "risk_register"
	ProjectName string
	Description string
	Project     models.ProjectData
	Company     models.CompanyPack
	// Dependencies are the already generated documents this type depends on,
	// in catalog order: from the same job, or the latest version of each
	// that the job does not regenerate.
	Dependencies []Document
	// Instruction is the user's note for a regeneration ("shorter", "add a
	// section on data migration"); empty for an ordinary generation.
	Instruction string
	// OnDelta, if set, receives the document's text as it is written, in
	// order, one piece per call, so that a draft can be shown live. Each
	// attempt starts from the beginning; the returned Document is what
	// counts. It is called on the generating goroutine and must not block.
	OnDelta func(text string)
}

// MaxInstructionChars bounds a regeneration instruction.
const MaxInstructionChars = 2000

// Document is a generated document.
type Document struct {
	Type     string
	Title    string
	Markdown string
	Usage    Usage
}

// Usage is what one call cost, as reported by the model provider.
type Usage struct {
	PromptTokens     int `json:"promptTokens"`
	CompletionTokens int `json:"completionTokens"`
	// CachedPromptTokens is the part of the prompt the provider served from
	// its prefix cache (usage.prompt_tokens_details.cached_tokens), when it
	// says so.
	CachedPromptTokens int `json:"cachedPromptTokens,omitempty"`
}

// RetryableError marks a failure worth another attempt: 429, 5xx, timeouts,
// broken streams. RetryAfter, when set, is the provider's requested delay.
type RetryableError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// PermanentError marks a failure that another attempt cannot fix: 400, 401,
// 403, 404, context length, exhausted quota, an unknown document type.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Retryable wraps err as a RetryableError.
func Retryable(err error, retryAfter time.Duration) error {
	return &RetryableError{Err: err, RetryAfter: retryAfter}
}

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Permanentf is Permanent with formatting.
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }

// IsRetryable reports whether err may succeed on another attempt. Unclassified
// errors are treated as retryable, except context cancellation.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var p *PermanentError
	return !errors.As(err, &p)
}

// RetryAfter returns the delay the provider asked for, or 0.
func RetryAfter(err error) time.Duration {
	var r *RetryableError
	if errors.As(err, &r) {
		return r.RetryAfter
	}
	return 0
}
