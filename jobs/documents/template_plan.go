package documents

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// writeWBS groups the deliverables into the phases the milestones close and
// decomposes each into the same three parts, so that effort is visible at a
// level people can plan and track, and every figure is the one the schedule
// and the budget use.
func writeWBS(f *facts, d *doc) {
	d.para("Rule: each milestone closes a phase, in date order, and each deliverable from the Scope Statement sits in the phase of the earliest milestone that requires it, as in the schedule's milestone table. " +
		fmt.Sprintf("Each deliverable is a numbered work package with three parts. Plan and design (.1) and Verify and accept (.3) each take %.0f%% of its effort, rounded to the nearest half day; Build (.2) takes the rest, so the parts always add up to the deliverable.",
			planShare*100))
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided + " List the deliverables with effort estimates to build the structure.")
		return
	}
	total := totalEffort(f.wbs)
	b := f.budget

	d.h(2, "Phases")
	ph := newTable("Phase", "Milestone date", "Work packages", "Effort (days)", "Share", "Labour cost", "Milestone status").right(3, 4, 5)
	phaseEffort := make([]float64, len(f.phases))
	for i, p := range f.phases {
		phaseEffort[i] = p.effort(f.wbs)
	}
	phaseShare := sharesOf(phaseEffort)
	for i, p := range f.phases {
		ids, cost := []string{}, 0.0
		for _, k := range p.packages {
			ids = append(ids, f.wbs[k].ID)
			cost += b.cost(f.wbs[k].Effort)
		}
		date, status := "—", "—"
		if p.milestone >= 0 {
			date = dateOr(p.rawDate)
			if m, ok := f.sched.milestone(p.milestone); ok {
				status = m.status()
			}
		}
		ph.row(p.label(i), date, cmpOr(strings.Join(ids, ", "), "None"), fmtDays(phaseEffort[i]), fmtPct(phaseShare[i]), b.money(cost), status)
	}
	ph.row("**Total**", " ", " ", "**"+fmtDays(total)+"**", fmtPct(share(total, total)), "**"+b.money(b.labour)+"**", " ")
	ph.write(d)
	d.para(fmt.Sprintf("Labour cost is effort × %s a day, as in the Budget Estimate; the milestone status is the Project Schedule's.", b.rateText()))

	d.h(2, "Structure")
	t := newTable("WBS ID", "Work package", "Effort (days)", "Share of total").right(2, 3)
	efforts := make([]float64, len(f.wbs))
	for k, wp := range f.wbs {
		efforts[k] = wp.Effort
	}
	wpShare := sharesOf(efforts)
	for i, p := range f.phases {
		if len(p.packages) == 0 {
			continue
		}
		t.row(" ", "_"+p.label(i)+"_", " ", " ")
		for _, k := range p.packages {
			wp := f.wbs[k]
			t.row("**"+wp.ID+"**", "**"+wp.Name+"**", "**"+fmtDays(wp.Effort)+"**", fmtPct(wpShare[k]))
			for _, p := range wp.Parts {
				t.row(p.ID, p.Name, fmtDays(p.Effort), " ")
			}
		}
	}
	t.row(" ", "**Total**", "**"+fmtDays(total)+"**", fmtPct(share(total, total)))
	t.write(d)
	d.para("WBS IDs are the deliverables' numbers in the project data, the same in the schedule, the budget and the RACI matrix.")

	d.h(2, "Effort by part")
	var part [3]float64
	for _, wp := range f.wbs {
		for i, p := range wp.Parts {
			part[i] += p.Effort
		}
	}
	pt := newTable("Part", "Effort (days)", "Share").right(1, 2)
	partShare := sharesOf(part[:])
	for i, name := range []string{"Plan and design", "Build", "Verify and accept"} {
		pt.row(name, fmtDays(part[i]), fmtPct(partShare[i]))
	}
	pt.row("**Total**", "**"+fmtDays(total)+"**", fmtPct(share(total, total)))
	pt.write(d)

	d.h(2, "Work package descriptions")
	w := newTable("WBS ID", "Work package", "Description", "People", "Scheduled", "Owner").right(3)
	cols := raciColumns(f) // whom an owner names: the matrix's people
	for i, wp := range f.wbs {
		when := "Not scheduled (plan too long)"
		if f.sched.noEffort {
			when = "Not scheduled (no effort)"
		}
		if f.sched.planned {
			when = "Not scheduled (no effort)"
			switch it := f.sched.items[i]; {
			case it.days == 0:
			case f.sched.ok && it.start.Equal(it.finish):
				when = fmtDate(it.start) // one day, as dayRange gives it without dates
			case f.sched.ok:
				when = fmtDate(it.start) + " to " + fmtDate(it.finish)
			default:
				when = capitalise(weeksOf(it.from, it.to))
			}
		}
		w.row(wp.ID, wp.Name, cmpOr(wp.Desc, notProvided), fmt.Sprint(wp.People), when, deliverableOwner(f, cols, wp))
	}
	w.write(d)
	if f.sched.planned && !f.sched.ok {
		d.para(undatedNote(f) + " The Scheduled column counts weeks from the start, as the Project Schedule does (week 1 is the first five working days); calendar dates follow once a start date is set.")
	}
	if note := ownerNote(f); note != "" {
		d.para(note)
	}
	outOfScope := "The Scope Statement lists nothing out of scope yet."
	if n := nonEmpty(f.data.ScopeOut); n > 0 {
		outOfScope = fmt.Sprintf("Out-of-scope items (%d in the Scope Statement) have no work packages.", n)
	}
	d.para(outOfScope + " Project management effort is included in each package's Plan and design part.")
	notesSection(d, f.phaseNotes, f.wbsNotes)
}

