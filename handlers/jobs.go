package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/models"
)

// JobRoutes registers the generation job API.
func (s *Server) JobRoutes(r fiber.Router) {
	api := r.Group("/api/generation/jobs")
	api.Post("/", s.createJobLimit(), s.CreateJob)
	api.Get("/", s.ListJobs)
	api.Get("/:id", s.GetJob)
	api.Post("/:id/cancel", s.CancelJob)
	api.Post("/:id/retry", s.RetryJob)
}

// createJobLimit is the per-user limit of job creations (JobCreateRate a
// minute), one budget for every route that creates a job: the API, the
// generate form, the regenerate form and the foreground stream. Each route
// used to build a limiter of its own, so a user had a budget per route.
func (s *Server) createJobLimit() fiber.Handler { return s.jobCreateLimit }

// createJobRequest is the body of POST /api/generation/jobs.
type createJobRequest struct {
	ProjectID               string              `json:"projectId"`
	ProjectData             *models.DataInput   `json:"projectData"`
	CompanyIntelligencePack *models.CompanyPack `json:"companyIntelligencePack"`
	Documents               []string            `json:"documents"`
	// Priority is nil when the body leaves it out (or sends null): then
	// the job is normal. An empty string is a value, and not a valid one.
	Priority *string `json:"priority" null:"ok"`
	// Instruction and IncludeDependents make a regeneration: the chosen
	// documents are rewritten with the instruction, optionally with the
	// documents that depend on them; the others keep their versions.
	Instruction       string `json:"instruction"`
	IncludeDependents bool   `json:"includeDependents"`
}

