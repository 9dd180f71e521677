package handlers

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

// generatedJob is a completed job whose documents were written by the
// built-in template generator and committed the way the processor does it.
type generatedJob struct {
	project   *models.Project
	job       *models.Job
	artifacts []models.Artifact // in generation order
}

func (g *generatedJob) artifact(t *testing.T, docType string) models.Artifact {
	t.Helper()
	for _, a := range g.artifacts {
		if a.DocumentType == docType {
			return a
		}
	}
	t.Fatalf("no %s artifact", docType)
	return models.Artifact{}
}

// generateDocuments runs the real pipeline for the example project: create
// the job, claim it, generate and commit every document in catalog order,
// and finish it. Fake token counts stand in for a model's usage.
func generateDocuments(t *testing.T, db *models.DB, u *models.User) *generatedJob {
	t.Helper()
	ctx := context.Background()
	name, desc, data, pack := models.ExampleProject()
	p := &models.Project{UserID: u.ID, Name: name, Description: desc, Data: data, CompanyIntelligencePack: pack}
	require.NoError(t, db.CreateProject(ctx, p))

	keys := documents.Keys()
	job, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, ProjectData: data, Company: &pack, Documents: keys})
	require.NoError(t, err)
	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "artifact-test", Limit: 10, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	var lease models.Lease
	for _, j := range claimed {
		if j.ID == job.ID {
			lease = j.Lease()
		}
	}
	require.Equal(t, job.ID, lease.JobID, "the job should be claimed")

	gen := documents.NewTemplateGenerator(0)
	done := map[string]documents.Document{}
	for i, key := range keys {
		dt, _ := documents.Lookup(key)
		req := documents.Request{Type: key, ProjectName: name, Description: desc, Project: data, Company: pack}
		for _, dep := range dt.DependsOn {
			req.Dependencies = append(req.Dependencies, done[dep])
		}
		start := time.Now()
		doc, err := gen.Generate(ctx, req)
		require.NoError(t, err)
		done[key] = doc
		_, _, err = db.CommitDocument(ctx, lease, models.DocumentResult{
			Type: key, Title: doc.Title, Markdown: doc.Markdown, Attempts: 1,
			StartedAt: start, FinishedAt: time.Now(), PromptTokens: 1000 + i, CompletionTokens: 2000 + i,
		})
		require.NoError(t, err)
	}
	job, err = db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
	require.NoError(t, err)
	arts, err := db.JobArtifacts(ctx, job.ID)
	require.NoError(t, err)
	require.Len(t, arts, len(keys))
	return &generatedJob{project: p, job: job, artifacts: arts}
}

// hostileMarkdown is model output trying every trick the sanitizer must
// defeat: scripts, event handlers, htmx attributes and javascript: URLs.
const hostileMarkdown = "# Hostile <script>alert('title')</script>\n\n" +
	"Intro <script>alert(1)</script> text.\n\n" +
	"<img src=x onerror=alert(1)>\n\n" +
	"Inline <img src=x onerror=alert(1)> image and <a hx-get=\"/x\" href=\"javascript:alert(1)\">x</a> link.\n\n" +
	"<a hx-get=\"/x\" data-hx-post=\"/y\" hx-trigger=\"load\" href=\"javascript:alert(1)\">x</a>\n\n" +
	"A [y](javascript:alert(1)) link, a [z](JaVaScRiPt:alert(1)) one and <div onclick=\"alert(1)\" hx-swap=\"outerHTML\">div</div>.\n\n" +
	"| a | b |\n|---|---|\n| <span onmouseover=alert(1)>c</span> | [d](javascript:alert(1)) |\n"

// insertArtifact stores an artifact directly, as a model might have
// written it; it has no job, like one whose job retention removed.
func insertArtifact(t *testing.T, db *models.DB, p *models.Project, title, md string) *models.Artifact {
	t.Helper()
	a := &models.Artifact{
		ID: uuid.NewString(), ProjectID: p.ID, UserID: p.UserID, DocumentType: "risk_register",
		Title: title, Markdown: md, Version: 7, CreatedAt: time.Now().UTC(),
	}
	require.NoError(t, db.ForTests().WithContext(context.Background()).Create(a).Error)
	return a
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}

