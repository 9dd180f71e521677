package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// ProjectRoutes registers the project pages and the project API. Every
// lookup is scoped to the signed-in user: another user's project is a 404.
func (s *Server) ProjectRoutes(r fiber.Router) {
	r.Get("/projects", s.projectsPage)
	r.Get("/projects/new", s.newProjectPage)
	r.Get("/projects/rows/:kind", s.projectRow)
	r.Post("/projects", s.createProject)
	r.Post("/projects/import", s.importProject)
	r.Get("/projects/:id", s.projectPage)
	r.Get("/projects/:id/edit", s.editProjectPage)
	r.Post("/projects/:id", s.updateProject)
	r.Post("/projects/:id/delete", s.deleteProject)
	r.Post("/projects/:id/duplicate", s.duplicateProject)
	r.Get("/api/projects/:id/export.json", s.exportProject)

	r.Get("/api/projects", s.listProjectsAPI)
	r.Post("/api/projects", s.createProjectAPI)
	r.Get("/api/projects/:id", s.projectAPI)
	r.Put("/api/projects/:id", s.replaceProjectAPI)
	r.Delete("/api/projects/:id", s.deleteProjectAPI)
}

// projectJSON is a project as the API returns it.
type projectJSON struct {
	ID                      string             `json:"id"`
	Name                    string             `json:"name"`
	Description             string             `json:"description"`
	Data                    models.ProjectData `json:"data"`
	CompanyIntelligencePack models.CompanyPack `json:"companyIntelligencePack"`
	CreatedAt               time.Time          `json:"createdAt"`
	UpdatedAt               time.Time          `json:"updatedAt"`
}

func toProjectJSON(p *models.Project) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, Description: p.Description, Data: p.Data,
		CompanyIntelligencePack: p.CompanyIntelligencePack, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func csrfToken(c *fiber.Ctx) string {
	if sess := currentSession(c); sess != nil {
		return sess.CSRFToken
	}
	return ""
}

// ---- Pages ----------------------------------------------------------------

func (s *Server) projectsPage(c *fiber.Ctx) error {
	ps, err := s.db.Projects(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	vm := projectsVM(ps)
	vm.Flash = s.takeFlash(c, "/projects")
	setView(c, liveView{Kind: "projects"}) // the names follow renames
	return s.page(c, "Projects", "projects", pages.Projects(vm))
}

// projectsVM is the Projects page's list, for the page and its live
// updates alike.
func projectsVM(ps []models.Project) pages.ProjectsVM {
	var vm pages.ProjectsVM
	for i := range ps {
		vm.Projects = append(vm.Projects, projectListItem(&ps[i]))
	}
	return vm
}

// newProjectPage is the empty form, or with ?example=1 the example project.
func (s *Server) newProjectPage(c *fiber.Ctx) error {
	vm := pages.ProjectFormVM{CSRF: csrfToken(c)}
	if c.QueryBool("example") {
		name, desc, data, pack := models.ExampleProject()
		vm.Form = projectForm(name, desc, data, pack)
		vm.FromExample = true
	} else {
		vm.Form = blankProjectForm()
	}
	return s.page(c, "New project", "projects", pages.ProjectFormPage(vm))
}

// blankProjectForm invites input with one empty row per list; rows left
// empty are ignored on submit.
func blankProjectForm() pages.ProjectForm {
	return pages.ProjectForm{
		BudgetCurrency: "EUR",
		Deliverables:   []pages.DeliverableRow{{Key: "0"}},
		Milestones:     []pages.MilestoneRow{{Key: "0"}},
		Stakeholders:   []pages.StakeholderRow{{Key: "0"}},
		Risks:          []pages.RiskRow{{Key: "0"}},
		Objectives:     []pages.ObjectiveRow{{Key: "0"}},
		Benefits:       []pages.BenefitRow{{Key: "0"}},
	}
}

// projectRow is one empty row for the form's "Add" buttons. Its key is
// random, so it never collides with the rows already on the page.
func (s *Server) projectRow(c *fiber.Ctx) error {
	key := "n" + models.RandomToken(6)
	none := map[string]string{}
	switch c.Params("kind") {
	case pages.RowDeliverable:
		return render(c, pages.DeliverableFields(pages.DeliverableRow{Key: key}, none))
	case pages.RowMilestone:
		return render(c, pages.MilestoneFields(pages.MilestoneRow{Key: key}, none))
	case pages.RowStakeholder:
		return render(c, pages.StakeholderFields(pages.StakeholderRow{Key: key}, none))
	case pages.RowRisk:
		return render(c, pages.RiskFields(pages.RiskRow{Key: key}, none))
	case pages.RowObjective:
		return render(c, pages.ObjectiveFields(pages.ObjectiveRow{Key: key}, none))
	case pages.RowBenefit:
		return render(c, pages.BenefitFields(pages.BenefitRow{Key: key}, none))
	}
	return ErrNotFound
}

func (s *Server) createProject(c *fiber.Ctx) error {
	form, keys := readProjectForm(c)
	var fields models.FieldErrors
	in := formInput(form, keys, nil, &fields)
	in.Validate(&fields)
	if !fields.Empty() {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "New project", "projects", pages.ProjectFormPage(pages.ProjectFormVM{Form: form, Errors: fields.Map(), CSRF: csrfToken(c)}))
	}
	p := in.Project()
	if err := s.createProjectFor(c, p); err != nil {
		return err
	}
	return c.Redirect("/projects/"+p.ID+"?saved=created", fiber.StatusSeeOther)
}

