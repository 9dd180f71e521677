package documents

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gomutex/godocx"
	"github.com/gomutex/godocx/docx"
	"github.com/gomutex/godocx/wml/ctypes"
	"github.com/gomutex/godocx/wml/stypes"
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
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

// chart writes a figure's spec as a plain paragraph: the title and the text
// alternative (the document has a table with the same data beside it). The
// .docx has no image, so nothing calls it a figure. A spec that does not
// parse stays a code block, as on the page.
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
	// A plain paragraph, not a "Figure:" caption: the .docx has no image,
	// and the description already names the table with the same data.
	text := clean(c.Title) + "."
	if c.Desc != "" {
		text += " " + clean(c.Desc)
	}
	w.doc.AddParagraph(text)
	return true
}

// list writes each item as a paragraph on a numbering instance of its own,
// so that every numbered list starts at 1; one that goes on from another
// number (a list a code block interrupted: "2. Build") is numbered in its
// text, since a numbering instance here always starts at 1.
func (w *docxWriter) list(l *ast.List, depth int) {
	abstract := 2 // bullets
	if l.IsOrdered() {
		abstract = 1
	}
	num := w.doc.NewListInstance(abstract)
	number := l.IsOrdered() && l.Start != 1
	n := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		first := true
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Paragraph, *ast.TextBlock:
				p := w.doc.AddEmptyParagraph()
				p.Style("List Paragraph")
				switch {
				case first && number:
					p.Indent(indentFor(depth))
					p.AddText(strconv.Itoa(n) + ". ")
					n++
				case first:
					p.Numbering(num, min(depth, 8))
				default:
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
	// The table's box spans the text width, its edges on the margins. In
	// Word 2010 compatibility mode (godocx's template) and in LibreOffice,
	// tblInd measures to the first cell's text, not to the table's edge,
	// so an indent of 0 hangs the table a cell margin into the left margin
	// and leaves that much short of the right one. The indent is the cell
	// margin, and the cell margins are set here, not left to the style, so
	// that the two stay equal.
	widths, size := w.columnWidths(t)
	margin := cellMargin(size)
	pad := ctypes.NewTableWidth(margin, stypes.TableWidthDxa)
	zero := ctypes.NewTableWidth(0, stypes.TableWidthDxa)
	tbl.CellMargin(zero, pad, zero, pad)
	tbl.GetCT().TableProp.Indent = ctypes.NewTableWidth(margin, stypes.TableWidthDxa)
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
			w.run(p, textValue(n, w.src), st)
			if n.HardLineBreak() || n.SoftLineBreak() {
				w.run(p, " ", st)
			}
		case *ast.String:
			w.run(p, stringValue(n), st)
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
			// The destination as the page's href has it: escapes and
			// references resolved ("?a=1&amp;b=2" is "?a=1&b=2").
			w.link(p, plainText(n, w.src), string(util.URLEscape(n.Destination, true)))
		case *ast.AutoLink:
			url := string(n.URL(w.src))
			w.link(p, string(n.Label(w.src)), url)
		case *ast.Image:
			w.run(p, plainText(n, w.src), st)
		case *ast.RawHTML:
			raw := rawHTML(n, w.src)
			if IsLineBreakTag(raw) {
				p.AddRun().AddBreak(nil) // a line break, as on the page
				continue
			}
			w.run(p, raw, st)
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

// textValue is a text node's text as the page shows it. Its segment is the
// Markdown source, so backslash escapes ("ERP\_v2", "C\#") and entity and
// numeric references ("R&amp;D", "&copy;", "&#169;") are still in it; they
// are resolved here as goldmark's HTML writer resolves them, in one pass, so
// that an escaped reference ("\&amp;", which esc writes for a user's
// literal "&amp;") stays literal. Raw text (a code span's) is kept as is.
func textValue(t *ast.Text, src []byte) string {
	if t.IsRaw() {
		return string(t.Segment.Value(src))
	}
	return unescapeMarkdown(t.Segment.Value(src))
}

// stringValue is a String node's text, resolved as the HTML writer does
// unless it is code or raw.
func stringValue(s *ast.String) string {
	if s.IsCode() || s.IsRaw() {
		return string(s.Value)
	}
	return unescapeMarkdown(s.Value)
}

// unescapeMarkdown resolves backslash escapes and character references in
// inline text with goldmark's own HTML writer (the page's), then turns the
// HTML it wrote back into text: the writer escapes every &, <, > and " it
// writes, so unescaping its output gives exactly the resolved text.
func unescapeMarkdown(v []byte) string {
	if !bytes.ContainsAny(v, "\\&\x00") {
		return string(v)
	}
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	html.DefaultWriter.Write(bw, v)
	bw.Flush() //nolint:errcheck // a bytes.Buffer does not fail
	return stdhtml.UnescapeString(b.String())
}

// plainText is the text of a node and its descendants, as the page shows
// it: escapes and references resolved, code spans verbatim.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) { //nolint:errcheck // the walker never fails
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.WriteString(textValue(c, src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.WriteString(stringValue(c))
		case *ast.AutoLink:
			// A bare or <…> link has no text children: its label is its text.
			b.Write(c.Label(src))
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

// cellMargin is a table cell's left and right margin, in twips, for a
// table set at size points: Word's own 108 (0.19 cm) for a table that
// fits at 9 pt, so that ordinary tables look as Word's do; 72 (0.13 cm)
// for a crowded table set at 8 pt, where a register's eight columns would
// otherwise spend a sixth of the page's width on margins.
func cellMargin(size uint64) int {
	if size < 9 {
		return 72
	}
	return 108
}

// shortValue is the longest cell, in characters, that a column keeps on
// one line: a number, a date, a band, a code, a short name.
const shortValue = 16

// air is the room a column gets beyond its text and cell margins, in
// twips, for a font a little wider than the one measured.
const air = 40

// crowded is the share of the text width above which a table's needs at
// 9 pt leave its text columns a word or two a line: such a table is set at
// 8 pt (the example risk register's eight columns need 95% at 9 pt, 86%
// at 8 pt).
const crowded = 0.8

// columnWidths reads a table's cells for shareColumns.
func (w *docxWriter) columnWidths(t *extast.Table) ([]uint64, uint64) {
	var head []string
	var body [][]string
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var row []string
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			row = append(row, plainText(c, w.src))
		}
		if _, ok := r.(*extast.TableHeader); ok {
			head = row
		} else {
			body = append(body, row)
		}
	}
	return shareColumns(head, body, w.width)
}

// shareColumns shares the text width (twips) between a table's columns by
// what they hold, and returns the widths, which add up to the text width,
// and the font size in points. Every column needs room for its longest
// word, header included (a header may wrap between words or after a
// hyphen, never elsewhere in a word), and for its short values on one
// line. Columns that hold only short values (numbers, bands, codes, dates)
// get just that; the columns whose text wraps share the rest in proportion
// to the length of their text (their longest cell), none below its need. A table whose needs at 9 pt leave
// little to share (crowded) is set at 8 pt; if even that does not fit, the
// columns that need the most give up room and only their longest words
// break.
func shareColumns(head []string, body [][]string, width int) ([]uint64, uint64) {
	n := len(head)
	for _, row := range body {
		n = max(n, len(row))
	}
	if n == 0 {
		return nil, 9
	}
	size := uint64(9)
	need, text := columnNeeds(head, body, n, size)
	if sum(need) > crowded*float64(width) {
		size = 8
		need, text = columnNeeds(head, body, n, size)
	}
	if sum(need) > float64(width) {
		return twips(capWidths(need, float64(width)), width), size
	}
	if sum(text) == 0 {
		// Nothing wraps: every column grows alike.
		out := make([]float64, n)
		for i := range n {
			out[i] = need[i] * float64(width) / sum(need)
		}
		return twips(out, width), size
	}
	out := slices.Clone(need)
	floored := make([]bool, n)
	for {
		left, share := float64(width), 0.0
		for i := range n {
			if text[i] == 0 || floored[i] {
				left -= need[i]
			} else {
				share += text[i]
			}
		}
		done := true
		for i := range n {
			if text[i] == 0 || floored[i] {
				continue
			}
			out[i] = left * text[i] / share
			if out[i] < need[i] {
				out[i], floored[i], done = need[i], true, false
			}
		}
		if done {
			return twips(out, width), size
		}
	}
}

// columnNeeds returns, per column, the width that breaks no word (twips,
// cell margins included) and, for a column whose body text wraps at that
// width, the length of its longest cell (twips on one line), which decides
// the height of the tallest rows; 0 if none wraps.
func columnNeeds(head []string, body [][]string, n int, size uint64) (need, text []float64) {
	need, text = make([]float64, n), make([]float64, n)
	for i := 0; i < len(head) && i < n; i++ {
		need[i] = longestWord(head[i], size)
	}
	for _, row := range body {
		for i, s := range row {
			if utf8.RuneCountInString(s) <= shortValue {
				need[i] = max(need[i], textWidth(s, size))
				continue
			}
			need[i] = max(need[i], longestWord(s, size))
		}
	}
	wraps := make([]bool, n)
	for _, row := range body {
		for i, s := range row {
			l := textWidth(s, size)
			text[i] = max(text[i], l)
			wraps[i] = wraps[i] || l > need[i]
		}
	}
	for i := range need {
		need[i] += 2*float64(cellMargin(size)) + air
		if !wraps[i] {
			text[i] = 0
		}
	}
	return need, text
}

// longestWord is the width of s's widest unbreakable part at size points:
// lines break at spaces and after hyphens ("Contact-" "centre"), in Word
// and in LibreOffice alike.
func longestWord(s string, size uint64) float64 {
	w := 0.0
	for f := range strings.FieldsSeq(s) {
		for part := range strings.SplitAfterSeq(f, "-") {
			w = max(w, textWidth(part, size))
		}
	}
	return w
}

// capWidths gives every column its need up to a common cap, chosen so that
// the widths fill the text width: the columns that need the most give up
// room, the narrow ones keep theirs.
func capWidths(need []float64, width float64) []float64 {
	limit := math.Inf(1)
	left := width
	sorted := slices.Sorted(slices.Values(need))
	for k, v := range sorted {
		share := left / float64(len(sorted)-k)
		if v > share {
			limit = share
			break
		}
		left -= v
	}
	out := make([]float64, len(need))
	for i, v := range need {
		out[i] = min(v, limit)
	}
	return out
}

// twips rounds widths down to whole twips and gives what rounding lost to
// the widest column, so that they add up to total exactly.
func twips(widths []float64, total int) []uint64 {
	out := make([]uint64, len(widths))
	used, widest := 0, 0
	for i, v := range widths {
		out[i] = uint64(v)
		used += int(out[i])
		if v > widths[widest] {
			widest = i
		}
	}
	out[widest] += uint64(max(total-used, 0))
	return out
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// textWidth is s's width in twips at size points, measured as if set in
// DejaVu Serif Bold: LibreOffice sets these documents in DejaVu Serif where
// the template's theme font is missing, and it is wider than Calibri or
// Times New Roman, so a word that fits here fits in Word too. Characters
// outside ASCII count as a full em.
func textWidth(s string, size uint64) float64 {
	em := 0.0 // thousandths of an em
	for _, r := range s {
		if r >= ' ' && r <= '~' {
			em += float64(advance[r-' '])
		} else {
			em += 1000
		}
	}
	return em * float64(size) * 20 / 1000
}

// advance is DejaVu Serif Bold's advance width of the ASCII characters from
// space to tilde, in thousandths of an em (the font's hmtx table).
var advance = [95]uint16{
	348, 439, 521, 838, 696, 950, 903, 306, 473, 473, 523, 838, 348, 415, 348, 365, //  !"#$%&'()*+,-./
	696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 369, 369, 838, 838, 838, 586, // 0123456789:;<=>?
	1000, 776, 845, 796, 867, 762, 710, 854, 945, 468, 473, 869, 703, 1107, 914, 871, // @ABCDEFGHIJKLMNO
	752, 871, 831, 722, 744, 872, 776, 1123, 776, 714, 730, 473, 365, 473, 838, 500, // PQRSTUVWXYZ[\]^_
	500, 648, 699, 609, 699, 636, 430, 699, 727, 380, 362, 693, 380, 1058, 727, 667, // `abcdefghijklmno
	699, 699, 527, 563, 462, 727, 581, 861, 596, 581, 568, 643, 364, 643, 838, //      pqrstuvwxyz{|}~
}

// indentFor lines a list item's continuation paragraph up with its text.
func indentFor(depth int) *ctypes.Indent {
	left := 360 * (min(depth, 8) + 1)
	return &ctypes.Indent{Left: &left}
}