// deliverableOwner is who answers for a work package: the owner the project
// data names, spelled as the person of the RACI column (of cols,
// raciColumns) it resolves to (the
// stakeholder, sponsor or manager it matches, by the matrix's own rule, so
// that the two documents name the same person), or else the project
// manager, marked as assumed: ownerNote says so in every document that
// shows it.
func deliverableOwner(f *facts, cols []raciColumn, wp workPackage) string {
	if o := wp.owner; o != "" {
		if k := ownerColumn(cols, o, f); k >= 0 {
			return cols[k].personName(f)
		}
		return esc(o)
	}
	if f.manager == "" {
		return "Project manager (not named)"
	}
	return f.manager + " (assumed)"
}

// ownerNote explains the assumed owners, or is "" when every deliverable
// has one.
func ownerNote(f *facts) string {
	var unowned []string
	for _, wp := range f.wbs {
		if wp.owner == "" {
			unowned = append(unowned, wp.Name)
		}
	}
	switch len(unowned) {
	case 0:
		return ""
	case len(f.wbs):
		return fmt.Sprintf("Owner: the project data names no owner for any deliverable, so the project manager (%s) is shown as the owner of every work package. This is an assumption, not an assignment: replace it with named owners before approval.",
			cmpOr(f.manager, "not named"))
	}
	their, owners := "their owner", "owners"
	if len(unowned) == 1 {
		their, owners = "its owner", "an owner"
	}
	return fmt.Sprintf("Owner: the project data names no owner for %s (%s), so the project manager (%s) is shown as %s. This is an assumption, not an assignment: name %s before approval.",
		plural(len(unowned), "deliverable", "deliverables"), strings.Join(unowned, ", "), cmpOr(f.manager, "not named"), their, owners)
}

func share(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * part / total
}

