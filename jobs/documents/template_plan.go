package documents

import (
	"fmt"
	"strings"
)

// writeWBS decomposes each deliverable into the same three work packages so
// that effort is visible at a level people can plan and track.
func writeWBS(f *facts, d *doc) {
	d.para(fmt.Sprintf("Rule: each deliverable from the Scope Statement is a numbered work package with three parts. Plan and design (.1) and Verify and accept (.3) each take %.0f%% of its effort, rounded to the nearest half day; Build (.2) takes the rest, so the parts always add up to the deliverable.",
		planShare*100))
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided + " List the deliverables with effort estimates to build the structure.")
		return
	}
	total := totalEffort(f.wbs)
	d.h(2, "Structure")
	t := newTable("WBS ID", "Work package", "Effort (days)", "Share of total").right(2, 3)
	for _, wp := range f.wbs {
		t.row("**"+wp.ID+"**", "**"+wp.Name+"**", "**"+fmtDays(wp.Effort)+"**", fmtPct(share(wp.Effort, total)))
		for _, p := range wp.Parts {
			t.row(p.ID, p.Name, fmtDays(p.Effort), " ")
		}
	}
	t.row(" ", "**Total**", "**"+fmtDays(total)+"**", fmtPct(share(total, total)))
	t.write(d)

	d.h(2, "Effort by phase")
	var phase [3]float64
	for _, wp := range f.wbs {
		for i, p := range wp.Parts {
			phase[i] += p.Effort
		}
	}
	ph := newTable("Phase", "Effort (days)", "Share").right(1, 2)
	for i, name := range []string{"Plan and design", "Build", "Verify and accept"} {
		ph.row(name, fmtDays(phase[i]), fmtPct(share(phase[i], total)))
	}
	ph.row("**Total**", "**"+fmtDays(total)+"**", fmtPct(share(total, total)))
	ph.write(d)

	d.h(2, "Work package descriptions")
	w := newTable("WBS ID", "Work package", "Description")
	for _, wp := range f.wbs {
		w.row(wp.ID, wp.Name, cmpOr(wp.Desc, notProvided))
	}
	w.write(d)
	d.para(fmt.Sprintf("Out-of-scope items (%d in the Scope Statement) have no work packages. Project management effort is included in each package's Plan and design part.", nonEmpty(f.data.ScopeOut)))
	notesSection(d, f.wbsNotes)
}

func share(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * part / total
}

// writeSchedule turns effort into dates by a stated rule and shows the gap
// against the committed end date and milestones.
func writeSchedule(f *facts, d *doc) {
	d.para("Rule: work packages from the Work Breakdown Structure run one after the other, in order, from the start date (a weekend start moves to the Monday). Each takes its effort rounded up to whole working days, Monday to Friday. Public holidays are not deducted; adjust for them locally.")
	s := f.sched
	switch {
	case !f.hasStart:
		d.para("Start date: " + dateOr(f.data.StartDate) + " Dates cannot be computed without a valid start date.")
		deliverablesTable(f, d)
		notesSection(d, f.dateNotes, f.wbsNotes)
		return
	case len(f.wbs) == 0:
		d.para("Deliverables: " + notProvided + " Dates cannot be computed without deliverables.")
		return
	case s.tooLong > 0:
		d.para(fmt.Sprintf("The effort adds up to more than %s working days, too long to schedule one package at a time. Check the effort estimates or split the programme into projects.", fmtNum(maxScheduleDays, 0)))
		deliverablesTable(f, d)
		notesSection(d, f.dateNotes, f.wbsNotes)
		return
	}

	d.h(2, "Summary")
	lines := []string{
		"Start: " + fmtDate(s.start) + ".",
		fmt.Sprintf("Planned finish: %s, after %s of work.", fmtDate(s.finish), plural(s.days, "working day", "working days")),
	}
	if s.hasEnd {
		lines = append(lines, fmt.Sprintf("Committed end: %s, which allows %s. The plan finishes %s.",
			fmtDate(f.end), plural(s.capacity, "working day", "working days"), varianceText(s)))
	} else {
		lines = append(lines, "Committed end: "+dateOr(f.data.EndDate))
	}
	d.list(lines...)

	d.h(2, "Timeline")
	t := newTable("WBS ID", "Work package", "Effort (days)", "Working days", "Start", "Finish").right(2, 3)
	for _, it := range s.items {
		start, finish := fmtDate(it.start), fmtDate(it.finish)
		if it.days == 0 {
			start, finish = "Not scheduled (no effort)", ""
		}
		t.row(it.wp.ID, it.wp.Name, fmtDays(it.wp.Effort), fmt.Sprint(it.days), start, finish)
	}
	t.row(" ", "**Total**", "**"+fmtDays(totalEffort(f.wbs))+"**", fmt.Sprintf("**%d**", s.days), fmtDate(s.start), fmtDate(s.finish))
	t.write(d)

	d.h(2, "Milestones against the plan")
	if len(f.data.Milestones) == 0 {
		d.para("Milestones: " + notProvided)
	} else {
		m := newTable("Milestone", "Target date", "Work packages finished by then", "In progress", "Planned progress").right(4)
		for i, ms := range f.data.Milestones {
			name := escOr(ms.Name, fmt.Sprintf("Milestone %d", i+1))
			md, ok := parseDate(ms.Date)
			if !ok {
				m.row(name, dateOr(ms.Date), "", "", "")
				continue
			}
			done, cur, pct := s.at(md)
			m.row(name, fmtDate(md), cmpOr(strings.Join(done, ", "), "none"), cmpOr(cur, "none"), fmtPct(pct))
		}
		m.write(d)
		d.para("Planned progress is the share of scheduled working days completed by the target date. Check that each milestone's work is finished by then.")
	}

	d.h(2, "What the dates mean")
	d.para(scheduleAdvice(f))
	notesSection(d, f.dateNotes, f.wbsNotes)
}

// scheduleAdvice names the recovery needed, if any.
func scheduleAdvice(f *facts) string {
	s := f.sched
	switch {
	case !s.hasEnd:
		return "No committed end date is set; agree one with the sponsor using the planned finish above."
	case s.variance > 0:
		return fmt.Sprintf("Worked one package at a time, the plan overruns the end date by %s. Options: run packages in parallel where they do not depend on each other, add capacity to the longest packages, or agree a later end date with the sponsor.",
			plural(s.variance, "working day", "working days"))
	default:
		return fmt.Sprintf("The plan fits within the end date with %s to spare; that buffer is the schedule contingency.",
			plural(-s.variance, "working day", "working days"))
	}
}