// importProject creates a project from Project JSON, pasted into the form or
// uploaded as a file. Problems are listed on the new-project page.
func (s *Server) importProject(c *fiber.Ctx) error {
	text := c.FormValue("json")
	body := []byte(text)
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		body, err = io.ReadAll(io.LimitReader(f, int64(s.cfg.BodyLimit)))
		f.Close()
		if err != nil {
			return err
		}
	}
	// Windows editors may save a file with a UTF-8 byte order mark in
	// front, which is no part of the JSON (RFC 8259 lets a reader ignore it).
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	var in models.ProjectInput
	err := decodeJSONBytes(body, &in)
	if err == nil {
		var fields models.FieldErrors
		in.Validate(&fields)
		err = validationFailed(&fields)
	}
	if err != nil {
		e := toError(err)
		vm := pages.ProjectFormVM{Form: blankProjectForm(), CSRF: csrfToken(c)}
		vm.Import = pages.ImportVM{Open: true, JSON: text, Message: importMessage(e)}
		for _, it := range pages.ErrorItems(e.Fields) {
			it.Message = e.Fields[it.Field]
			vm.Import.Errors = append(vm.Import.Errors, it)
		}
		c.Status(e.Status)
		return s.page(c, "New project", "projects", pages.ProjectFormPage(vm))
	}
	p := in.Project()
	if err := s.createProjectFor(c, p); err != nil {
		return err
	}
	return c.Redirect("/projects/"+p.ID+"?saved=imported", fiber.StatusSeeOther)
}

// importProblem says in a person's words why pasted or uploaded text is not
// a project's JSON: malformed's messages, written for API clients, say
// "malformed JSON at byte N: …".
func importProblem(msg string) string {
	const at, colon = "malformed JSON at byte ", "malformed JSON: "
	switch {
	case msg == colon+"the body ends too early":
		return "The text ends too early: a closing } or ], or a closing quotation mark, may be missing."
	case strings.HasPrefix(msg, at):
		pos, why, _ := strings.Cut(strings.TrimPrefix(msg, at), ": ")
		return fmt.Sprintf("This is not valid JSON near character %s (%s).", pos, why)
	case strings.HasPrefix(msg, colon):
		return "This is not valid JSON (" + strings.TrimPrefix(msg, colon) + ")."
	}
	return "That can't be imported: " + msg
}

func importMessage(e *Error) string {
	if e.Status == fiber.StatusBadRequest {
		return importProblem(e.Message)
	}
	if len(e.Fields) > 0 {
		return "The JSON was read, but some values need fixing:"
	}
	return e.Message
}

