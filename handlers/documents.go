package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
	"dossier/views/partials"
)

// maxDocumentChars bounds an edited document (a generated one is far
// smaller; the body limit bounds the request anyway).
const maxDocumentChars = 200_000

// DocumentRoutes registers a project's documents: the library and version
// API, the document page, editing with a live preview, the diff between two
// versions and regeneration. Another user's project is a 404 everywhere.
//
// Routes match a whole path and ":id" never spans a "/", so
// ".../documents", ".../documents.zip" and ".../documents/:type/..." do not
// shadow one another in any order.
func (s *Server) DocumentRoutes(r fiber.Router) {
	r.Get("/api/projects/:id/documents", s.documentsAPI)
	r.Get("/api/projects/:id/documents.zip", s.documentsZip)
	r.Get("/api/projects/:id/documents/:type/versions", s.versionsAPI)
	r.Post("/api/projects/:id/documents/:type/versions", s.createVersionAPI)

	r.Get("/projects/:id/documents/:type", s.documentPage)
	r.Get("/projects/:id/documents/:type/edit", s.editDocumentPage)
	r.Post("/projects/:id/documents/:type/edit", s.saveDocument)
	r.Post("/projects/:id/documents/:type/preview", s.previewDocument)
	r.Get("/projects/:id/documents/:type/diff", s.diffDocument)
	r.Post("/projects/:id/documents/:type/regenerate", s.createJobLimit(), s.regenerateDocument)
}

// documentJSON is one version of a document in the API.
type documentJSON struct {
	DocumentType string    `json:"documentType"`
	Title        string    `json:"title"`
	ArtifactID   string    `json:"artifactId"`
	Version      int       `json:"version"`
	Source       string    `json:"source"`
	JobID        *string   `json:"jobId"`
	RunNumber    *int      `json:"runNumber"`
	Author       *string   `json:"author"`
	CreatedAt    time.Time `json:"createdAt"`
	// ProjectChanged says the project data or company pack changed since
	// the version was written; false when unknown (a version older than
	// fingerprints).
	ProjectChanged bool `json:"projectChanged"`
}

// versionJSON adds what a version was written with.
type versionJSON struct {
	documentJSON
	Instruction string `json:"instruction"`
}

// newDocumentJSON is the version as the API lists it; fingerprint is the
// project's current one.
func newDocumentJSON(v models.DocumentVersion, fingerprint string) documentJSON {
	return documentJSON{DocumentType: v.DocumentType, Title: v.Title, ArtifactID: v.ID, Version: v.Version,
		Source: v.Source, JobID: v.JobID, RunNumber: v.RunNumber, Author: v.AuthorName, CreatedAt: v.CreatedAt,
		ProjectChanged: v.ProjectChanged(fingerprint)}
}

func newVersionJSON(v models.DocumentVersion, fingerprint string) versionJSON {
	return versionJSON{documentJSON: newDocumentJSON(v, fingerprint), Instruction: v.Instruction}
}

// docTypeParam reads and checks the :type parameter.
func docTypeParam(c *fiber.Ctx) (documents.DocType, error) {
	dt, ok := documents.Lookup(c.Params("type"))
	if !ok {
		return dt, Errorf(fiber.StatusNotFound, "not_found", "unknown document type %q", c.Params("type"))
	}
	return dt, nil
}

func (s *Server) documentsAPI(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	vs, err := s.db.LatestDocuments(c.UserContext(), currentUser(c).ID, p.ID)
	if err != nil {
		return err
	}
	vs = inCatalogOrder(vs)
	fp := p.Fingerprint()
	out := make([]documentJSON, len(vs))
	for i, v := range vs {
		out[i] = newDocumentJSON(v, fp)
	}
	return c.JSON(out)
}

