package handlers

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/views/partials"
)

// A page's draft is built from the draft events alone: these tests apply
// the events' out-of-band swaps to a parsed page the way htmx does (append
// or replace the content of the selected element, parsed in its context),
// and check after every step that the page shows what rendering the text so
// far shows, and that the bytes sent stay a small multiple of the text.

const draftMarkdown = "# Project Charter\n\n" +
	"The charter sets out *why* the project exists and **who** decides. It is written\n" +
	"over several lines, with `code`, a [link](https://example.com/a?b=1&c=2) and an\n" +
	"entity & an angle < bracket.\n\n" +
	"## Objectives\n\n" +
	"- Relaunch the website by June\n" +
	"- Cut page weight by half\n" +
	"  - images first\n" +
	"  - then scripts\n" +
	"- Keep the *brand*\n\n" +
	"1. First\n" +
	"2. Second\n\n" +
	"| Risk | Probability | Impact |\n" +
	"|---|---|---|\n" +
	"| Late supplier | 3 | 4 |\n" +
	"| Scope creep | 4 | 3 |\n" +
	"| Key person leaves | 2 | 5 |\n\n" +
	"```go\nfunc main() {\n\n\tprintln(\"blank line above\")\n}\n```\n\n" +
	"> A quote that goes on\n> over two lines.\n\n" +
	"Setext heading\n--------------\n\n" +
	"Hostile: <script>alert(1)</script> <img src=x onerror=alert(2)> <div hx-get=\"/logout\" hx-trigger=\"load\">x</div>\n" +
	"[click](javascript:alert(3)) and `<b onmouseover=alert(4)>`\n\n" +
	"Last paragraph, the end.\n"

// draftPage is a parsed page with one draft element.
type draftPage struct {
	t   *testing.T
	doc *goquery.Document
	id  string
}

func newDraftPage(t *testing.T, jobID, typ string) *draftPage {
	id := partials.DraftTextID(jobID, typ)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(`<html><body><div id="` + id + `"></div></body></html>`))
	require.NoError(t, err)
	return &draftPage{t: t, doc: doc, id: id}
}

var oobSwap = regexp.MustCompile(`^<template><([a-z0-9]+) hx-swap-oob="(beforeend|innerHTML):([^"]+)">`)

// apply does what htmx does with a draft event's data.
func (p *draftPage) apply(data string) {
	p.t.Helper()
	for _, part := range strings.Split(data, "</template>") {
		if part == "" {
			continue
		}
		m := oobSwap.FindStringSubmatch(part)
		require.NotNil(p.t, m, "an out-of-band swap in a template: %q", part)
		body := strings.TrimSuffix(part[len(m[0]):], "</"+m[1]+">")
		target := p.doc.Find(m[3])
		require.Equal(p.t, 1, target.Length(), "the swap's target %s exists once", m[3])
		require.Equal(p.t, m[1], goquery.NodeName(target), "the swap's element is of its target's kind")
		if m[2] == "innerHTML" {
			target.SetHtml(body)
		} else {
			target.AppendHtml(body)
		}
	}
}

// shape is a DOM subtree as a string: elements with their attributes,
// adjacent text merged, white space between elements ignored outside pre.
func shape(s *goquery.Selection, pre bool) string {
	var b strings.Builder
	var text strings.Builder
	flush := func() {
		t := text.String()
		text.Reset()
		if !pre {
			t = strings.Join(strings.Fields(t), " ")
		}
		if t != "" {
			fmt.Fprintf(&b, "%q", t)
		}
	}
	s.Contents().Each(func(_ int, c *goquery.Selection) {
		name := goquery.NodeName(c)
		switch {
		case name == "#text":
			text.WriteString(c.Text())
		case strings.HasPrefix(name, "#"):
		default:
			flush()
			var attrs []string
			for _, a := range c.Nodes[0].Attr {
				attrs = append(attrs, a.Key+"="+a.Val)
			}
			sort.Strings(attrs)
			fmt.Fprintf(&b, "<%s %s>%s</%s>", name, strings.Join(attrs, " "), shape(c, pre || name == "pre"), name)
		}
	})
	flush()
	return b.String()
}

