package documents

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseHTML(t *testing.T, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	require.NoError(t, err)
	return doc
}

// assertSafe fails on anything that could run script or drive htmx.
func assertSafe(t *testing.T, html string) {
	t.Helper()
	doc := parseHTML(t, html)
	assert.Zero(t, doc.Find("script, iframe, object, embed, style").Length(), html)
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			name := strings.ToLower(a.Key)
			assert.False(t, strings.HasPrefix(name, "on"), "event handler %s in %s", name, html)
			assert.False(t, strings.HasPrefix(name, "hx-"), "htmx attribute %s in %s", name, html)
			assert.False(t, strings.HasPrefix(name, "data-hx-"), "htmx attribute %s in %s", name, html)
			if name == "href" || name == "src" || name == "action" || name == "formaction" {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				assert.False(t, strings.HasPrefix(v, "javascript:"), "javascript URL in %s", html)
				assert.False(t, strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:text/html"), "script URL in %s", html)
			}
		}
	})
}

func TestRenderHTMLStripsHostileMarkup(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"script":          "Hello <script>alert(1)</script> world",
		"script block":    "<script>\nalert(1)\n</script>",
		"img onerror":     `<img src=x onerror=alert(1)>`,
		"htmx attributes": `<a hx-get="/x" data-hx-post="/y" href="javascript:alert(1)">x</a>`,
		"md js link":      "[link](javascript:alert(1))",
		"md js link case": "[link]( JaVaScRiPt:alert(1) )",
		"md js image":     "![x](javascript:alert(1))",
		"autolink js":     "<javascript:alert(1)>",
		"entity js":       "[x](&#106;avascript:alert(1))",
		"html block":      "<div hx-get=\"/admin\" hx-trigger=\"load\" onclick=\"x()\">owned</div>",
		"svg":             "<svg><script>alert(1)</script></svg>",
		"iframe":          `<iframe src="https://evil.example"></iframe>`,
		"table cell":      "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
	}
	for name, md := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := RenderHTML(md)
			assertSafe(t, out)
			assert.NotContains(t, strings.ToLower(out), "<script")
		})
	}
}

// TestPolicyStripsAttributesEvenFromRawHTML checks the sanitizer on its own,
// as if goldmark had passed raw HTML through: defence in depth.
func TestPolicyStripsAttributesEvenFromRawHTML(t *testing.T) {
	t.Parallel()
	out := policy().Sanitize(`<p hx-get="/x" data-hx-post="/y" hx-on:click="x()" onmouseover="x()" data-x="1">p</p>` +
		`<a href="javascript:alert(1)" hx-boost="true">a</a><img src="x" onerror="alert(1)"><script>alert(1)</script>` +
		`<td align="left" style="color:red">c</td><code class="language-go evil">x</code>`)
	assertSafe(t, out)
	assert.NotContains(t, out, "data-")
	assert.NotContains(t, out, "style=")
	assert.NotContains(t, out, "evil")
}

func TestRenderHTMLKeepsNormalMarkdown(t *testing.T) {
	t.Parallel()
	md := "# Title\n\n## Section\n\nSome **bold** text and a [link](https://example.com/x).\n\n" +
		"- one\n- two\n\n1. first\n2. second\n\n| Name | Score |\n|---|---:|\n| Alpha | 15 |\n| Beta \\| Gamma | 4 |\n\n```go\nfmt.Println(1)\n```\n"
	out := RenderHTML(md)
	assertSafe(t, out)
	doc := parseHTML(t, out)
	assert.Equal(t, "Title", doc.Find("h1").Text())
	assert.Equal(t, "Section", doc.Find("h2").Text())
	assert.Equal(t, "bold", doc.Find("strong").Text())
	href, ok := doc.Find("a").Attr("href")
	require.True(t, ok)
	assert.Equal(t, "https://example.com/x", href)
	assert.Equal(t, 2, doc.Find("ul li").Length())
	assert.Equal(t, 2, doc.Find("ol li").Length())
	assert.Equal(t, 2, doc.Find("table thead th").Length())
	assert.Equal(t, 2, doc.Find("table tbody tr").Length())
	assert.Equal(t, "Beta | Gamma", doc.Find("table tbody tr").Eq(1).Find("td").First().Text())
	align, _ := doc.Find("table thead th").Eq(1).Attr("align")
	assert.Equal(t, "right", align)
	class, _ := doc.Find("pre code").Attr("class")
	assert.Equal(t, "language-go", class)
}

func TestRenderHTMLGeneratedDocuments(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		out := RenderHTML(generateExample(t, k).Markdown)
		assertSafe(t, out)
		doc := parseHTML(t, out)
		assert.Equal(t, 1, doc.Find("h1").Length(), k)
		assert.Positive(t, doc.Find("table").Length(), k)
	}
}

// Model output can't make a reader's browser fetch anything: external images
// lose their source.
func TestRenderDropsExternalImages(t *testing.T) {
	out := RenderHTML("![pixel](https://tracker.example/p.png)\n\n<img src=\"http://tracker.example/q.gif\">")
	if strings.Contains(out, "tracker.example") {
		t.Fatalf("external image kept: %s", out)
	}
}

// An image shows as its alt text read as Markdown, as the .docx shows it:
// escapes and character references resolved, not printed.
func TestRenderShowsAnImagesAltTextResolved(t *testing.T) {
	out := RenderHTML(`![ERP\_v2 R&amp;D](https://tracker.example/p.png)`)
	if !strings.Contains(out, "ERP_v2 R&amp;D") || strings.Contains(out, `\_`) || strings.Contains(out, "&amp;amp;") {
		t.Fatalf("alt text not resolved: %s", out)
	}
}
