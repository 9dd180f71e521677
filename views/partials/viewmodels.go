// Package partials holds what htmx swaps and SSE pushes: each partial has a
// stable root id and a data-testid, and takes a view model shaped for the
// screen, never a GORM row.
package partials

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// JobCardVM is a job's live progress card.
type JobCardVM struct {
	ID          string
	ProjectID   string
	ProjectName string
	// Title names the run: "Relaunch · Run #2" (Heading falls back to the
	// project's name).
	Title string
	// Asked lists the documents the run was asked for, when not all of
	// them; Instruction is the user's note for it, or "".
	Asked, Instruction string
	// Status is the job's status: queued, processing, completed, failed or
	// cancelled.
	Status string
	// Percent is the progress, 0 to 100; Done of Total documents.
	Percent     int
	Done, Total int
	// Current is the document type being generated, or "".
	Current string
	// ETA is the human estimate, as "about 2 min left", or "".
	ETA string
	// CancelRequested shows "Stopping…" until the worker stops.
	CancelRequested bool
	// Error is the job's error message, for failed jobs: the technical
	// detail, shown behind a disclosure when ErrorSummary is set.
	Error string
	// ErrorSummary says what went wrong in one plain sentence.
	ErrorSummary string
	// NoRetry is set when no failure can be fixed by another attempt (a bad
	// key, a bad request, a prompt too long): Retry is not offered.
	NoRetry bool
	// ResumesAt says when a job waiting for its automatic retry runs again
	// (honouring the provider's Retry-After), as "00:45 UTC", or "".
	ResumesAt string
	// ResumesAtISO is ResumesAt as RFC 3339, for the time element.
	ResumesAtISO string
	// RetryReason says why it waits, in the plain sentence its last run's
	// failure stored ("The model provider is limiting how many requests
	// Dossier may send."), or "".
	RetryReason string
	Docs        []DocRowVM
	// Version is the job's version; the page drops an older card that
	// arrives after a newer one.
	Version int64
	// DocTitle names a document type; nil humanises the key.
	DocTitle func(docType string) string
}

// Generating names the documents being written, as "Project charter and
// Business case": every one whose row says generating (with
// LLM_CONCURRENCY above 1 several are at once), else the job's current
// document, which names only the one started last.
func (vm JobCardVM) Generating() string {
	var names []string
	for _, d := range vm.Docs {
		if d.Status == "generating" {
			names = append(names, title(vm.DocTitle, d.Type))
		}
	}
	if len(names) == 0 && vm.Current != "" {
		names = append(names, title(vm.DocTitle, vm.Current))
	}
	return AndList(names)
}

