package documents

import (
	"fmt"
	"strconv"
	"strings"
)

// writeCharter authorises the project: it is the document a sponsor signs, so
// it carries the commitments (objectives, dates, budget) and who owns them.
func writeCharter(f *facts, d *doc) {
	d.h(2, "Purpose")
	d.para(cmpOr(f.desc, notProvided))

	d.h(2, "Objectives")
	d.bullets(f.objectives, notProvided)

	d.h(2, "Scope summary")
	d.para(scopeCount(f) + "; the Scope Statement holds the detail.")
	d.para("**In scope**")
	d.bullets(f.data.ScopeIn, notProvided)
	d.para("**Out of scope**")
	d.bullets(f.data.ScopeOut, notProvided)

	d.h(2, "Key deliverables")
	deliverablesTable(f, d)

	d.h(2, "Timeline and milestones")
	d.para(timelineLine(f))
	milestoneTable(f, d)

	d.h(2, "Budget")
	d.para(budgetLine(f))

	d.h(2, "Roles and authority")
	t := newTable("Role", "Name", "Authority")
	t.row("Sponsor", cmpOr(f.sponsor, notProvided), "Owns the business case; approves scope, budget and changes beyond tolerance; chairs the steering committee")
	t.row("Project manager", cmpOr(f.manager, notProvided), "Runs the project day to day within the agreed tolerances; reports weekly")
	// The steering committee is whom the Communication Plan invites to it:
	// the stakeholders of high influence, managed closely or kept satisfied,
	// but the sponsor (its chair) and the project manager (who reports to it).
	for _, s := range f.stakeholders {
		if (s.Quadrant == manageClosely || s.Quadrant == keepSatisfied) && !isSponsor(s, f.data.Sponsor) && !isManager(s, f.data.Manager) {
			t.row("Steering committee member", s.Name+roleSuffix(s.Role), "Reviews progress monthly; decides on escalations in their area")
		}
	}
	t.write(d)
	d.para("Proposed tolerances: the project manager may absorb up to 5 working days of schedule slip and 5% of the cost estimate without escalation. Anything beyond goes to the sponsor." + beyondTolerance(f))

	d.h(2, "Top risks")
	riskBrief(f, d, 3)

	d.h(2, "Constraints")
	d.bullets(f.data.Constraints, notProvided)
	d.h(2, "Assumptions")
	d.bullets(f.data.Assumptions, notProvided)
	d.h(2, "Success criteria")
	d.bullets(f.data.SuccessCriteria, notProvided)

	compliance(f, d, fmt.Sprintf("The project must comply with the standards %s applies. Each has a named check in the Quality Plan:", f.companyOrWe))

	d.h(2, "Approval")
	a := newTable("Role", "Name", "Signature", "Date")
	a.row("Sponsor", cmpOr(f.sponsor, notProvided), " ", " ")
	a.row("Project manager", cmpOr(f.manager, notProvided), " ", " ")
	a.write(d)
	notesSection(d, f.dateNotes, f.wbsNotes, f.risks.notes, f.stakeNotes)
}

func roleSuffix(role string) string {
	if role == "" {
		return ""
	}
	return " (" + role + ")"
}

// deliverablesTable lists the deliverables with effort and a total.
func deliverablesTable(f *facts, d *doc) {
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided)
		return
	}
	t := newTable("#", "Deliverable", "Description", "Effort (days)").right(3)
	for _, wp := range f.wbs {
		t.row(wp.ID, wp.Name, cmpOr(wp.Desc, notProvided), fmtDays(wp.Effort))
	}
	t.row(" ", "**Total**", " ", "**"+fmtDays(totalEffort(f.wbs))+"**")
	t.write(d)
}

// timelineLine states the committed window and the computed finish.
func timelineLine(f *facts) string {
	s := startLine(f) + " Committed end: " + sentence(dateOr(f.data.EndDate))
	switch sc := f.sched; {
	case sc.ok:
		s += fmt.Sprintf(" Planned finish from the effort estimates and dependencies: %s (%s). Critical path: %s.",
			fmtDate(sc.finish), varianceText(sc), sc.criticalNames())
	case sc.planned:
		s += fmt.Sprintf(" From the effort estimates and dependencies, the plan takes %s (%s); critical path: %s. Calendar dates follow once a start date is set.",
			plural(sc.days, "working day", "working days"), weeksOf(0, sc.days), sc.criticalNames())
	}
	return s
}

// startLine states the start date as given and, when it falls on a
// weekend, the Monday the schedule starts the work on, so that the charter
// and the scope statement agree with the schedule's start.
func startLine(f *facts) string {
	if f.hasStart && !isWorkday(f.start) {
		return fmt.Sprintf("Start: %s (a weekend day; work starts on %s).", fmtDate(f.start), fmtDate(nextWorkday(f.start)))
	}
	return "Start: " + sentence(dateOr(f.data.StartDate))
}

