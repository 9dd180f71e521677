package documents

import (
	"fmt"
	"slices"
	"strings"
)

// RACI rules, stated in the matrix. Rows are the deliverables, grouped by
// the phases of the WBS, each phase closed by its milestone's sign-off.
// Columns are the people the project data names: the project manager, the
// sponsor, every stakeholder, and risk owners who are none of these.
//   - Deliverable rows: the deliverable's owner is Responsible (the owner
//     the data names, matched to a column by name, case aside, or given a
//     column of their own; without one, the project manager, as in the
//     WBS); the sponsor is Accountable, as the Scope Statement's
//     acceptance rule has the sponsor sign each deliverable off. A
//     stakeholder is Consulted where their name or role shares a key term
//     with the deliverable, a risk owner where a risk they own does;
//     otherwise a stakeholder of high interest or influence is Informed,
//     and so is the project manager on a deliverable someone else owns.
//   - Milestone rows: the sponsor is Accountable for the sign-off and the
//     project manager Responsible; everyone responsible for or consulted
//     on the phase's deliverables is Consulted, everyone else Informed (the
//     Communication Plan reports every milestone to every stakeholder).
//
// Without a sponsor the project manager is both ("A/R"), and the matrix
// says that needs fixing.
type raciColumn struct {
	name     string // escaped column heading
	sponsor  bool
	manager  bool
	terms    map[string]bool // from the stakeholder's name and role
	risks    map[string]bool // from the descriptions of the risks they own
	quadrant quadrant
	listed   bool // is a stakeholder (not only a field)
	// person is the escaped name of a column that is none of the above,
	// only a deliverable's or a risk's owner; its name adds why it is there.
	person string
}

func raciColumns(f *facts) []raciColumn {
	var cols []raciColumn
	sponsorFound, managerFound := false, false
	for _, s := range f.stakeholders {
		c := raciColumn{name: s.Name, terms: keyTerms(s.Stakeholder.Name, s.Stakeholder.Role), quadrant: s.Quadrant, listed: true}
		if !sponsorFound && isSponsor(s, f.data.Sponsor) {
			c.sponsor, sponsorFound = true, true
		}
		if !managerFound && isManager(s, f.data.Manager) {
			c.manager, managerFound = true, true
		}
		cols = append(cols, c)
	}
	var lead []raciColumn
	if !sponsorFound && f.sponsor != "" {
		lead = append(lead, raciColumn{name: f.sponsorShort + " (sponsor)", sponsor: true})
	}
	if !managerFound {
		name := "Project manager (not named)"
		if f.manager != "" {
			name = f.manager + " (project manager)"
		}
		lead = append(lead, raciColumn{name: name, manager: true})
	}
	cols = append(lead, cols...)
	// Deliverable owners who are nobody above get a column of their own.
	for _, wp := range f.wbs {
		if wp.owner != "" && ownerColumn(cols, wp.owner, f) < 0 {
			cols = append(cols, raciColumn{name: esc(wp.owner) + " (deliverable owner)", person: esc(wp.owner)})
		}
	}
	// Risk owners: their risks' terms join their column; an owner who is
	// nobody above gets a column of their own.
	for _, r := range f.data.Risks {
		owner := clean(r.Owner)
		if owner == "" {
			continue
		}
		k := ownerColumn(cols, owner, f)
		if k < 0 {
			cols = append(cols, raciColumn{name: esc(owner) + " (risk owner)", person: esc(owner)})
			k = len(cols) - 1
		}
		if cols[k].risks == nil {
			cols[k].risks = map[string]bool{}
		}
		for t := range keyTerms(r.Description) {
			cols[k].risks[t] = true
		}
	}
	return cols
}

// personName is the column's person as a text names them: its heading
// without what it adds to say why the column is there.
func (c raciColumn) personName(f *facts) string {
	switch {
	case c.person != "":
		return c.person
	case c.listed:
		return c.name
	case c.sponsor:
		return f.sponsorShort
	case c.manager && f.manager != "":
		return f.manager
	}
	return c.name
}

// ownerColumn is the position of owner's column, or -1: the first column,
// in the matrix's order, whose person owner names. The WBS resolves its
// owners by it too (deliverableOwner).
func ownerColumn(cols []raciColumn, owner string, f *facts) int {
	for i, c := range cols {
		if c.ownsAs(owner, f) {
			return i
		}
	}
	return -1
}

