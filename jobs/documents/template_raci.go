package documents

import (
	"fmt"
	"strings"
)

// RACI rules, stated in the matrix: the sponsor is Accountable for every
// deliverable and the project manager Responsible (both, "A/R", when no
// sponsor is named). Another stakeholder is Consulted where their name or
// role shares a key term with the deliverable (their remit is touched),
// Informed where their interest or influence is high, and otherwise has no
// role on that deliverable.
type raciColumn struct {
	name     string // escaped column heading
	sponsor  bool
	manager  bool
	terms    map[string]bool
	quadrant quadrant
	listed   bool // is a stakeholder (not only a field)
}

func raciColumns(f *facts) []raciColumn {
	var cols []raciColumn
	sponsorFound, managerFound := false, false
	for _, s := range f.stakeholders {
		c := raciColumn{name: s.Name, terms: keyTerms(s.Stakeholder.Name, s.Stakeholder.Role), quadrant: s.Quadrant, listed: true}
		if !sponsorFound && isSponsor(s, f.data.Sponsor) {
			c.sponsor, sponsorFound = true, true
		}
		if !managerFound && samePerson(s.Stakeholder.Name, f.data.Manager) {
			c.manager, managerFound = true, true
		}
		cols = append(cols, c)
	}
	var lead []raciColumn
	if !sponsorFound && f.sponsor != "" {
		lead = append(lead, raciColumn{name: f.sponsor + " (sponsor)", sponsor: true})
		sponsorFound = true
	}
	if !managerFound {
		name := "Project manager (not named)"
		if f.manager != "" {
			name = f.manager + " (project manager)"
		}
		lead = append(lead, raciColumn{name: name, manager: true})
	}
	return append(lead, cols...)
}

func (c raciColumn) code(wpTerms map[string]bool, anySponsor bool) string {
	switch {
	case c.sponsor && c.manager:
		return "A/R"
	case c.sponsor:
		return "A"
	case c.manager && !anySponsor:
		return "A/R"
	case c.manager:
		return "R"
	case !c.listed:
		return ""
	case shares(c.terms, wpTerms):
		return "C"
	case c.quadrant != monitor:
		return "I"
	default:
		return "–"
	}
}

// writeRACI assigns roles per deliverable and checks that every deliverable
// has exactly one Accountable and at least one Responsible.
func writeRACI(f *facts, d *doc) {
	d.para("Rules: the sponsor is **A**ccountable for every deliverable and the project manager **R**esponsible. Other stakeholders are **C**onsulted where their name or role shares a key term with the deliverable, **I**nformed where their interest or influence is 4 or more, and otherwise have no role (–).")
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided + " The matrix needs the deliverables from the Work Breakdown Structure.")
		return
	}
	cols := raciColumns(f)
	anySponsor := false
	for _, c := range cols {
		anySponsor = anySponsor || c.sponsor
	}
	head := []string{"WBS ID", "Deliverable"}
	for _, c := range cols {
		head = append(head, c.name)
	}
	t := newTable(head...)
	var problems []string
	counts := map[string]int{}
	for _, wp := range f.wbs {
		wpTerms := keyTerms(wp.Name, wp.Desc) // escaping adds no letters
		row := []string{wp.ID, wp.Name}
		a, r := 0, 0
		for _, c := range cols {
			code := c.code(wpTerms, anySponsor)
			row = append(row, code)
			counts[code]++
			if strings.Contains(code, "A") {
				a++
			}
			if strings.Contains(code, "R") {
				r++
			}
		}
		t.row(row...)
		if a != 1 || r < 1 {
			problems = append(problems, fmt.Sprintf("%s %s has %d accountable and %d responsible", wp.ID, wp.Name, a, r))
		}
	}
	t.write(d)

	d.h(2, "Checks")
	if len(problems) == 0 {
		d.list(fmt.Sprintf("Every one of the %s has exactly one Accountable and at least one Responsible.", plural(len(f.wbs), "deliverable", "deliverables")),
			fmt.Sprintf("Consulted: %d assignments. Informed: %d assignments.", counts["C"], counts["I"]))
	} else {
		d.list(problems...)
	}
	if !anySponsor {
		d.para("No sponsor is named, so the project manager is both accountable and responsible. Name a sponsor before approval.")
	}

	d.h(2, "Legend")
	d.list("**R** Responsible: does the work.", "**A** Accountable: approves the result; one per deliverable.",
		"**C** Consulted: gives input before decisions.", "**I** Informed: told of progress and decisions.")
}