// inCatalogOrder is the latest versions in catalog order, the order a
// reader expects whatever was written last (the store gives them oldest
// first): the library API and the project page's library both list them
// so. A type the catalog does not know comes last, by key. The slice given
// is not changed (the live updates share theirs between streams).
func inCatalogOrder(vs []models.DocumentVersion) []models.DocumentVersion {
	order := map[string]int{}
	for i, k := range documents.Keys() {
		order[k] = i
	}
	rank := func(typ string) int {
		if i, ok := order[typ]; ok {
			return i
		}
		return len(order)
	}
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b models.DocumentVersion) int {
		return cmp.Or(cmp.Compare(rank(a.DocumentType), rank(b.DocumentType)), strings.Compare(a.DocumentType, b.DocumentType))
	})
	return out
}

// documentsZip downloads the project's current set: the latest version of
// each document, edits included, as the library lists them, each as .md,
// .html and .docx. Each .html shows the job its version came from, as its
// single download does.
func (s *Server) documentsZip(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	uid := currentUser(c).ID
	vs, err := s.db.LatestDocuments(ctx, uid, p.ID)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return Errorf(fiber.StatusNotFound, "no_documents", "project %s has no documents yet", p.ID)
	}
	jobs := map[string]*models.Job{}
	docs := make([]artifactDetails, 0, len(vs))
	for _, v := range inCatalogOrder(vs) {
		d := artifactDetails{artifact: &v.Artifact, project: p}
		if id := v.JobID; id != nil {
			if _, ok := jobs[*id]; !ok {
				// nil once retention has removed it.
				j, err := s.db.JobForUser(ctx, uid, *id)
				if err != nil && !errors.Is(err, models.ErrNotFound) {
					return err
				}
				jobs[*id] = j
			}
			d.job = jobs[*id]
		}
		docs = append(docs, d)
	}
	return sendZip(c, downloadName(p.Name, "dossier", "-latest-documents.zip"), docs)
}

func (s *Server) versionsAPI(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	dt, err := docTypeParam(c)
	if err != nil {
		return err
	}
	vs, err := s.db.DocumentVersions(c.UserContext(), currentUser(c).ID, p.ID, dt.Key)
	if err != nil {
		return err
	}
	fp := p.Fingerprint()
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = newVersionJSON(v, fp)
	}
	return c.JSON(out)
}

// newVersionRequest is the body of POST …/versions.
type newVersionRequest struct {
	Markdown       string `json:"markdown"`
	BaseArtifactID string `json:"baseArtifactId"`
	// SourceArtifactID is the version the text was edited from, when the
	// save is made again on top of a newer base after a 409.
	SourceArtifactID string `json:"sourceArtifactId"`
}

func (s *Server) createVersionAPI(c *fiber.Ctx) error {
	var req newVersionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	art, outcome, err := s.saveEdit(c, req)
	if err != nil {
		return err
	}
	p, err := s.project(c)
	if err != nil {
		return err
	}
	vs, err := s.db.DocumentVersions(c.UserContext(), currentUser(c).ID, art.ProjectID, art.DocumentType)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.ID == art.ID {
			c.Location("/api/artifacts/" + art.ID)
			status := fiber.StatusCreated
			if outcome != editSaved {
				// The same save again (the version it made), or text that
				// is the latest version's: nothing was stored.
				status = fiber.StatusOK
			}
			return c.Status(status).JSON(newVersionJSON(v, p.Fingerprint()))
		}
	}
	return fmt.Errorf("new version %s not found", art.ID)
}

// editOutcome is what a save did.
type editOutcome int

const (
	editSaved     editOutcome = iota // a new version
	editReplayed                     // the same save again: the version it made
	editUnchanged                    // the text is the latest version's: nothing stored
)