// createProjectFor stores a new project of the signed-in user: the user's
// other tabs list it (its creation moved the user's position).
func (s *Server) createProjectFor(c *fiber.Ctx, p *models.Project) error {
	p.UserID = currentUser(c).ID
	err := s.db.CreateProject(c.UserContext(), p)
	// On an error it may have committed all the same (its COMMIT's answer
	// lost): the tabs catch up on whatever the position says.
	s.publishUser(p.UserID)
	return err
}

// project loads the user's project named in the path, or 404s.
func (s *Server) project(c *fiber.Ctx) (*models.Project, error) {
	return s.db.ProjectForUser(c.UserContext(), currentUser(c).ID, c.Params("id"))
}

func (s *Server) projectPage(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	vm := projectView(p)
	vm.CSRF = csrfToken(c)
	if vm.Library, err = s.libraryVM(c, p); err != nil {
		return err
	}
	if vm.Runs, err = s.runsVM(c, p.ID); err != nil {
		return err
	}
	switch c.Query("saved") {
	case "created":
		vm.Flash = "Project created."
	case "imported":
		vm.Flash = "Project imported."
	case "updated":
		vm.Flash = "Changes saved."
	case "unchanged":
		// A form saved after another save may say more (the flash).
		vm.Flash = cmp.Or(s.takeFlash(c, "/projects/"+p.ID), "No changes to save.")
	case "merged":
		vm.Flash = s.takeFlash(c, "/projects/"+p.ID)
	}
	setView(c, liveView{Kind: "project", Arg: p.ID}) // runs and library stay live
	return s.page(c, p.Name, "projects", pages.Project(vm))
}

func (s *Server) editProjectPage(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	vm := pages.ProjectFormVM{ProjectID: p.ID, CSRF: csrfToken(c), Base: p.Fingerprint(), BaseProject: contentJSON(p),
		Form:  projectForm(p.Name, p.Description, p.Data, p.CompanyIntelligencePack),
		Flash: s.takeFlash(c, "/projects/"+p.ID+"/edit")}
	return s.editPage(c, p, vm)
}

// editPage renders the project's edit form. It streams as a view of the
// project, so that it follows a rename from another tab, also after a
// reconnect, and says so when the project is deleted meanwhile.
func (s *Server) editPage(c *fiber.Ctx, p *models.Project, vm pages.ProjectFormVM) error {
	setView(c, liveView{Kind: "project", Arg: p.ID})
	vm.StoredName = p.Name
	return s.page(c, "Edit "+p.Name, "projects", pages.ProjectFormPage(vm))
}

// updateProject saves the edit form. The form carries the fingerprint of
// the project it was filled from (baseFingerprint): when someone saved the
// project since (another tab, an API client), the save is refused with the
// user's values kept, so that one save never silently undoes another; the
// form then carries the new fingerprint, and saving again replaces it.
func (s *Server) updateProject(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	form, keys := readProjectForm(c)
	base := c.FormValue("baseFingerprint")
	// The lists the form shows as it was filled keep their items as
	// stored (formInput): the project it was filled from, else the
	// stored one.
	from := formBase(c, base)
	if from == nil {
		from = p
	}
	var fields models.FieldErrors
	in := formInput(form, keys, from, &fields)
	in.Validate(&fields)
	vm := pages.ProjectFormVM{ProjectID: p.ID, Form: form, Errors: fields.Map(), CSRF: csrfToken(c), Base: base,
		BaseProject: c.FormValue("baseProject")}
	if !fields.Empty() {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.editPage(c, p, vm)
	}
	up := in.Project()
	up.ID, up.UserID = p.ID, p.UserID
	if up.Fingerprint() == p.Fingerprint() {
		// Nothing to store: the project keeps its time of last change
		// (the lists' order) and no tab needs to hear of it.
		return c.Redirect("/projects/"+p.ID+"?saved=unchanged", fiber.StatusSeeOther)
	}
	err = s.db.UpdateProjectIf(c.UserContext(), up, base)
	if errors.Is(err, models.ErrProjectChanged) {
		return s.saveOverAnotherSave(c, up, vm)
	}
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			// It may have committed all the same (its COMMIT's answer
			// lost): the tabs catch up on whatever the position says.
			s.publishUser(p.UserID)
		}
		return err
	}
	// A save that changed the project moved the user's position: every
	// open tab catches up (the library's out-of-date marks, the name).
	s.publishUser(p.UserID)
	return c.Redirect("/projects/"+p.ID+"?saved=updated", fiber.StatusSeeOther)
}

