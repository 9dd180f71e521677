package handlers

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dossier/jobs/documents"
)

// Drafts on a page: the growing text of a document, as sanitised HTML sent
// in pieces that htmx adds to the page (out-of-band swaps), never the whole
// draft again. The draft's element holds one <div> per block (see
// documents.DraftHTML): a closed block is sent once; the open one, the
// last <div>, grows by what its new HTML adds at its end, appended where
// that goes (the innermost element still open there: a paragraph, a list
// item, a table body); when its HTML changed otherwise (a paragraph became
// a heading, emphasis closed), the open block alone is sent again.

// htmlTok is one token of sanitised HTML: text, a start tag, an end tag,
// or a tag without content (void, self-closing, a comment).
type htmlTok struct {
	start, end int
	kind       byte // 't' text, 's' start, 'e' end, 'v' without content
	name       string
}

var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// tokenizeHTML splits well-formed HTML, as bluemonday writes it: every <
// starts a tag (text has it escaped), and attribute values hold no >.
func tokenizeHTML(s string) []htmlTok {
	var out []htmlTok
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, htmlTok{start: i, end: i + j, kind: 't'})
			i += j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			j := strings.Index(s[i:], "-->")
			if j < 0 {
				j = len(s) - i - 3
			}
			out = append(out, htmlTok{start: i, end: i + j + 3, kind: 'v'})
			i += j + 3
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			j = len(s) - i - 1
		}
		tag := s[i+1 : i+j]
		t := htmlTok{start: i, end: i + j + 1}
		switch {
		case strings.HasPrefix(tag, "/"):
			t.kind, t.name = 'e', strings.ToLower(strings.TrimSpace(tag[1:]))
		default:
			name, _, _ := strings.Cut(tag, " ")
			name = strings.ToLower(strings.TrimRight(strings.Fields(name + " ")[0], "/"))
			t.kind, t.name = 's', name
			if voidElements[name] || strings.HasSuffix(tag, "/") || strings.HasPrefix(tag, "!") {
				t.kind = 'v'
			}
		}
		out = append(out, t)
		i = t.end
	}
	return out
}

// appendOp adds html at the end of the open block's element at depth: 0 is
// the block's <div>, 1 its last element child, and so on. tag names that
// element.
type appendOp struct {
	depth int
	tag   string
	html  string
}

// growOps returns how to turn the open block's HTML from prev into next by
// appending only, or ok false when next does not continue prev.
//
// prev ends with the end tags of the elements still open after its last
// content (and white space). If next starts with everything before those,
// what follows in next is added, level by level: content up to the end tag
// of an element open in prev goes at the end of that element, the rest at
// the end of its parent.
func growOps(prev, next string) (ops []appendOp, ok bool) {
	if prev == next {
		return nil, true
	}
	toks := tokenizeHTML(prev)
	stack := make([][]string, len(toks)+1) // open elements before token i
	var open []string
	for i, t := range toks {
		stack[i] = open
		switch t.kind {
		case 's':
			open = append(open[:len(open):len(open)], t.name)
		case 'e':
			if len(open) == 0 || open[len(open)-1] != t.name {
				return nil, false
			}
			open = open[: len(open)-1 : len(open)-1]
		}
	}
	stack[len(toks)] = open
	cut := len(toks)
	for cut > 0 {
		t := toks[cut-1]
		if t.kind == 'e' || (t.kind == 't' && strings.TrimSpace(prev[t.start:t.end]) == "" && !inPre(stack[cut-1])) {
			cut--
			continue
		}
		break
	}
	at := len(prev)
	if cut < len(toks) {
		at = toks[cut].start
	}
	if !strings.HasPrefix(next, prev[:at]) {
		return nil, false
	}
	base := stack[cut] // open in prev where next continues
	for _, name := range base {
		if name == "svg" || name == "math" {
			return nil, false // foreign content: htmx would build it as HTML
		}
	}
	rest := next[at:]
	depth, inner, from := len(base), 0, 0
	flush := func(to int) {
		h := rest[from:to]
		if h != "" && (strings.TrimSpace(h) != "" || inPre(base[:depth])) {
			tag := "div"
			if depth > 0 {
				tag = base[depth-1]
			}
			ops = append(ops, appendOp{depth: depth, tag: tag, html: h})
		}
	}
	for _, t := range tokenizeHTML(rest) {
		switch t.kind {
		case 's':
			inner++
		case 'e':
			if inner > 0 {
				inner--
				continue
			}
			if depth == 0 || base[depth-1] != t.name {
				return nil, false
			}
			flush(t.start)
			from = t.end
			depth--
		}
	}
	if depth != 0 || inner != 0 {
		return nil, false
	}
	flush(len(rest))
	return ops, true
}

