package documents

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"dossier/models"
)

// maxDependencyChars bounds each dependency document in the prompt. The
// executive summary depends on eleven documents; uncapped they could exceed
// a small model's context window, which is a permanent failure.
const maxDependencyChars = 6000

// sections lists, per document type, the sections the model must write. They
// mirror the template generator so both produce comparable documents.
var sections = map[string][]string{
	"project_charter":          {"Purpose", "Objectives", "Scope summary", "Key deliverables", "Timeline and milestones", "Budget", "Roles and authority", "Top risks", "Constraints", "Assumptions", "Success criteria", "Compliance", "Approval"},
	"business_case":            {"The opportunity", "Strategic fit", "Benefits", "Costs", "Options considered", "Competitive context", "Risks", "Compliance", "Recommendation"},
	"scope_statement":          {"Project description", "In scope", "Out of scope", "Deliverables and acceptance", "Timeline", "Constraints", "Assumptions", "Success criteria", "Change control", "Compliance"},
	"stakeholder_register":     {"Register (table: stakeholder, role, interest, influence, grid position, engagement strategy)", "Power/interest grid", "Summary"},
	"risk_register":            {"Summary (counts per band, total exposure)", "Risks ranked by score (table: probability, impact, score = probability × impact, band, owner, mitigation)", "Heat map", "Exposure by owner", "Review", "Compliance"},
	"communication_plan":       {"Principles", "Audiences (table: need, channel, frequency, owner)", "Regular communications", "Milestone announcements", "Escalation"},
	"work_breakdown_structure": {"Structure (numbered 1, 1.1, 1.2 … with effort in days and totals)", "Effort by phase", "Work package descriptions"},
	"schedule":                 {"Summary (start, planned finish, variance against the end date)", "Timeline (table: start and finish dates in working days)", "Milestones against the plan", "What the dates mean"},
	"budget_estimate":          {"Day rate", "Labour by work package", "Risk contingency", "Estimate against the approved budget", "What the numbers mean"},
	"raci_matrix":              {"Matrix (deliverables × people, one A per deliverable)", "Checks", "Legend"},
	"quality_plan":             {"Quality objectives", "Standards and how they are assured", "Acceptance checks per deliverable", "Reviews", "Roles"},
	"executive_summary":        {"Purpose", "At a glance (finish date, effort, cost with contingency, budget, top risk)", "Objectives", "Top risks", "Decisions needed", "The document set"},
}

// A job's prompts are built for a provider's prefix cache: every message
// that is the same for all of a job's documents comes first, byte for byte
// (the system text, then one user message with the project data, the company
// pack and the computed figures), and only then the message that differs per
// document (what to write, the documents it builds on, the user's
// instruction). A provider that caches prompt prefixes serves the shared part
// from its cache for the second and later documents of a job.

// systemPrompt speaks for the company: who the documents are written for
// and the rules they follow.
func systemPrompt(c models.CompanyPack) string {
	var b strings.Builder
	b.WriteString("You are a senior project manager writing formal project documents.")
	if c.CompanyName != "" {
		fmt.Fprintf(&b, " You write for %s", c.CompanyName)
		if c.Industry != "" {
			fmt.Fprintf(&b, ", a company in %s", c.Industry)
		}
		b.WriteString(".")
	}
	b.WriteString(`

Rules:
- Write GitHub-flavoured Markdown only. No HTML, no scripts, no links to external sites, no images.
- Start with exactly one level-1 heading: "# <Document title>: <Project name>".
- Use only facts from the project data, the computed figures and the documents provided; where data is missing write "Not provided" rather than inventing it.
- Use the computed figures as given (dates, critical path, milestone checks, costs, NPV, payback, ROI): every document of the set must agree with them. Show how a figure follows from the data so the reader can check it.
- Use the company pack only where it changes a statement: strategic fit, compliance, tone of voice. Do not add a section about the company's values.
- Do not draw charts or diagrams: the Gantt chart, the risk heat map and the power/interest grid are added by the system.
`)
	return b.String()
}

// sharedPrompt is the user message every document of a job shares: the
// project, the company pack and the figures computed from them.
func sharedPrompt(req Request) (string, error) {
	project := struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Data        any    `json:"data"`
	}{req.ProjectName, req.Description, req.Project}
	pj, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode project: %w", err)
	}
	cj, err := json.MarshalIndent(req.Company, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode company pack: %w", err)
	}
	var b strings.Builder
	b.WriteString("Project data (JSON):\n```json\n")
	b.Write(pj)
	b.WriteString("\n```\n\nCompany intelligence pack (JSON):\n```json\n")
	b.Write(cj)
	b.WriteString("\n```\n\n")
	b.WriteString(computedFigures(newFacts(req)))
	return b.String(), nil
}