// CreateJob queues a generation job: 202 with a Location, 409 with the
// active job's id when the project already has one.
func (s *Server) CreateJob(c *fiber.Ctx) error {
	u := currentUser(c)
	var req createJobRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	job, replay, err := s.startJob(c, u, req)
	if err != nil {
		return err
	}
	snap, err := s.db.Snapshot(c.UserContext(), job.ID)
	if err != nil {
		return err
	}
	c.Location("/api/generation/jobs/" + job.ID)
	if replay {
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(fiber.StatusAccepted).JSON(NewJobJSON(snap))
}

// instructionIgnored refuses an instruction the built-in generator would
// not follow.
const instructionIgnored = "is not supported: the built-in template generator writes from the project data and does not follow instructions; configure a model (GENERATOR=openai) to regenerate with one"

// instructionBlank refuses an instruction of whitespace alone. An empty
// one (the form's field left empty) is no instruction and is fine.
const instructionBlank = "is blank: write an instruction, or leave it empty to regenerate from the current data alone"

// startJob validates a job request and creates the job; shared by the API
// and the generate page.
func (s *Server) startJob(c *fiber.Ctx, u *models.User, req createJobRequest) (*models.Job, bool, error) {
	ctx := c.UserContext()
	fields := map[string]string{}
	if strings.TrimSpace(req.ProjectID) == "" {
		fields["projectId"] = "is required"
	}
	prio := models.PriorityNormal
	if req.Priority != nil {
		p, ok := models.ParsePriority(*req.Priority)
		if !ok || *req.Priority == "" { // ParsePriority reads "" as normal
			fields["priority"] = `must be "high", "normal" or "low", or left out for normal`
		}
		prio = p
	}
	key := strings.TrimSpace(c.Get("Idempotency-Key"))
	switch {
	case len(key) > 255:
		fields["Idempotency-Key"] = "must be at most 255 characters"
	case !storableText(key):
		fields["Idempotency-Key"] = "must be UTF-8 text without NUL characters"
	}
	sent := req.Instruction
	req.Instruction = strings.TrimSpace(req.Instruction)
	switch {
	case sent != "" && !s.followsInstructions():
		// The built-in generator writes from the project data alone: a
		// version labelled with an instruction it ignored would be a lie.
		fields["instruction"] = instructionIgnored
	case sent != "" && req.Instruction == "":
		// Whitespace alone is not an instruction; read as none, it would
		// rewrite the documents without the one the client meant to give.
		fields["instruction"] = instructionBlank
	case utf8.RuneCountInString(req.Instruction) > documents.MaxInstructionChars:
		fields["instruction"] = fmt.Sprintf("must be at most %d characters", documents.MaxInstructionChars)
	case strings.ContainsRune(req.Instruction, 0):
		fields["instruction"] = "must not contain NUL characters"
	case !utf8.ValidString(req.Instruction):
		fields["instruction"] = "must be UTF-8 text" // a form sends its bytes as they are
	}
	if len(fields) > 0 {
		return nil, false, ValidationError(fields)
	}
	project, err := s.db.ProjectForUser(ctx, u.ID, req.ProjectID)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return nil, false, Errorf(fiber.StatusNotFound, "not_found", "project %q not found", req.ProjectID)
		}
		return nil, false, err
	}
	latest, err := s.db.LatestDocuments(ctx, u.ID, project.ID)
	if err != nil {
		return nil, false, err
	}
	have := map[string]bool{}
	for _, v := range latest {
		have[v.DocumentType] = true
	}
	docs, err := documents.Plan(req.Documents, req.IncludeDependents, func(t string) bool { return have[t] })
	var unknown *documents.UnknownTypeError
	if errors.As(err, &unknown) {
		e := ValidationError(map[string]string{"documents": err.Error()})
		e.Message = err.Error()
		e.Extra = map[string]any{"validTypes": unknown.Valid}
		return nil, false, e
	}
	if err != nil {
		return nil, false, err
	}
	// Data sent with the job passes the same validator as a project's.
	data, pack := project.Data, project.CompanyIntelligencePack
	var invalid models.FieldErrors
	if req.CompanyIntelligencePack != nil {
		pack = *req.CompanyIntelligencePack
		models.ValidateCompanyPack(&pack, &invalid, "companyIntelligencePack.")
	}
	if req.ProjectData != nil {
		req.ProjectData.Validate(&invalid, "projectData.", &pack)
		data = req.ProjectData.ProjectData()
	}
	if err := validationFailed(&invalid); err != nil {
		return nil, false, err
	}
	// The versions are compared with the project's inputs later only if
	// they were written from them (data sent with the job, when it
	// differs, is not the project's).
	source := project.Fingerprint()
	if models.Fingerprint(project.Name, project.Description, data, &pack) != source {
		source = ""
	}
	job, replay, err := s.jobs.Create(ctx, models.NewJob{
		UserID: u.ID, ProjectID: project.ID, Priority: prio, ProjectData: data, Company: &pack, SourceHash: source,
		Documents: docs, MaxRetries: s.cfg.MaxRetries, IdempotencyKey: key,
		Requested: req.Documents, Instruction: req.Instruction, IncludeDependents: req.IncludeDependents,
	})
	var active *models.ActiveJobError
	switch {
	case errors.As(err, &active):
		return nil, false, &Error{Status: fiber.StatusConflict, Code: "active_job",
			Message: "this project already has a queued or processing job", Extra: map[string]any{"jobId": active.JobID}}
	case errors.Is(err, models.ErrIdempotencyMismatch):
		return nil, false, &Error{Status: fiber.StatusConflict, Code: "idempotency_key_reused", Message: err.Error()}
	case err != nil:
		return nil, false, err
	}
	return job, replay, nil
}

var jobStatuses = []string{models.StatusQueued, models.StatusProcessing, models.StatusCompleted, models.StatusFailed, models.StatusCancelled}

// parseStatuses reads ?status=a,b, and ?status=a&status=b as the same:
// the jobs with any of the statuses.
func parseStatuses(values [][]byte) ([]string, error) {
	if len(values) == 0 || len(values) == 1 && len(values[0]) == 0 {
		return nil, nil
	}
	var out []string
	for _, st := range strings.Split(string(bytes.Join(values, []byte{','})), ",") {
		st = strings.TrimSpace(st)
		valid := false
		for _, v := range jobStatuses {
			valid = valid || v == st
		}
		if !valid {
			return nil, ValidationError(map[string]string{"status": fmt.Sprintf("unknown status %q; valid: %s", st, strings.Join(jobStatuses, ", "))})
		}
		out = append(out, st)
	}
	return out, nil
}

