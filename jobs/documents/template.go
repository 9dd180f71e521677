package documents

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// TemplateGenerator writes every catalog document from the project data
// alone, offline and deterministically: the same request always yields the
// same Markdown. It is the default generator, the fallback when no model is
// configured, and the reference the golden tests pin down.
type TemplateGenerator struct {
	// Delay simulates a model's latency so that progress, cancellation and
	// concurrency behave in development as they will in production.
	Delay time.Duration
	// Now is reserved for time-dependent output; documents never include the
	// current time, so golden files stay stable. Defaults to time.Now.
	Now func() time.Time
}

// NewTemplateGenerator returns a template generator that waits delay before
// each document.
func NewTemplateGenerator(delay time.Duration) *TemplateGenerator {
	return &TemplateGenerator{Delay: max(delay, 0), Now: time.Now}
}

// writer renders one document type from the computed facts.
type writer func(f *facts, d *doc)

var writers = map[string]writer{
	"project_charter":          writeCharter,
	"business_case":            writeBusinessCase,
	"scope_statement":          writeScope,
	"stakeholder_register":     writeStakeholders,
	"risk_register":            writeRisks,
	"communication_plan":       writeCommunication,
	"work_breakdown_structure": writeWBS,
	"schedule":                 writeSchedule,
	"budget_estimate":          writeBudget,
	"raci_matrix":              writeRACI,
	"quality_plan":             writeQuality,
	"executive_summary":        writeExecutiveSummary,
}

// Generate takes Delay (or until ctx ends) to write the document. With
// req.OnDelta set, the text is handed out progressively over Delay, as a
// model would stream it; the document is the same either way.
func (g *TemplateGenerator) Generate(ctx context.Context, req Request) (Document, error) {
	dt, ok := Lookup(req.Type)
	w := writers[req.Type]
	if !ok || w == nil {
		return Document{}, Permanent(&UnknownTypeError{Unknown: []string{req.Type}, Valid: Keys()})
	}
	doc := g.write(req, dt, w)
	if err := stream(ctx, g.Delay, doc.Markdown, req.OnDelta); err != nil {
		return Document{}, fmt.Errorf("template %s: %w", req.Type, err)
	}
	return doc, nil
}

// templateTick is the pace at which the template generator hands out text.
const templateTick = 50 * time.Millisecond

// stream spreads text over d in steady pieces, one every templateTick, and
// returns when d has passed or ctx ended. Without onDelta it only waits.
func stream(ctx context.Context, d time.Duration, text string, onDelta func(string)) error {
	if onDelta == nil || text == "" {
		return wait(ctx, d)
	}
	pieces := max(int(d/templateTick), 1)
	step := d / time.Duration(pieces)
	for i := range pieces {
		if err := wait(ctx, step); err != nil {
			return err
		}
		from, to := cut(text, i, pieces), cut(text, i+1, pieces)
		if to > from {
			onDelta(text[from:to])
		}
	}
	return ctx.Err()
}

// cut is where the i-th of n pieces of s begins, moved forward to a rune
// boundary so that every piece is valid UTF-8.
func cut(s string, i, n int) int {
	at := len(s) * i / n
	for at < len(s) && !utf8.RuneStart(s[at]) {
		at++
	}
	return at
}

// write renders the document from the request's facts.
func (g *TemplateGenerator) write(req Request, dt DocType, w writer) Document {
	title := dt.Title
	f := newFacts(req)
	if f.name != "" {
		title += ": " + f.name
	}
	var d doc
	d.h(1, title)
	header(f, &d, dt)
	w(f, &d)
	footer(&d)
	return Document{Type: dt.Key, Title: unescapeTitle(title), Markdown: d.String()}
}

// wait blocks for d or until ctx is done, whichever comes first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unescapeTitle turns the escaped heading back into plain text for the
// Document title, which is shown outside Markdown.
func unescapeTitle(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// header writes who the document is for and what it builds on. The company
// pack appears only where it changes a statement (strategic fit, compliance,
// tone of voice), never as a block of values that fits every document.
func header(f *facts, d *doc, dt DocType) {
	var meta []string
	if f.company != "" {
		meta = append(meta, "**Organisation:** "+f.company)
	}
	meta = append(meta, "**Sponsor:** "+cmpOr(f.sponsor, notProvided),
		"**Project manager:** "+cmpOr(f.manager, notProvided))
	d.para(strings.Join(meta, " · "))
	if len(dt.DependsOn) > 0 {
		titles := make([]string, len(dt.DependsOn))
		for i, k := range dt.DependsOn {
			dep, _ := Lookup(k)
			titles[i] = dep.Title
		}
		d.para("**Based on:** " + strings.Join(titles, ", "))
	}
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// notes writes the data-quality notes section, if there is anything to say.
func notesSection(d *doc, notes ...[]string) {
	var all []string
	for _, n := range notes {
		all = append(all, n...)
	}
	if len(all) == 0 {
		return
	}
	d.h(2, "Data quality notes")
	d.para("The following inputs were adjusted or missing; the figures above use the corrected values.")
	d.list(all...)
}

// compliance writes the compliance section with a document-specific lead.
func compliance(f *facts, d *doc, lead string) {
	d.h(2, "Compliance")
	if f.complianceList == "" {
		d.para("Compliance standards: " + notProvided + " Confirm with the compliance function which standards apply.")
		return
	}
	d.para(lead)
	d.bullets(f.pack.ComplianceStandards, notProvided)
}

func footer(d *doc) {
	d.line("---")
	d.blank()
	d.para("_Prepared with Dossier from the project data. Figures are calculated by the rules stated in this document; check them against your own records before approval._")
}