// beyondTolerance says when the plan, as estimated, is already past the
// tolerances the charter proposes (5 working days, 5% of the estimate): a
// charter that grants 5 days of slip to a plan that overruns its end date
// by 10 has an escalation before it starts.
func beyondTolerance(f *facts) string {
	var over []string
	if s := f.sched; s.ok && s.hasEnd && s.variance > 5 {
		over = append(over, "finishes "+plural(s.variance, "working day", "working days")+" after the committed end date")
	}
	if b := f.budget; b.hasBudget && b.effort > 0 && -b.headroom > 0.05*b.total {
		over = append(over, "its estimate exceeds the approved budget by "+b.money(-b.headroom))
	}
	if len(over) == 0 {
		return ""
	}
	return " The plan as estimated is already beyond them: it " + strings.Join(over, ", and ") + ". The sponsor decides on this before approving the charter."
}

// varianceText says how the planned finish compares with the end date.
func varianceText(s schedule) string {
	switch {
	case !s.hasEnd:
		return "no end date to compare with"
	case s.variance > 0:
		return plural(s.variance, "working day", "working days") + " after the end date"
	case s.variance < 0:
		return plural(-s.variance, "working day", "working days") + " before the end date"
	default:
		return "on the end date"
	}
}

// milestoneTable lists milestones with their dates and the schedule's check
// against the work each requires, flagging dates outside the project window.
func milestoneTable(f *facts, d *doc) {
	if len(f.data.Milestones) == 0 {
		d.para("Milestones: " + notProvided)
		return
	}
	t := newTable("Milestone", "Date", "Check")
	for _, i := range milestoneOrder(f.data.Milestones) {
		m := f.data.Milestones[i]
		md, ok := parseDate(m.Date)
		sm, checked := f.sched.milestone(i)
		var check string
		switch {
		case !ok && checked:
			check = sm.status()
		case !ok:
			check = dateProblem(m.Date)
		case f.hasStart && md.Before(f.start):
			check = "Before the start date"
		case f.hasEnd && md.After(f.end):
			check = "After the end date"
		case checked:
			check = sm.status()
		default:
			check = "Not checked: the schedule cannot be computed"
		}
		t.row(escOr(m.Name, "Milestone "+strconv.Itoa(i+1)), dateOr(m.Date), check)
	}
	t.write(d)
}

// scopeCount counts the scope items in words, saying which list is empty:
// "4 items in scope and 3 explicitly out of scope", "No scope items are
// recorded yet".
func scopeCount(f *facts) string {
	in, out := nonEmpty(f.data.ScopeIn), nonEmpty(f.data.ScopeOut)
	switch {
	case in == 0 && out == 0:
		return "No scope items are recorded yet"
	case out == 0:
		return plural(in, "item", "items") + " in scope; nothing is recorded as out of scope yet"
	case in == 0:
		return "No items are recorded in scope yet; " + plural(out, "item is", "items are") + " explicitly out of scope"
	}
	return fmt.Sprintf("%s in scope and %s explicitly out of scope", plural(in, "item", "items"), plural(out, "item", "items"))
}

// budgetLine summarises approved budget against the estimate.
func budgetLine(f *facts) string {
	b := f.budget
	if b.effort == 0 {
		est := "No estimate yet: the deliverables have no effort estimates (see the Budget Estimate)."
		if !b.hasBudget {
			return "Approved budget: " + notProvided + " " + est
		}
		return fmt.Sprintf("Approved budget: %s. %s", b.money(b.budget), est)
	}
	cont := "plus " + b.money(b.contingency) + " risk contingency"
	if b.contingency == 0 {
		cont = "with no risk contingency, as " + noContingencyReason(f)
	}
	est := fmt.Sprintf("The estimate is %s: %s at %s a day, priced per work package (%s), %s (see the Budget Estimate).",
		b.money(b.total), personDays(b.effort), b.rateText(), b.money(b.labour), cont)
	if !b.hasBudget {
		return "Approved budget: " + notProvided + " " + est
	}
	return fmt.Sprintf("Approved budget: %s. %s That leaves %s (%s of the budget used by the estimate).",
		b.money(b.budget), est, headroomText(b), fmtPct(b.share()))
}

func headroomText(b budgetFigures) string {
	if b.headroom >= 0 {
		return b.money(b.headroom) + " of headroom"
	}
	return "a shortfall of " + b.money(-b.headroom)
}

// riskBrief lists the n highest risks with their scores.
func riskBrief(f *facts, d *doc, n int) {
	if len(f.risks.ranked) == 0 {
		d.para("Risks: " + notProvided + " A project with no identified risks has not been assessed yet.")
		return
	}
	t := newTable("Risk", "Score", "Band", "Owner").right(1)
	for _, r := range f.risks.top(n) {
		t.row(escOr(r.Description, notProvided), fmt.Sprintf("%d × %d = %d", r.Probability, r.Impact, r.Score), band(r.Score), escOr(r.Owner, "_Unassigned_"))
	}
	t.write(d)
	d.para(fmt.Sprintf("%s in total: %d High, %d Medium, %d Low. The Risk Register has the full list and mitigations.",
		plural(len(f.risks.ranked), "risk", "risks"), f.risks.high, f.risks.medium, f.risks.low))
}

// lowerFirst lower-cases the first letter of a sentence used mid-sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// noContingencyReason says why the contingency is nothing.
func noContingencyReason(f *facts) string {
	if len(f.risks.ranked) == 0 {
		return "no risks are recorded"
	}
	return "the risks' scores give none"
}
