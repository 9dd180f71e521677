package documents

import (
	"fmt"
	"slices"
	"time"

	"dossier/models"
)

// Phase rule, stated in the WBS and the RACI matrix: each milestone closes
// a phase, and the phases run in milestone date order (milestones without a
// valid date last, in the order given). A deliverable belongs to the phase
// of the earliest milestone that requires it, so the WBS, the schedule's
// milestone table and the RACI's sign-off rows name the same phases.
// Deliverables that no milestone requires are grouped last, under no
// milestone, and said to be so: the data does not say when they are signed
// off, and the documents do not guess.
type phase struct {
	milestone int    // index into the project's milestones; -1 for the group of untied deliverables
	name      string // escaped milestone name, or untiedPhase
	rawDate   string
	date      time.Time
	dateOK    bool
	packages  []int // indexes into the WBS, in WBS order
}

const untiedPhase = "Not tied to a milestone"

// phasesOf returns the phases in order and, for each work package, the
// index of its phase; notes name the requirements it had to ignore or could
// not meet.
func phasesOf(wbs []workPackage, ms []models.Milestone) (phases []phase, phaseOf []int, notes []string) {
	byName := map[string]int{}
	for i, wp := range wbs {
		if k := models.NameKey(wp.raw); k != "" {
			if _, dup := byName[k]; !dup {
				byName[k] = i
			}
		}
	}
	for _, i := range milestoneOrder(ms) {
		m := ms[i]
		p := phase{milestone: i, name: escOr(m.Name, fmt.Sprintf("Milestone %d", i+1)), rawDate: m.Date}
		p.date, p.dateOK = parseDate(m.Date)
		phases = append(phases, p)
	}
	phaseOf = make([]int, len(wbs))
	for i := range phaseOf {
		phaseOf[i] = -1
	}
	for pi, p := range phases {
		m := ms[p.milestone]
		for _, r := range m.Requires {
			k, ok := byName[models.NameKey(r)]
			switch {
			case !ok:
				notes = append(notes, fmt.Sprintf("Milestone %s requires “%s”, which is not a deliverable; that requirement is ignored.", p.name, esc(r)))
			case phaseOf[k] < 0:
				phaseOf[k] = pi
			}
		}
		if len(m.Requires) == 0 {
			notes = append(notes, fmt.Sprintf("Milestone %s requires no deliverable, so its phase has no work packages. Name the deliverables it needs.", p.name))
		}
	}
	var untied []string
	for i := range wbs {
		if phaseOf[i] < 0 {
			untied = append(untied, wbs[i].Name)
		}
	}
	if len(untied) > 0 {
		phases = append(phases, phase{milestone: -1, name: untiedPhase})
		for i := range phaseOf {
			if phaseOf[i] < 0 {
				phaseOf[i] = len(phases) - 1
			}
		}
		if len(ms) == 0 {
			notes = append(notes, "No milestones are given, so the work packages are not grouped into phases. Add milestones, each naming the deliverables it requires.")
		} else {
			notes = append(notes, fmt.Sprintf("No milestone requires %s, so %s signed off at no milestone and %s listed under “%s”. Name the milestone that needs %s.",
				andList(untied), isAre(len(untied), "it is", "they are"), isAre(len(untied), "is", "are"), untiedPhase, isAre(len(untied), "it", "them")))
		}
	}
	for i := range wbs {
		phases[phaseOf[i]].packages = append(phases[phaseOf[i]].packages, i)
	}
	return phases, phaseOf, notes
}

// milestoneOrder is the order every document lists milestones in: by date,
// those without a valid date last, in the order given (which also breaks
// ties). It returns indexes into ms; a milestone keeps its position in the
// project data as its number ("Milestone 3" when it has no name).
func milestoneOrder(ms []models.Milestone) []int {
	order := make([]int, len(ms))
	dates := make([]time.Time, len(ms))
	ok := make([]bool, len(ms))
	for i, m := range ms {
		order[i] = i
		dates[i], ok[i] = parseDate(m.Date)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case ok[a] && ok[b]:
			return dates[a].Compare(dates[b])
		case ok[a]:
			return -1
		case ok[b]:
			return 1
		}
		return 0
	})
	return order
}

func isAre(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// label is how a phase is named in a heading row: "Phase 2: Security sign-off".
func (p phase) label(i int) string {
	if p.milestone < 0 {
		return p.name
	}
	return fmt.Sprintf("Phase %d: %s", i+1, p.name)
}

// effort adds the phase's work packages' efforts.
func (p phase) effort(wbs []workPackage) float64 {
	var sub []workPackage
	for _, k := range p.packages {
		sub = append(sub, wbs[k])
	}
	return totalEffort(sub)
}
