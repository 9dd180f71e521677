package documents

import (
	"fmt"
	"strings"
)

// writeExecutiveSummary is the one page a sponsor reads: every figure comes
// from the same computations as the detailed documents it summarises.
func writeExecutiveSummary(f *facts, d *doc) {
	d.h(2, "Purpose")
	d.para(cmpOr(f.desc, notProvided))

	d.h(2, "At a glance")
	b, s, rf := f.budget, f.sched, f.risks
	t := newTable("Measure", "Value")
	if s.ok {
		t.row("Planned finish", fmt.Sprintf("%s (%s)", fmtDate(s.finish), varianceText(s)))
		t.row("Critical path", s.criticalNames())
		if r := s.atRisk(); len(r) > 0 {
			t.row("Milestones at risk", milestoneRiskList(r))
		} else if len(s.milestones) > 0 {
			t.row("Milestones at risk", "None")
		}
	} else if s.planned {
		t.row("Planned finish", fmt.Sprintf("Not dated yet: no valid start date. The plan takes %s (%s); calendar dates follow once a start date is set", plural(s.days, "working day", "working days"), weeksOf(0, s.days)))
		t.row("Critical path", s.criticalNames())
	} else {
		t.row("Planned finish", "Cannot be computed: "+noSchedule(f))
	}
	t.row("Committed end date", dateOr(f.data.EndDate))
	t.row("Go-live", goLiveText(f))
	switch {
	case len(f.wbs) == 0:
		t.row("Total effort", "No deliverables recorded yet")
	case b.effort == 0:
		t.row("Total effort", fmt.Sprintf("No effort estimates yet for the %s", plural(len(f.wbs), "deliverable", "deliverables")))
	default:
		t.row("Total effort", fmt.Sprintf("%s across %s", personDays(b.effort), plural(len(f.wbs), "deliverable", "deliverables")))
	}
	if b.effort > 0 {
		if b.contingency == 0 {
			t.row("Cost estimate", fmt.Sprintf("%s labour, with no contingency as %s = %s", b.money(b.labour), noContingencyReason(f), b.money(b.total)))
		} else {
			t.row("Cost estimate", fmt.Sprintf("%s labour + %s contingency (%s) = %s", b.money(b.labour), b.money(b.contingency), fmtPct(b.contPct), b.money(b.total)))
		}
	} else {
		t.row("Cost estimate", "Not computed: no effort estimates")
	}
	if b.hasBudget {
		t.row("Approved budget", fmt.Sprintf("%s; the estimate uses %s (%s)", b.money(b.budget), fmtPct(b.share()), headroomText(b)))
	} else {
		t.row("Approved budget", notProvided)
	}
	if a := f.case_; a.ok {
		pay := "not within " + plural(benefitYears, "year", "years")
		if a.paidBack {
			pay = fmtNum(a.payback, 1) + " months after go-live" + paybackWhen(f)
		}
		t.row("Net present value", fmt.Sprintf("%s at %s over %s; payback %s; ROI %s", b.money(a.npv), fmtPct(a.rate), plural(benefitYears, "year", "years"), pay, fmtPct(a.roi)))
	} else {
		t.row("Net present value", "Not computed: no benefits with a money value")
	}
	if len(rf.ranked) > 0 {
		top := rf.ranked[0]
		t.row("Risks", fmt.Sprintf("%d: %d High, %d Medium, %d Low; total exposure %d", len(rf.ranked), rf.high, rf.medium, rf.low, rf.total))
		t.row("Top risk", fmt.Sprintf("%s (%d × %d = %d, owner %s)", escOr(top.Description, notProvided), top.Probability, top.Impact, top.Score, escOr(top.Owner, "unassigned")))
	} else {
		t.row("Risks", notProvided)
	}
	switch n, close := len(f.stakeholders), countIn(f, manageClosely); {
	case n == 0:
		t.row("Stakeholders", notProvided)
	case close == 0:
		t.row("Stakeholders", fmt.Sprintf("%d, none of them to manage closely", n))
	default:
		t.row("Stakeholders", fmt.Sprintf("%d, of whom %d to manage closely", n, close))
	}
	t.write(d)

	d.h(2, "Objectives")
	d.bullets(f.objectives, notProvided)

	d.h(2, "Top risks")
	riskBrief(f, d, 3)

	d.h(2, "Decisions needed")
	d.list(decisions(f)...)

	d.h(2, "The document set")
	set := []string{
		"**Project Charter**: purpose, roles, tolerances and approval.",
		"**Business Case**: " + recommendation(f),
		"**Scope Statement**: " + lowerFirst(scopeCount(f)) + ".",
		countedLine("**Stakeholder Register**: %s on the power/interest grid.", len(f.stakeholders), "stakeholder", "stakeholders"),
		countedLine("**Risk Register**: %s ranked by probability × impact.", len(rf.ranked), "risk", "risks"),
	}
	// Each line says what its document holds for this project, not what
	// such a document holds in general: a plan without stakeholders has no
	// cadence for each of them, a matrix without deliverables no rows.
	if len(f.stakeholders) > 0 {
		set = append(set, "**Communication Plan**: cadence and channel for each stakeholder.")
	} else {
		set = append(set, "**Communication Plan**: the status report and the steering committee only; its audiences follow once stakeholders are recorded.")
	}
	switch {
	case len(f.wbs) == 0:
		set = append(set, "**Work Breakdown Structure**: no deliverables recorded yet.")
	case b.effort == 0:
		set = append(set, fmt.Sprintf("**Work Breakdown Structure**: %s in %d parts, with no effort estimates yet.", plural(len(f.wbs), "work package", "work packages"), len(f.wbs)*3))
	default:
		set = append(set, fmt.Sprintf("**Work Breakdown Structure**: %s in %d parts, %s of effort.", plural(len(f.wbs), "work package", "work packages"), len(f.wbs)*3, personDays(b.effort)))
	}
	set = append(set, scheduleLine(f))
	if b.effort > 0 {
		set = append(set, fmt.Sprintf("**Budget Estimate**: %s including contingency.", b.money(b.total)))
	} else {
		set = append(set, "**Budget Estimate**: no estimate yet; it needs effort estimates for the deliverables.")
	}
	checks := "acceptance checks"
	if len(f.wbs) > 0 {
		set = append(set, "**RACI Matrix**: one accountable person per deliverable.")
	} else {
		set = append(set, "**RACI Matrix**: not drawn up yet: it needs the deliverables.")
		checks = "no acceptance checks yet (no deliverables)"
	}
	if n := nonEmpty(f.pack.ComplianceStandards); n > 0 {
		set = append(set, fmt.Sprintf("**Quality Plan**: %s and %s.", checks, plural(n, "compliance standard", "compliance standards")))
	} else {
		set = append(set, fmt.Sprintf("**Quality Plan**: %s; no compliance standards recorded yet.", checks))
	}
	d.list(set...)
	if f.complianceList != "" {
		d.para("Compliance: " + f.complianceList + ". Each has an assurance activity and evidence in the Quality Plan.")
	}
}