func inPre(open []string) bool {
	for _, n := range open {
		if n == "pre" || n == "textarea" {
			return true
		}
	}
	return false
}

// draftRenders renders each draft once per change for every stream of this
// process that shows it.
type draftRenders struct {
	mu    sync.Mutex
	m     map[string]*draftRender
	swept time.Time
}

type draftRender struct {
	mu     sync.Mutex
	epoch  int64
	html   documents.DraftHTML
	closed []string // html's closed blocks on one line
	// gen names the text's rendering since it last started again (a new
	// attempt, or a text that does not continue the last: the stored text
	// sent whole); unique in the process, so that a stream can tell that
	// the blocks it has shown are no longer the first ones.
	gen  uint64
	used time.Time
}

var pageDraftRenders = &draftRenders{m: map[string]*draftRender{}}

// draftRenderGens numbers the renderings (draftRender.gen).
var draftRenderGens atomic.Uint64

// render returns the closed blocks' HTML (shared: read only), the open
// block's HTML of the draft's text, and the rendering's gen: while it
// stays the same, each call's closed blocks begin with the previous
// call's.
func (r *draftRenders) render(key string, epoch int64, text string) ([]string, string, uint64) {
	now := time.Now()
	r.mu.Lock()
	if now.Sub(r.swept) > time.Minute {
		for k, v := range r.m {
			v.mu.Lock()
			idle := now.Sub(v.used) > 5*time.Minute
			v.mu.Unlock()
			if idle {
				delete(r.m, k)
			}
		}
		r.swept = now
	}
	d := r.m[key]
	if d == nil {
		d = &draftRender{}
		r.m[key] = d
	}
	r.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.used = now
	if rendered := d.html.Text(); d.gen != 0 && d.epoch == epoch && len(text) < len(rendered) && strings.HasPrefix(rendered, text) {
		// A stream that read the hub's text before another stream had a
		// longer one rendered: the same rendering, cut to this text. Its
		// closed blocks are the first of the shared ones; starting again
		// would make every other tab of the job get the whole draft.
		var cut documents.DraftHTML
		cut.Update(text)
		n := min(len(cut.Closed()), len(d.closed))
		return d.closed[:n:n], oneLine(cut.Open()), d.gen
	}
	if d.gen == 0 || d.epoch != epoch || !strings.HasPrefix(text, d.html.Text()) {
		// A new attempt, or a text that does not continue the last one
		// within the attempt (a resend, the stored text sent whole when it
		// differs before its end): its blocks are rendered again, into a
		// new slice (streams may still hold the old one).
		d.epoch, d.html, d.closed, d.gen = epoch, documents.DraftHTML{}, nil, draftRenderGens.Add(1)
	}
	d.html.Update(text)
	for i := len(d.closed); i < len(d.html.Closed()); i++ {
		d.closed = append(d.closed, oneLine(d.html.Closed()[i]))
	}
	return d.closed, oneLine(d.html.Open()), d.gen
}

// oneLine turns line ends outside <pre> into spaces, which render alike:
// each line of an event's data costs the "data: " that starts it.
func oneLine(h string) string {
	if !strings.Contains(h, "\n") {
		return h
	}
	if !strings.Contains(h, "<pre") {
		return strings.ReplaceAll(h, "\n", " ")
	}
	b := []byte(h)
	pre := 0
	for _, t := range tokenizeHTML(h) {
		switch {
		case t.kind == 's' && t.name == "pre":
			pre++
		case t.kind == 'e' && t.name == "pre":
			pre--
		case pre == 0:
			for i := t.start; i < t.end; i++ {
				if b[i] == '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}
