package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
)

// The operator console, for administrators only: everyone else, signed in
// or not, gets a 404, as if it did not exist.

// AdminRoutes registers /admin. Register it before the signed-in group, so
// that anonymous visitors get the 404 rather than the login redirect.
func (s *Server) AdminRoutes(r fiber.Router) {
	g := r.Group("/admin", s.requireAdmin)
	g.Get("", s.adminPage)
	g.Get("/failing", s.adminFailing)
	g.Post("/jobs/bulk", s.adminBulk)
}

// requireAdmin answers 404 to anyone who is not an administrator.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if u := currentUser(c); u == nil || !u.IsAdmin {
		return ErrNotFound
	}
	return c.Next()
}

func (s *Server) adminPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	live, err := s.adminLiveVM(ctx)
	if err != nil {
		return err
	}
	failing, err := s.adminFailingVM(ctx, s.takeFlash(c, "/admin"))
	if err != nil {
		return err
	}
	vm := pages.AdminVM{Live: live, Failing: failing}
	if sess := currentSession(c); sess != nil {
		vm.CSRF = sess.CSRFToken
	}
	return s.page(c, "Operations", "admin", pages.Admin(vm))
}

func (s *Server) adminFailing(c *fiber.Ctx) error {
	vm, err := s.adminFailingVM(c.UserContext(), "")
	if err != nil {
		return err
	}
	return render(c, pages.AdminFailing(vm, csrfOf(c)))
}

func csrfOf(c *fiber.Ctx) string {
	if sess := currentSession(c); sess != nil {
		return sess.CSRFToken
	}
	return ""
}

// maxBulk bounds one bulk action.
const maxBulk = 500

