package documents

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Everything a user typed reaches a document through esc, so project data can
// never change a document's structure: no stray headings, lists, tables,
// links, HTML or broken table rows.

// notProvided is how a document says a field was left empty. It is visible to
// the reader on purpose: a gap in the data is a gap in the plan.
const notProvided = "_Not provided._"

// esc turns user text into one line of literal Markdown inline content. It
// collapses whitespace (newlines would end a table row or a list item),
// removes control characters, repairs invalid UTF-8 and backslash-escapes
// the punctuation that could start markup. Pipes are escaped too, so the
// result is safe inside a table cell.
func esc(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~':
			b.WriteByte('\\')
		case '&':
			if looksLikeEntity(s[i:]) {
				b.WriteByte('\\')
			}
		case '-', '+', '=', ':':
			// At the start of a line these can open a list item, a setext
			// underline, a thematic break or a table delimiter row.
			if i == 0 {
				b.WriteByte('\\')
			}
		case '.', ')':
			// "1. text" or "1) text" would become an ordered list.
			if i > 0 && i < 10 && isAllDigits(s[:i]) && (i+1 == len(s) || s[i+1] == ' ') {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clean normalises user text to a single trimmed line of valid UTF-8.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == 0:
			space = true
			continue
		case unicode.IsControl(r) || r == '\uFEFF' || unicode.Is(unicode.Cf, r) && r != '\u200d':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func looksLikeEntity(s string) bool {
	// &name; &#123; &#x1F;
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 40 {
		return false
	}
	body := s[1:end]
	for _, r := range body {
		if !(r == '#' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// escOr is esc with a visible placeholder for empty input.
func escOr(s, placeholder string) string {
	if e := esc(s); e != "" {
		return e
	}
	return placeholder
}

// doc accumulates a Markdown document. Methods keep blank lines between
// blocks so that Markdown parsers never merge a table into a paragraph.
type doc struct {
	b strings.Builder
}

func (d *doc) String() string { return strings.TrimRight(d.b.String(), "\n") + "\n" }

// line writes one line of already-escaped Markdown.
func (d *doc) line(s string) { d.b.WriteString(s); d.b.WriteByte('\n') }

// blank ends the current block.
func (d *doc) blank() { d.b.WriteByte('\n') }

// para writes an already-escaped paragraph.
func (d *doc) para(s string) { d.line(s); d.blank() }

// h writes a heading of the given level; text must already be escaped.
func (d *doc) h(level int, text string) {
	d.line(strings.Repeat("#", level) + " " + text)
	d.blank()
}

// bullets writes user strings as a bulleted list, or the placeholder.
func (d *doc) bullets(items []string, placeholder string) {
	n := 0
	for _, it := range items {
		if e := esc(it); e != "" {
			d.line("- " + e)
			n++
		}
	}
	if n == 0 {
		d.line(placeholder)
	}
	d.blank()
}

// list writes already-escaped items as a bulleted list.
func (d *doc) list(items ...string) {
	for _, it := range items {
		d.line("- " + it)
	}
	d.blank()
}

// table is a GitHub-flavoured Markdown table whose rows always have as many
// cells as the header. Cells are already escaped (esc) or computed text.
type table struct {
	head  []string
	align []byte // 'l', 'r' or 'c' per column; default left
	rows  [][]string
}

func newTable(head ...string) *table { return &table{head: head} }

// right marks columns (by index) as right-aligned, for numbers.
func (t *table) right(cols ...int) *table {
	if t.align == nil {
		t.align = make([]byte, len(t.head))
	}
	for _, c := range cols {
		if c >= 0 && c < len(t.align) {
			t.align[c] = 'r'
		}
	}
	return t
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(d *doc) {
	n := len(t.head)
	cell := func(s string) string {
		switch {
		case s == "":
			return "—"
		case strings.TrimSpace(s) == "":
			return " " // a deliberately blank cell, such as a signature
		}
		return s
	}
	var b strings.Builder
	b.WriteByte('|')
	for _, h := range t.head {
		b.WriteString(" " + cell(h) + " |")
	}
	d.line(b.String())
	b.Reset()
	b.WriteByte('|')
	for i := range n {
		if t.align != nil && t.align[i] == 'r' {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	d.line(b.String())
	for _, r := range t.rows {
		b.Reset()
		b.WriteByte('|')
		for i := range n {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString(" " + cell(c) + " |")
		}
		d.line(b.String())
	}
	d.blank()
}