// want is the draft element as rendering the text so far shows it.
func want(t *testing.T, id, text string) string {
	var d documents.DraftHTML
	d.Update(text)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(`<html><body><div id="` + id + `">` + blocksHTML(d.Closed(), d.Open()) + `</div></body></html>`))
	require.NoError(t, err)
	return shape(doc.Find("#"+id), false)
}

// streamDraft feeds the text to a tab in pieces of the given sizes, one
// every 200 ms (the worker's pace at most), checking the page after each
// event, and returns the bytes sent. paced applies the stream's pacing of
// small pieces.
func streamDraft(t *testing.T, text string, paced bool, sizes func(i int) int) int {
	job := fmt.Sprintf("job-%s", t.Name())
	job = regexp.MustCompile(`[^A-Za-z0-9-]`).ReplaceAllString(job, "-")
	p := newDraftPage(t, job, "project_charter")
	d := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	if paced {
		d.minBytes, d.wait = pageDraftBytes, pageDraftWait
	}
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	sent := 0
	step := func(n int) {
		var b strings.Builder
		d.grow(&b, "project_charter", events.Draft{Epoch: 7, Delta: text[:n]}, now)
		if b.Len() == 0 {
			return
		}
		sent += len("event: draft\ndata: \n\n") + len(b.String()) + 6*strings.Count(b.String(), "\n")
		p.apply(b.String())
		require.Equal(t, want(t, p.id, text[:n]), shape(p.doc.Find("#"+p.id), false), "after %d of %d bytes", n, len(text))
	}
	for i, n := 0, 0; n < len(text); i++ {
		n = min(len(text), n+max(1, sizes(i)))
		now = now.Add(200 * time.Millisecond)
		step(n)
	}
	now = now.Add(pageDraftWait) // the timer's wake-up
	step(len(text))
	require.Equal(t, len(text), d.docs["project_charter"].n, "the whole text was sent")
	return sent
}

func TestDraftPageGrowsByAppendingAtEveryByte(t *testing.T) {
	streamDraft(t, draftMarkdown, false, func(int) int { return 1 })
}

func TestDraftPageGrowsInUnevenPieces(t *testing.T) {
	for _, size := range []int{3, 17, 64, 160, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			sent := streamDraft(t, draftMarkdown, false, func(i int) int { return size + (i*7)%size })
			t.Logf("%d-byte pieces: %d bytes of swaps for %d bytes of Markdown (%.2f×)", size, sent, len(draftMarkdown), float64(sent)/float64(len(draftMarkdown)))
		})
	}
}

// The bytes on the wire (SSE framing included) for a document stay within
// 3× its size at a model's pace (a delta every 200 ms of 25 to 320 bytes:
// 25 bytes is a model writing about 30 tokens a second). Prose is measured
// against its Markdown: the benchmark's document (one long paragraph) and
// the process test's. A document of every kind of block (tables, whose
// HTML alone is twice their Markdown; a quote; code; hostile text) is
// measured against its HTML, the size of the document as the page shows
// it.
func TestDraftPageBytesStayWithinThreeTimesTheDocument(t *testing.T) {
	var long strings.Builder
	long.WriteString("# Draft\n")
	for i := range 50 {
		fmt.Fprintf(&long, "[c%03d] %s\n", i, strings.Repeat("word ", 30))
	}
	charter := "# Project Charter\n\n" + strings.Repeat("The model writes this charter one chunk at a time, and the page shows it grow. ", 30) + "\n\n| Risk | Score |\n|---|---|\n| Late supplier | 12 |\n"
	for _, tc := range []struct {
		name, text string
		size       int
	}{
		{"one long paragraph", long.String(), long.Len()},
		{"charter", charter, len(charter)},
		{"every kind of block", draftMarkdown, len(oneLine(documents.RenderHTML(draftMarkdown)))},
	} {
		for _, per := range []int{5, 25, 40, 160, 320} {
			sent := streamDraft(t, tc.text, true, func(int) int { return per })
			ratio := float64(sent) / float64(tc.size)
			t.Logf("%s, %d bytes a delta: %.2f× (%.2f× its Markdown)", tc.name, per, ratio, float64(sent)/float64(len(tc.text)))
			if per >= 25 {
				assert.LessOrEqual(t, ratio, 3.0, "%s in %d-byte deltas", tc.name, per)
			}
		}
	}
}