func parseHTML(t *testing.T, raw []byte) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	require.NoError(t, err)
	return doc
}

// dispositionOf parses Content-Disposition into its kind and file name.
func dispositionOf(t *testing.T, resp *http.Response) (kind, filename string) {
	t.Helper()
	kind, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	require.NoError(t, err, "Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	return kind, params["filename"]
}

func TestArtifactPage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		g := generateDocuments(t, b.db, c.user)
		risk := g.artifact(t, "risk_register")

		resp := c.get(t, "/artifacts/"+risk.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)

		assert.Equal(t, risk.Title, strings.TrimSpace(testID(doc, "artifact-title").Text()))
		assert.Equal(t, "Risk Register", strings.TrimSpace(testID(doc, "artifact-type").Text()))
		assert.Equal(t, "/projects/"+g.project.ID, testID(doc, "artifact-project-link").AttrOr("href", ""))
		assert.Equal(t, "/jobs/"+g.job.ID, testID(doc, "artifact-job-link").AttrOr("href", ""))
		assert.Contains(t, testID(doc, "artifact-created").AttrOr("datetime", ""), risk.CreatedAt.UTC().Format("2006-01-02"))
		// The risk register is the fifth document: 1000+4 and 2000+4 tokens.
		assert.Equal(t, "1,004 prompt + 2,004 completion = 3,008", strings.TrimSpace(testID(doc, "artifact-tokens").Text()))

		// The document itself, rendered: the ranked risk table with the
		// highest probability × impact first.
		article := doc.Find(`article.prose-doc[data-testid="artifact-body"]`)
		require.Equal(t, 1, article.Length())
		assert.Equal(t, risk.Title, strings.TrimSpace(article.Find("h1").First().Text()))
		var ranked *goquery.Selection
		article.Find("table").EachWithBreak(func(_ int, tbl *goquery.Selection) bool {
			if strings.Contains(tbl.Find("thead").Text(), "Mitigation") {
				ranked = tbl
				return false
			}
			return true
		})
		require.NotNil(t, ranked, "the risk table should be rendered")
		first := ranked.Find("tbody tr").First().Find("td")
		assert.Equal(t, "1", strings.TrimSpace(first.Eq(0).Text()))
		assert.Equal(t, "15", strings.TrimSpace(first.Eq(4).Text()))
		assert.Equal(t, "right", ranked.Find("thead th").Eq(2).AttrOr("align", ""), "alignment survives the sanitizer")

		// Downloads.
		downloads := map[string]string{}
		testID(doc, "artifact-downloads").Find("a").Each(func(_ int, a *goquery.Selection) {
			downloads[a.AttrOr("data-testid", "")] = a.AttrOr("href", "")
		})
		assert.Equal(t, map[string]string{
			"edit-document": "/projects/" + risk.ProjectID + "/documents/risk_register/edit",
			"download-docx": "/artifacts/" + risk.ID + ".docx",
			"download-md":   "/artifacts/" + risk.ID + ".md",
			"download-html": "/artifacts/" + risk.ID + ".html?download=1",
			"print-view":    "/artifacts/" + risk.ID + ".html",
			"download-zip":  "/api/generation/jobs/" + g.job.ID + "/artifacts.zip",
		}, downloads)

		// The job's other documents, in generation order, this one current.
		links := testID(doc, "related-document")
		require.Equal(t, len(g.artifacts), links.Length())
		links.Each(func(i int, l *goquery.Selection) {
			a := g.artifacts[i]
			assert.Equal(t, docTitle(a.DocumentType), strings.TrimSpace(l.Text()))
			if a.ID == risk.ID {
				assert.Equal(t, "page", l.AttrOr("aria-current", ""))
			} else {
				assert.Equal(t, "/artifacts/"+a.ID, l.AttrOr("href", ""))
			}
		})
	})
}

func TestArtifactAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		g := generateDocuments(t, b.db, c.user)
		a := g.artifact(t, "budget_estimate")

		resp := c.get(t, "/api/artifacts/"+a.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var got struct {
			ID               string    `json:"id"`
			JobID            string    `json:"jobId"`
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
		decodeBody(t, resp, &got)
		assert.Equal(t, a.ID, got.ID)
		assert.Equal(t, g.job.ID, got.JobID)
		assert.Equal(t, "generated", got.Source, "a run wrote it")
		assert.Equal(t, g.project.ID, got.ProjectID)
		assert.Equal(t, "budget_estimate", got.DocumentType)
		assert.Equal(t, a.Title, got.Title)
		assert.Equal(t, a.Markdown, got.Markdown)
		assert.WithinDuration(t, a.CreatedAt, got.CreatedAt, time.Second)
		assert.Equal(t, 1, got.Version)
		assert.Equal(t, a.PromptTokens, got.PromptTokens)
		assert.Equal(t, a.CompletionTokens, got.CompletionTokens)
	})
}

func TestArtifactMarkdownDownload(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		g := generateDocuments(t, b.db, c.user)
		a := g.artifact(t, "risk_register")

		resp := c.get(t, "/artifacts/"+a.ID+".md")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/markdown; charset=utf-8", resp.Header.Get("Content-Type"))
		kind, name := dispositionOf(t, resp)
		assert.Equal(t, "attachment", kind)
		assert.Equal(t, "risk-register-customer-portal-relaunch-v1.md", name)
		assert.Equal(t, a.Markdown, string(body(t, resp)), "the download is the Markdown exactly as generated")
	})
}

func TestArtifactStandaloneHTML(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		g := generateDocuments(t, b.db, c.user)
		a := g.artifact(t, "risk_register")
		company := g.job.CompanyIntelligencePack.CompanyName
		require.NotEmpty(t, company)

		// The project's company changes after generation: the file still
		// names the company the document was written for.
		renamed := *g.project
		renamed.CompanyIntelligencePack.CompanyName = "Renamed Holdings"
		require.NoError(t, b.db.UpdateProject(context.Background(), &renamed))

		resp := c.get(t, "/artifacts/"+a.ID+".html")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		kind, name := dispositionOf(t, resp)
		assert.Equal(t, "inline", kind)
		assert.Equal(t, "risk-register-customer-portal-relaunch-v1.html", name)
		raw := body(t, resp)
		doc := parseHTML(t, raw)

		// Standalone: its own print stylesheet; no scripts, no app assets,
		// no htmx, nothing fetched from anywhere.
		css := doc.Find("head style").Text()
		assert.Contains(t, css, "@media print")
		assert.Contains(t, css, "@page")
		assert.Contains(t, css, "A4")
		assert.Contains(t, css, "table-header-group", "table headers repeat on every page")
		assert.Contains(t, css, "break-inside: avoid")
		assert.Contains(t, css, `attr(href)`, "link URLs are printed")
		assert.Zero(t, doc.Find("script, link, iframe, object, embed").Length())
		assert.NotContains(t, string(raw), "/static/")
		assert.NotContains(t, string(raw), "hx-")
		assert.NotContains(t, string(raw), "sse-connect")
		doc.Find("[src]").Each(func(_ int, s *goquery.Selection) {
			assert.NotRegexp(t, `^(https?:)?//`, s.AttrOr("src", ""))
		})
		assert.Equal(t, "Risk Register: Customer Portal Relaunch", a.Title)
		assert.Equal(t, a.Title, strings.TrimSpace(doc.Find("head title").Text()))
		// The print view carries the risk heat map, drawn by the server.
		assert.Equal(t, 1, doc.Find(`figure.dossier-chart svg[role="img"]`).Length())
		assert.Equal(t, a.Title, strings.TrimSpace(doc.Find("h1").First().Text()))
		assert.Equal(t, 1, doc.Find("h1").Length(), "a document that opens with its title is not given a second one")

		// Masthead: company, project and date.
		assert.Equal(t, company, strings.TrimSpace(testID(doc, "print-company").Text()))
		assert.Equal(t, g.project.Name, strings.TrimSpace(testID(doc, "print-project").Text()))
		assert.Equal(t, a.CreatedAt.UTC().Format("2006-01-02"), testID(doc, "print-date").AttrOr("datetime", ""))
		assert.Equal(t, a.CreatedAt.UTC().Format("2 January 2006"), strings.TrimSpace(testID(doc, "print-date").Text()))

		article := testID(doc, "artifact-body")
		require.Equal(t, 1, article.Length())
		assert.GreaterOrEqual(t, article.Find("table thead th").Length(), 8)

		resp = c.get(t, "/artifacts/"+a.ID+".html?download=1")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		kind, name = dispositionOf(t, resp)
		assert.Equal(t, "attachment", kind)
		assert.Equal(t, "risk-register-customer-portal-relaunch-v1.html", name)
	})
}