// saveEdit validates and stores an edit; a stale base is a 409 naming the
// latest version. An edit of the latest version that leaves its text as
// it is stores nothing: that version is the answer. So is the same save
// sent again (a double click on Save, a client retrying after a lost
// answer), which is not refused as stale; outcome tells the two apart.
func (s *Server) saveEdit(c *fiber.Ctx, req newVersionRequest) (art *models.Artifact, outcome editOutcome, err error) {
	p, err := s.project(c)
	if err != nil {
		return nil, editSaved, err
	}
	dt, err := docTypeParam(c)
	if err != nil {
		return nil, editSaved, err
	}
	fields := map[string]string{}
	switch {
	case strings.TrimSpace(req.Markdown) == "":
		fields["markdown"] = "is required"
	case utf8.RuneCountInString(req.Markdown) > maxDocumentChars:
		fields["markdown"] = fmt.Sprintf("must be at most %d characters", maxDocumentChars)
	case !utf8.ValidString(req.Markdown) || strings.ContainsRune(req.Markdown, 0):
		fields["markdown"] = "must be valid UTF-8 text without NUL characters"
	}
	if strings.TrimSpace(req.BaseArtifactID) == "" {
		fields["baseArtifactId"] = "is required: the id of the version you edited"
	}
	if len(fields) > 0 {
		return nil, editSaved, ValidationError(fields)
	}
	user := currentUser(c).ID
	art, err = s.db.SaveEdit(c.UserContext(), models.NewEdit{
		UserID: user, ProjectID: p.ID, DocumentType: dt.Key,
		Title: documents.TitleOf(req.Markdown, ""), Markdown: req.Markdown, BaseArtifactID: req.BaseArtifactID,
		SourceArtifactID: req.SourceArtifactID,
	})
	var (
		stale     *models.StaleBaseError
		unchanged *models.UnchangedError
		active    *models.ActiveJobError
	)
	if errors.As(err, &stale) {
		if latest, ok := s.sameSave(c, req, stale.LatestID); ok {
			return latest, editReplayed, nil
		}
	}
	if errors.As(err, &unchanged) {
		latest, err := s.db.ArtifactForUser(c.UserContext(), user, unchanged.LatestID)
		return latest, editUnchanged, err
	}
	switch {
	case errors.Is(err, models.ErrSourceNotVersion):
		return nil, editSaved, ValidationError(map[string]string{"sourceArtifactId": "is not a version of this document"})
	case errors.Is(err, models.ErrBaseNotVersion):
		return nil, editSaved, ValidationError(map[string]string{"baseArtifactId": "is not a version of this document"})
	case errors.As(err, &stale):
		return nil, editSaved, &Error{Status: fiber.StatusConflict, Code: "stale_base",
			Message: fmt.Sprintf("version %d was saved after the version you edited; reload it and apply your changes again", stale.LatestVersion),
			Extra:   map[string]any{"latestArtifactId": stale.LatestID, "latestVersion": stale.LatestVersion}}
	case errors.As(err, &active):
		return nil, editSaved, &Error{Status: fiber.StatusConflict, Code: "active_job",
			Message: fmt.Sprintf("run #%d is generating this document, and its version would replace your edit: wait for it to finish, or cancel it, then save your edit again", active.RunNumber),
			Extra:   map[string]any{"jobId": active.JobID, "runNumber": active.RunNumber}}
	case errors.Is(err, models.ErrNotFound):
		return nil, editSaved, Errorf(fiber.StatusNotFound, "not_found", "the project has no %s yet", dt.Title)
	case err != nil:
		// The save may have committed all the same (its COMMIT's answer
		// lost): the tabs catch up on whatever the position says, which
		// costs nothing if it did not move.
		s.publishUser(currentUser(c).ID)
		return nil, editSaved, err
	}
	// The new version moved the user's position: every open tab of the
	// user, here and on the other instances, catches up (the project
	// page's library).
	s.publishUser(art.UserID)
	return art, editSaved, nil
}

// sameSave reports whether req is the save that made the latest version
// (latestID), sent again: the latest is this user's edit with the same
// text, made on top of the request's base (the version just before it).
func (s *Server) sameSave(c *fiber.Ctx, req newVersionRequest, latestID string) (*models.Artifact, bool) {
	user := currentUser(c).ID
	latest, err := s.db.ArtifactForUser(c.UserContext(), user, latestID)
	if err != nil || latest.Source != models.SourceEdited || latest.AuthorID == nil || *latest.AuthorID != user ||
		latest.Markdown != req.Markdown || !models.IsID(req.BaseArtifactID) {
		return nil, false
	}
	base, err := s.db.ArtifactForUser(c.UserContext(), user, req.BaseArtifactID)
	if err != nil || base.ProjectID != latest.ProjectID || base.DocumentType != latest.DocumentType || base.Version != latest.Version-1 {
		return nil, false
	}
	return latest, true
}