// duplicateProject is the project page's "Duplicate": a new project with
// the same data and company pack, named "<name> (copy)", whose edit page
// opens (a similar project starts from a copy). Its documents and runs are
// not copied.
func (s *Server) duplicateProject(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	cp := &models.Project{Name: copyName(p.Name), Description: p.Description, Data: p.Data,
		CompanyIntelligencePack: p.CompanyIntelligencePack}
	if err := s.createProjectFor(c, cp); err != nil {
		return err
	}
	s.setFlash(c, "/projects/"+cp.ID+"/edit", "Copy created as “"+cp.Name+"”; its documents were not copied. "+
		"Rename it and change what differs, or delete it below.")
	return c.Redirect("/projects/"+cp.ID+"/edit", fiber.StatusSeeOther)
}

// copyName is a duplicate's name: " (copy)" added, within the name's limit
// of 200 characters.
func copyName(name string) string {
	const suffix = " (copy)"
	r := []rune(name)
	if max := models.MaxNameChars - len([]rune(suffix)); len(r) > max {
		name = strings.TrimSpace(string(r[:max]))
	}
	return name + suffix
}

// exportProject is the project page's "Export JSON": the project as the
// API's Project JSON without its id and times, which the new-project
// page's import (and POST /api/projects) take back as it is.
func (s *Server) exportProject(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, disposition("attachment", downloadName(p.Name, "project", ".json")))
	return c.JSON(contentOf(p))
}

// saveOverAnotherSave answers an edit form whose project was saved by
// someone else after the form was filled (up is the form's project): it
// merges the two saves (mergeProject) and stores the merge when no field
// was changed by both; otherwise, or when the form carries no base to
// merge from, it shows the form again (409) with the merge, or the user's
// values, and says which fields the other save changed.
func (s *Server) saveOverAnotherSave(c *fiber.Ctx, up *models.Project, vm pages.ProjectFormVM) error {
	ctx := c.UserContext()
	for range 3 { // a save that lands between the read and the write: merge again
		cur, err := s.project(c)
		if err != nil {
			return err
		}
		var mg *projectMerge
		if base := formBase(c, vm.Base); base != nil {
			if mg, err = mergeProject(base, up, cur); err != nil {
				return err
			}
			if !validProject(mg.Merged) {
				mg = nil // the merge breaks a rule across fields: the user decides
			}
		}
		if mg != nil && len(mg.Conflicts) == 0 {
			if mg.Merged.Fingerprint() == cur.Fingerprint() {
				// The other save already has every change of the form
				// (or the form has none): nothing to store, so the
				// project keeps its time of last change (the lists'
				// order) and no tab needs to hear of it.
				s.setFlash(c, "/projects/"+cur.ID, nothingToMergeMessage(mg))
				return c.Redirect("/projects/"+cur.ID+"?saved=unchanged", fiber.StatusSeeOther)
			}
			err := s.db.UpdateProjectIf(ctx, mg.Merged, cur.Fingerprint())
			if errors.Is(err, models.ErrProjectChanged) {
				continue
			}
			s.publishUser(cur.UserID)
			if err != nil {
				return err
			}
			s.setFlash(c, "/projects/"+cur.ID, mergedMessage(mg))
			return c.Redirect("/projects/"+cur.ID+"?saved=merged", fiber.StatusSeeOther)
		}
		vm.Base, vm.BaseProject = cur.Fingerprint(), contentJSON(cur)
		if mg != nil {
			vm.Form = projectForm(mg.Merged.Name, mg.Merged.Description, mg.Merged.Data, mg.Merged.CompanyIntelligencePack)
			yours := "Your values for them are below, not saved yet"
			if len(mg.Conflicts) == 1 {
				yours = "Your value is below, not saved yet"
			}
			vm.Changed = "This project was saved somewhere else (another tab, or an API client) after you opened this form, " +
				"with another value for " + fieldList(mg.Conflicts) + ". " + yours
			if len(mg.Theirs) > 0 {
				vm.Changed += "; its changes to " + fieldList(mg.Theirs) + " are merged in"
			}
			vm.Changed += ". Save again to keep yours, or cancel to see the other save."
			vm.Errors = conflictMessages(mg.Conflicts, cur)
		} else {
			vm.Changed = "This project was saved somewhere else (another tab, or an API client) after you opened this form. " +
				"Your values below are not saved yet; saving again replaces that save with them. Cancel to see it first."
		}
		c.Status(fiber.StatusConflict)
		return s.editPage(c, cur, vm)
	}
	return Errorf(fiber.StatusConflict, "project_changed", "the project keeps being saved elsewhere; open it again")
}

