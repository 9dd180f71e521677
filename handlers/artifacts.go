package handlers

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"dossier/jobs/documents"
	"dossier/models"
	"dossier/views/pages"
)

// ArtifactRoutes registers the artifact page, its downloads and the API.
// Every lookup is scoped to the signed-in user: another user's artifact or
// job is a 404 on every route.
//
// Fiber ends a parameter at a dot, so "/artifacts/:id.md" matches
// "/artifacts/<id>.md" with the bare id. "/artifacts/:id" would match it too,
// so the suffixed routes come first. ":id" never spans a "/", so JobRoutes'
// "/api/generation/jobs/:id" does not shadow the zip.
func (s *Server) ArtifactRoutes(r fiber.Router) {
	r.Get("/api/artifacts/:id", s.artifactAPI)
	r.Get("/api/generation/jobs/:id/artifacts.zip", s.jobArtifactsZip)
	r.Get("/artifacts/:id.md", s.artifactMarkdown)
	r.Get("/artifacts/:id.docx", s.artifactDOCX)
	r.Get("/artifacts/:id.html", s.artifactStandalone)
	r.Get("/artifacts/:id", s.artifactPage)
}

// artifactJSON is an artifact as the API returns it.
type artifactJSON struct {
	ID    string  `json:"id"`
	JobID *string `json:"jobId"`
	// Source says whether a run wrote it or a user saved it: jobId is null
	// for both an edit and a run's version whose job the cleanup removed.
	Source           string    `json:"source"`
	ProjectID        string    `json:"projectId"`
	DocumentType     string    `json:"documentType"`
	Title            string    `json:"title"`
	Markdown         string    `json:"markdown"`
	CreatedAt        time.Time `json:"createdAt"`
	Version          int       `json:"version"`
	PromptTokens     int       `json:"promptTokens"`
	CompletionTokens int       `json:"completionTokens"`
}

func (s *Server) artifactAPI(c *fiber.Ctx) error {
	a, err := s.userArtifact(c)
	if err != nil {
		return err
	}
	return c.JSON(artifactJSON{
		ID: a.ID, JobID: a.JobID, Source: a.Source, ProjectID: a.ProjectID, DocumentType: a.DocumentType,
		Title: a.Title, Markdown: a.Markdown, CreatedAt: a.CreatedAt, Version: a.Version,
		PromptTokens: a.PromptTokens, CompletionTokens: a.CompletionTokens,
	})
}

// artifactMarkdown downloads the document exactly as it was generated.
func (s *Server) artifactMarkdown(c *fiber.Ctx) error {
	a, err := s.userArtifact(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, disposition("attachment", artifactDownload(a, ".md")))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.SendString(a.Markdown)
}

// docxType is the media type of a Word document.
const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// artifactDOCX downloads the document as a Word file.
func (s *Server) artifactDOCX(c *fiber.Ctx) error {
	a, err := s.userArtifact(c)
	if err != nil {
		return err
	}
	b, err := documents.DOCX(a.Markdown)
	if err != nil {
		return fmt.Errorf("docx of artifact %s: %w", a.ID, err)
	}
	c.Set(fiber.HeaderContentType, docxType)
	c.Set(fiber.HeaderContentDisposition, disposition("attachment", artifactDownload(a, ".docx")))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}

// artifactFileName is a download's name without its extension, the same
// for a single download and inside the zip. It ends with the version
// ("…-v2"): versions of a document share its title, and two of them
// downloaded under one name became "name (1).docx".
func artifactFileName(a *models.Artifact) string {
	return slugify(a.Title, a.DocumentType) + versionSuffix(a)
}

// artifactDownload is a document's download name with ext.
func artifactDownload(a *models.Artifact, ext string) fileName {
	return downloadName(a.Title, a.DocumentType, versionSuffix(a)+ext)
}

// versionSuffix is "-v2" for version 2; nothing for an artifact without
// a version.
func versionSuffix(a *models.Artifact) string {
	if a.Version < 1 {
		return ""
	}
	return fmt.Sprintf("-v%d", a.Version)
}

// artifactPage shows the document inside the app, with its provenance and
// the other documents of its job.
func (s *Server) artifactPage(c *fiber.Ctx) error {
	return s.renderArtifact(c, c.Params("id"), nil)
}

