package handlers

import (
	"math"
	"strconv"
	"strings"
	"time"

	"dossier/models"
	"dossier/views/pages"
)

// projectView shapes a project for its page: formatted dates, budget and
// effort, and risk exposure.
func projectView(p *models.Project) pages.ProjectView {
	d, cp := p.Data, p.CompanyIntelligencePack
	v := pages.ProjectView{
		ID: p.ID, Name: p.Name, Description: p.Description,
		Sponsor: d.Sponsor, Manager: d.Manager,
		StartDate: displayDate(d.StartDate), EndDate: displayDate(d.EndDate),
		Duration:   duration(d.StartDate, d.EndDate),
		Objectives: models.ObjectiveTexts(d.Objectives), ScopeIn: d.ScopeIn, ScopeOut: d.ScopeOut,
		Constraints: d.Constraints, Assumptions: d.Assumptions, SuccessCriteria: d.SuccessCriteria,
		Company: pages.CompanyView{Name: cp.CompanyName, Industry: cp.Industry, Mission: cp.Mission, ToneOfVoice: cp.ToneOfVoice,
			Values: cp.Values, StrategicGoals: cp.StrategicGoals, Competitors: cp.Competitors, ComplianceStandards: cp.ComplianceStandards},
		Updated: p.UpdatedAt.UTC().Format(pages.MinuteLayout),
	}
	if d.Budget != nil {
		v.Budget = strings.TrimSpace(d.Budget.Currency + " " + formatAmount(d.Budget.Amount))
	}
	var total float64
	for _, x := range d.Deliverables {
		total += x.EffortDays
		v.Deliverables = append(v.Deliverables, pages.DeliverableView{Name: x.Name, Description: x.Description, Effort: days(x.EffortDays), Owner: x.Owner})
	}
	if total > 0 {
		v.TotalEffort = days(total)
	}
	for _, x := range d.Milestones {
		v.Milestones = append(v.Milestones, pages.MilestoneView{Name: x.Name, Date: displayDate(x.Date)})
	}
	for _, x := range d.Stakeholders {
		v.Stakeholders = append(v.Stakeholders, pages.StakeholderView{Name: x.Name, Role: x.Role, Interest: x.Interest, Influence: x.Influence})
	}
	for _, x := range d.Risks {
		r := pages.RiskView{Description: x.Description, Owner: x.Owner, Mitigation: x.Mitigation,
			Probability: x.Probability, Impact: x.Impact, Score: x.Probability * x.Impact}
		switch {
		case r.Score >= 15:
			r.Level = "high"
		case r.Score >= 8:
			r.Level = "medium"
		default:
			r.Level = "low"
		}
		v.Risks = append(v.Risks, r)
	}
	return v
}

func projectListItem(p *models.Project) pages.ProjectListItem {
	it := pages.ProjectListItem{
		ID: p.ID, Name: p.Name, Description: p.Description,
		Company:      p.CompanyIntelligencePack.CompanyName,
		Deliverables: len(p.Data.Deliverables), Risks: len(p.Data.Risks),
		Updated: p.UpdatedAt.UTC().Format(pages.MinuteLayout),
	}
	start, end := displayDate(p.Data.StartDate), displayDate(p.Data.EndDate)
	switch {
	case start != "" && end != "":
		it.Dates = start + " – " + end
	case start != "":
		it.Dates = "From " + start
	case end != "":
		it.Dates = "Until " + end
	}
	return it
}

// displayDate shows an ISO date as "4 Jan 2027".
func displayDate(iso string) string {
	t, ok := isoDate(iso)
	if !ok {
		return iso
	}
	return t.Format("2 Jan 2006")
}

// duration is the span from start to end, both inclusive, in weeks or days.
func duration(start, end string) string {
	s, ok1 := isoDate(start)
	e, ok2 := isoDate(end)
	if !ok1 || !ok2 || e.Before(s) {
		return ""
	}
	n := int(e.Sub(s)/(24*time.Hour)) + 1
	if n >= 14 {
		return strconv.Itoa(int(math.Round(float64(n)/7))) + " weeks"
	}
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

func days(x float64) string {
	if x == 0 {
		return "–"
	}
	if x == 1 {
		return "1 day"
	}
	return strconv.FormatFloat(x, 'f', -1, 64) + " days"
}

// formatAmount writes 480000 as "480,000" and 1234.5 as "1,234.50".
func formatAmount(x float64) string {
	neg := x < 0
	x = math.Abs(x)
	whole := math.Floor(x)
	cents := math.Round((x - whole) * 100)
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if cents != 0 {
		b.WriteString("." + strconv.Itoa(int(cents)/10) + strconv.Itoa(int(cents)%10))
	}
	return b.String()
}
