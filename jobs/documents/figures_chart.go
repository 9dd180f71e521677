package documents

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"
)

// Figures travel inside a document's Markdown as data, never as markup: a
// fenced code block whose info string is "dossier-chart" holds a chart's
// JSON spec. RenderHTML, after the sanitizer has run, replaces each such
// block with SVG that Dossier draws itself from the spec, escaping every
// text. No SVG from a model or a user is ever passed through: a spec that
// does not parse stays a code block, and the worst a forged spec can do is
// draw a chart. Markdown readers see the spec; every chart has a table with
// the same data next to it in the document.
const chartLang = "dossier-chart"

// chart is the spec of one figure. Dates are ISO 8601.
type chart struct {
	Kind  string `json:"kind"` // gantt, heatmap or grid
	Title string `json:"title"`
	// Desc is the text alternative: what the picture shows, in words.
	Desc string `json:"desc"`
	// Gantt
	Start  string      `json:"start,omitempty"`
	End    string      `json:"end,omitempty"` // the committed end date, a dashed line
	Bars   []chartBar  `json:"bars,omitempty"`
	Marks  []chartMark `json:"marks,omitempty"`
	Finish string      `json:"finish,omitempty"`
	// Heat map: Cells[p-1][i-1] is the number of risks with probability p
	// and impact i.
	Cells [][]int `json:"cells,omitempty"`
	// Power/interest grid: X is interest, Y influence, both 1–5.
	Points []chartPoint `json:"points,omitempty"`
}

type chartBar struct {
	Label    string `json:"label"`
	Start    string `json:"start"`
	Finish   string `json:"finish"`
	Critical bool   `json:"critical,omitempty"`
}

type chartMark struct {
	Label  string `json:"label"`
	Date   string `json:"date"`
	AtRisk bool   `json:"atRisk,omitempty"`
}

type chartPoint struct {
	Label string `json:"label"`
	N     int    `json:"n"` // the number in the register
	X     int    `json:"x"`
	Y     int    `json:"y"`
}

// Bounds on what a spec may ask to draw.
const (
	maxChartItems = 200
	maxSpecBytes  = 64 << 10
	maxLabelRunes = 40
)

// figure writes a chart spec as a fenced block; nil writes nothing.
func (d *doc) figure(c *chart) {
	if c == nil {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		return // plain structs of strings and numbers always marshal
	}
	d.line("```" + chartLang)
	d.line(string(b)) // one line: JSON escapes newlines, so nothing can close the fence
	d.line("```")
	d.blank()
}

// chartBlock matches a sanitized chart code block.
var chartBlock = regexp.MustCompile(`<pre><code class="language-` + chartLang + `">([^<]*)</code></pre>`)

// drawCharts replaces the chart blocks of sanitized HTML with SVG figures.
func drawCharts(sanitized string) string {
	if !strings.Contains(sanitized, "language-"+chartLang) {
		return sanitized
	}
	n := 0
	return chartBlock.ReplaceAllStringFunc(sanitized, func(block string) string {
		m := chartBlock.FindStringSubmatch(block)
		spec := html.UnescapeString(m[1])
		if len(spec) > maxSpecBytes {
			return block
		}
		var c chart
		if err := json.Unmarshal([]byte(spec), &c); err != nil {
			return block
		}
		n++
		svg, ok := c.svg(fmt.Sprintf("chart-%d", n))
		if !ok {
			return block
		}
		return svg
	})
}

// svg draws the chart as a <figure> with an accessible SVG (role img,
// title and desc) and a caption; ok is false for an unknown kind.
func (c chart) svg(id string) (string, bool) {
	img, ok := c.svgElement(id)
	if !ok {
		return "", false
	}
	return fmt.Sprintf(`<figure class="dossier-chart" id="%s">%s<figcaption>%s. %s</figcaption></figure>`, id, img, x(c.Title), x(c.Desc)), true
}

