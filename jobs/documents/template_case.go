package documents

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"dossier/models"
)

// writeBusinessCase argues for the investment with the same figures the
// budget and schedule use, so the case cannot promise a cheaper or faster
// project than the plan, and values the benefits in money.
func writeBusinessCase(f *facts, d *doc) {
	d.h(2, "The opportunity")
	d.para(cmpOr(f.desc, notProvided))

	d.h(2, "Strategic fit")
	strategicFit(f, d)

	d.h(2, "Objectives")
	d.para("The project commits to these objectives:")
	numbered(d, f.objectives)
	d.para("They will be judged by these measures:")
	d.bullets(f.data.SuccessCriteria, notProvided)

	d.h(2, "Costs")
	costTable(f, d)

	d.h(2, "Benefits")
	benefitsSection(f, d)

	d.h(2, "Financial appraisal")
	appraisalSection(f, d)

	d.h(2, "Options considered")
	b, a := f.budget, f.case_
	t := newTable("Option", "Cost", "Outcome")
	unmet := "the objectives are not met"
	switch len(f.objectives) {
	case 0:
	case 1:
		unmet = "the objective “" + escOr(f.objectives[0], "") + "” is not met"
	default:
		unmet = "the objectives, such as “" + escOr(f.objectives[0], "") + "”, are not met"
	}
	t.row("1. Do nothing", "No project cost", "Current problems persist and "+unmet)
	rec, defer_ := finishOutcome(f), "Benefits arrive a year later"
	if a.ok {
		rec += fmt.Sprintf("; NPV %s", b.money(a.npv))
		// Discounting once more shrinks a loss as well as a gain.
		verb := "falls to"
		if a.npv < 0 {
			verb = "becomes"
		}
		defer_ += fmt.Sprintf(": NPV %s %s (today's NPV ÷ %s)", verb, b.money(a.deferNPV), fmtNum(1+a.rate/100, 4))
	}
	var rivals []string
	for _, c := range f.pack.Competitors {
		if e := esc(c); e != "" {
			rivals = append(rivals, e)
		}
	}
	if len(rivals) > 0 {
		defer_ += "; " + andList(rivals) + " " + isAre(len(rivals), "keeps", "keep") + " any lead in service for another year"
	}
	t.row("2. Deliver as scoped (recommended)", b.money(b.total), rec)
	t.row("3. Defer by a year", "Similar cost, a year later", defer_)
	t.write(d)

	d.h(2, "Risks")
	riskBrief(f, d, 3)

	compliance(f, d, "The option recommended here is designed to meet these standards from the start, which avoids rework before launch:")

	d.h(2, "Recommendation")
	d.para(recommendation(f))
}

// numbered writes user strings as a numbered list, or the placeholder.
func numbered(d *doc, items []string) {
	n := 0
	for _, it := range items {
		if e := esc(it); e != "" {
			n++
			d.line(fmt.Sprintf("%d. %s", n, e))
		}
	}
	if n == 0 {
		d.line(notProvided)
	}
	d.blank()
}

// strategicFit pairs each strategic goal with the objectives linked to it
// explicitly. Shared key terms are shown only as a hint, labelled so, for
// goals the data does not link.
func strategicFit(f *facts, d *doc) {
	if nonEmpty(f.pack.StrategicGoals) == 0 {
		d.para("Strategic goals: " + notProvided + " Link the objectives to the company strategy before approval.")
		return
	}
	t := newTable("Strategic goal", "Objectives that serve it", "Keyword hint (not a confirmed link)")
	hinted := false
	for _, g := range f.pack.StrategicGoals {
		if clean(g) == "" {
			continue
		}
		var linked, hint []string
		gt := keyTerms(g)
		for i, o := range f.data.Objectives {
			n := "Objective " + strconv.Itoa(i+1)
			switch {
			case linksTo(o, g):
				linked = append(linked, n)
			case shares(gt, keyTerms(o.Text)):
				hint = append(hint, n)
			}
		}
		cell := "None linked"
		if len(linked) > 0 {
			cell = strings.Join(linked, ", ")
		}
		h := "—"
		if len(hint) > 0 {
			h, hinted = strings.Join(hint, ", ")+" (shared key terms)", true
		}
		t.row(esc(g), cell, h)
	}
	t.write(d)
	note := "Objectives are numbered as listed under Objectives. Links are the ones stated in the project data."
	if hinted {
		note += " A keyword hint only means the texts share words; confirm or reject it before approval."
	}
	d.para(note)
}