// writeSchedule turns effort into dates by a stated rule, names the critical
// path and checks each milestone against the work it requires. Without a
// start date it states what is known without one: each package's working
// days and relative weeks, the order, the critical path and its length.
func writeSchedule(f *facts, d *doc) {
	d.para("Rule: a work package starts with the project (a weekend start moves to the Monday) or on the working day after the last package it depends on finishes; packages that do not depend on each other run in parallel. Each takes its effort divided by the people working on it, rounded up to whole working days, Monday to Friday. Public holidays are not deducted; adjust for them locally.")
	s := f.sched
	switch {
	case len(f.wbs) == 0:
		d.para("Deliverables: " + notProvided + " The schedule needs the deliverables with their effort estimates.")
		notesSection(d, f.dateNotes)
		return
	case s.noEffort:
		d.para("Effort: no deliverable has an effort estimate, so there is nothing to schedule. Estimate the deliverables in person-days.")
		deliverablesTable(f, d)
		notesSection(d, f.dateNotes, f.wbsNotes, s.notes)
		return
	case s.tooLong > 0:
		d.para(fmt.Sprintf("The critical path adds up to more than %s working days, too long to schedule. Check the effort estimates or split the programme into projects.", fmtNum(maxScheduleDays, 0)))
		deliverablesTable(f, d)
		notesSection(d, f.dateNotes, f.wbsNotes, s.notes)
		return
	}
	if !s.ok {
		d.para(undatedNote(f) + " This plan therefore counts working days from the start: week 1 is the first five working days, week 2 the next five. Calendar dates follow once a start date is set.")
	}

	d.h(2, "Summary")
	var lines []string
	if s.ok {
		start := "Start: " + fmtDate(s.start) + "."
		if !s.start.Equal(f.start) {
			start = fmt.Sprintf("Start: %s (the start date, %s, is a weekend day).", fmtDate(s.start), fmtDate(f.start))
		}
		lines = append(lines, start,
			// The start and finish days both count: a plan of 25 working
			// days from Mon 1 Mar finishes on Fri 2 Apr, 24 working days
			// after it.
			fmt.Sprintf("Planned finish: %s; the plan takes %s.", fmtDate(s.finish), plural(s.days, "working day", "working days")))
	} else {
		lines = append(lines, "Start: "+sentence(dateOr(f.data.StartDate)),
			fmt.Sprintf("Length: the plan takes %s (%s).", plural(s.days, "working day", "working days"), weeksOf(0, s.days)))
	}
	switch {
	case s.ok && s.hasEnd:
		lines = append(lines, fmt.Sprintf("Committed end: %s, which allows %s. The plan finishes %s.",
			fmtDate(f.end), plural(s.capacity, "working day", "working days"), varianceText(s)))
	case s.hasEnd && s.days > 0:
		lines = append(lines, fmt.Sprintf("Committed end: %s. To finish by then, the work must start by %s.", fmtDate(f.end), fmtDate(latestStart(f.end, s.days))))
	default:
		lines = append(lines, "Committed end: "+sentence(dateOr(f.data.EndDate)))
	}
	lines = append(lines, fmt.Sprintf("Critical path: %s (%s). A day lost on any of these packages moves the finish.",
		s.criticalNames(), plural(s.days, "working day", "working days")))
	if r := s.atRisk(); len(r) > 0 {
		lines = append(lines, fmt.Sprintf("%s at risk: %s.", plural(len(r), "milestone", "milestones"), milestoneRiskList(r)))
	}
	d.list(lines...)

	d.h(2, "Timeline")
	d.figure(ganttChart(f))
	when := []string{"Start", "Finish"}
	if !s.ok {
		when = []string{"Days (from–to)", "Weeks"}
	}
	t := newTable("WBS ID", "Work package", "Effort (days)", "People", "Working days", "After", when[0], when[1]).right(2, 3, 4)
	for _, it := range s.items {
		start, finish := fmtDate(it.start), fmtDate(it.finish)
		if !s.ok {
			start, finish = dayRange(it.from, it.to), capitalise(weeksOf(it.from, it.to))
		}
		if it.days == 0 {
			start, finish = "Not scheduled (no effort)", ""
		}
		name := it.wp.Name
		if it.critical {
			name = "**" + name + "** (critical)"
		}
		t.row(it.wp.ID, name, fmtDays(it.wp.Effort), fmt.Sprint(it.wp.People), fmt.Sprint(it.days), afterText(s, it), start, finish)
	}
	start, finish := fmtDate(s.start), fmtDate(s.finish)
	if !s.ok {
		start, finish = dayRange(0, s.days), capitalise(weeksOf(0, s.days))
	}
	t.row(" ", "**Project**", "**"+fmtDays(totalEffort(f.wbs))+"**", " ", fmt.Sprintf("**%d**", s.days), " ", start, finish)
	t.write(d)
	d.para("Working days per package = ⌈effort ÷ people⌉. The project's working days run from the first start to the last finish; packages in parallel count once.")

	d.h(2, "Milestones against the plan")
	if len(s.milestones) == 0 {
		d.para("Milestones: " + notProvided)
	} else {
		readyHead := "Required work finishes"
		if !s.ok {
			readyHead = "Required work done by"
		}
		m := newTable("Milestone", "Target date", "Requires", readyHead, "Status")
		for _, ms := range s.milestones {
			req, ready := "—", "—"
			if len(ms.requires) > 0 {
				req, ready = wbsIDs(s, ms.requires), fmtDate(ms.ready)
				if !s.ok {
					ready = fmt.Sprintf("Working day %d (%s)", ms.readyTo, weekOf(ms.readyTo))
				}
			}
			m.row(ms.name, dateOr(ms.raw), req, ready, ms.status())
		}
		m.write(d)
		d.para("A milestone is at risk when the last work package it requires finishes after its date; the gap is counted in working days.")
	}

	d.h(2, "What the dates mean")
	d.para(scheduleAdvice(f))
	notesSection(d, f.dateNotes, f.wbsNotes, s.notes)
}

