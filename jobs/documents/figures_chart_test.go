package documents

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// svgFigure is what a drawn chart offers a reader who cannot see it.
type svgFigure struct {
	Title, Desc, Caption string
	SVG                  string
}

var svgElement = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// svgFigures finds the chart figures in rendered HTML and checks that each
// SVG is well-formed XML with role="img", a title and a desc that it is
// labelled by, and a caption.
func svgFigures(t *testing.T, html string) []svgFigure {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	require.NoError(t, err)
	var out []svgFigure
	doc.Find("figure.dossier-chart").Each(func(i int, fig *goquery.Selection) {
		raw, _ := goquery.OuterHtml(fig)
		svg := svgElement.FindString(raw)
		// Parse the SVG exactly as drawn (not as the HTML parser repaired it).
		src := svgElement.FindAllString(html, -1)
		if i < len(src) {
			svg = src[i]
		}
		require.NotEmpty(t, svg, "figure %d has no svg", i)
		var f svgFigure
		f.SVG = svg
		dec := xml.NewDecoder(strings.NewReader(svg))
		var stack []string
		ids := map[string]string{}
		labelledBy, role := "", ""
		var text strings.Builder
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "figure %d: SVG is not well-formed XML", i)
			switch tk := tok.(type) {
			case xml.StartElement:
				stack = append(stack, tk.Name.Local)
				text.Reset()
				for _, a := range tk.Attr {
					switch {
					case len(stack) == 1 && a.Name.Local == "aria-labelledby":
						labelledBy = a.Value
					case len(stack) == 1 && a.Name.Local == "role":
						role = a.Value
					case a.Name.Local == "id":
						ids[a.Value] = tk.Name.Local
					}
				}
			case xml.CharData:
				text.Write(tk)
			case xml.EndElement:
				if len(stack) == 2 && tk.Name.Local == "title" {
					f.Title = text.String()
				}
				if len(stack) == 2 && tk.Name.Local == "desc" {
					f.Desc = text.String()
				}
				stack = stack[:len(stack)-1]
			}
		}
		assert.Empty(t, stack, "figure %d: unclosed elements", i)
		assert.Equal(t, "img", role, "figure %d: svg role", i)
		for _, id := range strings.Fields(labelledBy) {
			assert.Contains(t, []string{"title", "desc"}, ids[id], "figure %d: aria-labelledby %q names no title or desc", i, id)
		}
		assert.Len(t, strings.Fields(labelledBy), 2, "figure %d: labelled by title and desc", i)
		assert.NotEmpty(t, strings.TrimSpace(f.Title), "figure %d: no title", i)
		assert.NotEmpty(t, strings.TrimSpace(f.Desc), "figure %d: no desc", i)
		f.Caption = strings.TrimSpace(fig.Find("figcaption").Text())
		assert.NotEmpty(t, f.Caption, "figure %d: no caption", i)
		out = append(out, f)
	})
	return out
}

func TestChartsOfTheExampleProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, title string
		desc       []string
		table      string // the table next to the figure that holds the same data
	}{
		{"schedule", "Gantt chart of the work packages", []string{"8 work packages from Mon 4 Jan 2027 to Wed 23 Jun 2027",
			"Critical path: Discovery and UX research → Portal front end → Security and accessibility assurance → Launch readiness → Hypercare",
			"Milestones at risk: Claims filing journey feature-complete (3 working days late)"}, "## Timeline"},
		{"risk_register", "Risk heat map: probability × impact", []string{"6 risks", "1 High, 4 Medium, 1 Low"}, "## Heat map"},
		{"stakeholder_register", "Power/interest grid", []string{"7 stakeholders",
			"Manage closely: Helena Brandt, Tomasz Nowak; Keep satisfied: Priya Natarajan, Finance business partner"}, "## Power/interest grid"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			md := generateExample(t, tt.typ).Markdown
			html := RenderHTML(md)
			figs := svgFigures(t, html)
			require.Len(t, figs, 1)
			assert.Equal(t, tt.title, figs[0].Title)
			for _, d := range tt.desc {
				assert.Contains(t, figs[0].Desc, d)
			}
			assert.Contains(t, figs[0].Caption, tt.title)
			// The text alternative also exists as a table in the document.
			tableRows(t, md, tt.table)
			if dir := os.Getenv("DOSSIER_FIGURE_DIR"); dir != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, tt.typ+".svg"), []byte(figs[0].SVG), 0o644))
			}
		})
	}
}

func TestChartTextIsEscaped(t *testing.T) {
	t.Parallel()
	req := exampleRequest("stakeholder_register")
	req.Project.Stakeholders[0].Name = `</text><script>alert(1)</script><text>`
	req.Project.Stakeholders[1].Name = `"><foreignObject>x</foreignObject>`
	doc, err := NewTemplateGenerator(0).Generate(t.Context(), req)
	require.NoError(t, err)
	html := RenderHTML(doc.Markdown)
	figs := svgFigures(t, html)
	require.Len(t, figs, 1)
	assert.NotContains(t, html, "<script")
	assert.NotContains(t, html, "<foreignObject")
	assert.Contains(t, figs[0].SVG, "&lt;/text&gt;&lt;script&gt;")
}

func TestForgedChartsDrawOnlyCharts(t *testing.T) {
	t.Parallel()
	// A model or user may write a chart block; it is data, drawn by us.
	md := "# T\n\n```dossier-chart\n{\"kind\":\"grid\",\"title\":\"<svg onload=alert(1)>\",\"desc\":\"d\",\"points\":[{\"label\":\"<img src=x>\",\"n\":1,\"x\":9,\"y\":-4}]}\n```\n\n" +
		"```dossier-chart\n{\"kind\":\"script\",\"title\":\"x\"}\n```\n\n" +
		"```dossier-chart\nnot json </code></pre><script>alert(2)</script>\n```\n"
	html := RenderHTML(md)
	figs := svgFigures(t, html)
	require.Len(t, figs, 1)
	assert.NotContains(t, html, "<img")
	assert.NotContains(t, html, "<script")
	assert.NotContains(t, html, "<svg onload")
	assert.Contains(t, html, `<code class="language-dossier-chart">{&#34;kind&#34;:&#34;script&#34;`, "an unknown kind stays a code block")
}

func TestFiguresForOtherFormats(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "schedule").Markdown
	figs := Figures(md)
	require.Len(t, figs, 1)
	assert.Equal(t, "Gantt chart of the work packages", figs[0].Title)
	assert.Contains(t, figs[0].Desc, "Critical path: Discovery and UX research")
	assert.Equal(t, 760, figs[0].Width)
	assert.Positive(t, figs[0].Height)
	require.NoError(t, xml.Unmarshal([]byte(figs[0].SVG), new(struct{})), "standalone SVG is well-formed")

	text := ChartsAsText(md)
	assert.NotContains(t, text, "dossier-chart")
	assert.Contains(t, text, "_Figure: Gantt chart of the work packages._ 8 work packages from Mon 4 Jan 2027")
	assert.Contains(t, text, "## Milestones against the plan")
}