// AndList joins names as people list them: "A", "A and B", "A, B and C";
// "" for none. The job pages, the console and the cards all list this way.
func AndList(names []string) string {
	var b strings.Builder
	last := len(names) - 1
	for i, n := range names {
		switch {
		case i == 0:
		case i == last:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// DocRowVM is one document of a job.
type DocRowVM struct {
	JobID string
	// Type is the document type key, as "risk_register".
	Type     string
	Status   string
	Attempts int
	// Duration is the generation time, as "12.3 s", or "".
	Duration string
	Error    string
	DocTitle func(docType string) string
	// OOB marks the row for an out-of-band swap, as the per-job stream's
	// document event sends it.
	OOB bool
	// ArtifactURL is the finished document's page, or "".
	ArtifactURL string
	// StartedMS is when the document started, in Unix milliseconds, or "":
	// the page opens the draft of the latest started by default.
	StartedMS string
}

// BadgeVM is the header badge: the user's jobs in progress.
type BadgeVM struct {
	Active int
}

// ToastVM announces a job that ended: a notification no tab has shown yet.
// The page script shows it, raises one browser Notification across tabs
// (Tag), and acknowledges it to the server (NotificationID) once a visible
// tab has shown it.
type ToastVM struct {
	NotificationID string
	JobID          string
	// Status is completed, failed or cancelled.
	Status string
	Title  string
	Body   string
	// URL is where the toast's link goes, as "/jobs/<id>".
	URL string
	// Created is when the notification was made. The page raises no
	// browser Notification for one older than the marks that keep it to
	// one across tabs (a day): the toast alone shows.
	Created time.Time
}

// Humanize turns a document type key into words: "risk_register" becomes
// "Risk register".
func Humanize(key string) string {
	s := strings.TrimSpace(strings.ReplaceAll(key, "_", " "))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func title(fn func(string) string, key string) string {
	if fn != nil {
		if t := fn(key); t != "" {
			return t
		}
	}
	return Humanize(key)
}

// StatusLabel is a status as the user reads it.
func StatusLabel(status string) string { return Humanize(status) }

// WaitingLabel is the status of a queued job waiting for its automatic
// retry: "Queued" alone reads as if nothing had happened yet.
const WaitingLabel = "Waiting to retry"

// StatusText is the card's status: WaitingLabel while it waits for its
// automatic retry, else StatusLabel.
func (vm JobCardVM) StatusText() string {
	if vm.ResumesAt != "" {
		return WaitingLabel
	}
	return StatusLabel(vm.Status)
}

// Active reports whether the card's job is queued or processing.
func (vm JobCardVM) Active() bool { return vm.Status == "queued" || vm.Status == "processing" }

// Retryable reports whether the job can be retried by hand.
func (vm JobCardVM) Retryable() bool {
	return (vm.Status == "failed" && !vm.NoRetry) || vm.Status == "cancelled"
}

// DomID is the card's root id.
func (vm JobCardVM) DomID() string { return "job-" + vm.ID }

// DomID is the row's root id.
func (vm DocRowVM) DomID() string { return "job-" + vm.JobID + "-doc-" + vm.Type }

// Drafting reports whether the row has a draft element: its document is
// being written.
func (vm DocRowVM) Drafting() bool { return vm.Status == "generating" && vm.JobID != "" }

// DraftID is the id of a document's draft element, which the card keeps
// when it is replaced (hx-preserve).
func DraftID(jobID, docType string) string { return "draft-" + jobID + "-" + docType }

// DraftTextID is the id of the element that holds a draft's text: one
// <div> per block, which the /events stream's draft events fill. It is
// short because every swap of a draft names it: a hash of the job and the
// document type.
func DraftTextID(jobID, docType string) string {
	h := fnv.New64a()
	h.Write([]byte(jobID + "/" + docType))
	return "dt" + strconv.FormatUint(h.Sum64(), 36)
}

func itoa(n int) string { return strconv.Itoa(n) }

func badgeClass(status string) string {
	switch status {
	case "queued":
		return "badge badge-queued"
	case "processing":
		return "badge badge-processing"
	case "completed":
		return "badge badge-completed"
	case "failed":
		return "badge badge-failed"
	case "cancelled":
		return "badge badge-cancelled"
	case "pending":
		return "badge badge-pending"
	case "generating":
		return "badge badge-generating"
	case "skipped":
		return "badge badge-skipped"
	}
	return "badge"
}

// Heading is what the card is titled with: the run, else the project.
func (vm JobCardVM) Heading() string {
	if vm.Title != "" {
		return vm.Title
	}
	return vm.ProjectName
}

// HeadingAfterName is the heading past the project's name ("· Run #2",
// without the space templ puts back between the name and it; "" for a job
// without a run number), when the heading opens with it: the card shows the name through ProjectName, so
// that a rename in another tab reaches it.
func (vm JobCardVM) HeadingAfterName() (string, bool) {
	h := vm.Heading()
	if vm.ProjectID == "" || vm.ProjectName == "" || !strings.HasPrefix(h, vm.ProjectName) {
		return "", false
	}
	// A job without a run number is titled with the name alone: nothing
	// follows it, and the name still follows a rename.
	return strings.TrimLeft(h[len(vm.ProjectName):], " "), true
}