// ownsAs reports whether owner, as written on a risk or a deliverable, is
// this column's person.
func (c raciColumn) ownsAs(owner string, f *facts) bool {
	switch {
	case c.person != "":
		return strings.EqualFold(c.person, esc(owner))
	case c.manager && samePerson(owner, f.data.Manager), c.sponsor && samePerson(shortName(f.data.Sponsor), owner):
		return true
	}
	return strings.EqualFold(c.name, esc(owner)) || samePerson(owner, unescapeTitle(c.name))
}

// deliverableCode is the column's role on one deliverable. owns says the
// column is the owner the deliverable names; owned, that it names one
// (without one, the project manager owns it).
func (c raciColumn) deliverableCode(wpTerms map[string]bool, owns, owned, anySponsor bool) string {
	if !owned {
		owns = c.manager
	}
	accountable := c.sponsor || c.manager && !anySponsor
	switch {
	case owns && accountable:
		return "A/R"
	case owns:
		return "R"
	case accountable:
		return "A"
	case c.listed && shares(c.terms, wpTerms), shares(c.risks, wpTerms):
		return "C"
	case c.listed && c.quadrant != monitor, c.manager:
		return "I"
	default:
		return "–"
	}
}

// signOffCode is the column's role on a milestone's sign-off, given whether
// it was consulted on any of the phase's deliverables.
func (c raciColumn) signOffCode(consulted, anySponsor bool) string {
	switch {
	case c.sponsor && c.manager, c.manager && !anySponsor:
		return "A/R"
	case c.sponsor:
		return "A"
	case c.manager:
		return "R"
	case consulted:
		return "C"
	default:
		return "I"
	}
}

