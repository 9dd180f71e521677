package documents

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// ProviderError is a model provider's error answer, with the provider's own
// message kept: "Invalid value for 'temperature'" says more than "400".
type ProviderError struct {
	Status  int
	Code    string // as "context_length_exceeded", "insufficient_quota"
	Type    string
	Message string
}

// providerAnswered starts the part of a ProviderError's text that reports
// the provider's answer; ProviderSaid finds it again in a stored error.
const providerAnswered = "the provider answered "

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openai: "+providerAnswered+"%d", e.Status)
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

// ProviderSaid is what the model provider answered, read from a failed
// document's stored error text ("The provider answered 400 Bad Request:
// Invalid value for 'temperature'…"), for the person who started the job.
// It is "" when the failure is not the provider's answer (a refused
// connection, a DNS or TLS failure, a timeout): that text is the server's
// own, with its internal addresses and Go error chain, and belongs to the
// admin console and the log.
func ProviderSaid(stored string) string {
	i := strings.Index(stored, providerAnswered)
	if i < 0 {
		return ""
	}
	return "The p" + stored[i+len("the p"):]
}

// ContextTooLong reports whether the prompt did not fit the model's context
// window: a 413, or a 400 with the code OpenAI and compatible servers use.
func (e *ProviderError) ContextTooLong() bool {
	return e.Status == http.StatusRequestEntityTooLarge || e.Code == "context_length_exceeded" ||
		e.Code == "string_above_max_length"
}

// Explanation is a failure as a person reads it.
type Explanation struct {
	// Summary is one plain sentence for the person who started the job,
	// without codes or configuration names: it says what they can do, or
	// who can.
	Summary string
	// Hint is for the operator (the admin console, the server log): the
	// setting to check. It may name configuration, so it never goes on a
	// user's page. "" when there is nothing to configure.
	Hint string
	// CanRetry is false for failures that another attempt cannot fix (a
	// bad key, a bad request, a prompt too long): the UI offers no Retry.
	CanRetry bool
}

// The explanations of failures that another attempt cannot fix and that
// only an administrator can: their Summary says so, their Hint says how.
var (
	explainBadKey = Explanation{
		Summary: "Dossier's connection to the model provider is misconfigured: the provider did not accept its key. An administrator needs to fix it.",
		Hint:    "The provider rejected the API key: check OPENAI_API_KEY.",
	}
	explainForbidden = Explanation{
		Summary: "Dossier's account with the model provider is not allowed to use this model. An administrator needs to fix it.",
		Hint:    "The API key (OPENAI_API_KEY) may not use this model or feature: check OPENAI_MODEL and the key's permissions.",
	}
	explainNoModel = Explanation{
		Summary: "Dossier's connection to the model provider is misconfigured: the provider does not know the model it was asked for. An administrator needs to fix it.",
		Hint:    "The provider does not know the model: check OPENAI_MODEL and OPENAI_BASE_URL.",
	}
	explainTooLong = Explanation{
		Summary: "This project has too much data for the model to write this document in one go. Shorten the project's descriptions and lists, or ask an administrator for a model that takes longer input.",
		Hint:    "The prompt is longer than the model's context window: choose a model with a larger one (OPENAI_MODEL).",
	}
	explainNoCredit = Explanation{
		Summary: "Dossier's account with the model provider has run out of credit. An administrator needs to add credit.",
		Hint:    "The provider account behind OPENAI_API_KEY has no quota left.",
	}
	explainRejected = Explanation{
		Summary: "The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it.",
		Hint:    "The provider's own message, in the job's error, says what it refused.",
	}
	// explainUnreachable is a failure to reach the provider at all: a
	// refused connection, an unknown host, a TLS failure. It is retryable (a
	// provider restarting is transient), but if it persists only the
	// operator can act.
	explainUnreachable = Explanation{
		Summary:  "Dossier could not reach the model provider. Try again in a few minutes; if it keeps happening, an administrator needs to check Dossier's connection to the provider.",
		Hint:     "The model provider could not be reached (connection refused, unknown host or TLS failure): check OPENAI_BASE_URL and the server's network.",
		CanRetry: true,
	}
	explainUnknownType = Explanation{
		Summary: "Dossier does not know this document type.",
		Hint:    "The job names a document type this version's catalog does not have (an older or newer version queued it).",
	}
)

// operatorHints are the hints by the sentence a failed document stores:
// error_details keeps the Summary, not the error, so the admin console
// finds the hint by it.
var operatorHints = hintsBySummary(explainBadKey, explainForbidden, explainNoModel, explainTooLong,
	explainNoCredit, explainRejected, explainUnreachable, explainUnknownType)