// ---- Pages ------------------------------------------------------------------

// latestVersion is the document's latest version, or a 404.
func (s *Server) latestVersion(c *fiber.Ctx) (*models.Project, documents.DocType, []models.DocumentVersion, error) {
	p, err := s.project(c)
	if err != nil {
		return nil, documents.DocType{}, nil, err
	}
	dt, err := docTypeParam(c)
	if err != nil {
		return nil, dt, nil, err
	}
	vs, err := s.db.DocumentVersions(c.UserContext(), currentUser(c).ID, p.ID, dt.Key)
	if err != nil {
		return nil, dt, nil, err
	}
	if len(vs) == 0 {
		return nil, dt, nil, Errorf(fiber.StatusNotFound, "not_found", "this project has no %s yet", dt.Title)
	}
	return p, dt, vs, nil
}

// documentPage shows the latest version of a project's document.
func (s *Server) documentPage(c *fiber.Ctx) error {
	_, _, vs, err := s.latestVersion(c)
	if err != nil {
		return err
	}
	return s.renderArtifact(c, vs[0].ID, nil)
}

func (s *Server) editDocumentPage(c *fiber.Ctx) error {
	p, dt, vs, err := s.latestVersion(c)
	if err != nil {
		return err
	}
	latest := vs[0]
	vm := pages.DocumentEditVM{ProjectID: p.ID, ProjectName: p.Name, DocType: dt.Key, TypeTitle: dt.Title,
		BaseID: latest.ID, BaseVersion: latest.Version, Markdown: latest.Markdown, CSRF: csrfToken(c),
		Preview: documents.RenderHTML(latest.Markdown)}
	// The stream tells the editor of a version stored after its base.
	setView(c, documentView{ProjectID: p.ID, DocType: dt.Key, Version: latest.Version, Editing: true}.view())
	return s.page(c, "Edit "+dt.Title, "projects", pages.DocumentEdit(vm))
}

// saveDocument is the edit form's submit: a new version and back to the
// document, or the form again with the conflict or the error. The form
// posts multipart/form-data (URL-encoding would take a long non-Latin
// document past the body limit); c.FormValue reads either encoding.
func (s *Server) saveDocument(c *fiber.Ctx) error {
	req := newVersionRequest{Markdown: normalizeNewlines(c.FormValue("markdown")), BaseArtifactID: c.FormValue("baseArtifactId"),
		SourceArtifactID: c.FormValue("sourceArtifactId")}
	_, outcome, err := s.saveEdit(c, req)
	if err == nil {
		doc := "/projects/" + c.Params("id") + "/documents/" + c.Params("type")
		if outcome == editUnchanged {
			doc += "?saved=unchanged"
		}
		return c.Redirect(doc, fiber.StatusSeeOther)
	}
	var e *Error
	if !errors.As(err, &e) || (e.Status != fiber.StatusConflict && e.Status != fiber.StatusUnprocessableEntity) {
		return err
	}
	p, dt, vs, lerr := s.latestVersion(c)
	if lerr != nil {
		return lerr
	}
	vm := pages.DocumentEditVM{ProjectID: p.ID, ProjectName: p.Name, DocType: dt.Key, TypeTitle: dt.Title,
		BaseID: req.BaseArtifactID, SourceID: req.SourceArtifactID, BaseVersion: vs[0].Version, Markdown: req.Markdown, CSRF: csrfToken(c),
		Preview: documents.RenderHTML(req.Markdown)}
	switch {
	case e.Code == "active_job":
		// Nothing is lost: the text comes back, on the base it had.
		run, _ := e.Extra["runNumber"].(int)
		vm.Error = fmt.Sprintf("Your edit was not saved: Run #%d is generating this document, and its version would replace your edit. "+
			"Your text is kept below: save it again once the run has finished, or cancel the run first.", run)
	case e.Status == fiber.StatusConflict:
		// The form comes back on top of the version that refused it: the
		// person has seen it is there (the notice links it), and saving
		// now makes the next version from their text, the newer one
		// staying readable. With the stale base, the button would only
		// be refused again.
		vm.ConflictID, vm.ConflictVersion = vs[0].ID, vs[0].Version
		switch latest := vs[0]; {
		case latest.AuthorID != nil && *latest.AuthorID == currentUser(c).ID:
			vm.ConflictByYou = true
		case latest.AuthorName != nil:
			vm.ConflictAuthor = *latest.AuthorName
		case latest.RunNumber != nil:
			vm.ConflictRun = *latest.RunNumber
		}
		// The text still comes from the version it was first based on
		// (or the source an earlier conflict kept): the save keeps that
		// version's fingerprint.
		if vm.SourceID == "" {
			vm.SourceID = req.BaseArtifactID
		}
		vm.BaseID, vm.BaseVersion = vs[0].ID, vs[0].Version
	default:
		var msgs []string
		for k, m := range e.Fields {
			msgs = append(msgs, k+" "+m)
		}
		vm.Error = "The document was not saved: " + strings.Join(msgs, "; ") + "."
	}
	// The stream tells the form of versions newer than the one it is now
	// based on: the conflict's, or the base's.
	shown := documentView{ProjectID: p.ID, DocType: dt.Key, Version: vm.BaseVersion, Editing: true}
	if vm.ConflictID == "" {
		for _, v := range vs {
			if v.ID == req.BaseArtifactID {
				shown.Version = v.Version
			}
		}
	}
	setView(c, shown.view())
	c.Status(e.Status)
	return s.page(c, "Edit "+dt.Title, "projects", pages.DocumentEdit(vm))
}