// renderArtifact renders one version of a document: its provenance, its
// version history, the compare form, editing and regeneration.
func (s *Server) renderArtifact(c *fiber.Ctx, id string, refused *pages.RegenerateFormVM) error {
	d, err := s.loadArtifactID(c, id)
	if err != nil {
		return err
	}
	related, fromJob, err := s.relatedArtifacts(c, d)
	if err != nil {
		return err
	}
	a := d.artifact
	vm := pages.ArtifactVM{
		Refused: refused,
		ID:      a.ID, Title: a.Title, TypeTitle: docTitle(a.DocumentType), Version: a.Version,
		Created: a.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC"), CreatedISO: a.CreatedAt.UTC().Format(time.RFC3339),
		PromptTokens: a.PromptTokens, CompletionTokens: a.CompletionTokens,
		Body: documents.RenderHTML(a.Markdown), RelatedFromJob: fromJob,
		BuiltInGenerator: !s.followsInstructions(),
	}
	if c.Query("saved") == "unchanged" {
		// An edit saved with the text unchanged (saveDocument).
		vm.Flash = "No changes to save: the text is the same as the latest version's, so no new version was made."
	}
	if d.project != nil {
		vm.ProjectID, vm.ProjectName = d.project.ID, d.project.Name
	}
	if d.job != nil {
		vm.JobID = d.job.ID
	}
	for _, r := range related {
		vm.Related = append(vm.Related, pages.ArtifactLink{ID: r.ID, TypeTitle: docTitle(r.DocumentType), Current: r.ID == a.ID})
	}
	vm.DocType, vm.Source, vm.Instruction, vm.CSRF = a.DocumentType, a.Source, a.Instruction, csrfToken(c)
	if d.job != nil {
		vm.RunNumber = d.job.RunNumber
	}
	if d.project != nil {
		versions, err := s.db.DocumentVersions(c.UserContext(), currentUser(c).ID, d.project.ID, a.DocumentType)
		if err != nil {
			return err
		}
		for i, v := range versions {
			if i == 0 {
				vm.LatestID = v.ID
			}
			label := "Generated"
			switch {
			case v.Source == models.SourceEdited:
				label = "Edited by " + orZero(v.AuthorName)
				if v.ID == a.ID {
					vm.Author = orZero(v.AuthorName)
				}
			case v.RunNumber != nil:
				label = fmt.Sprintf("Generated by Run #%d", *v.RunNumber)
				if v.ID == a.ID && vm.RunNumber == 0 {
					// The job is gone: the run number retention kept.
					vm.RunNumber = *v.RunNumber
				}
			}
			vm.Versions = append(vm.Versions, pages.VersionLink{ID: v.ID, Version: v.Version, Label: label,
				Date: v.CreatedAt.UTC().Format("2 Jan 2006, 15:04"), Current: v.ID == a.ID})
		}
		vm.EditedLatest = editedLatest(versions, currentUser(c).ID)
	}
	if d.project != nil {
		vm.ProjectChanged = a.ProjectChanged(d.project.Fingerprint())
	}
	if vm.ProjectID != "" && vm.IsLatest() {
		// The latest version: the stream tells the page of a newer one.
		setView(c, documentView{ProjectID: vm.ProjectID, DocType: a.DocumentType, Version: a.Version}.view())
	}
	return s.widePage(c, a.Title, "projects", pages.Artifact(vm))
}

// artifactStandalone is the document as a self-contained, print-ready HTML
// file: inline with no query, an attachment with ?download=1.
func (s *Server) artifactStandalone(c *fiber.Ctx) error {
	d, err := s.loadArtifact(c)
	if err != nil {
		return err
	}
	a := d.artifact
	vm := printVM(d)
	kind := "inline"
	if c.QueryBool("download") {
		kind = "attachment"
	}
	c.Set(fiber.HeaderContentDisposition, disposition(kind, artifactDownload(a, ".html")))
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return render(c, pages.ArtifactPrint(vm))
}

// printVM shapes a document for its standalone, print-ready HTML.
func printVM(d *artifactDetails) pages.ArtifactPrintVM {
	a := d.artifact
	vm := pages.ArtifactPrintVM{
		Title: a.Title, TypeTitle: docTitle(a.DocumentType), Version: a.Version,
		Date: a.CreatedAt.UTC().Format("2 January 2006"), DateISO: a.CreatedAt.UTC().Format("2006-01-02"),
		ShowTitle: !opensWithTitle(a.Markdown), Body: documents.RenderHTML(a.Markdown),
	}
	if d.project != nil {
		vm.Project = d.project.Name
		vm.Company = d.project.CompanyIntelligencePack.CompanyName
	}
	// The company as the job saw it wins: the document was written for it.
	if d.job != nil && d.job.CompanyIntelligencePack != nil {
		vm.Company = cmp.Or(d.job.CompanyIntelligencePack.CompanyName, vm.Company)
	}
	return vm
}