// writeRACI assigns roles per deliverable and milestone and checks that
// every row has exactly one Accountable and at least one Responsible.
func writeRACI(f *facts, d *doc) {
	rules := "Rules: rows are the deliverables in the order the Project Schedule starts them (by start, then after what they depend on), each milestone's sign-off following the last deliverable of its phase in the Work Breakdown Structure; columns are the project manager, the sponsor, the stakeholders and any other risk owner. " +
		"On a deliverable, its owner is **R**esponsible and the sponsor **A**ccountable, as the sponsor signs each deliverable off (Scope Statement). A stakeholder is **C**onsulted where their name or role shares a key term with the deliverable's name or description, and anyone is Consulted where a risk they own does (a key term is a whole word of five letters or more, not a common one, with case and plurals aside; a hyphenated word such as “front-line” is one word, so “front” does not match it); otherwise stakeholders whose interest or influence is 4 or more are **I**nformed, and the rest have no role (–). " +
		"On a milestone sign-off, the sponsor is Accountable and the project manager Responsible; whoever was consulted on the phase's deliverables is Consulted and everyone else Informed."
	if slices.ContainsFunc(f.wbs, func(wp workPackage) bool { return wp.owner != "" }) {
		rules += " A deliverable's owner is the one the project data names, in the column of the person of that name (or a column of their own, marked deliverable owner), or else the project manager. " +
			"The project manager is at least Informed on a deliverable someone else owns, and an owner is Consulted on the sign-off that closes their deliverable's phase."
	}
	d.para(rules)
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided + " The matrix needs the deliverables from the Work Breakdown Structure.")
		return
	}
	d.h(2, "Matrix")
	cols := raciColumns(f)
	anySponsor := false
	for _, c := range cols {
		anySponsor = anySponsor || c.sponsor
	}
	head := []string{"ID", "Deliverable or milestone"}
	for _, c := range cols {
		head = append(head, c.name)
	}
	t := newTable(head...)
	var problems []string
	counts := map[string]int{}
	rows := 0
	check := func(id, name string, codes []string) {
		a, r := 0, 0
		for _, code := range codes {
			counts[code]++
			if strings.Contains(code, "A") {
				a++
			}
			if strings.Contains(code, "R") {
				r++
			}
		}
		if a != 1 || r < 1 {
			problems = append(problems, fmt.Sprintf("%s %s has %d accountable and %d responsible", id, name, a, r))
		}
		t.row(append([]string{id, name}, codes...)...)
		rows++
	}
	// The codes of each deliverable and sign-off, phase by phase: a
	// sign-off consults whoever was consulted on its phase's deliverables.
	wpCodes := make([][]string, len(f.wbs))
	signOff := make([][]string, len(f.phases))
	for i, p := range f.phases {
		consulted := make([]bool, len(cols))
		for _, k := range p.packages {
			wp := f.wbs[k]
			wpTerms := keyTerms(wp.Name, wp.Desc) // escaping adds no letters
			owner := -1
			if wp.owner != "" {
				owner = ownerColumn(cols, wp.owner, f)
			}
			codes := make([]string, len(cols))
			for j, c := range cols {
				codes[j] = c.deliverableCode(wpTerms, j == owner, owner >= 0, anySponsor)
				consulted[j] = consulted[j] || codes[j] == "C" || codes[j] == "R"
			}
			wpCodes[k] = codes
		}
		if p.milestone < 0 {
			continue
		}
		codes := make([]string, len(cols))
		for j, c := range cols {
			codes[j] = c.signOffCode(consulted[j], anySponsor)
		}
		signOff[i] = codes
	}
	// Rows in the plan's order: the deliverables as the schedule starts
	// them, each sign-off after the last deliverable of its phase and after
	// the sign-offs before it.
	order := planOrder(f)
	pos := make([]int, len(f.wbs))
	for n, k := range order {
		pos[k] = n
	}
	after := make([]int, len(f.phases)) // a sign-off follows the row at this position
	last := -1
	for i, p := range f.phases {
		for _, k := range p.packages {
			last = max(last, pos[k])
		}
		after[i] = last
	}
	emitted := 0
	signOffs := func(upTo int) {
		for ; emitted < len(f.phases) && (f.phases[emitted].milestone < 0 || after[emitted] <= upTo); emitted++ {
			if p := f.phases[emitted]; p.milestone >= 0 {
				check(fmt.Sprintf("M%d", emitted+1), "_Sign-off: "+p.name+"_", signOff[emitted])
			}
		}
	}
	signOffs(-1)
	for n, k := range order {
		wp := f.wbs[k]
		name := wp.Name
		if f.phases[f.phaseOf[k]].milestone < 0 && len(f.phases) > 1 {
			name += " (" + strings.ToLower(untiedPhase[:1]) + untiedPhase[1:] + ")"
		}
		check(wp.ID, name, wpCodes[k])
		signOffs(n)
	}
	t.write(d)
	if note := ownerNote(f); note != "" {
		d.para(note)
	}

	d.h(2, "Checks")
	if len(problems) == 0 {
		d.list(fmt.Sprintf("Every one of the %s has exactly one Accountable and at least one Responsible.", plural(rows, "row", "rows")),
			fmt.Sprintf("Consulted: %s. Informed: %s.", countOrNone(counts["C"], "assignment", "assignments"), countOrNone(counts["I"], "assignment", "assignments")))
	} else {
		d.list(problems...)
	}
	if !anySponsor {
		d.para("No sponsor is named, so the project manager is both accountable and responsible. Name a sponsor before approval.")
	}

	d.h(2, "Legend")
	legend := []string{"**R** Responsible: does the work.", "**A** Accountable: approves the result; one per row.",
		"**C** Consulted: gives input before decisions.", "**I** Informed: told of progress and decisions."}
	if len(f.data.Milestones) > 0 {
		legend = append(legend, "**M1**, **M2**…: the milestone that closes phase 1, 2… of the Work Breakdown Structure.")
	}
	d.list(legend...)
	notesSection(d, f.phaseNotes)
}

// planOrder is the work packages in the plan's order: as the schedule
// starts them (by start, then after what they depend on, then by WBS
// number), or in WBS order when there is no plan.
func planOrder(f *facts) []int {
	if f.sched.planned {
		return f.sched.order
	}
	order := make([]int, len(f.wbs))
	for i := range order {
		order[i] = i
	}
	return order
}

// countOrNone is plural, or "none" for a count of nothing.
func countOrNone(n int, one, many string) string {
	if n == 0 {
		return "none"
	}
	return plural(n, one, many)
}