// Nothing a model writes becomes markup that runs: no script element, no
// event handler or htmx attribute, no javascript: link, at any step.
func TestDraftPageNeverCarriesHostileMarkup(t *testing.T) {
	job := "job-hostile"
	p := newDraftPage(t, job, "project_charter")
	d := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	for n := 1; n <= len(draftMarkdown); n++ {
		var b strings.Builder
		d.grow(&b, "project_charter", events.Draft{Epoch: 1, Delta: draftMarkdown[:n]}, time.Time{})
		p.apply(b.String())
		draft := p.doc.Find("#" + p.id)
		require.Zero(t, draft.Find("script, iframe, object, embed, img").Length(), "at %d bytes", n)
		draft.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				k := strings.ToLower(a.Key)
				require.False(t, strings.HasPrefix(k, "on") || strings.HasPrefix(k, "hx-") || strings.HasPrefix(k, "data-hx"), "attribute %s at %d bytes", k, n)
				require.NotContains(t, strings.ToLower(a.Val), "javascript:", "at %d bytes", n)
			}
		})
	}
	assert.Contains(t, p.doc.Find("#"+p.id).Text(), "<b onmouseover=alert(4)>", "hostile text shows as text")
}

// A new attempt, or text that does not continue what the tab has, replaces
// the draft whole.
func TestDraftPageNewAttemptStartsAgain(t *testing.T) {
	job := "job-retry"
	p := newDraftPage(t, job, "risk_register")
	d := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	for _, step := range []struct {
		epoch int64
		text  string
	}{{1, "# First attempt\n\nsome text"}, {1, "# First attempt\n\nsome text and more"}, {2, "# Second"}, {2, "# Second\n\nattempt"}, {2, "# Other text\n"}} {
		var b strings.Builder
		d.grow(&b, "risk_register", events.Draft{Epoch: step.epoch, Delta: step.text}, time.Time{})
		p.apply(b.String())
		require.Equal(t, want(t, p.id, step.text), shape(p.doc.Find("#"+p.id), false), step.text)
	}
}

func TestGrowOps(t *testing.T) {
	for _, tc := range []struct {
		prev, next string
		ops        []appendOp
		ok         bool
	}{
		{"<p>ab</p>\n", "<p>abc</p>\n", []appendOp{{1, "p", "c"}}, true},
		{"<p>a</p>\n", "<p>a<em>b</em></p>\n", []appendOp{{1, "p", "<em>b</em>"}}, true},
		{"<ul>\n<li>a</li>\n</ul>\n", "<ul>\n<li>ab</li>\n<li>c</li>\n</ul>\n", []appendOp{{2, "li", "b"}, {1, "ul", "\n<li>c</li>\n"}}, true},
		{"<p>a</p>\n", "<p>a</p>\n<p>b</p>\n", []appendOp{{0, "div", "\n<p>b</p>\n"}}, true},
		{"<pre><code>a\n</code></pre>\n", "<pre><code>a\nb\n</code></pre>\n", []appendOp{{2, "code", "b\n"}}, true},
		{"<p>a *b</p>\n", "<p>a <em>b</em></p>\n", nil, false},
		{"<p>para</p>\n", "<h2>para</h2>\n", nil, false},
		{"<p>same</p>", "<p>same</p>", nil, true},
	} {
		ops, ok := growOps(tc.prev, tc.next)
		assert.Equal(t, tc.ok, ok, "%q → %q", tc.prev, tc.next)
		assert.Equal(t, tc.ops, ops, "%q → %q", tc.prev, tc.next)
	}
}

