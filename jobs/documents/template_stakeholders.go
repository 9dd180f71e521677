package documents

import (
	"fmt"
	"strconv"
	"strings"
)

// writeStakeholders places everyone on the power/interest grid; the
// communication plan and RACI matrix follow from where they land.
func writeStakeholders(f *facts, d *doc) {
	d.para(fmt.Sprintf("Grid rule: influence and interest are scored 1–5; a score of %d or more is high. High influence and high interest: manage closely. High influence only: keep satisfied. High interest only: keep informed. Neither: monitor. A score not given counts as %d until it is set; one outside 1–5 counts as the nearest bound. Either is listed under Data quality notes.", highScore, missingScore))
	if len(f.stakeholders) == 0 {
		d.para("Stakeholders: " + notProvided + " Identify at least the sponsor, the people who will use the result and those who must approve it.")
		return
	}
	d.h(2, "Register")
	t := newTable("#", "Stakeholder", "Role", "Interest", "Influence", "Grid position", "Engagement strategy").right(3, 4)
	for _, s := range f.stakeholders {
		strategy := s.Quadrant.strategy()
		contact := " Contact: " + strings.ToLower(s.Quadrant.cadence()) + "."
		switch {
		case isSponsor(s, f.data.Sponsor):
			strategy = "Sponsor: accountable for the outcome. " + strategy
		case isManager(s, f.data.Manager):
			strategy, contact = "Project manager: runs the project day to day and sends the messages of the Communication Plan; reports to the sponsor weekly.", ""
		}
		t.row(strconv.Itoa(s.Order), s.Name, cmpOr(s.Role, notProvided), strconv.Itoa(s.Interest), strconv.Itoa(s.Influence),
			s.Quadrant.String(), strategy+contact)
	}
	t.write(d)

	d.h(2, "Power/interest grid")
	d.figure(gridChart(f))
	names := groupByQuadrant(f)
	g := newTable(" ", "Lower interest (1–3)", "High interest (4–5)")
	g.row("**High influence (4–5)**", "Keep satisfied: "+names[keepSatisfied], "Manage closely: "+names[manageClosely])
	g.row("**Lower influence (1–3)**", "Monitor: "+names[monitor], "Keep informed: "+names[keepInformed])
	g.write(d)

	d.h(2, "Summary")
	var lines []string
	for _, q := range quadrants {
		n := "none"
		if c := countIn(f, q); c > 0 {
			n = plural(c, "stakeholder", "stakeholders")
		}
		lines = append(lines, fmt.Sprintf("**%s** (%s): %s", q, q.rule(), n))
	}
	d.list(lines...)
	notesSection(d, f.stakeNotes)
}

// groupByQuadrant lists the stakeholder names in each quadrant, in input order.
func groupByQuadrant(f *facts) map[quadrant]string {
	lists := map[quadrant][]string{}
	for _, s := range f.stakeholders {
		lists[s.Quadrant] = append(lists[s.Quadrant], s.Name)
	}
	out := map[quadrant]string{}
	for _, q := range quadrants {
		out[q] = cmpOr(strings.Join(lists[q], ", "), "none")
	}
	return out
}

func countIn(f *facts, q quadrant) int {
	n := 0
	for _, s := range f.stakeholders {
		if s.Quadrant == q {
			n++
		}
	}
	return n
}
