package documents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gomutex/godocx"
	"github.com/gomutex/godocx/docx"
	"github.com/gomutex/godocx/wml/ctypes"
	"github.com/gomutex/godocx/wml/stypes"
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// DOCX writes a document's Markdown as a Word file: headings, paragraphs,
// bullet and numbered lists (nested), tables, bold, italic, links and code.
// It reads the same Markdown dialect as RenderHTML (GitHub tables,
// strikethrough, bare links); raw HTML is kept as plain text and images as
// their alt text, as on the page.
func DOCX(md string) ([]byte, error) {
	doc, err := godocx.NewDocument()
	if err != nil {
		return nil, fmt.Errorf("docx: new document: %w", err)
	}
	src := []byte(md)
	root := markdown.Parser().Parse(text.NewReader(src))
	w := &docxWriter{doc: doc, src: src, width: narrowMargins(doc)}
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		w.block(n, 0)
	}
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		return nil, fmt.Errorf("docx: write: %w", err)
	}
	return buf.Bytes(), nil
}

type docxWriter struct {
	doc *docx.RootDoc
	src []byte
	// width is the text width between the margins, in twips.
	width int
}

// margin is 2 cm, in twips: registers with eight columns need the room.
const margin = 1134

// narrowMargins sets the page's side margins to 2 cm and returns the text
// width that leaves.
func narrowMargins(doc *docx.RootDoc) int {
	page := 12240 // US Letter, godocx's default
	sp := doc.Document.Body.SectPr
	if sp == nil {
		return page - 2*1800
	}
	if sp.PageSize != nil && sp.PageSize.Width != nil {
		page = int(*sp.PageSize.Width)
	}
	if sp.PageMargin == nil {
		sp.PageMargin = &ctypes.PageMargin{}
	}
	l, r := margin, margin
	sp.PageMargin.Left, sp.PageMargin.Right = &l, &r
	return page - 2*margin
}

// style is the character formatting in effect while walking inlines.
type style struct {
	bold, italic, strike, code bool
	// size is the font size in points; 0 keeps the paragraph's.
	size uint64
}

func (w *docxWriter) block(n ast.Node, depth int) {
	switch n := n.(type) {
	case *ast.Heading:
		level := min(max(n.Level, 1), 6)
		w.doc.AddHeading(plainText(n, w.src), uint(level)) //nolint:errcheck // levels 1–6 are always valid
	case *ast.Paragraph, *ast.TextBlock:
		p := w.doc.AddEmptyParagraph()
		w.inlines(p, n, style{})
	case *ast.List:
		w.list(n, depth)
	case *ast.Blockquote:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if _, ok := c.(*ast.Paragraph); ok {
				p := w.doc.AddEmptyParagraph()
				p.Style("Quote")
				w.inlines(p, c, style{italic: true})
				continue
			}
			w.block(c, depth)
		}
	case *ast.FencedCodeBlock:
		if string(n.Language(w.src)) == chartLang && w.chart(n) {
			return
		}
		w.code(n)
	case *ast.CodeBlock, *ast.HTMLBlock:
		w.code(n)
	case *extast.Table:
		w.table(n)
	case *ast.ThematicBreak:
		w.doc.AddEmptyParagraph()
	default:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			w.block(c, depth)
		}
	}
}

// code writes a code block line by line in a monospaced font.
func (w *docxWriter) code(n ast.Node) {
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		line := strings.TrimRight(string(seg.Value(w.src)), "\r\n")
		p := w.doc.AddEmptyParagraph()
		p.Spacing(0, 0)
		p.AddText(line).Font("Courier New").Size(10)
	}
}

// chart writes a figure's spec as its caption: the title and the text
// alternative (the document has a table with the same data beside it). A
// spec that does not parse stays a code block, as on the page.
func (w *docxWriter) chart(n *ast.FencedCodeBlock) bool {
	var raw strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		raw.Write(seg.Value(w.src))
	}
	var c chart
	if json.Unmarshal([]byte(raw.String()), &c) != nil || c.Title == "" {
		return false
	}
	p := w.doc.AddEmptyParagraph()
	p.AddText("Figure: " + clean(c.Title) + ". ").Bold(true).Size(10)
	if c.Desc != "" {
		p.AddText(clean(c.Desc)).Italic(true).Size(10)
	}
	return true
}

// list writes each item as a paragraph on a numbering instance of its own,
// so that every numbered list starts at 1.
func (w *docxWriter) list(l *ast.List, depth int) {
	abstract := 2 // bullets
	if l.IsOrdered() {
		abstract = 1
	}
	num := w.doc.NewListInstance(abstract)
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		first := true
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Paragraph, *ast.TextBlock:
				p := w.doc.AddEmptyParagraph()
				p.Style("List Paragraph")
				if first {
					p.Numbering(num, min(depth, 8))
				} else {
					p.Indent(indentFor(depth))
				}
				w.inlines(p, c, style{})
				first = false
			case *ast.List:
				w.list(c, depth+1)
			default:
				w.block(c, depth+1)
			}
		}
	}
}

