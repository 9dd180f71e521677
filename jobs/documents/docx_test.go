package documents

import (
	"archive/zip"
	"bytes"
	"context"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// documentXML is word/document.xml of a .docx.
func documentXML(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			require.NoError(t, err)
			defer rc.Close()
			x, err := io.ReadAll(rc)
			require.NoError(t, err)
			return string(x)
		}
	}
	t.Fatal("no word/document.xml in the .docx")
	return ""
}

func TestDOCXKeepsStructure(t *testing.T) {
	md := "# Title: Café & <relaunch>\n\nIntro with **bold**, *italic* and a [link](https://example.com/a?b=1&c=2), `code`, [bad](javascript:alert(1)).\n\n" +
		"## Section\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n| Risk | Score |\n|---|--:|\n| Late **vendor** | 12 |\n\n> quoted\n\n```\ncode block\n```\n\n" +
		"```dossier-chart\n{\"kind\":\"heatmap\",\"title\":\"Heat map\",\"desc\":\"Six risks by probability and impact.\",\"cells\":[[1]]}\n```\n"
	b, err := DOCX(md)
	require.NoError(t, err)
	x := documentXML(t, b)
	for _, want := range []string{`w:val="Heading1"`, `w:val="Heading2"`, "Title: Café &amp;", "<w:b", "<w:i", "<w:hyperlink", "<w:numPr>", "<w:tbl>", "Late ", "vendor", "12", "quoted", "code block", "Courier New", "Heat map. Six risks by probability and impact."} {
		assert.Contains(t, x, want)
	}
	assert.NotContains(t, x, "javascript:", "unsafe links stay text")
	assert.NotContains(t, x, `"kind"`, "a chart's spec becomes its caption, not code")
	// The .docx has no image: its caption is a plain paragraph, not a
	// "Figure:" that points at nothing.
	assert.NotContains(t, x, "Figure", "no figure is announced in a .docx that has none")
	assert.Contains(t, x, "bad")
}

// officeRequired says CI must run the LibreOffice check (set in .ci/run).
func officeRequired() bool { return os.Getenv("DOSSIER_REQUIRE_OFFICE") == "1" }

// officeTool is the path of a tool the LibreOffice checks run (from the
// Debian package pkg). Without it the test fails where CI requires the
// check, and is skipped loudly elsewhere (`make test` says so).
func officeTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if officeRequired() {
			t.Fatalf("DOSSIER_REQUIRE_OFFICE=1 but %s is not on PATH (apt-get install %s)", name, pkg)
		}
		t.Skipf("SKIPPED LOUDLY: %s (%s) not found; the .docx files were not opened in LibreOffice", name, pkg)
	}
	return path
}