// documentPrompt is the message that differs per document: what to write,
// the documents it builds on and the user's instruction, after everything
// shared.
func documentPrompt(req Request, dt DocType) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Write the %s for the project above.\n\n", dt.Title)
	fmt.Fprintf(&b, "Purpose of this document: %s\n\n", dt.Description)
	if s := sections[dt.Key]; len(s) > 0 {
		b.WriteString("Required sections, as level-2 headings in this order:\n")
		for _, sec := range s {
			fmt.Fprintf(&b, "- %s\n", sec)
		}
	}
	if len(req.Dependencies) > 0 {
		b.WriteString("\nDocuments already written for this project, which this one must be consistent with:\n")
		for _, d := range req.Dependencies {
			title := d.Title
			if dep, ok := Lookup(d.Type); ok && title == "" {
				title = dep.Title
			}
			fmt.Fprintf(&b, "\n<document type=%q title=%q>\n%s\n</document>\n", d.Type, title, truncate(dropChartBlocks(d.Markdown), maxDependencyChars))
		}
	}
	if ins := strings.TrimSpace(req.Instruction); ins != "" {
		// Per document, after everything shared: the user's note for this
		// version. The rules in the system prompt still apply.
		fmt.Fprintf(&b, "\nInstruction from the user for this version of the %s (follow it within the rules above):\n<instruction>\n%s\n</instruction>\n", dt.Title, ins)
	}
	return b.String()
}

// computedFigures states the figures every document must agree on, computed
// once from the project data by the rules the template documents state.
func computedFigures(f *facts) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	plain := unescapeTitle
	line("Computed figures (use them as given):")
	s := f.sched
	switch {
	case s.ok:
		end := "no committed end date"
		if s.hasEnd {
			end = fmt.Sprintf("committed end %s; the plan finishes %s", fmtDate(f.end), varianceText(s))
		}
		line("- Schedule: start %s; planned finish %s, %s after the start; %s. Rule: packages start with the project or the working day after the last package they depend on; working days = effort ÷ people, rounded up; Monday to Friday.",
			fmtDate(s.start), fmtDate(s.finish), plural(s.days, "working day", "working days"), end)
		line("- Critical path: %s.", plain(s.criticalNames()))
		for _, it := range s.items {
			crit := ""
			if it.critical {
				crit = "; critical"
			}
			line("  - Package %s %s: %s person-days, %s, %d working days, %s to %s, after %s%s.",
				it.wp.ID, plain(it.wp.Name), fmtDays(it.wp.Effort), plural(it.wp.People, "person", "people"), it.days, fmtDate(it.start), fmtDate(it.finish), afterText(s, it), crit)
		}
		for _, m := range s.milestones {
			line("  - Milestone %s (%s): %s.", plain(m.name), dateOr(m.raw), plain(m.status()))
		}
	case s.planned:
		line("- Schedule: no valid start date, so no calendar dates: the plan takes %s (%s), counted from the start; week 1 is the first five working days. Say once that calendar dates follow once a start date is set.",
			plural(s.days, "working day", "working days"), weeksOf(0, s.days))
		line("- Critical path: %s.", plain(s.criticalNames()))
		for _, it := range s.items {
			crit := ""
			if it.critical {
				crit = "; critical"
			}
			line("  - Package %s %s: %s person-days, %s, %d working days, working days %s (%s), after %s%s.",
				it.wp.ID, plain(it.wp.Name), fmtDays(it.wp.Effort), plural(it.wp.People, "person", "people"), it.days, dayRange(it.from, it.to), weeksOf(it.from, it.to), afterText(s, it), crit)
		}
	default:
		line("- Schedule: not computable: it %s.", noSchedule(f))
	}
	bf := f.budget
	line("- Budget: %s person-days at %s a day, each work package's cost rounded to whole units: %s labour; contingency %s = %s; total estimate %s.",
		fmtDays(bf.effort), bf.rateText(), bf.money(bf.labour), fmtPct(bf.contPct), bf.money(bf.contingency), bf.money(bf.total))
	if bf.hasBudget {
		line("  - Approved budget %s: %s.", bf.money(bf.budget), headroomText(bf))
	}
	if a := f.case_; a.ok {
		pay := "not within the horizon"
		if a.paidBack {
			pay = fmtNum(a.payback, 1) + " months after go-live" + paybackWhen(f)
		}
		line("- Go-live: %s.", goLiveText(f))
		line("- Business case over %d years after go-live, discount rate %s: benefits %s; NPV %s; payback %s; ROI %s.",
			benefitYears, fmtPct(a.rate), bf.money(a.total), bf.money(a.npv), pay, fmtPct(a.roi))
	}
	rf := f.risks
	if len(rf.ranked) > 0 {
		line("- Risks: score = probability × impact; High ≥ %d, Medium ≥ %d; %d High, %d Medium, %d Low; total exposure %d.", highBand, mediumBand, rf.high, rf.medium, rf.low, rf.total)
	}
	return b.String()
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "\n\n[… truncated]"
}