// adminBulk retries or cancels exactly the checked jobs, each through the
// same path as its owner's own retry or cancel (NOTIFY included). A job
// whose state does not allow the action is left as it is and counted; so is
// a failed job that a retry cannot fix, which the API's retry refuses too
// (409 not_retryable), with the reason.
func (s *Server) adminBulk(c *fiber.Ctx) error {
	action := c.FormValue("action")
	if action != "retry" && action != "cancel" {
		return Errorf(fiber.StatusUnprocessableEntity, "validation_failed", "action must be retry or cancel")
	}
	var ids []string
	for _, v := range c.Context().PostArgs().PeekMulti("ids") {
		ids = append(ids, string(v))
	}
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		ids = append(ids, mf.Value["ids"]...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > maxBulk {
		return Errorf(fiber.StatusUnprocessableEntity, "validation_failed", "select at most %d jobs at once", maxBulk)
	}
	ctx := c.UserContext()
	res := s.bulk(ctx, action, ids)
	slog.Info("admin bulk action", "admin", currentUser(c).Email, "action", action, "selected", len(ids),
		"done", res.done, "refused", res.refused(), "not_retryable", res.notRetryable(), "missing", res.missing)
	if c.Get("HX-Request") != "true" {
		s.setFlash(c, "/admin", res.flash(action, len(ids)))
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
	vm, err := s.adminFailingVM(ctx, res.flash(action, len(ids)))
	if err != nil {
		return err
	}
	return render(c, pages.AdminFailing(vm, csrfOf(c)))
}

// bulkResult counts what a bulk action did with the selected jobs, and why
// it left the others alone.
type bulkResult struct {
	done, missing int
	// running: a retry found the job queued or running already; ended: the
	// job had already ended (a cancel), or completed (a retry); busy: the
	// job's project has another active run (a retry); failed: an error
	// the server logged.
	running, ended, busy, failed int
	// noRetry counts the failed jobs left alone because a retry cannot fix
	// their failure, by the failure's plain sentence.
	noRetry map[string]int
}

func (r bulkResult) notRetryable() int {
	n := 0
	for _, c := range r.noRetry {
		n += c
	}
	return n
}

// refused counts the jobs whose state did not allow the action.
func (r bulkResult) refused() int { return r.running + r.ended + r.busy + r.failed }

// bulk applies action to each job id as its owner would.
func (s *Server) bulk(ctx context.Context, action string, ids []string) bulkResult {
	res := bulkResult{noRetry: map[string]int{}}
	for _, id := range ids {
		job, err := s.db.JobByID(ctx, id)
		if err != nil {
			res.missing++
			continue
		}
		switch action {
		case "retry":
			_, err = s.jobs.Retry(ctx, job.UserID, job.ID)
			if errors.Is(err, models.ErrNotRetryable) {
				var why string
				if why, err = s.noRetryReason(ctx, job); err == nil {
					res.noRetry[why]++
					continue
				}
			}
		case "cancel":
			_, err = s.jobs.Cancel(ctx, job.UserID, job.ID)
		}
		var active *models.ActiveJobError
		switch {
		case err == nil:
			res.done++
		case errors.As(err, &active):
			res.busy++
		case errors.Is(err, models.ErrConflict):
			// Why, from the job as it is now: another tab or the
			// worker may have moved it since it was read.
			if now, nerr := s.db.JobByID(ctx, id); nerr == nil {
				job = now
			}
			if action == "retry" && job.Active() {
				res.running++
			} else {
				res.ended++
			}
		case errors.Is(err, models.ErrNotFound):
			res.missing++
		default:
			slog.Warn("admin bulk action", "action", action, "job", id, "err", err)
			res.failed++
		}
	}
	return res
}

// noRetryReason is the plain sentence of the failure that refused a job's
// retry (models.ErrNotRetryable), for the console.
func (s *Server) noRetryReason(ctx context.Context, job *models.Job) (string, error) {
	docs, err := s.db.JobDocuments(ctx, job.ID)
	if err != nil {
		return "", err
	}
	summary, _ := failureSummary(&models.JobSnapshot{Job: *job, Documents: docs})
	if summary == "" {
		summary = "a retry cannot fix this failure"
	}
	return summary, nil
}

// countedReason is why some of the selected jobs were left alone, said of
// one job and of several: "1 had already finished", "2 no longer exist".
type countedReason struct {
	n         int
	one, many string
}

func (c countedReason) String() string {
	if c.n == 1 {
		return c.one
	}
	return c.many
}

// flash says what the bulk action did, for the console, as a person would
// say it: "Retried the selected job.", "Retried 2 of the 3 selected jobs;
// 1 had already completed." Each job left alone is counted under why.
func (r bulkResult) flash(action string, selected int) string {
	if selected == 0 {
		return "No job was selected."
	}
	verb := map[string]string{"retry": "Retried", "cancel": "Cancelled"}[action]
	undone := map[string]string{"retry": "retried", "cancel": "cancelled"}[action]
	reasons := []countedReason{
		{r.running, "was already queued or running", "were already queued or running"},
		{r.ended, "had already finished", "had already finished"},
		{r.busy, "could not be retried while another run of its project is active", "could not be retried while other runs of their projects are active"},
		{r.failed, "could not be " + undone + " because of an error (the server log has it)", "could not be " + undone + " because of an error (the server log has them)"},
		{r.missing, "no longer exists", "no longer exist"},
	}
	if action == "retry" {
		reasons[1].one, reasons[1].many = "had already completed", "had already completed"
	}
	if n := r.notRetryable(); n > 0 {
		reasons = append(reasons, countedReason{n,
			"was not retried because a retry cannot fix its failure: " + r.noRetryList(),
			"were not retried because a retry cannot fix their failure: " + r.noRetryList()})
	}
	if selected == 1 {
		if r.done == 1 {
			return verb + " the selected job."
		}
		for _, c := range reasons {
			if c.n > 0 {
				return endSentence("The selected job " + c.one)
			}
		}
		return "The selected job was not " + undone + "."
	}
	if r.done == selected {
		return fmt.Sprintf("%s the %d selected jobs.", verb, selected)
	}
	done := strconv.Itoa(r.done)
	if r.done == 0 {
		done = "none"
	}
	var why []string
	for _, c := range reasons {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c))
		}
	}
	msg := fmt.Sprintf("%s %s of the %d selected jobs", verb, done, selected)
	if len(why) > 0 {
		msg += "; " + andList(why)
	}
	return endSentence(msg)
}

// noRetryList quotes the failures no retry can fix, the commonest first,
// each with its count when there are several: “…” (2) and “…” (1).
func (r bulkResult) noRetryList() string {
	sentences := make([]string, 0, len(r.noRetry))
	for s := range r.noRetry {
		sentences = append(sentences, s)
	}
	sort.Slice(sentences, func(a, b int) bool {
		if r.noRetry[sentences[a]] != r.noRetry[sentences[b]] {
			return r.noRetry[sentences[a]] > r.noRetry[sentences[b]]
		}
		return sentences[a] < sentences[b]
	})
	for i, s := range sentences {
		sentences[i] = "“" + s + "”"
		if len(r.noRetry) > 1 {
			sentences[i] += fmt.Sprintf(" (%d)", r.noRetry[s])
		}
	}
	return andList(sentences)
}

// endSentence ends s with a full stop, unless a quoted sentence already
// ends it.
func endSentence(s string) string {
	for _, end := range []string{".”", "!”", "?”", "."} {
		if strings.HasSuffix(s, end) {
			return s
		}
	}
	return s + "."
}

// adminWindow is the span of the console's charts.
const adminWindow = time.Hour

