package pages

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"dossier/views/partials"
)

// DashboardVM is the / page: the user's projects, their live jobs and the
// jobs that ended recently.
type DashboardVM struct {
	UserName string
	Projects []DashProject
	Active   []partials.JobCardVM
	Recent   []JobRow
}

// isNew: a user with nothing yet (just signed up) is welcomed, not welcomed
// back.
func (vm DashboardVM) isNew() bool {
	return len(vm.Projects) == 0 && len(vm.Active) == 0 && len(vm.Recent) == 0
}

// DashProject is one project on the dashboard.
type DashProject struct {
	ID, Name, Company string
	// Updated is when the project last changed, as "3 Jan 2027, 14:02 UTC"
	// (MinuteLayout).
	Updated string
	// ActiveJobID is the project's queued or processing job, or "".
	ActiveJobID string
}

// JobRow is a job in a list: the jobs page and the dashboard's recent jobs.
type JobRow struct {
	ID, ProjectID, ProjectName string
	// Title names the run: "Relaunch · Run #2".
	Title string
	// Asked lists the documents the run was asked for, when not all of
	// them; Instruction is the user's note for it, or "".
	Asked, Instruction   string
	Status               string
	Priority             string
	Done, Total, Percent int
	// Queued is how long ago the job was queued, as "3 min ago"; QueuedAt
	// the exact time people read in a tooltip; QueuedISO the same as RFC
	// 3339, the machine-readable value <time datetime> takes.
	Queued, QueuedAt, QueuedISO string
	// Duration is how long the job ran, as "took 1 min 12 s", or "ran 2
	// min 10 s; waited 40 s to retry" when it waited between runs; "".
	Duration string
	Error    string
	// Earlier is a retried job's earlier ends, as "cancelled, retried".
	Earlier string
}

// GenerateTitlePrefix opens the generate page's title, before the project's
// name: the page marks it (TitleProject) so that the title follows renames.
const GenerateTitlePrefix = "Generate · "

// ForegroundTitlePrefix is GenerateTitlePrefix for the page a foreground
// generation streams into.
const ForegroundTitlePrefix = "Generating · "

// GenerateVM is the generate page: the catalog form, or the project's job.
type GenerateVM struct {
	ProjectID, ProjectName string
	CSRF                   string
	// Background is the rollout switch: off runs the generation in the
	// foreground, within the request.
	Background bool
	Docs       []GenerateDoc
	Priority   string
	// Error is the form's message, such as "Choose at least one document".
	Error string
	// Job is the job the page shows (the active one, or the one just
	// started), or nil.
	Job *partials.JobCardVM
	// Already says the project had a running job when the user asked for
	// another.
	Already bool
	// Thin are the documents the project's data is too sparse for.
	Thin []ThinDoc
	// EditURL is where the project's data is filled in.
	EditURL string
	// Edited are the documents, in catalog order, whose latest version is
	// a user's edit: generating them writes a new version over it.
	Edited []EditedDoc
}

// EditedDoc is a document whose latest version a user edited.
type EditedDoc struct {
	Key, Title string
	Version    int
	// By is the editor's name, or ""; When the edit's time, as "2 Jan
	// 2027, 14:03 UTC", and WhenISO as RFC 3339.
	By, When, WhenISO string
	// Checked says the form selects the document for generation.
	Checked bool
}

// EditedSelected are the edited documents the form selects.
func (vm GenerateVM) EditedSelected() []EditedDoc {
	var out []EditedDoc
	for _, e := range vm.Edited {
		if e.Checked {
			out = append(out, e)
		}
	}
	return out
}

// ThinDoc is a document that will come out thin, and what it lacks.
type ThinDoc struct {
	Key, Title, Missing string
}

// ShowForm reports whether the page offers to start a generation: not
// while the project has a job in flight.
func (vm GenerateVM) ShowForm() bool { return vm.Job == nil || !vm.Job.Active() }

// GenerateDoc is one document type of the catalog, as a checkbox.
type GenerateDoc struct {
	Key, Title, Description string
	// DependsOn are the keys this type needs; Needs their titles.
	DependsOn []string
	Needs     []string
	Checked   bool
	// Edit is the user's edit that is the document's latest version, or
	// nil.
	Edit *EditedDoc
}

// SelectedCount is the number of checked documents.
func (vm GenerateVM) SelectedCount() int {
	n := 0
	for _, d := range vm.Docs {
		if d.Checked {
			n++
		}
	}
	return n
}

// JobsVM is the /jobs page.
type JobsVM struct {
	Filter string
	Tabs   []JobsTab
	Active []partials.JobCardVM
	Rows   []JobRow
}

// JobsTab is one status filter of the jobs page.
type JobsTab struct {
	Key, Label, Href string
	Current          bool
}

// JobVM is the /jobs/:id page.
type JobVM struct {
	// Notice is why a card action posted without scripts was refused, shown
	// once on the page it lands on.
	Notice      string
	Card        partials.JobCardVM
	ProjectID   string
	ProjectName string
	// Title names the run: "Relaunch · Run #2"; the page's title too.
	Title string
	// Asked lists the documents the run was asked for, when not all of
	// them; Instruction is the user's note for it, or "".
	Asked, Instruction string
	Priority           string
	// Queued, Started and Finished are exact times, or "".
	Queued, Started, Finished string
	// Duration is the time the job ran, labelled DurationLabel: "Took",
	// or "Ran" when it also waited between runs, which Waited says ("40 s
	// to retry"); "" while it runs.
	Duration, DurationLabel, Waited string
	RetryCount, MaxRetries          int
	Timeline                        TimelineVM
	// History is what a retried job went through, in order, ending with
	// where it is now; empty for a job never retried by hand.
	History []HistoryStep
}

