package documents

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"dossier/models"
)

// fuzzParser parses like RenderHTML does, minus linkify: generated documents
// contain no links, so any link node means user text escaped its cell.
var fuzzParser = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

func FuzzTemplateGenerator(f *testing.F) {
	name, desc, data, pack := models.ExampleProject()
	dj, _ := json.Marshal(data)
	pj, _ := json.Marshal(pack)
	f.Add(dj, pj, name, desc, 3, 5, 15.0)
	f.Add([]byte(`{}`), []byte(`{}`), "", "", 0, 0, 0.0)
	f.Add([]byte(`{"startDate":"2027-01-09","endDate":"bad","budget":{"amount":-5},"risks":[{"probability":99,"impact":-3}]}`),
		[]byte(`{"values":["| pipe |"],"complianceStandards":["<script>"]}`), "# a | b", "1. x\n---\n| y |", -1, 7, -3.5)

	gen := NewTemplateGenerator(0)
	f.Fuzz(func(t *testing.T, dataJSON, packJSON []byte, name, text string, p, i int, effort float64) {
		var d models.ProjectData
		var c models.CompanyPack
		_ = json.Unmarshal(dataJSON, &d) // partial data is still data
		_ = json.Unmarshal(packJSON, &c)
		// Direct fields reach places JSON fuzzing rarely does.
		d.Sponsor = text
		d.Risks = append(d.Risks, models.Risk{Description: text, Probability: p, Impact: i, Owner: name, Mitigation: text})
		d.Deliverables = append(d.Deliverables, models.Deliverable{Name: text, Description: name, EffortDays: effort})
		d.Stakeholders = append(d.Stakeholders, models.Stakeholder{Name: name, Role: text, Interest: p, Influence: i})
		d.Milestones = append(d.Milestones, models.Milestone{Name: text, Date: name, Requires: []string{text, name}})
		d.Assumptions = append(d.Assumptions, text)
		c.Values = append(c.Values, text)
		c.ComplianceStandards = append(c.ComplianceStandards, name)

		for _, k := range Keys() {
			doc, err := gen.Generate(context.Background(), Request{Type: k, ProjectName: name, Description: text, Project: d, Company: c})
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			checkMarkdown(t, k, doc.Markdown)
		}
	})
}

// checkMarkdown asserts the structural invariants of a generated document:
// one level-1 heading first, no HTML or links from user text, and every
// table well-formed with the same number of cells in every row.
func checkMarkdown(t *testing.T, key, md string) {
	t.Helper()
	if !strings.HasPrefix(md, "# ") {
		t.Fatalf("%s: does not start with a title: %.80q", key, md)
	}
	src := []byte(md)
	root := fuzzParser.Parser().Parse(text.NewReader(src))
	first := root.FirstChild()
	if h, ok := first.(*ast.Heading); !ok || h.Level != 1 {
		t.Fatalf("%s: first block is %T, not a level-1 heading", key, first)
	}
	h1, tables, charts := 0, 0, 0
	err := ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 {
				h1++
			}
		case *ast.FencedCodeBlock:
			// The only fenced blocks are chart specs: one line of JSON.
			if lang := string(n.Language(src)); lang != chartLang || n.Lines().Len() != 1 {
				t.Errorf("%s: user text produced a fenced block %q of %d lines", key, lang, n.Lines().Len())
				break
			}
			seg := n.Lines().At(0)
			var c chart
			if err := json.Unmarshal(seg.Value(src), &c); err != nil {
				t.Errorf("%s: chart spec does not parse: %v", key, err)
			}
			charts++
		case *ast.HTMLBlock, *ast.RawHTML, *ast.Link, *ast.Image, *ast.AutoLink, *ast.CodeBlock, *ast.CodeSpan:
			t.Errorf("%s: user text produced a %s node", key, n.Kind())
		case *east.Table:
			tables++
			cols := -1
			for row := n.FirstChild(); row != nil; row = row.NextSibling() {
				if cols == -1 {
					cols = row.ChildCount()
				} else if row.ChildCount() != cols {
					t.Errorf("%s: table row has %d cells, header %d", key, row.ChildCount(), cols)
				}
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h1 != 1 {
		t.Errorf("%s: %d level-1 headings, want 1", key, h1)
	}
	// Every chart is drawn, and every drawing is well-formed SVG with its
	// text alternatives.
	figures := svgFigures(t, RenderHTML(md))
	if len(figures) != charts {
		t.Errorf("%s: %d chart specs but %d figures drawn", key, charts, len(figures))
	}
	raw := rawTables(md)
	if len(raw) != tables {
		t.Errorf("%s: %d Markdown tables written but %d parsed", key, len(raw), tables)
	}
	for _, tb := range raw {
		for _, line := range tb[1:] {
			if got, want := cellCount(line), cellCount(tb[0]); got != want {
				t.Errorf("%s: row has %d cells, header %d: %q", key, got, want, line)
			}
		}
	}
}

// rawTables groups consecutive lines that start with a pipe.
func rawTables(md string) [][]string {
	var out [][]string
	var cur []string
	for line := range strings.SplitSeq(md, "\n") {
		if strings.HasPrefix(line, "|") {
			cur = append(cur, line)
			continue
		}
		if cur != nil {
			out = append(out, cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// cellCount counts unescaped pipes minus one: the cells of a |a|b| row.
func cellCount(line string) int {
	n, slashes := 0, 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			slashes++
			continue
		case '|':
			if slashes%2 == 0 {
				n++
			}
		}
		slashes = 0
	}
	return n - 1
}

func TestCheckMarkdownCatchesBrokenTables(t *testing.T) {
	t.Parallel()
	// The fuzz oracle must be able to fail: a table row with an extra pipe.
	assert := func(cond bool, msg string) {
		t.Helper()
		if !cond {
			t.Error(msg)
		}
	}
	assert(cellCount(`| a | b \| c |`) == 2, "escaped pipe counted")
	assert(cellCount(`| a | b \\| c |`) == 3, "escaped backslash before pipe not counted")
	assert(len(rawTables("x\n| a |\n|---|\n\n| b |\n")) == 2, "tables not split")
}