// adminLiveVM reads everything the live part of the console shows: a
// handful of grouped queries, run once per refresh per instance.
func (s *Server) adminLiveVM(ctx context.Context) (pages.AdminLiveVM, error) {
	now := s.db.Now(ctx)
	var vm pages.AdminLiveVM
	vm.GeneratedAt = now.Format(time.RFC3339)

	depths, err := s.db.QueueDepths(ctx)
	if err != nil {
		return vm, err
	}
	vm.Depth, vm.DepthTotal = depthRows(depths)

	since := now.Add(-adminWindow).Truncate(time.Minute).Add(time.Minute)
	counts, err := s.db.Throughput(ctx, since)
	if err != nil {
		return vm, err
	}
	vm.Throughput = throughputChart(counts, since)
	waits, err := s.db.QueueWaits(ctx, since, 20000)
	if err != nil {
		return vm, err
	}
	vm.QueueWait = waitChart(waits, since)

	running, err := s.db.RunningJobs(ctx, 100)
	if err != nil {
		return vm, err
	}
	for _, j := range running {
		vm.Running = append(vm.Running, adminJobVM(j, now))
	}

	heartbeat := s.cfg.InstanceTimeout
	if heartbeat == 0 {
		heartbeat = 15 * time.Second
	}
	instances, err := s.db.AliveInstances(ctx, now.Add(-heartbeat), now)
	if err != nil {
		return vm, err
	}
	for _, in := range instances {
		vm.Instances = append(vm.Instances, pages.InstanceVM{
			ID: in.ID, Role: in.Role, Version: in.Version, Leases: in.Leases,
			Started: in.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), LastSeen: ago(now.Sub(in.LastSeen)),
		})
	}

	usage, err := s.db.Usage(ctx, now.AddDate(0, 0, -6).Truncate(24*time.Hour))
	if err != nil {
		return vm, err
	}
	for _, u := range usage {
		vm.Usage = append(vm.Usage, pages.UsageVM{Day: u.Day, User: u.UserEmail, Jobs: u.Jobs, Documents: u.Documents, Tokens: thousands(int(u.Tokens))})
	}
	for _, d := range depths {
		if d.Status == models.StatusFailed {
			vm.Failing += d.N
		}
	}
	return vm, nil
}

// maxFailingListed bounds the failing jobs the console lists.
const maxFailingListed = 300

func (s *Server) adminFailingVM(ctx context.Context, flash string) (pages.AdminFailingVM, error) {
	now := s.db.Now(ctx)
	jobs, err := s.db.FailingJobs(ctx, maxFailingListed)
	if err != nil {
		return pages.AdminFailingVM{}, err
	}
	vm := pages.AdminFailingVM{Flash: flash, Total: len(jobs)}
	index := map[string]int{}
	for _, j := range jobs {
		msg := orZero(j.ErrorMessage)
		i, ok := index[msg]
		if !ok {
			i = len(vm.Groups)
			index[msg] = i
			vm.Groups = append(vm.Groups, pages.FailGroupVM{Key: strconv.Itoa(i), Error: msg})
		}
		g := &vm.Groups[i]
		g.Jobs = append(g.Jobs, adminJobVM(j, now))
		for _, h := range operatorHints(&j.Job) {
			if !slices.Contains(g.Hints, h) {
				g.Hints = append(g.Hints, h)
			}
		}
	}
	// The largest groups first: the error that hurts most.
	sort.SliceStable(vm.Groups, func(a, b int) bool { return len(vm.Groups[a].Jobs) > len(vm.Groups[b].Jobs) })
	return vm, nil
}