// TitleAfterName is the title past the project's name ("· Run #2", without
// the space templ puts back; "" for a run without a number), when the title
// opens with it: the heading shows the name through ProjectName, so that a
// rename in another tab reaches it.
func (vm JobVM) TitleAfterName() (string, bool) {
	rest, ok := strings.CutPrefix(vm.Title, vm.ProjectName)
	if vm.ProjectID == "" || vm.ProjectName == "" || !ok {
		return "", false
	}
	return strings.TrimLeft(rest, " "), true
}

// HistoryStep is one step of a retried job's history: "Cancelled",
// "Retried", "Completed", with when and how far it had got.
type HistoryStep struct {
	Status, Label, When, Detail string
}

// TimelineVM is the per-document record of a job.
type TimelineVM struct {
	JobID string
	// RunNumber is the job's per-project number ("Run #4"), which names
	// its zip download; 0 when not known.
	RunNumber int
	Docs      []TimelineDoc
	// Artifacts is the number of finished documents; the zip needs one.
	Artifacts int
	// Active keeps the timeline refreshing while the job runs.
	Active bool
}

// ZipURL is the job's documents as one download.
func (vm TimelineVM) ZipURL() string {
	return "/api/generation/jobs/" + vm.JobID + "/artifacts.zip"
}

// ZipLabel names the job's zip download by its run, as users see the run
// everywhere else: "Run #4 documents (.zip)".
func (vm TimelineVM) ZipLabel() string { return RunZipLabel(vm.RunNumber) }

// RunZipLabel is the label of a run's zip download, "Run #4 documents
// (.zip)", or "This run's documents (.zip)" when its number is not known:
// not "All documents", which is the project's current set.
func RunZipLabel(runNumber int) string {
	if runNumber < 1 {
		return "This run's documents (.zip)"
	}
	return "Run #" + jobsItoa(runNumber) + " documents (.zip)"
}

// DomID is the timeline's root id.
func (vm TimelineVM) DomID() string { return "job-" + vm.JobID + "-timeline" }

// TimelineDoc is one document of a job with its record.
type TimelineDoc struct {
	Type, Title, Status string
	Attempts            int
	// Started is the time the last attempt began, as "14:03:12", or "".
	Started  string
	Duration string
	// Tokens is the model's token usage, as "1,204 in · 2,310 out", or "".
	Tokens string
	// ErrorSummary says why the document failed in one plain sentence;
	// Error is the provider's own message, shown behind a disclosure.
	ErrorSummary, Error string
	// Note explains a document that was not generated, as "Not generated:
	// it needs Risk Register, which failed."
	Note string
	// ArtifactURL is the finished document's page, or "".
	ArtifactURL string
}

// NotificationsVM is the /notifications page.
type NotificationsVM struct {
	Items []NotificationItem
	// Unread says some are unread: the page script marks them read (a
	// POST), and the form does without a script.
	Unread bool
	CSRF   string
}

// NotificationItem is one notification.
type NotificationItem struct {
	ID, Kind, Title, Body, Link string
	// When is how long ago, as "3 min ago"; WhenAt the exact time people
	// read in a tooltip; WhenISO the same as RFC 3339, for <time datetime>.
	When, WhenAt, WhenISO string
	// Unread marks what the user had not seen before this visit.
	Unread bool
}

// Status is the job status the notification reports, for its badge.
func (n NotificationItem) Status() string { return strings.TrimPrefix(n.Kind, "job_") }

// ForegroundVM is the streamed page of a foreground generation
// (BACKGROUND_GENERATION=off).
type ForegroundVM struct {
	ProjectID, ProjectName string
	Titles                 []string
	// HeartbeatMS is the stream's beat interval, in milliseconds: the
	// page's watchdog counts the connection lost after a few missed beats.
	HeartbeatMS int
}

// ForegroundDoc is one document that the foreground run finished.
type ForegroundDoc struct {
	Title    string
	HTML     string // sanitized by documents.RenderHTML
	Markdown string
	// DownloadURL is the Markdown as a data: URL, and FileName its name:
	// nothing is stored, so the page carries the file itself.
	DownloadURL templ.SafeURL
	FileName    string
	Duration    string
	N, Total    int
}

// ForegroundStep is the run's latest status line; a later one hides it.
type ForegroundStep struct {
	Text        string
	Done, Total int
	// Kind is working, done or failed (and lost, which only the page's
	// script shows: ForegroundLostView).
	Kind string
	// Heading replaces the page's heading when the run ends, or "".
	Heading string
}

// Percent is the share of documents done.
func (s ForegroundStep) Percent() int {
	if s.Total == 0 {
		return 0
	}
	return s.Done * 100 / s.Total
}

func jobsItoa(n int) string { return strconv.Itoa(n) }

func jobsPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func jobsBadge(status string) string {
	if status == "" {
		return "badge"
	}
	return "badge badge-" + status
}

func jobsStatusLabel(status string) string { return partials.StatusLabel(status) }