// jobArtifactsZip downloads a job's documents, each as .md, .html and
// .docx, in generation order.
func (s *Server) jobArtifactsZip(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := currentUser(c)
	job, err := s.db.JobForUser(ctx, u.ID, c.Params("id"))
	if err != nil {
		return err
	}
	arts, err := s.db.JobArtifacts(ctx, job.ID)
	if err != nil {
		return err
	}
	if len(arts) == 0 {
		return Errorf(fiber.StatusNotFound, "no_documents", "job %s has no generated documents yet", job.ID)
	}
	// Named by project and run: downloads of two runs do not collide.
	projectName := "dossier"
	project, err := s.db.ProjectForUser(ctx, u.ID, job.ProjectID)
	switch {
	case err == nil:
		projectName = project.Name
	case errors.Is(err, models.ErrNotFound):
		project = nil
	default:
		return err
	}
	docs := make([]artifactDetails, len(arts))
	for i := range arts {
		docs[i] = artifactDetails{artifact: &arts[i], project: project, job: job}
	}
	return sendZip(c, downloadName(projectName, "dossier", fmt.Sprintf("-run-%d-documents.zip", job.RunNumber)), docs)
}

// sendZip answers with the documents as a zip attachment named filename.
func sendZip(c *fiber.Ctx, filename fileName, docs []artifactDetails) error {
	var buf bytes.Buffer
	if err := writeArtifactsZip(c.UserContext(), &buf, docs); err != nil {
		return fmt.Errorf("zip %s: %w", filename.ascii, err)
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, disposition("attachment", filename))
	return c.Send(buf.Bytes())
}

// writeArtifactsZip writes each document three times, under the names of
// its single downloads: risk-register-….md, .html (standalone, print-ready)
// and .docx. Each document comes with its own project and job, which its
// .html shows as its single download does (a project's current set mixes
// runs and edits).
func writeArtifactsZip(ctx context.Context, buf *bytes.Buffer, docs []artifactDetails) error {
	zw := zip.NewWriter(buf)
	arts := make([]models.Artifact, len(docs))
	for i, d := range docs {
		arts[i] = *d.artifact
	}
	names := zipBaseNames(arts)
	for i := range docs {
		a := docs[i].artifact
		base := names[i]
		var html bytes.Buffer
		if err := pages.ArtifactPrint(printVM(&docs[i])).Render(ctx, &html); err != nil {
			return err
		}
		docx, err := documents.DOCX(a.Markdown)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			ext  string
			body []byte
		}{{".md", []byte(a.Markdown)}, {".html", html.Bytes()}, {".docx", docx}} {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: base + f.ext, Method: zip.Deflate, Modified: a.CreatedAt.UTC()})
			if err != nil {
				return err
			}
			if _, err := w.Write(f.body); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// zipBaseNames names each artifact's files in the zip: its single-download
// name, or for a second document with that name the name with the first
// free suffix, -2, -3…, before the version ("plan-2-v1"). A suffixed name
// can be another document's own ("Plan", "Plan", "Plan 2"), and counting
// each base's uses gave "plan-2" twice; so every document's own name is
// reserved first and a suffix skips whatever is taken, which keeps the
// names distinct and leaves each document with a unique title under its
// single download's name.
func zipBaseNames(arts []models.Artifact) []string {
	taken := map[string]bool{}
	for i := range arts {
		taken[artifactFileName(&arts[i])] = true
	}
	given := map[string]bool{}
	names := make([]string, len(arts))
	for i := range arts {
		a := &arts[i]
		name := artifactFileName(a)
		if given[name] {
			base, version := slugify(a.Title, a.DocumentType), versionSuffix(a)
			for n := 2; taken[name]; n++ {
				name = fmt.Sprintf("%s-%d%s", base, n, version)
			}
		}
		given[name], taken[name] = true, true
		names[i] = name
	}
	return names
}

// artifactDetails is an artifact with what its views show around it.
type artifactDetails struct {
	artifact *models.Artifact
	project  *models.Project
	// job is nil once retention has removed it (artifacts outlive jobs).
	job *models.Job
}

