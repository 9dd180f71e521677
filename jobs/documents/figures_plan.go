package documents

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"dossier/models"
)

// Effort rules, stated in the WBS: each deliverable N becomes work package N
// with three sub-packages. N.1 "Plan and design" and N.3 "Verify and accept"
// each take 20% of the deliverable's effort rounded to the nearest half day;
// N.2 "Build" takes the rest, so the parts always add up to the whole.
// Efforts that are negative or not numbers count as 0 and are flagged; a
// single deliverable is capped at maxEffort days.
const (
	planShare   = 0.2
	verifyShare = 0.2
	maxEffort   = 10000
	// maxScheduleDays (about 40 years) bounds the schedule: beyond it dates
	// mean nothing, and arithmetic on them would only waste time.
	maxScheduleDays = 10000
)

type workPackage struct {
	ID     string // "3"
	Name   string // escaped, never empty
	Desc   string // escaped
	Effort float64
	Parts  [3]subPackage
}

type subPackage struct {
	ID     string // "3.1"
	Name   string
	Effort float64
}

func halfDays(x float64) float64 { return math.Round(x*2) / 2 }

func breakDown(in []models.Deliverable) ([]workPackage, []string) {
	var out []workPackage
	var notes []string
	for i, d := range in {
		id := strconv.Itoa(i + 1)
		wp := workPackage{ID: id, Name: escOr(d.Name, "Deliverable "+id), Desc: esc(d.Description)}
		e := d.EffortDays
		switch {
		case math.IsNaN(e) || math.IsInf(e, 0) || e < 0:
			notes = append(notes, fmt.Sprintf("%s: effort %s is not a valid number of days and counts as 0.", wp.Name, strconv.FormatFloat(e, 'g', 6, 64)))
			e = 0
		case e > maxEffort:
			notes = append(notes, fmt.Sprintf("%s: effort of %s days exceeds the %s-day ceiling and was capped.", wp.Name, fmtDays(e), fmtNum(maxEffort, 0)))
			e = maxEffort
		case e == 0:
			notes = append(notes, fmt.Sprintf("%s: no effort estimate provided.", wp.Name))
		}
		wp.Effort = e
		p, v := halfDays(e*planShare), halfDays(e*verifyShare)
		wp.Parts = [3]subPackage{
			{ID: id + ".1", Name: "Plan and design", Effort: p},
			{ID: id + ".2", Name: "Build", Effort: math.Max(e-p-v, 0)},
			{ID: id + ".3", Name: "Verify and accept", Effort: v},
		}
		out = append(out, wp)
	}
	return out, notes
}

func totalEffort(wbs []workPackage) float64 {
	var t float64
	for _, wp := range wbs {
		t += wp.Effort
	}
	return t
}

// Scheduling rule, stated in the schedule: work packages run one after the
// other in the order given, from the start date (moved to the next Monday if
// it falls on a weekend). Each takes its effort rounded up to whole working
// days (Monday to Friday, no public holidays), as if one team worked on one
// package at a time. A package starts on the working day after the previous
// one finishes.
type schedule struct {
	ok       bool // a start date exists and at least one package is scheduled
	tooLong  int  // total working days when they exceed maxScheduleDays, else 0
	items    []scheduledPackage
	start    time.Time
	finish   time.Time
	days     int // working days from first start to finish
	capacity int // working days between start and end date, both included
	variance int // days beyond (positive) or before (negative) the end date
	hasEnd   bool
}

type scheduledPackage struct {
	wp     *workPackage
	days   int
	start  time.Time
	finish time.Time
}

func durationDays(effort float64) int { return int(math.Ceil(effort)) }

func plan(wbs []workPackage, start time.Time, hasStart bool, end time.Time, hasEnd bool) schedule {
	s := schedule{hasEnd: hasEnd}
	if !hasStart || len(wbs) == 0 {
		return s
	}
	total := 0
	for _, wp := range wbs {
		total += durationDays(wp.Effort)
		if total > maxScheduleDays {
			s.tooLong = total
			return s
		}
	}
	s.ok = true
	s.start = nextWorkday(start)
	cursor := s.start
	s.finish = s.start
	for i := range wbs {
		n := durationDays(wbs[i].Effort)
		sp := scheduledPackage{wp: &wbs[i], days: n, start: cursor, finish: cursor}
		if n > 0 {
			sp.finish = addWorkdays(cursor, n-1)
			cursor = addWorkdays(sp.finish, 1)
			s.finish = sp.finish
			s.days += n
		}
		s.items = append(s.items, sp)
	}
	if hasEnd {
		s.capacity = workdaysBetween(s.start, end)
		switch {
		case s.finish.After(end):
			s.variance = workdaysBetween(end.AddDate(0, 0, 1), s.finish)
		default:
			s.variance = -workdaysBetween(s.finish.AddDate(0, 0, 1), end)
		}
	}
	return s
}

// at describes where the plan stands on a date: packages finished by then,
// the one in progress, and the effort completed.
func (s schedule) at(t time.Time) (done []string, inProgress string, pct float64) {
	var doneDays, total int
	for _, it := range s.items {
		total += it.days
		switch {
		case it.days > 0 && !it.finish.After(t):
			done = append(done, it.wp.ID)
			doneDays += it.days
		case it.days > 0 && !it.start.After(t):
			inProgress = it.wp.ID
			doneDays += workdaysBetween(it.start, t)
		}
	}
	if total > 0 {
		pct = 100 * float64(doneDays) / float64(total)
	}
	return done, inProgress, pct
}