// linksTo reports whether the objective names the goal among its links.
func linksTo(o models.Objective, goal string) bool {
	for _, g := range o.StrategicGoals {
		if strings.EqualFold(strings.TrimSpace(g), strings.TrimSpace(goal)) {
			return true
		}
	}
	return false
}

// benefitsSection values each benefit per year of the horizon.
func benefitsSection(f *facts, d *doc) {
	a, b := f.case_, f.budget
	if !a.ok {
		d.para(fmt.Sprintf("Benefits in money: %s Without an annual value per benefit there is no net present value, payback or return; add them (description, annual value, months after go-live) before approval.", notProvided))
		return
	}
	t := newTable("Benefit", "Annual value", "Starts").right(1)
	for _, x := range f.data.Benefits {
		if x.AnnualValue > 0 {
			t.row(escOr(x.Description, notProvided), b.money(x.AnnualValue), benefitStart(x.StartsAfterMonths))
		}
	}
	t.write(d)
	d.para(fmt.Sprintf("Go-live is %s. A milestone named go-live, launch, live or cutover sets go-live (the earliest, if several); without one, the planned finish is assumed. Year 1 is the first twelve months after go-live. A benefit counts from its start: in a year it yields its annual value × its active months in that year ÷ 12.", goLiveText(f)))
	y := newTable("Year", "Benefits", "Discount factor", "Present value").right(1, 2, 3)
	for i := range benefitYears {
		// Every factor to four decimals, so that the column reads alike.
		y.row(strconv.Itoa(i+1), b.money(a.years[i]), strconv.FormatFloat(a.factors[i], 'f', 4, 64), b.money(a.pv[i]))
	}
	y.row("**Total**", "**"+b.money(a.total)+"**", " ", "**"+b.money(a.npv+a.cost)+"**")
	y.write(d)
}

// benefitStart says when a benefit starts, with the months clamped as the
// appraisal counts them: "At go-live", "1 month after go-live".
func benefitStart(months int) string {
	months = min(max(months, 0), models.MaxMonths)
	if months == 0 {
		return "At go-live"
	}
	return plural(months, "month", "months") + " after go-live"
}

// costTiming says when the appraisal counts the cost: all of it at go-live,
// which is when it is spent unless work goes on after go-live (hypercare,
// a late package), when counting it early slightly understates the NPV.
func costTiming(f *facts) string {
	if f.sched.ok && f.goLive.ok && f.sched.finish.After(f.goLive.date) {
		return "the total estimate, counted in full at go-live, although the work runs to " + fmtDate(f.sched.finish)
	}
	return "the total estimate, spent before go-live"
}

// noSchedule says what keeps the schedule from being computed.
func noSchedule(f *facts) string {
	switch {
	case f.sched.noEffort && !f.hasStart:
		return "needs effort estimates for the deliverables and a valid start date"
	case f.sched.noEffort:
		return "needs effort estimates for the deliverables"
	case !f.hasStart && len(f.wbs) == 0:
		return "needs a valid start date and deliverables"
	case !f.hasStart:
		return "needs a valid start date"
	case len(f.wbs) == 0:
		return "needs deliverables"
	}
	return "the critical path is too long to schedule"
}

