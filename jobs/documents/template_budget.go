package documents

import "fmt"

// writeBudget prices the WBS and sizes contingency from the risk register,
// so the money follows the work and the risk rather than a guess.
func writeBudget(f *facts, d *doc) {
	b := f.budget
	d.para(fmt.Sprintf("Rules: each work package's labour = its effort × day rate, rounded to whole currency units; total labour is the sum of those amounts. Contingency = average risk score ÷ 25 × %.0f%%, so a register where every risk scores 25 reserves %.0f%% and an empty one reserves nothing. Amounts are rounded to whole currency units.",
		maxContingencyPct, maxContingencyPct))

	d.h(2, "Day rate")
	if b.rateStated {
		d.para(fmt.Sprintf("%s a day, the project's stated day rate.", b.rateText()))
	} else if b.rateSource != "" {
		d.para(fmt.Sprintf("%s a day, from the assumption: _%s_", b.rateText(), b.rateSource))
	} else {
		d.para(fmt.Sprintf("%s a day: the default rate, because the project states no day rate. Set one (or an assumption such as “A blended day rate of %s applies”) to override it.",
			b.rateText(), b.rateText()))
	}
	if b.currency == "" {
		d.para("Currency: " + notProvided + " Amounts below are in the budget's currency once it is set.")
	}
	if b.currencyClash {
		d.para(fmt.Sprintf("The day rate is stated in %s but the budget is in %s. Amounts below assume the rate is in %s; convert it if not.", b.rateCurrency, b.currency, b.currency))
	}

	d.h(2, "Labour by work package")
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided + " Without effort estimates the labour cost is zero.")
	} else {
		t := newTable("WBS ID", "Work package", "Effort (days)", "Cost").right(2, 3)
		for _, wp := range f.wbs {
			t.row(wp.ID, wp.Name, fmtDays(wp.Effort), b.money(b.cost(wp.Effort)))
		}
		t.row(" ", "**Total labour**", "**"+fmtDays(b.effort)+"**", "**"+b.money(b.labour)+"**")
		t.write(d)
	}

	d.h(2, "Risk contingency")
	rf := f.risks
	if len(rf.ranked) == 0 {
		d.para("No risks are recorded in the Risk Register, so the formula gives no contingency. That is rarely realistic: complete the register before approving the budget.")
	} else {
		d.para(fmt.Sprintf("The Risk Register holds %s with an average score of %s (total exposure %d). Contingency: %s ÷ 25 × %.0f%% = %s of labour, or %s.",
			plural(len(rf.ranked), "risk", "risks"), fmtNum(rf.average(), 2), rf.total, fmtNum(rf.average(), 2), maxContingencyPct, fmtPct(b.contPct), b.money(b.contingency)))
	}

	d.h(2, "Estimate against the approved budget")
	t := newTable("Item", "Amount").right(1)
	t.row("Labour", b.money(b.labour))
	t.row(fmt.Sprintf("Contingency (%s)", fmtPct(b.contPct)), b.money(b.contingency))
	t.row("**Total estimate**", "**"+b.money(b.total)+"**")
	if b.hasBudget {
		t.row("Approved budget", b.money(b.budget))
		if b.headroom >= 0 {
			t.row("Headroom", b.money(b.headroom))
		} else {
			t.row("**Shortfall**", "**"+b.money(-b.headroom)+"**")
		}
		t.row("Estimate as share of budget", fmtPct(b.share()))
	} else {
		t.row("Approved budget", cmpOr(esc(b.budgetNote), notProvided))
	}
	t.write(d)

	d.h(2, "What the numbers mean")
	switch {
	case !b.hasBudget && b.effort == 0:
		d.para("No valid budget is approved yet, and there is no estimate to base one on: estimate the deliverables' effort in person-days first.")
	case !b.hasBudget:
		d.para(fmt.Sprintf("No valid budget is approved yet. %s is the minimum to request for project labour.", b.money(b.total)))
	case b.headroom < 0:
		d.para(fmt.Sprintf("The estimate exceeds the budget by %s. Reduce scope, lower effort, or ask the sponsor for more funding before work starts.", b.money(-b.headroom)))
	default:
		d.para(fmt.Sprintf("The estimate uses %s of the budget and leaves %s. Labour is only part of the cost: confirm that the headroom covers licences, infrastructure, testing services and running costs before treating it as spare.",
			fmtPct(b.share()), b.money(b.headroom)))
	}
}
