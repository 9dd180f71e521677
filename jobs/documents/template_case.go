package documents

import (
	"fmt"
	"strconv"
	"strings"
)

// writeBusinessCase argues for the investment with the same figures the
// budget and schedule use, so the case cannot promise a cheaper or faster
// project than the plan.
func writeBusinessCase(f *facts, d *doc) {
	d.h(2, "The opportunity")
	d.para(cmpOr(f.desc, notProvided))
	if m := esc(f.pack.Mission); m != "" {
		d.para(fmt.Sprintf("It serves %s's mission: _%s_", f.companyOrWe, m))
	}

	d.h(2, "Strategic fit")
	strategicFit(f, d)

	d.h(2, "Benefits")
	d.para("The project commits to these objectives:")
	d.bullets(f.data.Objectives, notProvided)
	d.para("They will be judged by these measures:")
	d.bullets(f.data.SuccessCriteria, notProvided)

	d.h(2, "Costs")
	costTable(f, d)

	d.h(2, "Options considered")
	b := f.budget
	t := newTable("Option", "Cost", "Outcome")
	first := "the objectives"
	if len(f.data.Objectives) > 0 {
		first = "the objectives, such as “" + escOr(f.data.Objectives[0], "") + "”,"
	}
	t.row("1. Do nothing", "No project cost", "Current problems persist and "+first+" are not met")
	t.row("2. Deliver as scoped (recommended)", b.money(b.total), finishOutcome(f))
	t.row("3. Defer by a year", "Similar cost, later", "Benefits arrive a year later; competitors keep their lead")
	t.write(d)

	if len(f.pack.Competitors) > 0 {
		d.h(2, "Competitive context")
		d.para(fmt.Sprintf("%s compete for the same customers. Delay widens any gap in service they already offer.", joinEsc(f.pack.Competitors)))
	}

	d.h(2, "Risks")
	riskBrief(f, d, 3)

	compliance(f, d, "The option recommended here is designed to meet these standards from the start, which avoids rework before launch:")

	d.h(2, "Recommendation")
	d.para(recommendation(f))
}

// strategicFit pairs each strategic goal with the objectives that share its
// key terms. It is a prompt for discussion, and says so.
func strategicFit(f *facts, d *doc) {
	if nonEmpty(f.pack.StrategicGoals) == 0 {
		d.para("Strategic goals: " + notProvided + " Link the objectives to the company strategy before approval.")
		return
	}
	t := newTable("Strategic goal", "Related objectives")
	for _, g := range f.pack.StrategicGoals {
		if clean(g) == "" {
			continue
		}
		gt := keyTerms(g)
		var rel []string
		for i, o := range f.data.Objectives {
			if shares(gt, keyTerms(o)) {
				rel = append(rel, "Objective "+strconv.Itoa(i+1))
			}
		}
		cell := "No direct link found; confirm the contribution"
		if len(rel) > 0 {
			cell = strings.Join(rel, ", ")
		}
		t.row(esc(g), cell)
	}
	t.write(d)
	d.para("Objectives are numbered as listed under Benefits. Links are found by shared key terms; the sponsor should confirm them.")
}

// costTable shows estimate, contingency and budget.
func costTable(f *facts, d *doc) {
	b := f.budget
	t := newTable("Item", "Amount").right(1)
	t.row(fmt.Sprintf("Labour: %s person-days at %s a day", fmtDays(b.effort), b.rateText()), b.money(b.labour))
	t.row(fmt.Sprintf("Risk contingency (%s)", fmtPct(b.contPct)), b.money(b.contingency))
	t.row("**Total estimate**", "**"+b.money(b.total)+"**")
	if b.hasBudget {
		t.row("Approved budget", b.money(b.budget))
		if b.headroom >= 0 {
			t.row("Headroom", b.money(b.headroom))
		} else {
			t.row("Shortfall", b.money(-b.headroom))
		}
	} else {
		t.row("Approved budget", notProvided)
	}
	t.write(d)
	d.para("The estimate covers project labour. Licences, infrastructure and running costs are not included and should be added where they apply.")
}

func finishOutcome(f *facts) string {
	if !f.sched.ok {
		return "Objectives met; finish date cannot be computed without a start date and deliverables"
	}
	return fmt.Sprintf("Objectives met; planned finish %s (%s)", fmtDate(f.sched.finish), varianceText(f.sched))
}

// recommendation proceeds unconditionally only when the plan fits both the
// budget and the end date; otherwise it names the conditions.
func recommendation(f *facts) string {
	var conds []string
	if f.sched.ok && f.sched.hasEnd && f.sched.variance > 0 {
		conds = append(conds, fmt.Sprintf("agree how to recover the %s by which the plan overruns the end date", plural(f.sched.variance, "working day", "working days")))
	}
	if f.budget.hasBudget && f.budget.headroom < 0 {
		conds = append(conds, "close the funding gap of "+f.budget.money(-f.budget.headroom))
	}
	if !f.budget.hasBudget {
		conds = append(conds, "set an approved budget")
	}
	if f.risks.high > 0 {
		conds = append(conds, fmt.Sprintf("confirm the mitigation of the %s", plural(f.risks.high, "High risk", "High risks")))
	}
	if len(conds) == 0 {
		return "Proceed with option 2 as scoped."
	}
	return "Proceed with option 2, on condition that we " + strings.Join(conds, "; ") + "."
}