// appraisalSection states NPV, payback and ROI with their formulas.
func appraisalSection(f *facts, d *doc) {
	a, b := f.case_, f.budget
	if !a.ok {
		d.para("Not computed: no benefits with a money value are given.")
		return
	}
	rate := fmtPct(a.rate)
	if a.rateDefault {
		rate += " (default: no discount rate is given)"
	}
	lines := []string{
		fmt.Sprintf("Cost C = %s (%s).", b.money(a.cost), costTiming(f)),
		fmt.Sprintf("Discount rate r = %s.", rate),
		fmt.Sprintf("**Net present value** = −C + Σ benefits in year y ÷ (1 + r)^y, y = 1 … %d = −%s + %s = **%s**.",
			benefitYears, b.money(a.cost), b.money(a.npv+a.cost), b.money(a.npv)),
	}
	if a.paidBack {
		lines = append(lines, fmt.Sprintf("**Payback**: the month in which cumulative benefits (not discounted) reach C: **%s months** after go-live%s.", fmtNum(a.payback, 1), paybackWhen(f)))
	} else {
		lines = append(lines, fmt.Sprintf("**Payback**: not within the %d-year horizon; cumulative benefits reach %s of %s.", benefitYears, b.money(a.total), b.money(a.cost)))
	}
	if a.cost > 0 {
		lines = append(lines, fmt.Sprintf("**Return on investment** over %d years = (Σ benefits − C) ÷ C = (%s − %s) ÷ %s = **%s**.",
			benefitYears, b.money(a.total), b.money(a.cost), b.money(a.cost), fmtPct(a.roi)))
	} else {
		lines = append(lines, "**Return on investment**: not computed, as the cost is zero.")
	}
	d.list(lines...)
	d.para("Running costs after go-live (licences, infrastructure, support) are not in C; subtract them from the benefits where they apply.")
}

// costTable shows estimate, contingency and budget.
func costTable(f *facts, d *doc) {
	b := f.budget
	t := newTable("Item", "Amount").right(1)
	if b.effort > 0 {
		t.row(fmt.Sprintf("Labour: %s at %s a day, priced per work package", personDays(b.effort), b.rateText()), b.money(b.labour))
	} else {
		t.row("Labour: no effort estimates yet", b.money(b.labour))
	}
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
	met := "Objectives met"
	if len(f.objectives) == 0 {
		met = "Scope delivered (no objectives are stated yet)"
	}
	switch {
	case f.sched.planned && !f.sched.ok:
		return fmt.Sprintf("%s; the plan takes %s from the start (no start date yet)", met, plural(f.sched.days, "working day", "working days"))
	case !f.sched.ok:
		return met + "; the finish date cannot be computed: " + noSchedule(f)
	}
	return fmt.Sprintf("%s; planned finish %s (%s)", met, fmtDate(f.sched.finish), varianceText(f.sched))
}

// recommendation proceeds unconditionally only when the plan fits both the
// budget and the end date; otherwise it names the conditions.
func recommendation(f *facts) string {
	var conds []string
	if len(f.objectives) == 0 {
		conds = append(conds, "state the objectives the project commits to, against which it is judged")
	}
	if f.budget.effort == 0 {
		conds = append(conds, "estimate the deliverables' effort, without which there is no cost or date to approve")
	}
	if f.sched.ok && f.sched.hasEnd && f.sched.variance > 0 {
		conds = append(conds, fmt.Sprintf("agree how to recover the %s by which the plan overruns the end date", plural(f.sched.variance, "working day", "working days")))
	}
	if r := f.sched.atRisk(); len(r) > 0 {
		conds = append(conds, "re-plan "+theCount(len(r), "milestone", "milestones")+" at risk: "+milestoneRiskList(r))
	}
	if f.case_.ok && f.case_.npv < 0 {
		conds = append(conds, "accept a net present value of "+f.budget.money(f.case_.npv)+", a loss in money terms, for reasons other than money, or raise the benefits")
	}
	if f.budget.hasBudget && f.budget.headroom < 0 {
		conds = append(conds, "close the funding gap of "+f.budget.money(-f.budget.headroom))
	}
	if !f.budget.hasBudget {
		conds = append(conds, "set an approved budget")
	}
	if f.risks.high > 0 {
		conds = append(conds, "confirm the mitigation of "+theCount(f.risks.high, "High risk", "High risks"))
	}
	if len(conds) == 0 {
		return "Proceed with option 2 as scoped."
	}
	return "Proceed with option 2, on condition that we " + strings.Join(conds, "; ") + "."
}

// paybackWhen dates the payback month from go-live: " (about Feb 2029)".
func paybackWhen(f *facts) string {
	if !f.goLive.ok || !f.case_.paidBack {
		return ""
	}
	m := int(math.Ceil(f.case_.payback))
	return " (about " + f.goLive.date.AddDate(0, m, 0).Format("Jan 2006") + ")"
}
