package documents

import (
	"context"
	"fmt"
	"strings"
	"time"
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

// Generate waits Delay (or until ctx ends), then writes the document.
func (g *TemplateGenerator) Generate(ctx context.Context, req Request) (Document, error) {
	dt, ok := Lookup(req.Type)
	w := writers[req.Type]
	if !ok || w == nil {
		return Document{}, Permanent(&UnknownTypeError{Unknown: []string{req.Type}, Valid: Keys()})
	}
	if err := wait(ctx, g.Delay); err != nil {
		return Document{}, fmt.Errorf("template %s: %w", req.Type, err)
	}
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
	return Document{Type: dt.Key, Title: unescapeTitle(title), Markdown: d.String()}, nil
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