// previewDocument renders the editor's Markdown through the sanitizer. htmx
// posts it multipart, as the form is (see saveDocument).
func (s *Server) previewDocument(c *fiber.Ctx) error {
	if _, err := s.project(c); err != nil {
		return err
	}
	md := c.FormValue("markdown")
	if utf8.RuneCountInString(md) > maxDocumentChars {
		md = string([]rune(md)[:maxDocumentChars])
	}
	return render(c, pages.DocumentPreview(documents.RenderHTML(md)))
}

// diffDocument is the compare fragment between two versions for htmx, and
// a page with it for the compare form sent without scripts, which loads
// this URL itself.
func (s *Server) diffDocument(c *fiber.Ctx) error {
	p, dt, vs, err := s.latestVersion(c)
	if err != nil {
		return err
	}
	find := func(id string) *models.DocumentVersion {
		for i := range vs {
			if vs[i].ID == id {
				return &vs[i]
			}
		}
		return nil
	}
	from, to := find(c.Query("from")), find(c.Query("to"))
	if from == nil || to == nil {
		return Errorf(fiber.StatusNotFound, "not_found", "choose two versions of this document")
	}
	diff := pages.VersionDiffVM{From: from.Version, To: to.Version, Lines: lineDiff(from.Markdown, to.Markdown)}
	if isPartial(c) {
		return render(c, pages.VersionDiff(diff))
	}
	return s.page(c, "Compare versions of "+dt.Title, "projects", pages.VersionDiffPage(pages.VersionDiffPageVM{
		ProjectID: p.ID, ProjectName: p.Name, DocType: dt.Key, TypeTitle: dt.Title, FromID: from.ID, ToID: to.ID, Diff: diff}))
}

// lineDiff is documents.LineDiff on texts that both end in a newline. The
// line mode compares whole lines, terminator included, so "b" at the end of
// one text and "b\n" in the other differ: an unchanged last line showed as
// removed and added whenever one version lacked the final newline (an edit
// saved from the textarea usually does, a generated version does not).
// Equal texts are no lines at all, which the page says as "identical"
// (LineDiff would give one "… n unchanged lines").
func lineDiff(from, to string) []documents.DiffLine {
	from, to = withFinalNewline(from), withFinalNewline(to)
	if from == to {
		return nil
	}
	return documents.LineDiff(from, to)
}