// svgElement is the chart as a standalone SVG element.
func (c chart) svgElement(id string) (string, bool) {
	var body string
	var w, h int
	switch c.Kind {
	case "gantt":
		body, w, h = c.gantt()
	case "heatmap":
		body, w, h = c.heatmap()
	case "grid":
		body, w, h = c.grid()
	default:
		return "", false
	}
	if body == "" {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="12">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, x(c.Title), id, x(c.Desc))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, w, h)
	b.WriteString(body)
	b.WriteString(`</svg>`)
	return b.String(), true
}

// Figure is a chart of a document, drawn: for formats that embed pictures
// (DOCX), with its text alternative.
type Figure struct {
	Title, Desc string
	// SVG is a standalone SVG document drawn by Dossier from the spec.
	SVG string
	// Width and Height are the SVG's size in its own units (its viewBox).
	Width, Height int
}

// Figures returns the drawable charts of a Markdown document, in order.
func Figures(md string) []Figure {
	var out []Figure
	for i, spec := range chartSpecs(md) {
		var c chart
		if len(spec) > maxSpecBytes || json.Unmarshal([]byte(spec), &c) != nil {
			continue
		}
		img, ok := c.svgElement(fmt.Sprintf("figure-%d", i+1))
		if !ok {
			continue
		}
		var w, h int
		fmt.Sscanf(img[strings.Index(img, `viewBox="0 0 `)+len(`viewBox="0 0 `):], "%d %d", &w, &h)
		out = append(out, Figure{Title: clean(c.Title), Desc: clean(c.Desc), SVG: img, Width: w, Height: h})
	}
	return out
}