// Within one attempt, the draft's text may start again with a text that
// differs before its end: the stored document sent whole, with a chart
// inserted under its heading. The blocks rendered before are not the first
// blocks of the new text: the render starts again and the tab gets the
// draft whole (it used to keep the old blocks and append, showing the
// heading after the chart twice and no chart).
func TestDraftPageSameAttemptRewriteStartsAgain(t *testing.T) {
	job := "job-rewrite"
	p := newDraftPage(t, job, "schedule")
	d := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	draft := "# Schedule\n\n## Timeline\n\nPhase one starts in May.\n\n## Milestones\n\nGo live"
	stored := "# Schedule\n\n## Timeline\n\n```chart\nFIGURE\n```\n\nPhase one starts in May.\n\n## Milestones\n\nGo live in June.\n"
	for _, text := range []string{draft, stored} {
		var b strings.Builder
		d.grow(&b, "schedule", events.Draft{Epoch: 7, Delta: text}, time.Time{})
		p.apply(b.String())
		require.Equal(t, want(t, p.id, text), shape(p.doc.Find("#"+p.id), false), text)
	}

	// The render alone, as a fresh one renders the stored text.
	r := &draftRenders{m: map[string]*draftRender{}}
	closed1, _, gen1 := r.render("k", 7, draft)
	closed, open, gen := r.render("k", 7, stored)
	fresh := &draftRenders{m: map[string]*draftRender{}}
	wantClosed, wantOpen, _ := fresh.render("k", 7, stored)
	assert.Equal(t, wantClosed, closed)
	assert.Equal(t, wantOpen, open)
	assert.NotEqual(t, gen1, gen, "a new rendering")
	assert.Len(t, closed1, 4, "the earlier call's blocks are left as they were")
	_, _, gen2 := r.render("k", 7, stored+"More.\n")
	assert.Equal(t, gen, gen2, "a text that continues the last keeps its rendering")
}

// A stream that read the hub's text a moment before another rendered a
// longer one (they share the rendering) renders its shorter text within
// the same rendering: no other tab is sent the whole draft again. (A new
// rendering for it made every tab of the job get the whole draft, N tabs ×
// the document, under lock contention.)
func TestDraftPageALaggingStreamKeepsTheRendering(t *testing.T) {
	job := "job-lagging"
	a := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	b := &pageDrafts{jobID: job, docs: map[string]*pageDraft{}}
	pa, pb := newDraftPage(t, job, "charter"), newDraftPage(t, job, "charter")
	var text strings.Builder
	text.WriteString("# Charter\n\n")
	for i := range 60 {
		fmt.Fprintf(&text, "Paragraph %d says what the project delivers, for whom and by when.\n\n", i)
	}
	base := text.String()
	grow := func(d *pageDrafts, p *draftPage, delta string) int {
		var out strings.Builder
		d.grow(&out, "charter", events.Draft{Epoch: 3, Delta: delta}, time.Time{})
		p.apply(out.String())
		require.Equal(t, want(t, p.id, delta), shape(p.doc.Find("#"+p.id), false))
		return out.Len()
	}
	grow(a, pa, base)
	grow(b, pb, base)
	more := base + strings.Repeat("Another sentence of the next paragraph. ", 10)
	lagging := more[:len(base)+200]
	grow(a, pa, more)                  // A reads and renders the newest text
	sentB := grow(b, pb, lagging)      // B had read it a moment earlier
	sentA := grow(a, pa, more+"Done.") // A grows on
	assert.Less(t, sentB, len(base)/4, "the lagging tab gets its growth, not the whole draft")
	assert.Less(t, sentA, len(base)/4, "the other tab too")
}