// mergedMessage tells the user that their save was merged with another
// save made meanwhile, naming the fields that other save changed: those only
// it changed (kept), and those both changed alike.
func mergedMessage(mg *projectMerge) string {
	msg := "Changes saved. The project had been saved somewhere else meanwhile (another tab, or an API client)"
	switch {
	case len(mg.Theirs) > 0 && len(mg.Same) > 0:
		msg += "; its changes to " + fieldList(mg.Theirs) + " were kept, and it had made " + sameChanges(mg.Same) + " as yours"
	case len(mg.Theirs) > 0:
		msg += "; its changes to " + fieldList(mg.Theirs) + " were kept"
	case len(mg.Same) > 0:
		msg += ", with " + sameChanges(mg.Same) + " as yours"
	default:
		msg += "; nothing of it was lost"
	}
	return msg + "."
}

// nothingToMergeMessage tells the user that their form, saved after
// another save, had nothing that save does not already have.
func nothingToMergeMessage(mg *projectMerge) string {
	if len(mg.Same) > 0 {
		return "No changes to save: the project had been saved somewhere else meanwhile (another tab, or an API client), with " +
			sameChanges(mg.Same) + " as yours. It is shown as that save left it."
	}
	return "No changes to save. The project had been saved somewhere else meanwhile (another tab, or an API client), " +
		"and is shown as that save left it."
}

// sameChanges is "the same change to Sponsor", or "the same changes to
// Sponsor, Risks".
func sameChanges(fields []string) string {
	if len(fields) == 1 {
		return "the same change to " + fieldList(fields)
	}
	return "the same changes to " + fieldList(fields)
}

// formBase is the project the edit form was filled from (baseProject),
// when it is there and its fingerprint is the form's baseFingerprint.
func formBase(c *fiber.Ctx, fingerprint string) *models.Project {
	raw := c.FormValue("baseProject")
	if raw == "" || fingerprint == "" {
		return nil
	}
	var pc projectContent
	if err := json.Unmarshal([]byte(raw), &pc); err != nil {
		return nil
	}
	p := &models.Project{Name: pc.Name, Description: pc.Description, Data: pc.Data, CompanyIntelligencePack: pc.CompanyIntelligencePack}
	if p.Fingerprint() != fingerprint {
		return nil
	}
	return p
}

// validProject reports whether the project passes the validator every entry
// point uses (a merge of two valid saves may not: a milestone requiring a
// deliverable the other save removed).
func validProject(p *models.Project) bool {
	var in models.ProjectInput
	if err := decodeJSONBytes([]byte(contentJSON(p)), &in); err != nil {
		return false
	}
	var fields models.FieldErrors
	in.Validate(&fields)
	return fields.Empty()
}

