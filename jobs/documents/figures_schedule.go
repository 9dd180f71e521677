package documents

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"dossier/models"
)

// Scheduling rule, stated in the schedule: a work package starts with the
// project (its start date, moved to the Monday if it falls on a weekend), or
// on the working day after the last of the packages it depends on finishes.
// Packages without a dependency between them run in parallel. A package
// takes its effort divided by the people on it, rounded up to whole working
// days (Monday to Friday, no public holidays). The critical path is the chain
// of packages that sets the finish date: any delay on it delays the project.
//
// The charter, the executive summary and the business case read the same
// schedule value, so their dates cannot disagree.
type schedule struct {
	// planned: the packages have durations, an order and a critical path,
	// counted in working days from the start (there are deliverables and
	// the plan is not too long). ok: they have calendar dates too (a valid
	// start date). A plan without dates still states its length, order and
	// critical path, in working days and relative weeks.
	planned  bool
	ok       bool // planned, and a start date exists
	tooLong  int  // working days when the finish is beyond maxScheduleDays, else 0
	noEffort bool // there are deliverables, but none has any effort to schedule
	items    []scheduledPackage
	start    time.Time
	finish   time.Time
	days     int // working days from the start to the finish, both included
	capacity int // working days between start and end date, both included
	variance int // days beyond (positive) or before (negative) the end date
	hasEnd   bool
	critical []int // indexes into items, first to last
	// order is the plan's order of the items: by start, then in dependency
	// order (a package after those it waits for), then by WBS number.
	order []int
	// milestones are checked against the finish of the work they require,
	// in date order (milestoneOrder).
	milestones []milestoneCheck
	notes      []string // escaped: ignored dependencies
}

type scheduledPackage struct {
	wp       *workPackage
	days     int   // working days: ⌈effort ÷ people⌉
	deps     []int // indexes of the packages it waits for
	from, to int   // working-day offsets from the start: [from, to)
	start    time.Time
	finish   time.Time // last working day; equals start when days is 0
	critical bool
}

// milestoneCheck compares a milestone's date with the finish of the work
// packages it requires.
type milestoneCheck struct {
	index    int    // position in the project data's milestones
	name     string // escaped
	raw      string // date as given
	date     time.Time
	dateOK   bool
	requires []int     // indexes into items
	ready    time.Time // when the last required package finishes
	readyTo  int       // working days from the start until the required work is done
	dated    bool      // the schedule has dates, so the milestone can be checked
	atRisk   bool
	gap      int // working days the required work finishes after the milestone (at risk) or before it
}

func plan(wbs []workPackage, ms []models.Milestone, start time.Time, hasStart bool, end time.Time, hasEnd bool) schedule {
	s := schedule{hasEnd: hasEnd}
	if len(wbs) == 0 {
		return s
	}
	s.items = make([]scheduledPackage, len(wbs))
	byName := map[string]int{}
	for i := range wbs {
		s.items[i] = scheduledPackage{wp: &wbs[i], days: int(math.Ceil(wbs[i].Effort / float64(wbs[i].People)))}
		if k := models.NameKey(wbs[i].raw); k != "" {
			if _, dup := byName[k]; !dup {
				byName[k] = i
			}
		}
	}
	for i := range wbs {
		for _, name := range wbs[i].DependsOn {
			k, ok := byName[models.NameKey(name)]
			switch {
			case !ok:
				s.notes = append(s.notes, fmt.Sprintf("%s depends on “%s”, which is not a deliverable; that dependency is ignored.", wbs[i].Name, esc(name)))
			case k != i:
				s.items[i].deps = append(s.items[i].deps, k)
			}
		}
	}
	// Kahn's algorithm: a package is placed once everything it waits for is.
	placed := make([]bool, len(s.items))
	waiting := make([]int, len(s.items))
	users := make([][]int, len(s.items))
	for i, it := range s.items {
		waiting[i] = len(it.deps)
		for _, d := range it.deps {
			users[d] = append(users[d], i)
		}
	}
	var queue []int
	for i := range s.items {
		if waiting[i] == 0 {
			queue = append(queue, i)
		}
	}
	place := func(i int) {
		it := &s.items[i]
		for _, d := range it.deps {
			if placed[d] {
				it.from = max(it.from, s.items[d].to)
			}
		}
		it.to = it.from + it.days
		placed[i] = true
	}
	var placedOrder []int
	for len(queue) > 0 || !all(placed) {
		if len(queue) == 0 {
			// Only packages on a dependency cycle are left: place the first,
			// ignoring what it waits for that is not placed yet.
			for i := range placed {
				if !placed[i] {
					var cyc []string
					for _, d := range s.items[i].deps {
						if !placed[d] {
							cyc = append(cyc, s.items[d].wp.Name)
						}
					}
					s.notes = append(s.notes, fmt.Sprintf("%s depend on each other (a cycle); %s starts without waiting for %s.",
						andList(append([]string{s.items[i].wp.Name}, cyc...)), s.items[i].wp.Name, isAre(len(cyc), "it", "them")))
					queue = append(queue, i)
					waiting[i] = 0
					break
				}
			}
		}
		i := queue[0]
		queue = queue[1:]
		if placed[i] {
			continue
		}
		place(i)
		placedOrder = append(placedOrder, i)
		for _, u := range users[i] {
			if waiting[u]--; waiting[u] == 0 && !placed[u] {
				queue = append(queue, u)
			}
		}
	}
	last := 0
	for i, it := range s.items {
		if it.to > s.items[last].to {
			last = i
		}
	}
	if s.items[last].to > maxScheduleDays {
		s.tooLong = s.items[last].to
		s.items = nil
		return s
	}
	if s.items[last].to == 0 {
		s.noEffort = true
		s.items = nil
		return s
	}
	s.planned = true
	s.days = s.items[last].to
	rank := make([]int, len(s.items))
	for r, i := range placedOrder {
		rank[i] = r
	}
	s.order = make([]int, len(s.items))
	for i := range s.order {
		s.order[i] = i
	}
	slices.SortStableFunc(s.order, func(a, b int) int {
		return cmp.Or(cmp.Compare(s.items[a].from, s.items[b].from), cmp.Compare(rank[a], rank[b]))
	})
	// Walk back from the last package to finish along the dependency that
	// made each one wait.
	for i := last; ; {
		s.items[i].critical = true
		s.critical = append([]int{i}, s.critical...)
		next := -1
		for _, d := range s.items[i].deps {
			if s.items[d].to == s.items[i].from && s.items[i].from > 0 {
				next = d
				break
			}
		}
		if next < 0 {
			break
		}
		i = next
	}
	if hasStart {
		s.ok = true
		s.start = nextWorkday(start)
		for i := range s.items {
			it := &s.items[i]
			it.start = addWorkdays(s.start, it.from)
			it.finish = it.start
			if it.days > 0 {
				it.finish = addWorkdays(s.start, it.to-1)
			}
		}
		s.finish = s.items[last].finish
	}
	if s.ok && hasEnd {
		s.capacity = workdaysBetween(s.start, end)
		switch {
		case s.finish.After(end):
			s.variance = workdaysBetween(end.AddDate(0, 0, 1), s.finish)
		default:
			s.variance = -workdaysBetween(s.finish.AddDate(0, 0, 1), end)
		}
	}
	s.milestones = checkMilestones(s, ms, byName)
	return s
}

