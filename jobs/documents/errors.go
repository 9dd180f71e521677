package documents

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ProviderError is a model provider's error answer, with the provider's own
// message kept: "Invalid value for 'temperature'" says more than "400".
type ProviderError struct {
	Status  int
	Code    string // as "context_length_exceeded", "insufficient_quota"
	Type    string
	Message string
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openai: the provider answered %d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Code != "" {
		b.WriteString(" (code " + strconv.Quote(e.Code) + ")")
	}
	return b.String()
}

// ContextTooLong reports whether the prompt did not fit the model's context
// window: a 413, or a 400 with the code OpenAI and compatible servers use.
func (e *ProviderError) ContextTooLong() bool {
	return e.Status == http.StatusRequestEntityTooLarge || e.Code == "context_length_exceeded" ||
		e.Code == "string_above_max_length"
}

// Explanation is a failure as a person reads it.
type Explanation struct {
	// Summary is one plain sentence, without codes.
	Summary string
	// CanRetry is false for failures that another attempt cannot fix (a
	// bad key, a bad request, a prompt too long): the UI offers no Retry.
	CanRetry bool
}

// Explain turns a generation failure into a plain sentence. The technical
// detail stays err.Error(), shown behind a disclosure.
func Explain(err error) Explanation {
	var pe *ProviderError
	if errors.As(err, &pe) {
		switch {
		case pe.Status == http.StatusUnauthorized:
			return Explanation{Summary: "The model provider rejected the API key. Check OPENAI_API_KEY."}
		case pe.Status == http.StatusForbidden:
			return Explanation{Summary: "The model provider refused access: this API key may not use this model or feature."}
		case pe.Status == http.StatusNotFound:
			return Explanation{Summary: "The model provider could not find the model. Check OPENAI_MODEL and OPENAI_BASE_URL."}
		case pe.ContextTooLong():
			return Explanation{Summary: "The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window."}
		case pe.Code == "insufficient_quota" || pe.Type == "insufficient_quota":
			return Explanation{Summary: "The model provider's account has run out of credit."}
		case pe.Status == http.StatusTooManyRequests:
			return Explanation{Summary: "The model provider is limiting how many requests Dossier may send. Try again in a few minutes.", CanRetry: true}
		case pe.Status >= 500:
			return Explanation{Summary: "The model provider had a temporary problem. Try again in a few minutes.", CanRetry: true}
		case pe.Status == http.StatusRequestTimeout, pe.Status == http.StatusConflict:
			return Explanation{Summary: "The model provider could not finish the request. Try again.", CanRetry: true}
		default:
			return Explanation{Summary: "The model provider rejected the request."}
		}
	}
	var unknown *UnknownTypeError
	switch {
	case errors.As(err, &unknown):
		return Explanation{Summary: "Dossier does not know this document type."}
	case errors.Is(err, context.DeadlineExceeded):
		return Explanation{Summary: "The model provider did not answer in time. Try again.", CanRetry: true}
	case errors.Is(err, ErrTruncatedStream), errors.Is(err, ErrEmptyOutput):
		return Explanation{Summary: "The model stopped before the document was complete. Try again.", CanRetry: true}
	}
	if IsRetryable(err) {
		return Explanation{Summary: "The document could not be written this time. Try again.", CanRetry: true}
	}
	return Explanation{Summary: "The document could not be written."}
}