func (w *docxWriter) table(t *extast.Table) {
	tbl := w.doc.AddTable()
	tbl.Style("TableGrid")
	tbl.Width(w.width, stypes.TableWidthDxa)
	widths, size := w.columnWidths(t)
	tbl.Grid(widths...)
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		_, header := r.(*extast.TableHeader)
		row := tbl.AddRow()
		col := 0
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			cell := row.AddCell()
			if col < len(widths) {
				cell.Width(int(widths[col]), stypes.TableWidthDxa)
			}
			col++
			if header {
				cell.BackgroundColor("E8EEF7")
			}
			p := cell.AddEmptyPara()
			if tc, ok := c.(*extast.TableCell); ok {
				switch tc.Alignment {
				case extast.AlignRight:
					p.Justification(stypes.JustificationRight)
				case extast.AlignCenter:
					p.Justification(stypes.JustificationCenter)
				}
			}
			w.inlines(p, c, style{bold: header, size: size})
		}
	}
	// Word runs two tables in a row together; a paragraph keeps them apart
	// and gives the text after the table some air.
	w.doc.AddEmptyParagraph()
}

func (w *docxWriter) inlines(p *docx.Paragraph, parent ast.Node, st style) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Text:
			w.run(p, string(n.Segment.Value(w.src)), st)
			if n.HardLineBreak() || n.SoftLineBreak() {
				w.run(p, " ", st)
			}
		case *ast.String:
			w.run(p, string(n.Value), st)
		case *ast.Emphasis:
			inner := st
			if n.Level >= 2 {
				inner.bold = true
			} else {
				inner.italic = true
			}
			w.inlines(p, n, inner)
		case *extast.Strikethrough:
			inner := st
			inner.strike = true
			w.inlines(p, n, inner)
		case *ast.CodeSpan:
			inner := st
			inner.code = true
			w.run(p, plainText(n, w.src), inner)
		case *ast.Link:
			w.link(p, plainText(n, w.src), string(n.Destination))
		case *ast.AutoLink:
			url := string(n.URL(w.src))
			w.link(p, string(n.Label(w.src)), url)
		case *ast.Image:
			w.run(p, plainText(n, w.src), st)
		case *ast.RawHTML:
			segs := n.Segments
			for i := 0; i < segs.Len(); i++ {
				seg := segs.At(i)
				w.run(p, string(seg.Value(w.src)), st)
			}
		default:
			w.inlines(p, n, st)
		}
	}
}

func (w *docxWriter) run(p *docx.Paragraph, s string, st style) {
	if s == "" {
		return
	}
	r := p.AddText(s)
	if st.bold {
		r.Bold(true)
	}
	if st.italic {
		r.Italic(true)
	}
	if st.strike {
		r.Strike(true)
	}
	if st.code {
		r.Font("Courier New")
	}
	if st.size > 0 {
		r.Size(st.size)
	}
}

// link keeps web and mail links clickable; anything else (javascript:,
// relative paths) stays as its text, as the page's sanitizer would have it.
func (w *docxWriter) link(p *docx.Paragraph, label, url string) {
	lower := strings.ToLower(strings.TrimSpace(url))
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") {
		w.run(p, label, style{})
		return
	}
	if label == "" {
		label = url
	}
	p.AddLink(label, url).Color("1D4ED8").Underline(stypes.UnderlineSingle)
}

// plainText is the text of a node and its descendants.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) { //nolint:errcheck // the walker never fails
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if tx, ok := t.(*ast.Text); ok {
					b.Write(tx.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// columnWidths shares the text width between a table's columns by how much
// they hold, never giving a column less than its longest word needs, so
// that words are not broken across lines. A table too wide for that at 9 pt
// is set at 8 pt; if even that does not fit, only the columns with long
// words give up room. It returns the widths and the font size.
func (w *docxWriter) columnWidths(t *extast.Table) ([]uint64, uint64) {
	var longest, words []int // per column: longest cell, longest word (runes)
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		col := 0
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			if col == len(longest) {
				longest, words = append(longest, 0), append(words, 0)
			}
			s := plainText(c, w.src)
			longest[col] = max(longest[col], len([]rune(s)))
			for f := range strings.FieldsSeq(s) {
				words[col] = max(words[col], len([]rune(f)))
			}
			col++
		}
	}
	n := len(longest)
	if n == 0 {
		return nil, 9
	}
	const padding = 260 // the cell's left and right margins, and a little air
	textWidth := float64(w.width)
	minimum := func(size uint64) ([]float64, float64) {
		perChar := 15 * float64(size) // twips per (bold) character at that size, generously
		out := make([]float64, n)
		sum := 0.0
		for i := range n {
			out[i] = float64(words[i])*perChar + padding
			sum += out[i]
		}
		return out, sum
	}
	size := uint64(9)
	minW, minSum := minimum(size)
	if minSum > textWidth {
		size = 8
		minW, minSum = minimum(size)
	}
	out := make([]uint64, n)
	if minSum > textWidth {
		// Short-word columns (scores, bands, ids) keep their minimum; the
		// columns with long words share what is left.
		var fixed, flexible float64
		for i := range n {
			if words[i] <= 8 {
				fixed += minW[i]
			} else {
				flexible += minW[i]
			}
		}
		scale := max(textWidth-fixed, 0) / max(flexible, 1)
		for i := range n {
			if words[i] <= 8 {
				out[i] = uint64(minW[i])
			} else {
				out[i] = uint64(minW[i] * scale)
			}
		}
		return out, size
	}
	// Every column gets its minimum, and the rest is shared by how much
	// each column holds.
	spare := textWidth - minSum
	var weightSum float64
	weight := make([]float64, n)
	for i := range n {
		weight[i] = float64(min(max(longest[i], 4), 60))
		weightSum += weight[i]
	}
	for i := range n {
		out[i] = uint64(minW[i] + spare*weight[i]/weightSum)
	}
	return out, size
}

// indentFor lines a list item's continuation paragraph up with its text.
func indentFor(depth int) *ctypes.Indent {
	left := 360 * (min(depth, 8) + 1)
	return &ctypes.Indent{Left: &left}
}