// deleteProject is the edit page's "Delete project": it must be confirmed
// (the checkbox), and a project with a queued or processing run is not
// deleted (the run is named, to cancel it first).
func (s *Server) deleteProject(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	refuse := func(status int, msg, jobID string) error {
		vm := pages.ProjectFormVM{ProjectID: p.ID, CSRF: csrfToken(c), Base: p.Fingerprint(), BaseProject: contentJSON(p),
			Form:   projectForm(p.Name, p.Description, p.Data, p.CompanyIntelligencePack),
			Delete: pages.DeleteVM{Open: true, Error: msg, ActiveJobID: jobID}}
		c.Status(status)
		return s.editPage(c, p, vm)
	}
	if c.FormValue("confirm") != "yes" {
		return refuse(fiber.StatusUnprocessableEntity, "Tick the box to confirm that the project and all its documents are deleted.", "")
	}
	_, err = s.db.DeleteProject(c.UserContext(), p.UserID, p.ID)
	var active *models.ActiveJobError
	switch {
	case errors.As(err, &active):
		return refuse(fiber.StatusConflict, "A generation of this project was in progress when you asked to delete it. Wait for it to finish, or cancel it, then try again.", active.JobID)
	case err != nil:
		if !errors.Is(err, models.ErrNotFound) {
			s.publishUser(p.UserID)
		}
		return err
	}
	s.publishUser(p.UserID)
	s.setFlash(c, "/projects", "Project “"+p.Name+"” deleted, with its runs and documents.")
	return hxRedirect(c, "/projects")
}

// ---- JSON API ---------------------------------------------------------------

func (s *Server) listProjectsAPI(c *fiber.Ctx) error {
	ps, err := s.db.Projects(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]projectJSON, 0, len(ps))
	for i := range ps {
		out = append(out, toProjectJSON(&ps[i]))
	}
	return c.JSON(out)
}

// projectBody reads and validates a Project JSON body (POST and PUT).
func projectBody(c *fiber.Ctx) (*models.Project, error) {
	var in models.ProjectInput
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	var fields models.FieldErrors
	in.Validate(&fields)
	if err := validationFailed(&fields); err != nil {
		return nil, err
	}
	return in.Project(), nil
}

func (s *Server) createProjectAPI(c *fiber.Ctx) error {
	p, err := projectBody(c)
	if err != nil {
		return err
	}
	if err := s.createProjectFor(c, p); err != nil {
		return err
	}
	// Read it back for the timestamps the database set.
	stored, err := s.db.ProjectForUser(c.UserContext(), p.UserID, p.ID)
	if err != nil {
		return err
	}
	c.Location("/api/projects/" + p.ID)
	return c.Status(fiber.StatusCreated).JSON(toProjectJSON(stored))
}

func (s *Server) projectAPI(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	etag := projectETag(p)
	c.Set(fiber.HeaderETag, etag)
	if inm := strings.TrimSpace(c.Get(fiber.HeaderIfNoneMatch)); inm != "" {
		// Weak comparison (RFC 9110): W/ does not count.
		tags, ok := parseIfMatch(inm)
		if ok && (tags == nil || slices.ContainsFunc(tags, func(t string) bool { return strings.TrimPrefix(t, "W/") == etag })) {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	return c.JSON(toProjectJSON(p))
}

// projectETag is the project's entity tag: its fingerprint, which changes
// with its name, description, data and company pack (what a PUT replaces).
func projectETag(p *models.Project) string { return `"` + p.Fingerprint() + `"` }

// replaceProjectAPI is PUT /api/projects/:id: the body (Project JSON, as
// for POST) replaces the project's name, description, data and company
// pack. With If-Match (the ETag of a GET), it replaces only the state the
// client read: 412 when the project changed since. A body equal to the
// project stores nothing.
func (s *Server) replaceProjectAPI(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	up, err := projectBody(c)
	if err != nil {
		return err
	}
	base, err := ifMatchBase(c, p)
	if err != nil {
		return err
	}
	up.ID, up.UserID = p.ID, p.UserID
	if up.Fingerprint() != p.Fingerprint() {
		err := s.db.UpdateProjectIf(c.UserContext(), up, base)
		if errors.Is(err, models.ErrProjectChanged) {
			cur, cerr := s.project(c)
			if cerr != nil {
				return cerr // deleted meanwhile: 404
			}
			return errProjectChanged(c, cur)
		}
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) {
				s.publishUser(p.UserID)
			}
			return err
		}
		s.publishUser(p.UserID)
	}
	stored, err := s.project(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, projectETag(stored))
	return c.JSON(toProjectJSON(stored))
}