func hintsBySummary(es ...Explanation) map[string]string {
	m := make(map[string]string, len(es))
	for _, e := range es {
		m[e.Summary] = e.Hint
	}
	return m
}

// OperatorHint is the Hint of the explanation whose Summary a failed
// document stored, for the admin console; "" for any other sentence.
func OperatorHint(summary string) string { return operatorHints[summary] }

// storedBefore are the sentences older versions stored for a failed
// document (error_details' summary), by today's explanation of the same
// failure. A failed job keeps them until retention removes it, and some
// name a setting (OPENAI_API_KEY…) that a user must never read. When a
// Summary is reworded, its old text goes here.
var storedBefore = map[string]Explanation{
	"The model provider rejected the API key. Check OPENAI_API_KEY.":                                                            explainBadKey,
	"The model provider refused access: this API key may not use this model or feature.":                                        explainForbidden,
	"The model provider could not find the model. Check OPENAI_MODEL and OPENAI_BASE_URL.":                                      explainNoModel,
	"The document's prompt is too long for the model. Shorten the project data or choose a model with a larger context window.": explainTooLong,
	"The model provider's account has run out of credit.":                                                                       explainNoCredit,
	"The model provider rejected the request.":                                                                                  explainRejected,
}

// explainSetting stands in for a stored sentence that names a setting and
// that no version of this catalog wrote (storedBefore has the ones that
// did): the setting is the operator's to change.
var explainSetting = Explanation{
	Summary: "Dossier is not set up correctly to write this document. An administrator needs to fix it.",
}

// settingName is a configuration name as the environment spells it, such as
// OPENAI_API_KEY or LLM_CONCURRENCY.
var settingName = regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`)

// CurrentSummary is the sentence to show for the one a failed document
// stored: today's for a sentence an older version stored (storedBefore), a
// plain one naming no setting for any other that names one, else the stored
// sentence itself ("" stays "").
func CurrentSummary(stored string) string {
	if e, ok := storedBefore[stored]; ok {
		return e.Summary
	}
	if settingName.MatchString(stored) {
		return explainSetting.Summary
	}
	return stored
}

// Explain turns a generation failure into a plain sentence. The technical
// detail stays err.Error(), shown behind a disclosure.
func Explain(err error) Explanation {
	var pe *ProviderError
	if errors.As(err, &pe) {
		switch {
		case pe.Status == http.StatusUnauthorized:
			return explainBadKey
		case pe.Status == http.StatusForbidden:
			return explainForbidden
		case pe.Status == http.StatusNotFound:
			return explainNoModel
		case pe.ContextTooLong():
			return explainTooLong
		case pe.Code == "insufficient_quota" || pe.Type == "insufficient_quota":
			return explainNoCredit
		case pe.Status == http.StatusTooManyRequests:
			return Explanation{Summary: "The model provider is limiting how many requests Dossier may send. Try again in a few minutes.", CanRetry: true}
		case pe.Status >= 500:
			return Explanation{Summary: "The model provider had a temporary problem. Try again in a few minutes.", CanRetry: true}
		case pe.Status == http.StatusRequestTimeout, pe.Status == http.StatusConflict:
			return Explanation{Summary: "The model provider could not finish the request. Try again.", CanRetry: true}
		default:
			return explainRejected
		}
	}
	var unknown *UnknownTypeError
	switch {
	case errors.As(err, &unknown):
		return explainUnknownType
	case errors.Is(err, context.DeadlineExceeded):
		return Explanation{Summary: "The model provider did not answer in time. Try again.", CanRetry: true}
	case errors.Is(err, ErrTruncatedStream), errors.Is(err, ErrEmptyOutput):
		return Explanation{Summary: "The model stopped before the document was complete. Try again.", CanRetry: true}
	case unreachable(err):
		return explainUnreachable
	}
	if IsRetryable(err) {
		return Explanation{Summary: "The document could not be written this time. Try again.", CanRetry: true}
	}
	return Explanation{Summary: "The document could not be written."}
}

// unreachable reports whether err is a failure to reach the provider at the
// network level: a dial or connection error, DNS, TLS.
func unreachable(err error) bool {
	var (
		opErr    *net.OpError
		dnsErr   *net.DNSError
		recErr   tls.RecordHeaderError
		certErr  *tls.CertificateVerificationError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalErr x509.CertificateInvalidError
	)
	return errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &recErr) ||
		errors.As(err, &certErr) || errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &invalErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}