// decisions lists what the sponsor must decide, most pressing first.
func decisions(f *facts) []string {
	var out []string
	s, b := f.sched, f.budget
	if s.ok && s.hasEnd && s.variance > 0 {
		out = append(out, fmt.Sprintf("Choose how to recover %s: add people on the critical path (%s) or move the end date from %s to %s.",
			plural(s.variance, "working day", "working days"), s.criticalNames(), fmtDate(f.end), fmtDate(s.finish)))
	}
	switch {
	case s.planned && !s.ok && s.hasEnd && s.days > 0:
		out = append(out, fmt.Sprintf("Set the start date: to finish by the committed end date of %s, the work must start by %s.", fmtDate(f.end), fmtDate(latestStart(f.end, s.days))))
	case s.planned && !s.ok:
		out = append(out, fmt.Sprintf("Set a start date and a committed end date: the plan takes %s (%s).", plural(s.days, "working day", "working days"), weeksOf(0, s.days)))
	case s.ok && !s.hasEnd:
		out = append(out, fmt.Sprintf("Agree a committed end date: the plan finishes on %s.", fmtDate(s.finish)))
	}
	for _, m := range s.atRisk() {
		out = append(out, fmt.Sprintf("Move the milestone “%s” from %s to %s or later, or bring its required work forward by %s.",
			m.name, fmtDate(m.date), fmtDate(m.ready), plural(m.gap, "working day", "working days")))
	}
	if a := f.case_; a.ok && a.npv < 0 {
		out = append(out, fmt.Sprintf("Decide whether to proceed with a net present value of %s, a loss in money terms.", b.money(a.npv)))
	}
	switch {
	case len(f.wbs) == 0:
		out = append(out, "Have the deliverables listed and estimated in person-days: without them there is no cost or date to approve.")
	case b.effort == 0:
		out = append(out, "Have the deliverables estimated in person-days: without effort there is no cost or date to approve.")
	case !b.hasBudget:
		out = append(out, fmt.Sprintf("Approve a budget; project labour alone needs %s.", b.money(b.total)))
	case b.headroom < 0:
		out = append(out, fmt.Sprintf("Fund the shortfall of %s or reduce scope.", b.money(-b.headroom)))
	default:
		out = append(out, fmt.Sprintf("Confirm what the %s of headroom must cover beyond labour (licences, infrastructure, running costs).", b.money(b.headroom)))
	}
	if f.risks.high > 0 {
		top := escOr(f.risks.ranked[0].Description, "the top risk")
		if f.risks.high == 1 {
			out = append(out, fmt.Sprintf("Endorse the mitigation of the High risk: %s.", top))
		} else {
			out = append(out, fmt.Sprintf("Endorse the mitigation of the %s, starting with: %s.", plural(f.risks.high, "High risk", "High risks"), top))
		}
	}
	if len(f.risks.ranked) == 0 {
		out = append(out, "Commission a risk assessment: none is recorded.")
	}
	// The charter's approval table and every "the sponsor decides" in the
	// set need people; the sponsor is the one who must appoint them.
	switch {
	case f.sponsor == "" && f.manager == "":
		out = append(out, "Name the sponsor and the project manager: the charter has no one to approve it and the plans no one to run them.")
	case f.sponsor == "":
		out = append(out, "Name the sponsor, who approves the charter, signs the deliverables off and chairs the steering committee.")
	case f.manager == "":
		out = append(out, "Appoint the project manager, who runs the project day to day and owns the plans.")
	}
	return out
}

// scheduleLine is the Project Schedule's entry in the document set.
func scheduleLine(f *facts) string {
	s := f.sched
	switch {
	case s.ok:
		return fmt.Sprintf("**Project Schedule**: planned finish %s; critical path %s.", fmtDate(s.finish), s.criticalNames())
	case s.planned:
		return fmt.Sprintf("**Project Schedule**: %s (%s), not yet dated; critical path %s.",
			plural(s.days, "working day", "working days"), weeksOf(0, s.days), s.criticalNames())
	}
	return "**Project Schedule**: not computed yet: it " + noSchedule(f) + "."
}

// countedLine fills format with the count, or says that none is recorded
// yet: "no risks recorded yet".
func countedLine(format string, n int, one, many string) string {
	if n == 0 {
		return fmt.Sprintf(format[:strings.Index(format, "%s")]+"no %s recorded yet.", many)
	}
	return fmt.Sprintf(format, plural(n, one, many))
}