// operatorHints are what an operator should check for a job's failures
// (documents.Explanation.Hint: the settings the users' pages never name),
// in catalog order, found by each failed document's stored sentence.
func operatorHints(j *models.Job) []string {
	var hints []string
	for _, f := range jobFailures(j) {
		if h := documents.OperatorHint(f.Summary); h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	return hints
}

func adminJobVM(j models.AdminJob, now time.Time) pages.AdminJobVM {
	vm := pages.AdminJobVM{
		ID: j.ID, ShortID: j.ID[:min(8, len(j.ID))], User: j.UserEmail, Project: j.ProjectName, Status: j.Status,
		Priority: models.PriorityName(j.Priority), Progress: j.ProgressPercentage, Current: docTitleOrEmpty(orZero(j.CurrentDocument)),
		Instance: orZero(j.LockedBy), Error: orZero(j.ErrorMessage),
		Retry: fmt.Sprintf("retry %d of %d", j.RetryCount, j.MaxRetries),
	}
	if j.LeaseExpiresAt != nil {
		if left := j.LeaseExpiresAt.Sub(now); left > 0 {
			vm.LeaseLeft = "expires in " + left.Round(time.Second).String()
		} else {
			vm.LeaseLeft = "expired " + ago(-left)
		}
	}
	switch {
	case j.Status == models.StatusQueued && j.RunAt.After(now):
		vm.When = "next attempt in " + j.RunAt.Sub(now).Round(time.Second).String()
	case j.CompletedAt != nil:
		vm.When = "ended " + ago(now.Sub(*j.CompletedAt))
	default:
		vm.When = "updated " + ago(now.Sub(j.UpdatedAt))
	}
	return vm
}

func docTitleOrEmpty(t string) string {
	if t == "" {
		return ""
	}
	return docTitle(t)
}

var depthOrder = []string{models.StatusQueued, models.StatusProcessing, models.StatusCompleted, models.StatusFailed, models.StatusCancelled}

func depthRows(ds []models.QueueDepth) ([]pages.DepthRowVM, int) {
	rows := make([]pages.DepthRowVM, len(depthOrder))
	total := 0
	for i, st := range depthOrder {
		rows[i].Status = st
	}
	for _, d := range ds {
		i := slices.Index(depthOrder, d.Status)
		if i < 0 {
			continue
		}
		switch {
		case d.Priority > 0:
			rows[i].High += d.N
		case d.Priority < 0:
			rows[i].Low += d.N
		default:
			rows[i].Normal += d.N
		}
		rows[i].Total += d.N
		total += d.N
	}
	return rows, total
}

// minutes lists the minute keys from since for the window, as the models
// format them ("2006-01-02 15:04", UTC).
func minutes(since time.Time) []time.Time {
	n := int(adminWindow / time.Minute)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = since.UTC().Add(time.Duration(i) * time.Minute)
	}
	return out
}

func throughputChart(counts []models.MinuteCount, since time.Time) pages.ChartVM {
	c := pages.ChartVM{ID: "chart-throughput", Title: "Throughput, last hour", Unit: "jobs", Series: [2]string{"completed jobs", "failed jobs"}}
	byMinute := map[string]map[string]int{}
	totals := map[string]int{}
	for _, m := range counts {
		if byMinute[m.Minute] == nil {
			byMinute[m.Minute] = map[string]int{}
		}
		byMinute[m.Minute][m.Kind] += m.N
		totals[m.Kind] += m.N
	}
	for _, t := range minutes(since) {
		m := byMinute[t.Format("2006-01-02 15:04")]
		b := pages.BarVM{Label: t.Format("15:04"), A: float64(m[models.StatusCompleted]), B: float64(m[models.StatusFailed])}
		c.Max = math.Max(c.Max, b.A+b.B)
		c.Bars = append(c.Bars, b)
	}
	c.Max = niceMax(c.Max)
	c.Summary = fmt.Sprintf("%d completed, %d failed, %d cancelled jobs; %s",
		totals[models.StatusCompleted], totals[models.StatusFailed], totals[models.StatusCancelled], pages.Plural(totals["documents"], "document", "documents"))
	return c
}

func waitChart(waits []models.QueueWait, since time.Time) pages.ChartVM {
	c := pages.ChartVM{ID: "chart-wait", Title: "Queue wait, last hour", Unit: "s", Series: [2]string{"average wait (s)", ""}}
	type agg struct {
		sum, max float64
		n        int
	}
	byMinute := map[string]*agg{}
	all := make([]float64, 0, len(waits))
	for _, w := range waits {
		sec := math.Max(w.StartedAt.Sub(w.QueuedAt).Seconds(), 0)
		all = append(all, sec)
		k := w.StartedAt.UTC().Format("2006-01-02 15:04")
		a := byMinute[k]
		if a == nil {
			a = &agg{}
			byMinute[k] = a
		}
		a.sum += sec
		a.n++
		a.max = math.Max(a.max, sec)
	}
	for _, t := range minutes(since) {
		b := pages.BarVM{Label: t.Format("15:04")}
		if a := byMinute[t.Format("2006-01-02 15:04")]; a != nil {
			b.A, b.Mark = a.sum/float64(a.n), a.max
		}
		c.Max = math.Max(c.Max, math.Max(b.A, b.Mark))
		c.Bars = append(c.Bars, b)
	}
	c.Max = niceMax(c.Max)
	if len(all) == 0 {
		c.Summary = "no job started"
		return c
	}
	slices.Sort(all)
	c.Summary = fmt.Sprintf("%s; p50 %s, p95 %s, max %s", pages.Plural(len(all), "start", "starts"),
		seconds(quantile(all, 0.5)), seconds(quantile(all, 0.95)), seconds(all[len(all)-1]))
	return c
}

func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}

func seconds(s float64) string {
	if s < 10 {
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	}
	return (time.Duration(s) * time.Second).Round(time.Second).String()
}

// niceMax rounds an axis maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
}