// ifMatchBase checks a request's If-Match (RFC 9110: "*", or a list of
// entity tags compared strongly, a weak tag matching nothing) against the
// project: 412 when none matches, 400 when it is not one. It returns the
// fingerprint the write must still find ("" without a list), so that the
// check holds until the write commits.
func ifMatchBase(c *fiber.Ctx, p *models.Project) (string, error) {
	m := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if m == "" {
		return "", nil
	}
	tags, ok := parseIfMatch(m)
	if !ok {
		return "", &Error{Status: fiber.StatusBadRequest, Code: "bad_if_match",
			Message: `If-Match must be * or entity tags as GET /api/projects/:id sends them in ETag (quoted strings, comma-separated)`}
	}
	if tags == nil {
		return "", nil
	}
	if !slices.Contains(tags, projectETag(p)) {
		return "", errProjectChanged(c, p)
	}
	return p.Fingerprint(), nil
}

// parseIfMatch reads an If-Match header: nil tags for "*", else its
// entity tags as sent (weak ones with their W/, which match nothing), or
// false when it is not a list of entity tags.
func parseIfMatch(h string) (tags []string, ok bool) {
	if h == "*" {
		return nil, true
	}
	for _, part := range strings.Split(h, ",") {
		tag := strings.TrimSpace(part)
		opaque := strings.TrimPrefix(tag, "W/")
		if len(opaque) < 2 || opaque[0] != '"' || opaque[len(opaque)-1] != '"' ||
			strings.ContainsAny(strings.Trim(opaque, `"`), "\" ,\t") {
			return nil, false
		}
		tags = append(tags, tag)
	}
	return tags, true
}

// errProjectChanged is the 412 of a PUT whose If-Match no longer holds,
// with the project's current entity tag (in ETag and the error).
func errProjectChanged(c *fiber.Ctx, cur *models.Project) *Error {
	c.Set(fiber.HeaderETag, projectETag(cur))
	return &Error{Status: fiber.StatusPreconditionFailed, Code: "project_changed",
		Message: "the project changed since the If-Match entity tag was read; GET it again and reapply the change",
		Extra:   map[string]any{"etag": projectETag(cur)}}
}

// deleteProjectAPI is DELETE /api/projects/:id: the project with its runs,
// every version of its documents and its runs' notifications. 409
// active_job (with the job's id) while a run is queued or processing.
func (s *Server) deleteProjectAPI(c *fiber.Ctx) error {
	u := currentUser(c)
	p, err := s.project(c)
	if err != nil {
		return err
	}
	base, err := ifMatchBase(c, p)
	if err != nil {
		return err
	}
	_, err = s.db.DeleteProjectIf(c.UserContext(), u.ID, p.ID, base)
	var active *models.ActiveJobError
	switch {
	case errors.Is(err, models.ErrProjectChanged):
		cur, cerr := s.project(c)
		if cerr != nil {
			return cerr
		}
		return errProjectChanged(c, cur)
	case errors.As(err, &active):
		return &Error{Status: fiber.StatusConflict, Code: "active_job",
			Message: "this project has a queued or processing job: cancel it (or let it end) first", Extra: map[string]any{"jobId": active.JobID}}
	case err != nil:
		if !errors.Is(err, models.ErrNotFound) {
			s.publishUser(u.ID)
		}
		return err
	}
	s.publishUser(u.ID)
	return c.SendStatus(fiber.StatusNoContent)
}