func TestArtifactsZip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		g := generateDocuments(t, b.db, c.user)

		// JobRoutes registers /api/generation/jobs/:id first; it must not
		// swallow the zip.
		resp := c.get(t, "/api/generation/jobs/"+g.job.ID+"/artifacts.zip")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
		kind, name := dispositionOf(t, resp)
		assert.Equal(t, "attachment", kind)
		assert.Equal(t, "customer-portal-relaunch-run-1-documents.zip", name, "named by project and run")

		raw := body(t, resp)
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		require.NoError(t, err)
		// Each document three times, under its single downloads' names, in
		// generation order.
		var want []string
		for _, a := range g.artifacts {
			base := slugify(a.Title, a.DocumentType) + "-v1"
			want = append(want, base+".md", base+".html", base+".docx")
		}
		var names []string
		for i, f := range zr.File {
			names = append(names, f.Name)
			rc, err := f.Open()
			require.NoError(t, err)
			content, err := io.ReadAll(rc)
			require.NoError(t, rc.Close())
			require.NoError(t, err)
			a := g.artifacts[i/3]
			switch {
			case strings.HasSuffix(f.Name, ".md"):
				assert.Equal(t, a.Markdown, string(content), f.Name)
			case strings.HasSuffix(f.Name, ".html"):
				assert.Contains(t, string(content), "<title>"+a.Title+"</title>", f.Name)
			case strings.HasSuffix(f.Name, ".docx"):
				_, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
				assert.NoError(t, err, f.Name)
			}
		}
		assert.Equal(t, want, names, "three files per document, in generation order, and nothing else")

		// Still the job's JSON at /api/generation/jobs/:id.
		resp = c.get(t, "/api/generation/jobs/"+g.job.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var job struct {
			ID string `json:"id"`
		}
		decodeBody(t, resp, &job)
		assert.Equal(t, g.job.ID, job.ID)
	})
}

// Every entry of the zip has its own name, though titles collide and a
// suffixed name can be another document's own: "Plan", "Plan", "Plan 2"
// gave plan, plan-2 and plan-2 again. A document with a unique title keeps
// its single download's name.
func TestArtifactsZipNamesAreDistinct(t *testing.T) {
	for _, tc := range []struct {
		titles []string
		want   []string
	}{
		{[]string{"Plan", "Plan", "Plan 2"}, []string{"plan", "plan-3", "plan-2"}},
		{[]string{"Plan 2", "Plan", "Plan"}, []string{"plan-2", "plan", "plan-3"}},
		{[]string{"Plan", "Plan", "Plan", "Plan 3", "plan-2"}, []string{"plan", "plan-4", "plan-5", "plan-3", "plan-2"}},
	} {
		t.Run(strings.Join(tc.titles, ","), func(t *testing.T) {
			var docs []artifactDetails
			for _, title := range tc.titles {
				docs = append(docs, artifactDetails{artifact: &models.Artifact{ID: uuid.NewString(), DocumentType: "project_charter", Title: title,
					Markdown: "# " + title + "\n", Version: 1, CreatedAt: time.Now().UTC()}})
			}
			var buf bytes.Buffer
			require.NoError(t, writeArtifactsZip(context.Background(), &buf, docs))
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			require.NoError(t, err)
			var names, want []string
			seen := map[string]bool{}
			for _, f := range zr.File {
				assert.False(t, seen[f.Name], "duplicate entry %s", f.Name)
				seen[f.Name] = true
				names = append(names, f.Name)
			}
			for _, base := range tc.want {
				base += "-v1"
				want = append(want, base+".md", base+".html", base+".docx")
			}
			assert.Equal(t, want, names)
		})
	}
}