// withFinalNewline ends a non-empty text with a newline.
func withFinalNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// regenerateDocument starts a job that rewrites the document (and, if
// asked, its dependents) with the instruction, then shows the job. A field
// the job refuses (an instruction over the limit) shows the form again, on
// the page it was sent from, with the message and the text kept.
func (s *Server) regenerateDocument(c *fiber.Ctx) error {
	p, err := s.project(c)
	if err != nil {
		return err
	}
	dt, err := docTypeParam(c)
	if err != nil {
		return err
	}
	// Browsers send a textarea's line breaks as CRLF, while its maxlength
	// counts each as one character: the limit applies to the text as typed.
	form := pages.RegenerateFormVM{ProjectID: p.ID, DocType: dt.Key, TypeTitle: dt.Title, ArtifactID: c.FormValue("artifactId"),
		CSRF: csrfToken(c), Instruction: normalizeNewlines(c.FormValue("instruction")), IncludeDependents: c.FormValue("includeDependents") != "",
		BuiltInGenerator: !s.followsInstructions()}
	job, _, err := s.startJob(c, currentUser(c), createJobRequest{
		ProjectID: p.ID, Documents: []string{dt.Key}, Instruction: form.Instruction,
		IncludeDependents: form.IncludeDependents,
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "active_job" {
		// Not a redirect to that job: it would drop the instruction without
		// a word. The form comes back with it, saying why, linking the job.
		form.ActiveJobID, _ = e.Extra["jobId"].(string)
		return s.regenerateFormError(c, form, e)
	}
	if errors.As(err, &e) && e.Status == fiber.StatusUnprocessableEntity {
		return s.regenerateFormError(c, form, e)
	}
	if err != nil {
		return err
	}
	return hxRedirect(c, "/jobs/"+job.ID)
}

// regenerateFormError answers a refused regenerate form with the error's
// status (a 422, or the 409 of a generation already in progress): the
// instruction's message beside it, any other field's, or the generation in
// progress, above the form. htmx gets the form's section; a plain post,
// the page the form was on (the version it names, else the latest), as a
// GET shows it.
func (s *Server) regenerateFormError(c *fiber.Ctx, form pages.RegenerateFormVM, e *Error) error {
	form.Errors = map[string]string{}
	var others []string
	for k, m := range e.Fields {
		if k == "instruction" && m == instructionIgnored {
			// The form shows no instruction field under the built-in
			// generator: a hand-made post sent one.
			form.Error = "The document was not regenerated: the built-in generator writes from the project data and does not follow instructions. " +
				"Send the form without an instruction. To regenerate with one, Dossier needs a language model: ask whoever runs Dossier for your team to connect one."
			form.Instruction = ""
		} else if k == "instruction" {
			form.Errors[k] = m
		} else {
			others = append(others, k+" "+m)
		}
	}
	switch {
	case e.Code == "active_job":
		form.Error = "This project already has a generation in progress, so the document was not regenerated. "
		if strings.TrimSpace(form.Instruction) != "" {
			form.Error += "Your instruction is kept below: send it again once that generation has finished."
		} else {
			form.Error += "Send the form again once that generation has finished."
		}
	case len(others) > 0:
		sort.Strings(others)
		form.Error = "The document was not regenerated: " + strings.Join(others, "; ") + "."
	case len(e.Fields) == 0:
		form.Error = "The document was not regenerated: " + e.Message + "."
	}
	c.Status(e.Status)
	if isPartial(c) {
		vs, err := s.db.DocumentVersions(c.UserContext(), currentUser(c).ID, form.ProjectID, form.DocType)
		if err != nil {
			return err
		}
		form.Edited = editedLatest(vs, currentUser(c).ID)
		return render(c, pages.RegenerateForm(form))
	}
	_, _, vs, err := s.latestVersion(c)
	var missing *Error
	switch {
	case errors.As(err, &missing) && missing.Status == fiber.StatusNotFound:
		return e // no version to show the form on (a post made by hand): the 422 itself
	case err != nil:
		return err
	}
	id := vs[0].ID
	for _, v := range vs {
		if v.ID == form.ArtifactID {
			id = v.ID
		}
	}
	return s.renderArtifact(c, id, &form)
}

// normalizeNewlines turns CRLF and lone CR line breaks into LF.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// ---- The project page's library and runs ------------------------------------

// libraryVM is the project's library: the latest version of each document.
func (s *Server) libraryVM(c *fiber.Ctx, p *models.Project) (partials.LibraryVM, error) {
	vs, err := s.db.LatestDocuments(c.UserContext(), currentUser(c).ID, p.ID)
	if err != nil {
		return partials.LibraryVM{ProjectID: p.ID}, err
	}
	return libraryOf(p.ID, vs, p.Fingerprint()), nil
}

// libraryOf shapes the latest versions for the library; the page and its
// live updates (events.go) both render it. fingerprint is the project's
// current one: the documents written from other data are flagged, and
// offered for regeneration together.
func libraryOf(projectID string, vs []models.DocumentVersion, fingerprint string) partials.LibraryVM {
	vm := partials.LibraryVM{ProjectID: projectID}
	docs := make([]partials.LibraryDoc, 0, len(vs))
	var changed []string
	for _, v := range inCatalogOrder(vs) {
		d := partials.LibraryDoc{Type: v.DocumentType, Title: v.Title, TypeTitle: docTitle(v.DocumentType), Version: v.Version,
			Source: v.Source, Date: v.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC"), DateISO: v.CreatedAt.UTC().Format(time.RFC3339),
			ProjectChanged: v.ProjectChanged(fingerprint)}
		if d.ProjectChanged {
			changed = append(changed, v.DocumentType)
		}
		switch {
		case v.Source == models.SourceEdited && v.AuthorName != nil:
			d.By = *v.AuthorName
		case v.RunNumber != nil && v.JobID != nil:
			d.By, d.RunJobID = fmt.Sprintf("Run #%d", *v.RunNumber), *v.JobID
		}
		docs = append(docs, d)
	}
	vm.Documents = docs
	if len(changed) > 0 {
		vm.Outdated = len(changed)
		vm.RegenerateURL = generateDocumentsURL(projectID, changed)
	}
	return vm
}

// runsVM is the project's run history, newest first.
func (s *Server) runsVM(c *fiber.Ctx, projectID string) (partials.RunsVM, error) {
	js, err := s.db.Jobs(c.UserContext(), currentUser(c).ID, models.JobFilter{ProjectID: projectID, Limit: models.ProjectRunsLimit})
	if err != nil {
		return partials.RunsVM{ProjectID: projectID}, err
	}
	return runsOf(projectID, js, time.Now()), nil
}

// runsOf shapes the runs for the project page (a run of some documents
// lists them as people do, andList); the page and its live
// updates (events.go) both render it.
func runsOf(projectID string, js []models.Job, now time.Time) partials.RunsVM {
	vm := partials.RunsVM{ProjectID: projectID}
	for _, j := range js {
		r := partials.RunRow{JobID: j.ID, Number: j.RunNumber, Status: j.Status,
			Queued: relTime(j.QueuedAt, now), QueuedISO: j.QueuedAt.UTC().Format(time.RFC3339), Instruction: j.Instruction}
		r.Duration = ranPhrase(&j)
		switch {
		case len(j.DocumentsToGenerate) == len(documents.Keys()):
			r.What = "All 12 documents"
		case len(j.DocumentsToGenerate) == 1:
			r.What = docTitle(j.DocumentsToGenerate[0])
		default:
			titles := make([]string, len(j.DocumentsToGenerate))
			for i, t := range j.DocumentsToGenerate {
				titles[i] = docTitle(t)
			}
			r.What = andList(titles)
		}
		if j.Status == models.StatusCompleted && j.CompletedDocuments < j.TotalDocuments {
			r.What += fmt.Sprintf(" (%d of %d written)", j.CompletedDocuments, j.TotalDocuments)
		}
		if at, ok := waitingToRetry(&j, now); ok {
			r.RetryAt, r.RetryAtISO = resumesAt(at)
			r.RetryReason = retryReason(&j)
		}
		vm.Runs = append(vm.Runs, r)
	}
	return vm
}
