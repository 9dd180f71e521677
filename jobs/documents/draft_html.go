package documents

import "strings"

// DraftHTML renders a Markdown text that is still being written, so that a
// page can show it growing without receiving it again whole each time. The
// text is cut into blocks where a new top-level block starts after a blank
// line (outside fenced code, at column 0); a block once followed by the next
// never changes, so its HTML is rendered once. Only the last, open block is
// rendered again as the text grows. Every block goes through RenderHTML:
// the same sanitising pipeline as a stored document.
//
// A draft's blocks are rendered apart, so what later text would change in
// an earlier block (a link reference defined further down, the numbering of
// a list split by a blank line) shows as written until the document is
// stored; the stored document replaces the draft.
type DraftHTML struct {
	text   string
	cuts   []int    // start of each block after the first
	blocks []string // HTML of the closed blocks: one per cut
	open   string   // HTML of the last block
	scan   int      // start of the first line not yet read whole
	fence  string   // the open code fence ("```", "~~~~"), or ""
	blank  bool     // the last line read whole was blank
}

// Update renders text, which usually continues the text of the previous
// call; when it does not (a new attempt, a resend), it starts again.
func (d *DraftHTML) Update(text string) {
	if !strings.HasPrefix(text, d.text) {
		*d = DraftHTML{}
	}
	if text == d.text && (text != "" || d.open != "") {
		return
	}
	d.text = text
	d.split()
	for i := len(d.blocks); i < len(d.cuts); i++ {
		d.blocks = append(d.blocks, RenderHTML(text[d.start(i):d.cuts[i]]))
	}
	d.open = RenderHTML(text[d.start(len(d.cuts)):])
}

// start is where block i begins.
func (d *DraftHTML) start(i int) int {
	if i == 0 {
		return 0
	}
	return d.cuts[i-1]
}

// Text is the Markdown rendered.
func (d *DraftHTML) Text() string { return d.text }

// Closed is the HTML of the blocks that will not change, in order. The
// slice is only ever appended to.
func (d *DraftHTML) Closed() []string { return d.blocks }

// Open is the HTML of the last block, which may still change.
func (d *DraftHTML) Open() string { return d.open }

// split finds the block starts in the lines not yet read.
func (d *DraftHTML) split() {
	for {
		rest := d.text[d.scan:]
		nl := strings.IndexByte(rest, '\n')
		line := rest
		if nl >= 0 {
			line = rest[:nl]
		}
		last := 0
		if n := len(d.cuts); n > 0 {
			last = d.cuts[n-1]
		}
		// A line that starts at column 0 after a blank line, outside a
		// fence, starts a new block; its first character is enough to
		// tell, so a block is closed as soon as the next one begins.
		if d.fence == "" && d.blank && d.scan > last && line != "" && line[0] != ' ' && line[0] != '\t' {
			d.cuts = append(d.cuts, d.scan)
		}
		if nl < 0 {
			return
		}
		d.readLine(line)
		d.scan += nl + 1
	}
}

// readLine follows fences and blank lines.
func (d *DraftHTML) readLine(line string) {
	trimmed := strings.TrimLeft(line, " ")
	indented := len(line)-len(trimmed) > 3
	if d.fence != "" {
		if !indented && strings.HasPrefix(trimmed, d.fence) && strings.Trim(trimmed, d.fence[:1]+" \t\r") == "" {
			d.fence = ""
		}
		d.blank = false
		return
	}
	if !indented {
		if f := fenceOf(trimmed); f != "" {
			d.fence = f
			d.blank = false
			return
		}
	}
	d.blank = strings.TrimSpace(line) == ""
}

// fenceOf is the fence a line opens (three or more backticks or tildes),
// or "".
func fenceOf(line string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(line) && line[n] == c {
			n++
		}
		if n >= 3 {
			if c == '`' && strings.IndexByte(line[n:], '`') >= 0 {
				return "" // an info string with a backtick: not a fence
			}
			return line[:n]
		}
	}
	return ""
}
