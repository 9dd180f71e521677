package documents

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"dossier/models"
)

// facts are the figures every template document is written from, computed
// once per request by the same rules, so that the budget, the schedule and
// the executive summary can never disagree about a number.
type facts struct {
	name       string // escaped project name, or "" when missing
	desc       string // escaped description
	data       models.ProjectData
	objectives []string // the objectives' texts
	pack       models.CompanyPack
	company    string // escaped company name, "" when missing

	start, end     time.Time
	hasStart       bool
	hasEnd         bool
	dateNotes      []string
	risks          riskFigures
	stakeholders   []placedStakeholder
	stakeNotes     []string
	wbs            []workPackage
	wbsNotes       []string
	phases         []phase
	phaseOf        []int // work package index → index into phases
	phaseNotes     []string
	sched          schedule
	budget         budgetFigures
	case_          appraisal
	goLive         goLive
	sponsor        string // escaped sponsor, from data.Sponsor
	sponsorShort   string // the sponsor without a trailing "(title)", for use inside parentheses
	manager        string // escaped manager, from data.Manager
	companyOrWe    string // "Northwind Mutual" or "the organisation"
	complianceList string
}

func newFacts(req Request) *facts {
	f := &facts{
		name:    esc(req.ProjectName),
		desc:    esc(req.Description),
		data:    req.Project,
		pack:    req.Company,
		company: esc(req.Company.CompanyName),
		sponsor: esc(req.Project.Sponsor),
		manager: esc(req.Project.Manager),
	}
	f.sponsorShort = esc(shortName(req.Project.Sponsor))
	f.objectives = models.ObjectiveTexts(req.Project.Objectives)
	f.companyOrWe = cmp.Or(f.company, "the organisation")
	f.complianceList = joinEsc(req.Company.ComplianceStandards)
	f.start, f.hasStart = parseDate(req.Project.StartDate)
	f.end, f.hasEnd = parseDate(req.Project.EndDate)
	f.dateNotes = dateNotes(req.Project, f.start, f.hasStart, f.end, f.hasEnd)
	f.risks = scoreRisks(req.Project.Risks)
	f.stakeholders, f.stakeNotes = placeStakeholders(req.Project.Stakeholders)
	f.wbs, f.wbsNotes = breakDown(req.Project.Deliverables)
	f.phases, f.phaseOf, f.phaseNotes = phasesOf(f.wbs, req.Project.Milestones)
	f.sched = plan(f.wbs, req.Project.Milestones, f.start, f.hasStart, f.end, f.hasEnd)
	f.budget = estimate(req.Project, f.wbs, f.risks)
	f.case_ = appraise(req.Project, f.budget.total)
	f.goLive = findGoLive(req.Project.Milestones, f.sched)
	return f
}

// joinEsc escapes and joins the non-empty items with commas.
func joinEsc(items []string) string {
	var out []string
	for _, it := range items {
		if e := esc(it); e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(out, ", ")
}

// nonEmpty counts the items that are not blank.
func nonEmpty(items []string) int {
	n := 0
	for _, it := range items {
		if clean(it) != "" {
			n++
		}
	}
	return n
}

// shortName drops a trailing parenthetical: "Helena Brandt (CCO)" → "Helena Brandt".
func shortName(s string) string {
	s = clean(s)
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		return s[:i]
	}
	return s
}

// dateNotes flags dates that cannot be used or contradict each other.
func dateNotes(d models.ProjectData, start time.Time, hasStart bool, end time.Time, hasEnd bool) []string {
	var out []string
	for _, x := range []struct {
		label, raw string
		ok         bool
	}{
		{"start date", d.StartDate, hasStart}, {"end date", d.EndDate, hasEnd},
	} {
		switch {
		case strings.TrimSpace(x.raw) == "":
			out = append(out, "No "+x.label+" is given.")
		case !x.ok:
			out = append(out, fmt.Sprintf("The %s “%s” is not a valid ISO 8601 date (YYYY-MM-DD).", x.label, esc(x.raw)))
		}
	}
	if hasStart && hasEnd && end.Before(start) {
		out = append(out, fmt.Sprintf("The end date (%s) is before the start date (%s).", fmtDate(end), fmtDate(start)))
	}
	// A milestone outside the project's dates cannot be met by it.
	for i, m := range d.Milestones {
		md, ok := parseDate(m.Date)
		name := escOr(m.Name, fmt.Sprintf("Milestone %d", i+1))
		switch {
		case !ok:
		case hasStart && md.Before(start):
			out = append(out, fmt.Sprintf("The milestone “%s” (%s) is before the start date (%s). Move it into the project's dates.", name, fmtDate(md), fmtDate(start)))
		case hasEnd && md.After(end):
			out = append(out, fmt.Sprintf("The milestone “%s” (%s) is after the committed end date (%s). Move it into the project's dates, or agree a later end date.", name, fmtDate(md), fmtDate(end)))
		}
	}
	return out
}
