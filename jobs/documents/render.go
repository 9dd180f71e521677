package documents

import (
	"bytes"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// Markdown written by a model or a user is untrusted. RenderHTML is the only
// way it becomes HTML in Dossier: goldmark without raw HTML, then a
// bluemonday allowlist. The allowlist drops scripts, event handlers,
// javascript: URLs and, because pages use htmx, every hx-* and data-hx-*
// attribute: an injected hx-get would otherwise make the page fetch and swap
// attacker-chosen content.

var (
	markdown = goldmark.New(goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.Linkify,
	), goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(altText{}, 100), util.Prioritized(lineBreakTag{}, 100))))

	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy() // no data-* attributes, no on*, safe URL schemes only
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+-]{1,32}$`)).OnElements("code")
		p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("th", "td")
		// A numbered list interrupted by a code block or a table goes on
		// from its number ("2. Build"), not from 1 again.
		p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
		p.RequireNoReferrerOnLinks(true)
		return p
	})
)

// altText renders a Markdown image as its alt text. A generated document has
// no business loading anything: an external image in model output would be
// a tracking pixel in every reader's browser.
type altText struct{}

func (altText) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			w.WriteString(htmlEscape(plainText(n, source)))
		}
		return ast.WalkSkipChildren, nil
	})
}

// lineBreakTag renders an inline <br> (in any of its spellings) as a line
// break and omits any other raw HTML, as goldmark does by default. Models
// write <br> in table cells, where Markdown has no line break of its own;
// omitted, it glued the cell's lines into one word.
type lineBreakTag struct{}

func (lineBreakTag) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && IsLineBreakTag(rawHTML(n.(*ast.RawHTML), source)) {
			w.WriteString("<br>")
		}
		return ast.WalkSkipChildren, nil
	})
}

var brTag = regexp.MustCompile(`(?i)^<br\s*/?>$`)

// IsLineBreakTag reports whether raw is an HTML line break: <br>, <br/>,
// <BR />.
func IsLineBreakTag(raw string) bool { return brTag.MatchString(raw) }

func rawHTML(n *ast.RawHTML, source []byte) string {
	var b strings.Builder
	for i := 0; i < n.Segments.Len(); i++ {
		seg := n.Segments.At(i)
		b.Write(seg.Value(source))
	}
	return b.String()
}

// RenderHTML converts Markdown to sanitised HTML, safe to embed in a page.
func RenderHTML(md string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(md), &buf); err != nil {
		// goldmark only fails on writer errors, which a bytes.Buffer never
		// returns; fall back to escaped text rather than dropping content.
		return policy().Sanitize("<pre>" + htmlEscape(md) + "</pre>")
	}
	return drawCharts(policy().Sanitize(buf.String()))
}

func htmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