func all(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// checkMilestones flags a milestone "at risk" when the work it requires
// finishes after its date; the gap is the working days in between.
func checkMilestones(s schedule, ms []models.Milestone, byName map[string]int) []milestoneCheck {
	var out []milestoneCheck
	for _, i := range milestoneOrder(ms) {
		m := ms[i]
		c := milestoneCheck{index: i, name: escOr(m.Name, fmt.Sprintf("Milestone %d", i+1)), raw: m.Date}
		c.date, c.dateOK = parseDate(m.Date)
		for _, r := range m.Requires {
			if k, ok := byName[models.NameKey(r)]; ok {
				c.requires = append(c.requires, k)
				if f := s.items[k].finish; f.After(c.ready) {
					c.ready = f
				}
				c.readyTo = max(c.readyTo, s.items[k].to)
			}
		}
		c.dated = s.ok
		if c.dated && c.dateOK && len(c.requires) > 0 {
			if c.ready.After(c.date) {
				c.atRisk = true
				c.gap = workdaysBetween(c.date.AddDate(0, 0, 1), c.ready)
			} else {
				c.gap = workdaysBetween(c.ready.AddDate(0, 0, 1), c.date)
			}
		}
		out = append(out, c)
	}
	return out
}

// criticalNames names the critical path: "1 Discovery → 2 Front end".
func (s schedule) criticalNames() string {
	var names []string
	for _, i := range s.critical {
		names = append(names, s.items[i].wp.Name)
	}
	return strings.Join(names, " → ")
}

// milestone returns the check of the project data's milestone i.
func (s schedule) milestone(i int) (milestoneCheck, bool) {
	for _, m := range s.milestones {
		if m.index == i {
			return m, true
		}
	}
	return milestoneCheck{}, false
}

// atRisk lists the milestones at risk.
func (s schedule) atRisk() []milestoneCheck {
	var out []milestoneCheck
	for _, m := range s.milestones {
		if m.atRisk {
			out = append(out, m)
		}
	}
	return out
}

// dateProblem says which of the two a milestone's unusable date is: none
// set yet, or one that is not a date, so that the reader knows whether to
// add it or correct it.
func dateProblem(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "No date set yet"
	}
	return "Not a valid date"
}

// status says how a milestone stands against its required work.
func (m milestoneCheck) status() string {
	switch {
	case !m.dateOK && len(m.requires) > 0 && m.dated:
		return dateProblem(m.raw) + ": the required work finishes on " + fmtDate(m.ready)
	case !m.dateOK && len(m.requires) > 0:
		return dateProblem(m.raw) + ": the required work is done by the end of " + weekOf(m.readyTo)
	case !m.dateOK:
		return dateProblem(m.raw)
	case len(m.requires) == 0:
		return "No required work stated"
	case !m.dated:
		return "Checked once a start date is set; the required work is done by the end of " + weekOf(m.readyTo)
	case m.atRisk:
		return fmt.Sprintf("**At risk**: the required work finishes %s later, on %s", plural(m.gap, "working day", "working days"), fmtDate(m.ready))
	case m.gap == 0:
		return "On track, no slack: the required work finishes on the milestone date"
	default:
		return fmt.Sprintf("On track: %s to spare", plural(m.gap, "working day", "working days"))
	}
}

// Relative weeks: without a start date, the plan counts working days from
// the start, and week n is working days 5n−4 to 5n (week 1 is the first
// five working days).

// weekOf names the week in which a run of working days ending at offset to
// (exclusive) ends: "week 3". A run of no days ends in week 1 at the latest.
func weekOf(to int) string {
	return fmt.Sprintf("week %d", max(to-1, 0)/5+1)
}

// weeksOf names the weeks a package runs in: "week 1", "weeks 3–5".
func weeksOf(from, to int) string {
	a, b := from/5+1, max(to-1, from)/5+1
	if a == b {
		return fmt.Sprintf("week %d", a)
	}
	return fmt.Sprintf("weeks %d–%d", a, b)
}