// ChartsAsText replaces each chart block with a paragraph stating its text
// alternative, for formats that cannot show the picture (plain text, a
// DOCX writer without images).
func ChartsAsText(md string) string {
	if !strings.Contains(md, chartLang) {
		return md
	}
	var out []string
	var spec []string
	in := false
	for _, l := range strings.SplitAfter(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case !in && strings.HasPrefix(t, "```") && strings.TrimSpace(strings.TrimLeft(t, "`")) == chartLang:
			in, spec = true, nil
		case in && strings.HasPrefix(t, "```"):
			in = false
			var c chart
			if json.Unmarshal([]byte(strings.Join(spec, "")), &c) == nil {
				out = append(out, "_Figure: "+esc(c.Title)+"._ "+esc(c.Desc)+"\n")
			}
		case in:
			spec = append(spec, l)
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// chartSpecs returns the contents of the chart blocks of a Markdown text.
func chartSpecs(md string) []string {
	var out []string
	var spec strings.Builder
	in := false
	for _, l := range strings.SplitAfter(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case !in && strings.HasPrefix(t, "```") && strings.TrimSpace(strings.TrimLeft(t, "`")) == chartLang:
			in = true
			spec.Reset()
		case in && strings.HasPrefix(t, "```"):
			in = false
			out = append(out, spec.String())
		case in:
			spec.WriteString(l)
		}
	}
	return out
}

// x escapes text for XML and HTML, shortening overlong labels.
func x(s string) string { return html.EscapeString(clean(s)) }

func label(s string) string {
	r := []rune(clean(s))
	if len(r) > maxLabelRunes {
		return html.EscapeString(string(r[:maxLabelRunes-1]) + "…")
	}
	return html.EscapeString(string(r))
}

// ---- Gantt ------------------------------------------------------------------

func (c chart) gantt() (string, int, int) {
	start, ok := parseDate(c.Start)
	if !ok || len(c.Bars) == 0 || len(c.Bars) > maxChartItems || len(c.Marks) > maxChartItems {
		return "", 0, 0
	}
	last := start
	consider := func(s string) {
		if t, ok := parseDate(s); ok && t.After(last) && dayNumber(t)-dayNumber(start) < maxScheduleDays*2 {
			last = t
		}
	}
	for _, b := range c.Bars {
		consider(b.Finish)
	}
	for _, m := range c.Marks {
		consider(m.Date)
	}
	consider(c.End)
	const (
		left, right, top, row = 250, 20, 28, 24
		width                 = 760
	)
	span := float64(dayNumber(last) - dayNumber(start) + 1)
	px := func(t time.Time) float64 {
		return left + float64(dayNumber(t)-dayNumber(start))/span*float64(width-left-right)
	}
	rows := len(c.Bars) + len(c.Marks)
	height := top + rows*row + 30
	var b strings.Builder
	// Month grid.
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		if m.Before(start) {
			continue
		}
		xm := px(m)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e7eb"/>`, xm, top-6, xm, height-24)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#4b5563">%s</text>`, xm+3, top-12, m.Format("Jan 2006"))
	}
	y := top
	for _, bar := range c.Bars {
		s, ok1 := parseDate(bar.Start)
		f, ok2 := parseDate(bar.Finish)
		fmt.Fprintf(&b, `<text x="8" y="%d" fill="#111827">%s</text>`, y+16, label(bar.Label))
		if ok1 && ok2 && !f.Before(s) {
			fill := "#2563eb"
			if bar.Critical {
				fill = "#b91c1c"
			}
			x1, x2 := px(s), px(f.AddDate(0, 0, 1))
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"><title>%s: %s to %s</title></rect>`,
				x1, y+4, max(x2-x1, 2), row-8, fill, label(bar.Label), fmtDate(s), fmtDate(f))
		}
		y += row
	}
	for _, m := range c.Marks {
		fmt.Fprintf(&b, `<text x="8" y="%d" fill="#111827">◆ %s</text>`, y+16, label(m.Label))
		if t, ok := parseDate(m.Date); ok {
			fill, state := "#047857", "on track"
			if m.AtRisk {
				fill, state = "#d97706", "at risk"
			}
			xm := px(t) + 0.5*float64(width-left-right)/span
			fmt.Fprintf(&b, `<path d="M %.1f %d l 7 8 l -7 8 l -7 -8 z" fill="%s"><title>%s: %s, %s</title></path>`, xm, y+4, fill, label(m.Label), fmtDate(t), state)
		}
		y += row
	}
	if e, ok := parseDate(c.End); ok {
		xe := px(e.AddDate(0, 0, 1))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111827" stroke-dasharray="4 3"/>`, xe, top-6, xe, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#111827" text-anchor="end">Committed end %s</text>`, xe-3, y+14, fmtDate(e))
	}
	// Legend.
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="10" fill="#b91c1c"/><text x="%d" y="%d" fill="#374151">critical path</text>`, 8, height-14, 24, height-5)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="10" fill="#2563eb"/><text x="%d" y="%d" fill="#374151">other work</text>`, 110, height-14, 126, height-5)
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#d97706">◆ at risk</text><text x="%d" y="%d" fill="#047857">◆ on track</text>`, 200, height-5, 270, height-5)
	return b.String(), width, height
}

// ---- Heat map ---------------------------------------------------------------

