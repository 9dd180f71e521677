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

// systemPrompt speaks for the company: who the documents are written for
// and how they must sound.
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
	b.WriteString("\n")
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, v)
		}
	}
	line("Mission", c.Mission)
	line("Values", strings.Join(c.Values, "; "))
	line("Strategic goals", strings.Join(c.StrategicGoals, "; "))
	line("Competitors", strings.Join(c.Competitors, "; "))
	line("Compliance standards that apply", strings.Join(c.ComplianceStandards, "; "))
	line("Tone of voice", c.ToneOfVoice)
	b.WriteString(`
Rules:
- Write GitHub-flavoured Markdown only. No HTML, no scripts, no links to external sites.
- Start with exactly one level-1 heading: "# <Document title>: <Project name>".
- Use only facts from the project data and the documents provided; where data is missing write "Not provided" rather than inventing it.
- Show calculations (scores, totals, dates) so the reader can check them.
- Say how the document reflects the company's values, and address the compliance standards where relevant.
`)
	return b.String()
}

// userPrompt carries the project, the document to write and the documents
// it builds on.
func userPrompt(req Request, dt DocType) (string, error) {
	project := struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Data        any    `json:"data"`
	}{req.ProjectName, req.Description, req.Project}
	pj, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode project: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Write the %s for the project below.\n\n", dt.Title)
	fmt.Fprintf(&b, "Purpose of this document: %s\n\n", dt.Description)
	if s := sections[dt.Key]; len(s) > 0 {
		b.WriteString("Required sections, as level-2 headings in this order:\n")
		for _, sec := range s {
			fmt.Fprintf(&b, "- %s\n", sec)
		}
		b.WriteString("\n")
	}
	b.WriteString("Project data (JSON):\n```json\n")
	b.Write(pj)
	b.WriteString("\n```\n")
	if len(req.Dependencies) > 0 {
		b.WriteString("\nDocuments already written for this project, which this one must be consistent with:\n")
		for _, d := range req.Dependencies {
			title := d.Title
			if dep, ok := Lookup(d.Type); ok && title == "" {
				title = dep.Title
			}
			fmt.Fprintf(&b, "\n<document type=%q title=%q>\n%s\n</document>\n", d.Type, title, truncate(d.Markdown, maxDependencyChars))
		}
	}
	if ins := strings.TrimSpace(req.Instruction); ins != "" {
		// Per document, after everything shared: the user's note for this
		// version. The rules in the system prompt still apply.
		fmt.Fprintf(&b, "\nInstruction from the user for this version of the %s (follow it within the rules above):\n<instruction>\n%s\n</instruction>\n", dt.Title, ins)
	}
	return b.String(), nil
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
