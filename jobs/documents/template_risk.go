package documents

import (
	"fmt"
	"strconv"
)

// writeRisks ranks the risks by one published rule so that attention goes
// where exposure is highest, and shows who carries that exposure.
func writeRisks(f *facts, d *doc) {
	rf := f.risks
	d.para(fmt.Sprintf("Scoring rule: probability (P) and impact (I) are rated 1–5; score = P × I (1–25). Bands: **High** %d–25, **Medium** %d–%d, **Low** 1–%d. Risks are ranked by score; equal scores keep the order in which they were raised. A probability or impact not given counts as %d, the middle of the scale, until it is set (the lowest would rank an unrated risk below every rated one); a value outside 1–5 counts as the nearest bound. Either is listed under Data quality notes.",
		highBand, mediumBand, highBand-1, mediumBand-1, missingScore))
	if len(rf.ranked) == 0 {
		d.para("Risks: " + notProvided + " Hold a risk workshop with the Scope Statement in hand before the plan is approved.")
		return
	}

	d.h(2, "Summary")
	d.list(
		fmt.Sprintf("%s identified. Total exposure %d of a possible %d (%s); average score %s.",
			plural(len(rf.ranked), "risk", "risks"), rf.total, rf.maxTotal, fmtPct(100*float64(rf.total)/float64(rf.maxTotal)), fmtNum(rf.average(), 2)),
		fmt.Sprintf("Heat: %d High · %d Medium · %d Low.", rf.high, rf.medium, rf.low),
		fmt.Sprintf("Top risk: %s (score %d, owner %s).", escOr(rf.ranked[0].Description, notProvided), rf.ranked[0].Score, escOr(rf.ranked[0].Owner, "unassigned")),
	)

	d.h(2, "Risks ranked by score")
	t := newTable("Rank", "Risk", "P", "I", "Score", "Band", "Owner", "Mitigation").right(2, 3, 4)
	for i, r := range rf.ranked {
		t.row(strconv.Itoa(i+1), escOr(r.Description, notProvided), strconv.Itoa(r.Probability), strconv.Itoa(r.Impact),
			strconv.Itoa(r.Score), band(r.Score), escOr(r.Owner, "_Unassigned_"), escOr(r.Mitigation, notProvided))
	}
	t.write(d)

	d.h(2, "Heat map")
	d.figure(heatChart(f))
	d.para("Number of risks in each cell. Rows are probability, columns impact.")
	var grid [6][6]int
	for _, r := range rf.ranked {
		grid[r.Probability][r.Impact]++
	}
	h := newTable("P ↓ / I →", "1", "2", "3", "4", "5").right(1, 2, 3, 4, 5)
	for p := 5; p >= 1; p-- {
		row := []string{strconv.Itoa(p)}
		for i := 1; i <= 5; i++ {
			cell := "·"
			if n := grid[p][i]; n > 0 {
				cell = strconv.Itoa(n)
				if band(p*i) == "High" {
					cell = "**" + cell + "**"
				}
			}
			row = append(row, cell)
		}
		h.row(row...)
	}
	h.write(d)
	d.para("Counts in bold fall in the High band.")

	d.h(2, "Exposure by owner")
	o := newTable("Owner", "Risks", "Total score", "Share of exposure").right(1, 2, 3)
	exposure := make([]float64, len(rf.owners))
	for i, ow := range rf.owners {
		exposure[i] = float64(ow.total)
	}
	ownerShare := sharesOf(exposure)
	for i, ow := range rf.owners {
		o.row(ow.owner, strconv.Itoa(ow.count), strconv.Itoa(ow.total), fmtPct(ownerShare[i]))
	}
	o.write(d)

	d.h(2, "Scope context")
	d.para("Risks are assessed against the Scope Statement: " + lowerFirst(scopeCount(f)) + ". Out-of-scope items are not assessed here; a change that brings one into scope needs a fresh assessment.")

	d.h(2, "Review")
	d.para(fmt.Sprintf("The project manager (%s) reviews this register weekly with the owners. High risks are reported to the sponsor within two working days of being raised or re-scored.", cmpOr(f.manager, "not named")))

	compliance(f, d, "Risks that could breach these standards are treated as High regardless of score until the compliance function has reviewed them:")
	notesSection(d, rf.notes)
}