func (c chart) heatmap() (string, int, int) {
	if len(c.Cells) != 5 {
		return "", 0, 0
	}
	const cell, left, top = 64, 90, 20
	var b strings.Builder
	for p := 5; p >= 1; p-- {
		if len(c.Cells[p-1]) != 5 {
			return "", 0, 0
		}
		yy := top + (5-p)*cell
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#374151">%d</text>`, left-8, yy+cell/2+4, p)
		for i := 1; i <= 5; i++ {
			xx := left + (i-1)*cell
			fill := "#dcfce7"
			switch band(p * i) {
			case "High":
				fill = "#fecaca"
			case "Medium":
				fill = "#fef3c7"
			}
			n := c.Cells[p-1][i-1]
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff" stroke-width="2"><title>Probability %d × impact %d = %d (%s): %s</title></rect>`,
				xx, yy, cell, cell, fill, p, i, p*i, band(p*i), plural(max(n, 0), "risk", "risks"))
			if n > 0 {
				fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="15" fill="#111827"/><text x="%d" y="%d" text-anchor="middle" fill="#ffffff" font-size="14" font-weight="bold">%d</text>`,
					xx+cell/2, yy+cell/2, xx+cell/2, yy+cell/2+5, n)
			}
		}
	}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#374151">%d</text>`, left+(i-1)*cell+cell/2, top+5*cell+16, i)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#111827">Impact →</text>`, left+5*cell/2, top+5*cell+36)
	fmt.Fprintf(&b, `<text x="20" y="%d" text-anchor="middle" fill="#111827" transform="rotate(-90 20 %d)">Probability →</text>`, top+5*cell/2, top+5*cell/2)
	lx := left + 5*cell + 20
	for i, l := range []struct{ fill, text string }{{"#fecaca", "High (15–25)"}, {"#fef3c7", "Medium (8–14)"}, {"#dcfce7", "Low (1–7)"}} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s" stroke="#9ca3af"/><text x="%d" y="%d" fill="#374151">%s</text>`, lx, top+i*22, l.fill, lx+20, top+i*22+11, l.text)
	}
	return b.String(), lx + 130, top + 5*cell + 48
}

// ---- Power/interest grid ----------------------------------------------------

func (c chart) grid() (string, int, int) {
	if len(c.Points) == 0 || len(c.Points) > maxChartItems {
		return "", 0, 0
	}
	const size, left, top = 400, 60, 20
	unit := float64(size) / 5
	var b strings.Builder
	quads := []struct {
		x, y       int
		name, fill string
	}{{0, 0, "Keep satisfied", "#fef3c7"}, {1, 0, "Manage closely", "#fecaca"}, {0, 1, "Monitor", "#f3f4f6"}, {1, 1, "Keep informed", "#dbeafe"}}
	// High is 4–5: the split lies at 3.5 on the 1–5 scale, 3 units of 5 in.
	split := 3 * unit
	for _, q := range quads {
		qx, qw := float64(left), split
		if q.x == 1 {
			qx, qw = float64(left)+split, float64(size)-split
		}
		qy, qh := float64(top), float64(size)-split
		if q.y == 1 {
			qy, qh = float64(top)+float64(size)-split, split
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#ffffff" stroke-width="2"/>`, qx, qy, qw, qh, q.fill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#6b7280">%s</text>`, qx+6, qy+16, q.name)
	}
	seen := map[[2]int]int{}
	for _, p := range c.Points {
		px, py := min(max(p.X, 1), 5), min(max(p.Y, 1), 5)
		k := seen[[2]int{px, py}]
		seen[[2]int{px, py}]++
		// Points sharing a score pair fan out in a small spiral.
		cx := float64(left) + (float64(px)-0.5)*unit + float64(k%3-1)*18
		cy := float64(top) + (5-float64(py)+0.5)*unit + float64(k/3%3)*18 - 9
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="10" fill="#1f2937"><title>%d %s: interest %d, influence %d</title></circle>`, cx, cy, p.N, label(p.Label), p.X, p.Y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#ffffff" font-size="11" font-weight="bold">%d</text>`, cx, cy+4, p.N)
	}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#374151">%d</text>`, float64(left)+(float64(i)-0.5)*unit, top+size+16, i)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#374151">%d</text>`, left-8, float64(top)+(5-float64(i)+0.5)*unit+4, i)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#111827">Interest →</text>`, left+size/2, top+size+36)
	fmt.Fprintf(&b, `<text x="18" y="%d" text-anchor="middle" fill="#111827" transform="rotate(-90 18 %d)">Influence (power) →</text>`, top+size/2, top+size/2)
	// Key: number → name.
	kx := left + size + 24
	for i, p := range c.Points {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#111827">%d %s</text>`, kx, top+12+i*18, p.N, label(p.Label))
	}
	return b.String(), kx + 220, max(top+size+48, top+12+len(c.Points)*18+10)
}