// Every document type's .docx opens in LibreOffice: converted to PDF
// headless, its headings and a table cell are in the PDF's text.
// DOSSIER_DOCX_KEEP=DIR keeps the .docx and .pdf files (for screenshots).
func TestDOCXOpensInLibreOffice(t *testing.T) {
	soffice := officeTool(t, "soffice", "libreoffice-writer")
	pdftotext := officeTool(t, "pdftotext", "poppler-utils")
	dir := t.TempDir()
	if keep := os.Getenv("DOSSIER_DOCX_KEEP"); keep != "" {
		dir = keep
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	sources := map[string]string{}
	var files []string
	for _, k := range Keys() {
		md, err := os.ReadFile(filepath.Join("testdata", "golden", k+".md"))
		require.NoError(t, err, k)
		sources[k] = string(md)
		b, err := DOCX(string(md))
		require.NoError(t, err, k)
		f := filepath.Join(dir, k+".docx")
		require.NoError(t, os.WriteFile(f, b, 0o644))
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := append([]string{"-env:UserInstallation=file://" + filepath.Join(t.TempDir(), "profile"),
		"--headless", "--norestore", "--convert-to", "pdf", "--outdir", dir}, files...)
	out, err := exec.CommandContext(ctx, soffice, args...).CombinedOutput()
	require.NoError(t, err, "soffice: %s", out)

	tables := 0
	for _, k := range Keys() {
		pdf := filepath.Join(dir, k+".pdf")
		txt, err := exec.CommandContext(ctx, pdftotext, "-layout", pdf, "-").Output()
		require.NoError(t, err, "%s: LibreOffice made no readable PDF", k)
		got := squash(string(txt))
		headings, cell := outline(sources[k])
		require.NotEmpty(t, headings, k)
		for _, h := range headings {
			assert.Contains(t, got, squash(h), "%s: heading %q", k, h)
		}
		if cell != "" {
			tables++
			assert.Contains(t, got, squash(cell), "%s: table cell %q", k, cell)
		}
	}
	assert.GreaterOrEqual(t, tables, 10, "most document types have a table, and their cells survive")
}

var spaces = regexp.MustCompile(`\s+`)

func squash(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

// outline returns a document's heading texts and a one-word cell from the
// body of its first table (one word, so that a line wrap cannot split it).
func outline(md string) (headings []string, cell string) {
	src := []byte(md)
	root := markdown.Parser().Parse(text.NewReader(src))
	ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) { //nolint:errcheck
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, plainText(n, src))
			return ast.WalkSkipChildren, nil
		case *extast.TableRow:
			if cell != "" {
				return ast.WalkSkipChildren, nil
			}
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if s := plainText(c, src); len(s) >= 2 && len(s) <= 16 && !strings.ContainsAny(s, " \t") {
					cell = s
					break
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return headings, cell
}

// A numbered list that goes on from another number keeps it in the .docx
// (numbered in its text), and a <br> in a table cell is a line break there,
// as on the page, not the tag's text.
func TestDOCXKeepsListNumbersAndLineBreaks(t *testing.T) {
	b, err := DOCX("1. Plan\n\n```\nmake\n```\n\n2. Build\n3. Ship\n\n| Step |\n|---|\n| Weekly review<br>Escalate |\n")
	require.NoError(t, err)
	x := documentXML(t, b)
	assert.Contains(t, x, ">2. </w:t>")
	assert.Contains(t, x, ">3. </w:t>")
	assert.Contains(t, x, "<w:br")
	assert.NotContains(t, x, "&lt;br&gt;")
}

// escapedMarkdown is what the template generator writes for user text (esc
// backslash-escapes _ * [ ] # | and an & that looks like a reference) and
// what a model writes (entities): the .docx must show the text the page
// shows, not the Markdown source.
const escapedMarkdown = "# Budget Estimate: ERP\\_v2 rollout (C\\#)\n\n" +
	"Vendor \\[TBC\\] may slip \\*again\\*: R&amp;D &copy; &#8364;5 &#x41;, a literal \\&amp; and `a\\_b &amp;` as code.\n\n" +
	"- **ERP\\_v2** see [the R&amp;D \\[wiki\\]](https://example.com/?a=1&amp;b=2) or <https://example.com/x_y>\n\n" +
	"| Work package | Note |\n|---|---|\n| ERP\\_v2 \\| cutover | C\\# &amp; F\\# |\n\n" +
	"Setext \\_heading\\_\n===\n"

// escapedText is escapedMarkdown's text as the page shows it, paragraph by
// paragraph (table cells one a line).
var escapedText = []string{
	"Budget Estimate: ERP_v2 rollout (C#)",
	"Vendor [TBC] may slip *again*: R&D © €5 A, a literal &amp; and a\\_b &amp; as code.",
	"ERP_v2 see the R&D [wiki] or https://example.com/x_y",
	"ERP_v2 | cutover",
	"C# & F#",
	"Setext _heading_",
}

var (
	paraEnd = regexp.MustCompile(`</w:p>`)
	xmlTag  = regexp.MustCompile(`<[^>]*>`)
)

// docxText is the text of word/document.xml, a line per paragraph.
func docxText(x string) string {
	x = paraEnd.ReplaceAllString(x, "\n")
	return html.UnescapeString(xmlTag.ReplaceAllString(x, ""))
}

// zipEntry is a file of a .docx.
func zipEntry(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	rc, err := zr.Open(name)
	require.NoError(t, err)
	defer rc.Close()
	x, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(x)
}

func TestDOCXResolvesEscapesAndEntities(t *testing.T) {
	b, err := DOCX(escapedMarkdown)
	require.NoError(t, err)
	got := strings.Split(docxText(documentXML(t, b)), "\n")
	for _, want := range escapedText {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, strings.Join(got, "\n"), "ERP\\_v2", "a backslash escape is Markdown, not text")
	rels := zipEntry(t, b, "word/_rels/document.xml.rels")
	assert.Contains(t, rels, `Target="https://example.com/?a=1&amp;b=2"`, "the link goes where the page's does")
	assert.NotContains(t, rels, "&amp;amp;")

	// Every element's text: headings, table cells and link labels.
	for md, want := range map[string]string{
		"## 3\\. Cost \\& C\\#":               "3. Cost & C#",
		"[C\\# &lt;guide&gt;](https://x.org)": "C# <guide>",
		"| A\\_B |\n|---|\n| x\\*y |":         "x*y",
		"![alt \\_text\\_](https://x.org/i)":  "alt _text_",
		"`C\\#` stays":                        "C\\# stays",
	} {
		b, err := DOCX(md)
		require.NoError(t, err, md)
		assert.Contains(t, strings.Split(docxText(documentXML(t, b)), "\n"), want, md)
	}
}

// LibreOffice reads the same text out of the .docx.
func TestDOCXEscapesInLibreOffice(t *testing.T) {
	soffice := officeTool(t, "soffice", "libreoffice-writer")
	b, err := DOCX(escapedMarkdown)
	require.NoError(t, err)
	dir := t.TempDir()
	f := filepath.Join(dir, "escaped.docx")
	require.NoError(t, os.WriteFile(f, b, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--convert-to", "txt:Text", "--outdir", dir, f).CombinedOutput()
	require.NoError(t, err, "soffice: %s", out)
	txt, err := os.ReadFile(filepath.Join(dir, "escaped.txt"))
	require.NoError(t, err, "soffice: %s", out)
	got := squash(strings.TrimPrefix(string(txt), "\uFEFF"))
	for _, want := range escapedText {
		assert.Contains(t, got, squash(want))
	}
	assert.NotContains(t, got, "ERP\\_v2")
	assert.NotContains(t, got, "&copy;")
}