func TestArtifactsZipOfJobWithoutDocuments(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)
		ctx := context.Background()
		name, _, data, pack := models.ExampleProject()
		p := &models.Project{UserID: c.user.ID, Name: name, Data: data, CompanyIntelligencePack: pack}
		require.NoError(t, b.db.CreateProject(ctx, p))
		job, _, err := b.db.CreateJob(ctx, models.NewJob{UserID: c.user.ID, ProjectID: p.ID, ProjectData: data, Company: &pack, Documents: documents.Keys()})
		require.NoError(t, err)

		resp := c.get(t, "/api/generation/jobs/"+job.ID+"/artifacts.zip")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		e := errorOf(t, resp)
		assert.Equal(t, "no_documents", e.Error.Code)
		assert.Contains(t, e.Error.Message, "no generated documents")
	})
}

// Another user's artifact or job is a 404 on every route, exactly like one
// that does not exist.
func TestArtifactsOfAnotherUser(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		owner := b.user(t)
		g := generateDocuments(t, b.db, owner.user)
		a := g.artifact(t, "risk_register")

		routes := []struct {
			name, path string
			json       bool
		}{
			{"page", "/artifacts/" + a.ID, false},
			{"md", "/artifacts/" + a.ID + ".md", false},
			{"html", "/artifacts/" + a.ID + ".html", false},
			{"html-download", "/artifacts/" + a.ID + ".html?download=1", false},
			{"api", "/api/artifacts/" + a.ID, true},
			{"zip", "/api/generation/jobs/" + g.job.ID + "/artifacts.zip", true},
		}
		for name, intruder := range map[string]*client{"session": b.user(t), "token": b.apiClient(t)} {
			for _, r := range routes {
				t.Run(name+"/"+r.name, func(t *testing.T) {
					resp := intruder.get(t, r.path)
					require.Equal(t, http.StatusNotFound, resp.StatusCode)
					raw := string(body(t, resp))
					assert.NotContains(t, raw, "Customer Portal Relaunch")
					assert.NotContains(t, raw, "Probability")
					if r.json {
						assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
						assert.Contains(t, raw, `"code":"not_found"`)
					}
				})
			}
		}

		// The owner sees them all; unknown and malformed ids are 404 too.
		for _, r := range routes {
			assert.Equal(t, http.StatusOK, owner.get(t, r.path).StatusCode, r.path)
		}
		for _, path := range []string{
			"/artifacts/" + uuid.NewString(), "/artifacts/" + uuid.NewString() + ".md",
			"/artifacts/" + uuid.NewString() + ".html", "/api/artifacts/" + uuid.NewString(),
			"/artifacts/not-a-uuid", "/artifacts/" + a.ID + ".pdf", "/artifacts/" + a.ID + ".md.html",
			"/api/generation/jobs/" + uuid.NewString() + "/artifacts.zip",
		} {
			assert.Equal(t, http.StatusNotFound, owner.get(t, path).StatusCode, path)
		}
	})
}

