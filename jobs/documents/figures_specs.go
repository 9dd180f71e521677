package documents

import (
	"fmt"
	"strings"
)

// The chart specs of the template documents, built from the same facts as
// the tables beside them.

// ganttChart draws the schedule: one bar per scheduled package, critical
// ones marked, and the milestones.
func ganttChart(f *facts) *chart {
	s := f.sched
	if !s.ok {
		return nil
	}
	c := &chart{Kind: "gantt", Title: "Gantt chart of the work packages"}
	c.Start = s.start.Format(isoDate)
	if f.hasEnd {
		c.End = f.end.Format(isoDate)
	}
	c.Finish = s.finish.Format(isoDate)
	for _, it := range s.items {
		if it.days == 0 {
			continue
		}
		c.Bars = append(c.Bars, chartBar{Label: it.wp.ID + " " + unescapeTitle(it.wp.Name),
			Start: it.start.Format(isoDate), Finish: it.finish.Format(isoDate), Critical: it.critical})
	}
	if len(c.Bars) == 0 {
		return nil
	}
	var risky []string
	for _, m := range s.milestones {
		if !m.dateOK {
			continue
		}
		c.Marks = append(c.Marks, chartMark{Label: unescapeTitle(m.name), Date: m.date.Format(isoDate), AtRisk: m.atRisk})
		if m.atRisk {
			risky = append(risky, fmt.Sprintf("%s (%s late)", unescapeTitle(m.name), plural(m.gap, "working day", "working days")))
		}
	}
	desc := fmt.Sprintf("%s from %s to %s. Critical path: %s.", plural(len(c.Bars), "work package", "work packages"),
		fmtDate(s.start), fmtDate(s.finish), unescapeTitle(s.criticalNames()))
	if f.hasEnd {
		desc += " Committed end " + fmtDate(f.end) + "."
	}
	if len(risky) > 0 {
		desc += " Milestones at risk: " + strings.Join(risky, "; ") + "."
	}
	c.Desc = desc + " The timeline table lists the same dates."
	return c
}

// heatChart draws the risk register's probability × impact grid.
func heatChart(f *facts) *chart {
	rf := f.risks
	if len(rf.ranked) == 0 {
		return nil
	}
	c := &chart{Kind: "heatmap", Title: "Risk heat map: probability × impact", Cells: make([][]int, 5)}
	for p := range c.Cells {
		c.Cells[p] = make([]int, 5)
	}
	for _, r := range rf.ranked {
		c.Cells[r.Probability-1][r.Impact-1]++
	}
	c.Desc = fmt.Sprintf("%s placed by probability (rows) and impact (columns): %d High, %d Medium, %d Low. The heat map table lists the same counts.",
		plural(len(rf.ranked), "risk", "risks"), rf.high, rf.medium, rf.low)
	return c
}

// gridChart draws the stakeholder register's power/interest grid.
func gridChart(f *facts) *chart {
	if len(f.stakeholders) == 0 {
		return nil
	}
	c := &chart{Kind: "grid", Title: "Power/interest grid"}
	for _, s := range f.stakeholders {
		c.Points = append(c.Points, chartPoint{Label: unescapeTitle(s.Name), N: s.Order, X: s.Interest, Y: s.Influence})
	}
	names := groupByQuadrant(f)
	var parts []string
	for _, q := range quadrants {
		parts = append(parts, q.String()+": "+unescapeTitle(names[q]))
	}
	c.Desc = fmt.Sprintf("%s placed by interest (across) and influence (up). %s. The register and grid tables list the same positions.",
		plural(len(f.stakeholders), "stakeholder", "stakeholders"), strings.Join(parts, "; "))
	return c
}

// figureSections names, per document type, the chart it carries and the
// heading it goes under.
var figureSections = map[string]struct {
	heading string
	chart   func(*facts) *chart
}{
	"schedule":             {"Timeline", ganttChart},
	"risk_register":        {"Heat map", heatChart},
	"stakeholder_register": {"Power/interest grid", gridChart},
}

// withFigure gives a model-written document the chart the template would
// draw, from the same figures: chart blocks the model wrote are dropped,
// and ours goes under the matching level-2 heading (or at the end).
func withFigure(md string, req Request) string {
	fs, ok := figureSections[req.Type]
	md = dropChartBlocks(md)
	if !ok {
		return md
	}
	c := fs.chart(newFacts(req))
	if c == nil {
		return md
	}
	var fig doc
	fig.figure(c)
	block := fig.String()
	lines := strings.SplitAfter(md, "\n")
	for i, l := range lines {
		if h, ok := strings.CutPrefix(strings.TrimSpace(l), "## "); ok && strings.EqualFold(strings.TrimSpace(h), fs.heading) {
			return strings.Join(lines[:i+1], "") + "\n" + block + "\n" + strings.Join(lines[i+1:], "")
		}
	}
	return strings.TrimRight(md, "\n") + "\n\n## " + fs.heading + "\n\n" + block
}

// dropChartBlocks removes fenced chart blocks: figures come from the data,
// not from a model.
func dropChartBlocks(md string) string {
	if !strings.Contains(md, chartLang) {
		return md
	}
	var out []string
	skipping := false
	for _, l := range strings.SplitAfter(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case !skipping && strings.HasPrefix(t, "```") && strings.TrimSpace(strings.TrimLeft(t, "`")) == chartLang:
			skipping = true
		case skipping && strings.HasPrefix(t, "```"):
			skipping = false
		case !skipping:
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