// userArtifact loads the caller's artifact; another user's is a 404.
func (s *Server) userArtifact(c *fiber.Ctx) (*models.Artifact, error) {
	return s.db.ArtifactForUser(c.UserContext(), currentUser(c).ID, c.Params("id"))
}

// loadArtifact loads the caller's artifact with its project and job.
func (s *Server) loadArtifact(c *fiber.Ctx) (*artifactDetails, error) {
	return s.loadArtifactID(c, c.Params("id"))
}

func (s *Server) loadArtifactID(c *fiber.Ctx, id string) (*artifactDetails, error) {
	ctx := c.UserContext()
	uid := currentUser(c).ID
	a, err := s.db.ArtifactForUser(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	d := &artifactDetails{artifact: a}
	if d.project, err = s.db.ProjectForUser(ctx, uid, a.ProjectID); err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	if a.JobID != nil {
		if d.job, err = s.db.JobForUser(ctx, uid, *a.JobID); err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	return d, nil
}

// relatedArtifacts lists the job's documents in generation order or, once
// the job is gone, the latest version of each of the project's documents.
func (s *Server) relatedArtifacts(c *fiber.Ctx, d *artifactDetails) (_ []models.Artifact, fromJob bool, _ error) {
	ctx := c.UserContext()
	if d.job != nil {
		arts, err := s.db.JobArtifacts(ctx, d.job.ID)
		return arts, true, err
	}
	if d.project != nil {
		arts, err := s.db.ProjectArtifacts(ctx, currentUser(c).ID, d.project.ID)
		return arts, false, err
	}
	return nil, false, nil
}

// opensWithTitle reports whether the Markdown has a level-one heading of
// its own, which then serves as the printed title. It need not be the
// first line: an edit can add a note above it, and the page's title on
// top of the document's gave the title twice, in two fonts.
func opensWithTitle(md string) bool {
	return documents.TitleOf(md, "") != ""
}

// fileName is a download's name: ascii, which every client takes, and
// native, in the name's own script ("проект-альфа-…"), where it differs.
type fileName struct{ ascii, native string }

// downloadName names a download after s (a title, a project's name) with
// suffix; fallback stands in when nothing of s is left.
func downloadName(s, fallback, suffix string) fileName {
	return fileName{ascii: slugify(s, fallback) + suffix, native: slugifyNative(s, fallback) + suffix}
}

// disposition builds a Content-Disposition header value: filename in
// ASCII, and filename* (RFC 6266, RFC 8187) with the native name when it
// differs, which browsers prefer.
func disposition(kind string, n fileName) string {
	v := mime.FormatMediaType(kind, map[string]string{"filename": n.ascii})
	if n.native != "" && n.native != n.ascii {
		v += "; filename*=UTF-8''" + encodeExtValue(n.native)
	}
	return v
}

// encodeExtValue percent-encodes s as an RFC 8187 ext-value's value: only
// letters, digits and -._~ stay as they are.
func encodeExtValue(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// slugifyNative is slugify keeping the letters and digits of every script
// ("Проект Альфа" becomes "проект-альфа", "Café" stays "café"), for the
// filename* of a download.
func slugifyNative(s, fallback string) string {
	out := slug(norm.NFC.String(s), func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
	})
	if out == "" {
		return slugify(fallback, "document")
	}
	return out
}

// slug lower-cases s, keeps the runes keep takes, turns every run of the
// others into one dash, and stops at 80 runes; no dash at either end.
func slug(s string, keep func(rune) bool) string {
	var b strings.Builder
	dash, n := false, 0
	for _, r := range strings.ToLower(s) {
		if n == 80 {
			break
		}
		if keep(r) {
			b.WriteRune(r)
			dash = false
			n++
			continue
		}
		if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
			n++
		}
	}
	return strings.Trim(b.String(), "-")
}

// slugify turns a title into a file name part: "Risk Register: Café
// relaunch" becomes "risk-register-cafe-relaunch". It is ASCII only, so it
// is safe in any header or archive; fallback is used when nothing is left.
func slugify(s, fallback string) string {
	folded, _, err := transform.String(transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn))), s)
	if err == nil {
		s = folded
	}
	out := slug(s, func(r rune) bool { return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) })
	if out == "" && fallback != s {
		return slugify(fallback, "document")
	}
	return cmp.Or(out, "document")
}