// ListJobs lists the caller's jobs, newest first, optionally by ?status=
// (one or several) and ?projectId= (one).
func (s *Server) ListJobs(c *fiber.Ctx) error {
	u := currentUser(c)
	statuses, err := parseStatuses(c.Context().QueryArgs().PeekMulti("status"))
	if err != nil {
		return err
	}
	projectID, err := queryOnce(c, "projectId")
	if err != nil {
		return err
	}
	snaps, err := s.jobSnapshots(c, u.ID, models.JobFilter{Statuses: statuses, ProjectID: projectID, Limit: 200})
	if err != nil {
		return err
	}
	out := make([]JobJSON, len(snaps))
	for i := range snaps {
		out[i] = NewJobJSON(&snaps[i])
	}
	return c.JSON(out)
}

// jobSnapshots loads the user's jobs with their documents and project names
// in three queries.
func (s *Server) jobSnapshots(c *fiber.Ctx, userID string, f models.JobFilter) ([]models.JobSnapshot, error) {
	ctx := c.UserContext()
	jobs, err := s.db.Jobs(ctx, userID, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	docs, err := s.db.JobDocumentsFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	projects, err := s.db.Projects(ctx, userID)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(projects))
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	out := make([]models.JobSnapshot, len(jobs))
	for i, j := range jobs {
		out[i] = models.JobSnapshot{Job: j, Documents: docs[j.ID], ProjectName: names[j.ProjectID]}
	}
	return out, nil
}

// userSnapshot loads one of the user's jobs; another user's is a 404.
func (s *Server) userSnapshot(c *fiber.Ctx, id string) (*models.JobSnapshot, error) {
	u := currentUser(c)
	if _, err := s.db.JobForUser(c.UserContext(), u.ID, id); err != nil {
		return nil, err
	}
	return s.db.Snapshot(c.UserContext(), id)
}

// GetJob returns one of the caller's jobs.
func (s *Server) GetJob(c *fiber.Ctx) error {
	snap, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(NewJobJSON(snap))
}

// CancelJob cancels a queued job at once, or asks its worker to stop.
func (s *Server) CancelJob(c *fiber.Ctx) error {
	snap, err := s.jobAction(c, s.jobs.Cancel, "only a queued or processing job can be cancelled")
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(NewJobJSON(snap))
}

// RetryJob requeues a failed or cancelled job; only missing documents run.
// A job whose every failure is one no retry can fix (a rejected key, a bad
// request, a prompt over the context length) is refused with a 409 that
// says so, as the page offers no Retry for it.
func (s *Server) RetryJob(c *fiber.Ctx) error {
	snap, err := s.jobAction(c, s.jobs.Retry, "only a failed or cancelled job can be retried")
	if err != nil {
		return err
	}
	c.Location("/api/generation/jobs/" + snap.Job.ID)
	return c.Status(fiber.StatusAccepted).JSON(NewJobJSON(snap))
}

// jobAction runs cancel or retry and maps its errors: 404 for another
// user's job, 409 where the state doesn't allow it.
func (s *Server) jobAction(c *fiber.Ctx, action func(ctx context.Context, userID, id string) (*models.Job, error), conflict string) (*models.JobSnapshot, error) {
	u := currentUser(c)
	job, err := action(c.UserContext(), u.ID, c.Params("id"))
	var active *models.ActiveJobError
	switch {
	case errors.Is(err, models.ErrConflict):
		cur, _ := s.db.JobForUser(c.UserContext(), u.ID, c.Params("id"))
		e := &Error{Status: fiber.StatusConflict, Code: "invalid_state", Message: conflict}
		if cur != nil {
			e.Extra = map[string]any{"status": cur.Status}
		}
		return nil, e
	case errors.Is(err, models.ErrNotRetryable):
		return nil, s.notRetryable(c)
	case errors.As(err, &active):
		return nil, &Error{Status: fiber.StatusConflict, Code: "active_job",
			Message: "this project already has a queued or processing job", Extra: map[string]any{"jobId": active.JobID}}
	case err != nil:
		return nil, err
	}
	return s.db.Snapshot(c.UserContext(), job.ID)
}
