package handlers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/partials"
)

// docFailedSentence stands in for a failed document's plain sentence when
// its run stored none (it failed while the run went on, or an older job).
const docFailedSentence = "This document could not be written."

// docFailure is one failed document of a job, as its error_details keep it.
type docFailure struct {
	Type, Title string
	// Summary is the plain sentence, or "" when none was stored.
	Summary string
	// Error is the provider's own message, the technical detail.
	Error string
}

// jobFailures reads a failed job's per-document failures (error_details), in
// catalog order. Entries that are not documents (a storage failure) are left
// out: they have no plain sentence.
func jobFailures(j *models.Job) []docFailure {
	if len(j.ErrorDetails) == 0 {
		return nil
	}
	var out []docFailure
	for _, typ := range documents.Keys() {
		detail, ok := j.ErrorDetails[typ].(map[string]any)
		if !ok {
			continue
		}
		f := docFailure{Type: typ, Title: docTitle(typ)}
		f.Summary = storedSummary(detail)
		f.Error, _ = detail["error"].(string)
		out = append(out, f)
	}
	return out
}

// docFailureSummary is the plain sentence stored for one failed document of
// a job, as storedSummary reads it, or "".
func docFailureSummary(j *models.Job, typ string) string {
	detail, _ := j.ErrorDetails[typ].(map[string]any)
	return storedSummary(detail)
}

// storedSummary is the plain sentence a failed document's error_details
// entry stored, as today's version says it: a job failed under an older
// version keeps that version's sentence until retention removes it, and
// some of those named a setting (OPENAI_API_KEY…) that users must not read
// (documents.CurrentSummary). "" when none was stored.
func storedSummary(detail map[string]any) string {
	s, _ := detail["summary"].(string)
	return documents.CurrentSummary(s)
}

// failureSummary reads a failed job's per-document failures (error_details)
// as people read them: every failed document, named, with its plain
// sentence ("Risk Register: The model provider had a temporary problem. …";
// with more than one, "2 documents failed. Risk Register: …
// Communication Plan: …", documents that failed alike sharing one
// sentence), and whether a retry cannot fix them (models' rule,
// RetryCannotHelp).
func failureSummary(snap *models.JobSnapshot) (summary string, noRetry bool) {
	j := &snap.Job
	if j.Status != models.StatusFailed {
		return "", false
	}
	fs := jobFailures(j)
	var sentences []string
	titles := map[string][]string{}
	haveSentence := false
	for _, f := range fs {
		s := f.Summary
		haveSentence = haveSentence || s != ""
		if s == "" {
			s = docFailedSentence
		}
		if _, seen := titles[s]; !seen {
			sentences = append(sentences, s)
		}
		titles[s] = append(titles[s], f.Title)
	}
	if !haveSentence {
		// A storage failure or an older job: no sentence to show, and Retry
		// stays on offer.
		return "", false
	}
	parts := make([]string, 0, len(sentences)+1)
	if len(fs) > 1 {
		parts = append(parts, fmt.Sprintf("%d documents failed.", len(fs)))
	}
	for _, s := range sentences {
		parts = append(parts, andList(titles[s])+": "+s)
	}
	return strings.Join(parts, " "), j.RetryCannotHelp()
}

// failureLine is failureSummary for a list row, which may be cut short
// (the dashboard truncates, a narrow screen wraps): the causes first, then
// the documents they stopped ("Dossier could not reach the model provider.
// … Failed: Project Charter, Business Case and Scope Statement."), so that
// what a truncation keeps is why. The job's page names which document
// failed of what. "" as failureSummary.
func failureLine(snap *models.JobSnapshot) string {
	if summary, _ := failureSummary(snap); summary == "" {
		return ""
	}
	var sentences, failed []string
	seen := map[string]bool{}
	for _, f := range jobFailures(&snap.Job) {
		s := cmpOr(f.Summary, docFailedSentence)
		if !seen[s] {
			seen[s] = true
			sentences = append(sentences, s)
		}
		failed = append(failed, f.Title)
	}
	return strings.Join(sentences, " ") + " Failed: " + andList(failed) + "."
}

// failureReason is a failure in short, for a notification: the plain
// sentences its documents stored (error_details), each once, in catalog
// order, without the documents' names; "" when none was stored.
func failureReason(details models.JSONMap) string {
	return distinctSummaries(&models.Job{ErrorDetails: details}, func(s string) string { return s })
}

// distinctSummaries joins the plain sentences the job's failures stored,
// each through shorten, each once, in catalog order.
func distinctSummaries(j *models.Job, shorten func(string) string) string {
	var out []string
	for _, f := range jobFailures(j) {
		if s := shorten(f.Summary); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// failureDetail is the technical detail behind failureSummary on a user's
// page: what the provider answered for each failed document, one a line,
// named. A failure that is not the provider's answer (a refused connection,
// a timeout) has no line: its text is the server's own, with internal
// addresses and a Go error chain, for the admin console and the log. ""
// when no document has a provider's answer.
func failureDetail(snap *models.JobSnapshot) string {
	var lines []string
	for _, f := range jobFailures(&snap.Job) {
		if said := documents.ProviderSaid(f.Error); said != "" {
			lines = append(lines, f.Title+": "+said)
		}
	}
	return strings.Join(lines, "\n")
}

// andList joins names as people list them: "A", "A and B", "A, B and C"
// (partials.AndList, which the pages' view models use too).
var andList = partials.AndList

// notRetryable is the 409 of a retry the job's failure refuses
// (models.ErrNotRetryable), with the failure's plain sentence.
func (s *Server) notRetryable(c *fiber.Ctx) error {
	snap, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	summary, _ := failureSummary(snap)
	if summary != "" {
		summary += " "
	}
	return &Error{Status: fiber.StatusConflict, Code: "not_retryable",
		Message: "a retry cannot fix this failure. " + summary + "Fix the cause, then start a new generation.",
		Extra:   map[string]any{"status": snap.Job.Status}}
}

// waitingToRetry reports whether the job is waiting for its automatic
// retry (a retryable failure handed it back with a later run_at, no
// earlier than a provider's Retry-After), and when it runs again.
func waitingToRetry(j *models.Job, now time.Time) (time.Time, bool) {
	if j.Status != models.StatusQueued || j.RetryCount == 0 || !j.RunAt.After(now) {
		return time.Time{}, false
	}
	return j.RunAt, true
}

// resumesAt is when a waiting job runs again, as the card and the runs
// show it ("14:05:00 UTC, 2 Jan", localised by the page) and as RFC 3339.
func resumesAt(at time.Time) (text, iso string) {
	at = at.UTC()
	return at.Format("15:04:05 UTC, 2 Jan"), at.Format(time.RFC3339)
}

// retryReason says why a job waits for its automatic retry: the plain
// sentence each failure of its last run stored (error_details keeps them
// until the job ends), its first sentence only ("The model provider is
// limiting how many requests Dossier may send."): the advice to try again
// that follows it is what the automatic retry is doing. Failures alike
// share one sentence; "" when the run stored none (a storage failure, a
// lost lease).
func retryReason(j *models.Job) string { return distinctSummaries(j, firstSentence) }

// firstSentence is s up to the end of its first sentence.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