// Must show 4: hostile model output renders with none of it left, on the
// page and in the standalone file.
func TestArtifactHostileMarkdown(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		g := generateDocuments(t, b.db, c.user)
		a := insertArtifact(t, b.db, g.project, "Hostile <script>alert('title')</script>", hostileMarkdown)

		for name, path := range map[string]string{"page": "/artifacts/" + a.ID, "standalone": "/artifacts/" + a.ID + ".html"} {
			t.Run(name, func(t *testing.T) {
				resp := c.get(t, path)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				raw := body(t, resp)
				doc := parseHTML(t, raw)
				article := testID(doc, "artifact-body")
				require.Equal(t, 1, article.Length())

				// The harmless parts are still there.
				text := article.Text()
				assert.Contains(t, text, "Intro")
				assert.Contains(t, text, "div")
				assert.Equal(t, 1, article.Find("table").Length())

				assert.Zero(t, article.Find("script, iframe, object, embed, form, style").Length())
				assertNoActiveAttributes(t, article)
				assert.NotRegexp(t, `(?i)<script|onerror|onclick|onmouseover|javascript:|hx-get|hx-swap|hx-trigger|data-hx-post`, mustHTML(t, article))

				if strings.HasSuffix(path, ".html") {
					// The standalone file has nothing active anywhere: the
					// hostile title is text, not markup.
					assert.Zero(t, doc.Find("script").Length())
					assertNoActiveAttributes(t, doc.Selection)
					assert.Equal(t, a.Title, strings.TrimSpace(doc.Find("head title").Text()))
					// The job is gone (or never was): the project's company.
					assert.Equal(t, g.project.CompanyIntelligencePack.CompanyName, strings.TrimSpace(testID(doc, "print-company").Text()))
				} else {
					// The page's own layout scripts aside, the title is text.
					assert.Equal(t, a.Title, strings.TrimSpace(testID(doc, "artifact-title").Text()))
					assert.Zero(t, testID(doc, "artifact-title").Find("script").Length())
					assert.Zero(t, testID(doc, "download-zip").Length(), "no job, no zip")
					assert.Contains(t, testID(doc, "artifact-related").Text(), "Latest project documents")
				}
			})
		}
	})
}

var activeAttr = regexp.MustCompile(`(?i)^(on|hx-|data-hx-)`)

// assertNoActiveAttributes fails on any event handler, htmx attribute or
// javascript: URL under sel.
func assertNoActiveAttributes(t *testing.T, sel *goquery.Selection) {
	t.Helper()
	sel.Find("*").AddSelection(sel).Each(func(_ int, s *goquery.Selection) {
		for _, attr := range s.Nodes[0].Attr {
			assert.False(t, activeAttr.MatchString(attr.Key), "<%s %s=%q>", goquery.NodeName(s), attr.Key, attr.Val)
			if attr.Key == "href" || attr.Key == "src" || attr.Key == "action" || attr.Key == "formaction" {
				v := strings.ToLower(strings.Join(strings.Fields(attr.Val), ""))
				assert.False(t, strings.HasPrefix(v, "javascript:"), "<%s %s=%q>", goquery.NodeName(s), attr.Key, attr.Val)
			}
		}
	})
}

func mustHTML(t *testing.T, sel *goquery.Selection) string {
	t.Helper()
	h, err := sel.Html()
	require.NoError(t, err)
	return h
}

func TestSlugifyNative(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, fallback, want string }{
		{"Risk Register: Customer Portal Relaunch", "x", "risk-register-customer-portal-relaunch"},
		{"Café Zürich — Phase 2!", "x", "café-zürich-phase-2"},
		{"Проект Альфа", "x", "проект-альфа"},
		{"東京 プロジェクト", "x", "東京-プロジェクト"},
		{"\"quoted\" / slashed\\", "x", "quoted-slashed"},
		{"!!!", "budget_estimate", "budget-estimate"},
		{strings.Repeat("я ", 60), "x", strings.TrimRight(strings.Repeat("я-", 40), "-")},
	} {
		assert.Equal(t, tc.want, slugifyNative(tc.in, tc.fallback), tc.in)
	}
	assert.Equal(t, "%D0%BF-a.zip", encodeExtValue("п-a.zip"))
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, fallback, want string }{
		{"Risk Register: Customer Portal Relaunch", "x", "risk-register-customer-portal-relaunch"},
		{"project_charter", "x", "project-charter"},
		{"Café Zürich — Phase 2!", "x", "cafe-zurich-phase-2"},
		{"  --Spaces & symbols--  ", "x", "spaces-symbols"},
		{"東京", "budget_estimate", "budget-estimate"},
		{"", "", "document"},
		{strings.Repeat("ab ", 60), "x", strings.TrimRight(strings.Repeat("ab-", 27)[:80], "-")},
	} {
		assert.Equal(t, tc.want, slugify(tc.in, tc.fallback), tc.in)
	}
}