// undatedNote says why a plan has no calendar dates.
func undatedNote(f *facts) string {
	if strings.TrimSpace(f.data.StartDate) == "" {
		return "No start date is set."
	}
	return "The start date is not a valid date (see the data quality notes)."
}

// dayRange is the working days a run occupies, counted from 1: "1–10".
func dayRange(from, to int) string {
	if to-from <= 1 {
		return fmt.Sprint(from + 1)
	}
	return fmt.Sprintf("%d–%d", from+1, to)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// latestStart is the last day the work can start and still finish by end:
// days working days back from the last working day on or before end, both
// counted.
func latestStart(end time.Time, days int) time.Time {
	back := func(t time.Time) time.Time {
		for !isWorkday(t) {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}
	t := back(end)
	n := max(days-1, 0)
	t = t.AddDate(0, 0, -n/5*7)
	for range n % 5 {
		t = back(t.AddDate(0, 0, -1))
	}
	return t
}

// afterText lists the IDs of the packages an item waits for.
func afterText(s schedule, it scheduledPackage) string {
	if len(it.deps) == 0 {
		return "Start"
	}
	return wbsIDs(s, it.deps)
}

// wbsIDs lists the packages' WBS IDs in WBS order ("5, 7"), whatever the
// order the data named them in.
func wbsIDs(s schedule, idx []int) string {
	idx = slices.Clone(idx)
	slices.Sort(idx) // item i is WBS ID i+1
	idx = slices.Compact(idx)
	var ids []string
	for _, k := range idx {
		ids = append(ids, s.items[k].wp.ID)
	}
	return strings.Join(ids, ", ")
}

// milestoneRiskList names milestones at risk with their gaps.
func milestoneRiskList(ms []milestoneCheck) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s (%s, %s late)", m.name, fmtDate(m.date), plural(m.gap, "working day", "working days")))
	}
	return strings.Join(parts, "; ")
}

// scheduleAdvice names the recovery needed, if any.
func scheduleAdvice(f *facts) string {
	s := f.sched
	var out string
	switch {
	case !s.ok && s.hasEnd && s.days > 0:
		out = fmt.Sprintf("Set a start date to turn these working days into calendar dates and to check the milestones against them. To meet the committed end date of %s, the work must start by %s.", fmtDate(f.end), fmtDate(latestStart(f.end, s.days)))
	case !s.ok:
		out = fmt.Sprintf("Set a start date to turn these working days into calendar dates and to check the milestones against them; then agree a committed end date with the sponsor, at least %s after the start.", plural(s.days, "working day", "working days"))
	case !s.hasEnd:
		out = "No committed end date is set; agree one with the sponsor using the planned finish above."
	case s.variance > 0:
		out = fmt.Sprintf("The plan overruns the end date by %s. Options: add people to the packages on the critical path, remove a dependency that is not strictly needed, or agree a later end date with the sponsor.",
			plural(s.variance, "working day", "working days"))
	default:
		out = fmt.Sprintf("The plan fits within the end date with %s to spare; that buffer is the schedule contingency.",
			plural(-s.variance, "working day", "working days"))
	}
	if r := s.atRisk(); len(r) > 0 {
		out += " Milestones at risk need either a later date or the required work brought forward."
	}
	return out
}
