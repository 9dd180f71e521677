package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
	"dossier/views/partials"
)

// JobPageRoutes registers the generate page, the job pages and the actions
// of a job's card. Everything live on these pages arrives over the layout's
// single /events stream; none of them opens another.
func (s *Server) JobPageRoutes(r fiber.Router) {
	r.Get("/projects/:id/generate", s.generatePage)
	r.Post("/projects/:id/generate", s.createJobLimit(), s.generate)
	r.Get("/projects/:id/generate/stream", s.createJobLimit(), s.foregroundStream)
	r.Get("/jobs", s.jobsPage)
	r.Get("/jobs/:id", s.jobPage)
	r.Post("/jobs/:id/cancel", s.cancelFromCard)
	r.Post("/jobs/:id/retry", s.retryFromCard)
}

// ---- Generate ---------------------------------------------------------------

// generatePage shows the project's job in flight (or the one ?job= names),
// else the form that starts one, with the documents ?documents= names
// chosen (all without it: generateDocumentsURL).
func (s *Server) generatePage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	project, err := s.db.ProjectForUser(ctx, u.ID, c.Params("id"))
	if err != nil {
		return err
	}
	vm, err := s.generateVM(c, project, queryDocuments(c), "normal")
	if err != nil {
		return err
	}
	var snap *models.JobSnapshot
	if id := c.Query("job"); id != "" {
		if sn, err := s.userSnapshot(c, id); err == nil && sn.Job.ProjectID == project.ID {
			snap = sn
		}
	}
	if snap == nil || !snap.Job.Active() {
		active, err := s.db.ActiveJobForProject(ctx, project.ID)
		switch {
		case err == nil && active.UserID == u.ID:
			if snap, err = s.db.Snapshot(ctx, active.ID); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	if snap != nil {
		card := jobCardVM(snap, time.Now())
		vm.Job = &card
		vm.Already = c.QueryBool("already")
		setView(c, liveView{Kind: "generate", Arg: snap.Job.ID})
	} else {
		// The form alone follows its project: a rename, a deletion.
		setView(c, liveView{Kind: "project", Arg: project.ID})
	}
	return s.page(c, pages.GenerateTitlePrefix+project.Name, "projects", pages.GeneratePage(vm))
}

// generateVM is the form: the catalog with the given selection (nil: all).
func (s *Server) generateVM(c *fiber.Ctx, p *models.Project, selected []string, priority string) (pages.GenerateVM, error) {
	vm := pages.GenerateVM{
		ProjectID: p.ID, ProjectName: p.Name, CSRF: csrfToken(c),
		Background: s.cfg.BackgroundGeneration, Priority: priority,
	}
	chosen := map[string]bool{}
	for _, k := range selected {
		chosen[k] = true
	}
	for _, d := range documents.Catalog() {
		gd := pages.GenerateDoc{Key: d.Key, Title: d.Title, Description: d.Description, DependsOn: d.DependsOn,
			Checked: selected == nil || chosen[d.Key]}
		if len(d.DependsOn) == len(documents.Catalog())-1 {
			gd.Needs = []string{"every other document"}
		} else {
			for _, dep := range d.DependsOn {
				gd.Needs = append(gd.Needs, docTitle(dep))
			}
		}
		vm.Docs = append(vm.Docs, gd)
	}
	vm.EditURL = "/projects/" + p.ID + "/edit"
	for _, t := range documents.ThinDocuments(p.Data, p.CompanyIntelligencePack) {
		vm.Thin = append(vm.Thin, pages.ThinDoc{Key: t.Type, Title: t.Title, Missing: strings.Join(t.Missing, ", ")})
	}
	// The documents whose latest version is a user's edit: generating them
	// writes a new version from the project data over it (the edit stays
	// in the history), so the form says so before, and they can be left
	// out.
	latest, err := s.db.LatestDocuments(c.UserContext(), currentUser(c).ID, p.ID)
	if err != nil {
		return vm, err
	}
	edited := map[string]pages.EditedDoc{}
	for _, v := range latest {
		if v.Source != models.SourceEdited {
			continue
		}
		e := pages.EditedDoc{Key: v.DocumentType, Title: docTitle(v.DocumentType), Version: v.Version,
			When: v.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC"), WhenISO: v.CreatedAt.UTC().Format(time.RFC3339)}
		if v.AuthorName != nil {
			e.By = *v.AuthorName
		}
		edited[v.DocumentType] = e
	}
	for i, d := range vm.Docs {
		if e, ok := edited[d.Key]; ok {
			e.Checked = d.Checked
			vm.Docs[i].Edit = &e
			vm.Edited = append(vm.Edited, e)
		}
	}
	return vm, nil
}

// generate starts a background job from the form, then shows it on the
// generate page. A project that already has one shows that one instead.
func (s *Server) generate(c *fiber.Ctx) error {
	u := currentUser(c)
	project, err := s.db.ProjectForUser(c.UserContext(), u.ID, c.Params("id"))
	if err != nil {
		return err
	}
	if !s.cfg.BackgroundGeneration {
		return Errorf(fiber.StatusConflict, "background_off", "background generation is switched off; use the form on the generate page")
	}
	docs := postList(c, "documents")
	priority := strings.TrimSpace(c.FormValue("priority"))
	formError := func(msg string) error {
		vm, err := s.generateVM(c, project, docs, priority)
		if err != nil {
			return err
		}
		if vm.Priority == "" {
			vm.Priority = "normal"
		}
		vm.Error = msg
		c.Status(fiber.StatusUnprocessableEntity)
		if isPartial(c) {
			return render(c, pages.GenerateForm(vm))
		}
		return s.page(c, pages.GenerateTitlePrefix+project.Name, "projects", pages.GeneratePage(vm))
	}
	if len(docs) == 0 {
		return formError("Choose at least one document to generate.")
	}
	req := createJobRequest{ProjectID: project.ID, Documents: docs}
	if priority != "" { // a form without the choice: normal
		req.Priority = &priority
	}
	job, _, err := s.startJob(c, u, req)
	var e *Error
	switch {
	case errors.As(err, &e) && e.Code == "active_job":
		id, _ := e.Extra["jobId"].(string)
		return hxRedirect(c, generateURL(project.ID, id)+"&already=1")
	case errors.As(err, &e) && e.Status == fiber.StatusUnprocessableEntity:
		msg := e.Message
		for _, m := range e.Fields {
			msg = m
		}
		return formError(sentence(msg))
	case err != nil:
		return err
	}
	return hxRedirect(c, generateURL(project.ID, job.ID))
}

// generateDocumentsURL is the generate page with these documents chosen:
// the library's shortcut to regenerate the out-of-date ones.
func generateDocumentsURL(projectID string, types []string) string {
	q := url.Values{"documents": types}
	return "/projects/" + projectID + "/generate?" + q.Encode()
}

// queryDocuments is the catalog's documents ?documents= names, repeated or
// comma-separated; nil (all) when it names none the catalog knows.
func queryDocuments(c *fiber.Ctx) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti("documents") {
		for _, k := range strings.Split(string(raw), ",") {
			if _, ok := documents.Lookup(strings.TrimSpace(k)); ok {
				out = append(out, strings.TrimSpace(k))
			}
		}
	}
	return out
}

func generateURL(projectID, jobID string) string {
	return "/projects/" + projectID + "/generate?job=" + url.QueryEscape(jobID)
}

// hxRedirect sends the browser to path: with HX-Redirect for htmx (a full
// page load), a 303 otherwise.
func hxRedirect(c *fiber.Ctx, path string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// postList is every value of a urlencoded form field, in order.
func postList(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		if s := strings.TrimSpace(string(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ---- Jobs list ----------------------------------------------------------------

var jobTabs = []struct{ key, label string }{
	{"", "All"}, {"active", "In progress"}, {"completed", "Completed"}, {"failed", "Failed"}, {"cancelled", "Cancelled"},
}

// jobsPage is /jobs, filtered by ?status=active|completed|failed|cancelled.
func (s *Server) jobsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	filter := c.Query("status")
	if !knownJobsFilter(filter) {
		return Errorf(fiber.StatusNotFound, "not_found", "unknown status filter %q", filter)
	}
	vm := pages.JobsVM{Filter: filter}
	for _, t := range jobTabs {
		href := "/jobs"
		if t.key != "" {
			href += "?status=" + t.key
		}
		vm.Tabs = append(vm.Tabs, pages.JobsTab{Key: cmpOr(t.key, "all"), Label: t.label, Href: href, Current: t.key == filter})
	}
	board, err := s.db.JobBoard(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	jobsLists(&vm, board, time.Now())
	setView(c, liveView{Kind: "jobs", Arg: filter})
	return s.page(c, "Jobs", "jobs", pages.Jobs(vm))
}

// knownJobsFilter reports whether the jobs page (and its stream's view)
// knows the status filter: a tab's, or a job status.
func knownJobsFilter(filter string) bool {
	for _, t := range jobTabs {
		if t.key == filter {
			return true
		}
	}
	return slices.Contains(jobStatuses, filter)
}

// jobsLists fills the jobs page's cards and rows for its filter from the
// user's board: the page and its live updates show the same lists.
func jobsLists(vm *pages.JobsVM, board *models.JobBoard, now time.Time) {
	if vm.Filter == "" || vm.Filter == "active" || vm.Filter == models.StatusQueued || vm.Filter == models.StatusProcessing {
		for i := range board.Active {
			if vm.Filter == "" || vm.Filter == "active" || vm.Filter == board.Active[i].Job.Status {
				vm.Active = append(vm.Active, jobCardVM(&board.Active[i], now))
			}
		}
	}
	if vm.Filter == "active" {
		return
	}
	ended := board.EndedWith(vm.Filter)
	for i := range ended {
		vm.Rows = append(vm.Rows, jobRow(&ended[i], now))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jobRow shapes a job for a list.
func jobRow(snap *models.JobSnapshot, now time.Time) pages.JobRow {
	j := &snap.Job
	r := pages.JobRow{
		ID: j.ID, ProjectID: j.ProjectID, ProjectName: snap.ProjectName, Status: j.Status,
		Priority: models.PriorityName(j.Priority), Done: j.CompletedDocuments, Total: j.TotalDocuments,
		Percent: j.ProgressPercentage, Queued: relTime(j.QueuedAt, now), QueuedAt: exactTime(j.QueuedAt),
		QueuedISO: j.QueuedAt.UTC().Format(time.RFC3339),
		Error:     orZero(j.ErrorMessage),
	}
	if line := failureLine(snap); line != "" {
		// The plain sentences, cause first, naming every failed
		// document; the job's page has the provider's messages.
		r.Error = line
	}
	if r.ProjectName == "" {
		r.ProjectName = "Untitled project"
	}
	r.Title = runTitle(r.ProjectName, j.RunNumber)
	r.Asked, r.Instruction = runAsked(j), j.Instruction
	r.Duration = ranPhrase(j)
	var earlier []string
	for _, e := range j.History {
		earlier = append(earlier, strings.ToLower(partials.StatusLabel(e.Status)), "retried")
	}
	r.Earlier = strings.Join(earlier, ", ")
	return r
}

// ---- One job ------------------------------------------------------------------

// jobPage is /jobs/:id; another user's job is a 404 page.
func (s *Server) jobPage(c *fiber.Ctx) error {
	snap, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	vm := jobVM(snap, time.Now())
	vm.Notice = s.takeFlash(c, "/jobs/"+snap.Job.ID)
	setView(c, liveView{Kind: "job", Arg: snap.Job.ID})
	return s.page(c, vm.Title, "jobs", pages.JobPage(vm))
}

// jobVM shapes a snapshot for the job page; the page's stream renders its
// header and timeline from the same function.
func jobVM(snap *models.JobSnapshot, now time.Time) pages.JobVM {
	j := &snap.Job
	vm := pages.JobVM{
		Card: jobCardVM(snap, now), ProjectID: j.ProjectID, ProjectName: cmpOr(snap.ProjectName, "Untitled project"),
		Priority: models.PriorityName(j.Priority), Queued: exactTime(j.QueuedAt),
		RetryCount: j.RetryCount, MaxRetries: j.MaxRetries, Timeline: timelineVM(snap),
		Asked: runAsked(j), Instruction: j.Instruction,
	}
	vm.Title = runTitle(vm.ProjectName, j.RunNumber)
	if j.StartedAt != nil {
		vm.Started = exactTime(*j.StartedAt)
	}
	if j.CompletedAt != nil && j.Terminal() {
		vm.Finished = exactTime(*j.CompletedAt)
		if t, ok := ranFor(j); ok {
			vm.DurationLabel, vm.Duration = "Took", span(t.ran)
			if t.waited > 0 {
				vm.DurationLabel, vm.Waited = "Ran", span(t.waited)+" "+t.waitedFor()
			}
		}
	}
	vm.History = jobHistory(j)
	return vm
}

// runTitle names a run as the project page's Runs panel and the
// document pages do: "Relaunch · Run #2". Every place that titles a job
// (its page, the jobs list, the cards, the notifications) says it so, or a
// project's runs are indistinguishable. A job without a number (none is
// stored before the counter existed) is titled by its project alone.
func runTitle(project string, number int) string {
	if number <= 0 {
		return project
	}
	return fmt.Sprintf("%s · Run #%d", project, number)
}

// runAsked lists the documents a run was asked for when it was not all of
// them, as people list them ("Project Charter, Scope Statement and Risk
// Register", andList); "" for a full run.
func runAsked(j *models.Job) string {
	if len(j.DocumentsToGenerate) == 0 || len(j.DocumentsToGenerate) >= len(documents.Keys()) {
		return ""
	}
	titles := make([]string, len(j.DocumentsToGenerate))
	for i, t := range j.DocumentsToGenerate {
		titles[i] = docTitle(t)
	}
	return andList(titles)
}

// jobHistory tells a retried job's story: each earlier end and the retry
// after it, then where the job is now. A job never retried by hand has
// none (its header says it all).
func jobHistory(j *models.Job) []pages.HistoryStep {
	if len(j.History) == 0 {
		return nil
	}
	steps := []pages.HistoryStep{{Status: "queued", Label: "Queued", When: exactTime(j.QueuedAt)}}
	for _, e := range j.History {
		end := pages.HistoryStep{Status: e.Status, Label: partials.StatusLabel(e.Status),
			Detail: partials.DocumentsOf(e.CompletedDocuments, e.TotalDocuments) + " written"}
		if e.EndedAt != nil {
			end.When = exactTime(*e.EndedAt)
		}
		steps = append(steps, end, pages.HistoryStep{Status: "retried", Label: "Retried", When: exactTime(e.RetriedAt),
			Detail: "only the missing documents"})
	}
	now := pages.HistoryStep{Status: j.Status, Label: partials.StatusLabel(j.Status)}
	if j.CompletedAt != nil && j.Terminal() {
		now.When = exactTime(*j.CompletedAt)
		now.Detail = partials.DocumentsOf(j.CompletedDocuments, j.TotalDocuments) + " written"
	}
	return append(steps, now)
}

func timelineVM(snap *models.JobSnapshot) pages.TimelineVM {
	vm := pages.TimelineVM{JobID: snap.Job.ID, RunNumber: snap.Job.RunNumber, Active: snap.Job.Active()}
	status := make(map[string]string, len(snap.Documents))
	for _, d := range snap.Documents {
		status[d.DocumentType] = d.Status
	}
	for _, d := range snap.Documents {
		td := pages.TimelineDoc{Type: d.DocumentType, Title: docTitle(d.DocumentType), Status: d.Status,
			Attempts: d.Attempts}
		// The technical detail is what the provider answered, never the
		// server's own error text (internal addresses, a Go error chain):
		// that is the admin console's.
		td.Error = documents.ProviderSaid(orZero(d.Error))
		switch {
		case orZero(d.Error) == "":
		case d.Status == models.DocFailed:
			td.ErrorSummary = cmpOr(docFailureSummary(&snap.Job, d.DocumentType), docFailedSentence)
		default:
			// Waiting for the job's automatic retry, or being written again.
			td.ErrorSummary = "The last attempt failed."
		}
		if d.StartedAt != nil {
			td.Started = exactTime(*d.StartedAt)
		}
		if d.DurationMS != nil {
			td.Duration = fmt.Sprintf("%.1f s", float64(*d.DurationMS)/1000)
		}
		if d.PromptTokens > 0 || d.CompletionTokens > 0 {
			td.Tokens = fmt.Sprintf("%s in · %s out", thousands(d.PromptTokens), thousands(d.CompletionTokens))
		}
		if d.Status == models.DocSkipped {
			td.Note = skippedNote(d.DocumentType, status, snap.Job.Status)
		}
		if d.ArtifactID != nil {
			td.ArtifactURL = "/artifacts/" + *d.ArtifactID
			vm.Artifacts++
		}
		vm.Docs = append(vm.Docs, td)
	}
	return vm
}

// skippedNote says why a document was not generated: a document it needs
// failed (or was not generated either), or the job was cancelled.
func skippedNote(typ string, status map[string]string, jobStatus string) string {
	var missing []string
	if dt, ok := documents.Lookup(typ); ok {
		for _, dep := range dt.DependsOn {
			if st, in := status[dep]; in && st == models.DocFailed {
				missing = append(missing, docTitle(dep))
			}
		}
	}
	switch {
	case len(missing) > 0:
		return "Not generated: it needs " + andList(missing) + ", which " + failedVerb(len(missing)) + "."
	case jobStatus == models.StatusCancelled:
		return "Not generated: the job was cancelled."
	}
	return "Not generated."
}

// failedVerb is "failed" as said of n documents: "which failed", "which
// both failed", "which all failed".
func failedVerb(n int) string {
	switch {
	case n == 2:
		return "both failed"
	case n > 2:
		return "all failed"
	}
	return "failed"
}

// ---- Card actions ---------------------------------------------------------------

// cancelFromCard is the card's Cancel button: it answers with the card as
// it is now ("Stopping…" until the worker stops, or Cancelled at once for
// a queued job).
func (s *Server) cancelFromCard(c *fiber.Ctx) error {
	return s.cardAction(c, s.jobs.Cancel, "This job can no longer be cancelled: it has already ended.")
}

// retryFromCard is the card's Retry button: only missing documents run.
func (s *Server) retryFromCard(c *fiber.Ctx) error {
	return s.cardAction(c, s.jobs.Retry, "Only a failed or cancelled job can be retried.")
}

// cardAction runs cancel or retry and answers htmx with the refreshed card;
// where the state forbids the action, a 409 with the current card and a
// notice. A plain form post is sent back to the job page.
func (s *Server) cardAction(c *fiber.Ctx, action func(ctx context.Context, userID, id string) (*models.Job, error), conflict string) error {
	snap, err := s.jobAction(c, action, conflict)
	var e *Error
	if errors.As(err, &e) && e.Status == fiber.StatusConflict {
		msg := conflict
		switch e.Code {
		case "active_job":
			msg = "This project already has another generation in progress."
		case "not_retryable":
			msg = "A retry cannot fix this failure. Fix the cause, then start a new generation."
		}
		return s.cardConflict(c, msg)
	}
	if err != nil {
		return err
	}
	if c.Get("HX-Request") != "true" {
		return c.Redirect("/jobs/"+snap.Job.ID, fiber.StatusSeeOther)
	}
	return render(c, partials.JobProgress(jobCardVM(snap, time.Now())))
}

// cardConflict answers a card action the job's state does not allow: the
// current card and a notice (a plain form post goes back to the job page,
// which shows the notice: setFlash).
func (s *Server) cardConflict(c *fiber.Ctx, msg string) error {
	cur, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	if c.Get("HX-Request") != "true" {
		path := "/jobs/" + cur.Job.ID
		s.setFlash(c, path, msg)
		return c.Redirect(path, fiber.StatusSeeOther)
	}
	c.Status(fiber.StatusConflict)
	if err := render(c, partials.JobProgress(jobCardVM(cur, time.Now()))); err != nil {
		return err
	}
	return render(c, pages.ActionNotice(msg))
}

// ---- Formatting ---------------------------------------------------------------

// relTime says how long ago t was, as "3 min ago".
func relTime(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Minute:
		return fmt.Sprintf("%d min ago", max(1, int(d.Round(time.Minute)/time.Minute)))
	case d < 36*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Round(time.Hour)/time.Hour))
	case d < 14*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Round(24*time.Hour)/(24*time.Hour)))
	}
	return t.UTC().Format("2 Jan 2006")
}

func exactTime(t time.Time) string { return t.UTC().Format(pages.ExactLayout) }

// span is a duration as people say it: "48 s", "3 min 12 s", "1 h 5 min".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// runTimes is how an ended job spent the time from its first start to its
// end.
type runTimes struct {
	// ran is the time it was running; waited the time it was queued
	// between its runs (automatic retries' waits, a worker's after a
	// retry) or stayed ended before a manual retry.
	ran, waited time.Duration
	retried     bool
}

// waitedFor says what the waits were for: a retry, or only a worker (a
// run handed back at a shutdown).
func (t runTimes) waitedFor() string {
	if t.retried {
		return "to retry"
	}
	return "for a worker"
}

// ranFor splits an ended job's time from its first start to its end into
// the time it ran and the time it waited, from what its row stores: the
// waits each claim that resumed it added up (waited_ms), and the time it
// stayed ended before each manual retry (its history). A job whose waits
// were not recorded (before migration 00021) counts its elapsed time as
// run, as it always was. ok is false for a job that has not ended or never
// started.
func ranFor(j *models.Job) (runTimes, bool) {
	if j.StartedAt == nil || j.CompletedAt == nil || !j.Terminal() {
		return runTimes{}, false
	}
	t := runTimes{ran: j.CompletedAt.Sub(*j.StartedAt), retried: j.RetryCount > 0 || len(j.History) > 0}
	if j.WaitedMS == nil {
		return t, true
	}
	t.waited = time.Duration(*j.WaitedMS) * time.Millisecond
	for _, e := range j.History {
		if e.EndedAt != nil && e.RetriedAt.After(*e.EndedAt) {
			t.waited += e.RetriedAt.Sub(*e.EndedAt)
		}
	}
	t.waited = min(t.waited, t.ran)
	t.ran -= t.waited
	return t, true
}

// ranPhrase is an ended job's time in a list: "took 4 s", or, when it
// waited between runs, "ran 2 min 10 s; waited 40 s to retry"; "" for a job
// that has not ended.
func ranPhrase(j *models.Job) string {
	t, ok := ranFor(j)
	switch {
	case !ok:
		return ""
	case t.waited.Round(time.Second) > 0:
		return "ran " + span(t.ran) + "; waited " + span(t.waited) + " " + t.waitedFor()
	}
	return "took " + span(t.ran)
}
