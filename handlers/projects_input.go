package handlers

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// ---- The HTML form --------------------------------------------------------

// rowInput matches a row field: data.risks[KEY].impact.
var rowInput = regexp.MustCompile(`^data\.(deliverables|milestones|stakeholders|risks|objectives|benefits)\[([A-Za-z0-9_-]{1,40})\]\.([A-Za-z]+)$`)

// readProjectForm reads the posted form as typed. Rows keep the order of the
// page; rows whose fields are all blank (added, then left empty) are dropped,
// and the rest are renumbered 0, 1, 2… so that their names match the JSON
// paths of validation errors.
func readProjectForm(c *fiber.Ctx) pages.ProjectForm {
	// A browser sends a textarea's line breaks as CRLF: stored as typed,
	// they are LF (a project saved unchanged stays unchanged).
	v := func(k string) string { return normalizeNewlines(strings.Clone(c.FormValue(k))) }
	f := pages.ProjectForm{
		Name: v("name"), Description: v("description"),
		Sponsor: v("data.sponsor"), Manager: v("data.manager"),
		StartDate: v("data.startDate"), EndDate: v("data.endDate"),
		BudgetAmount: v("data.budget.amount"), BudgetCurrency: v("data.budget.currency"),
		DayRateAmount: v("data.dayRate.amount"), DayRateCurrency: v("data.dayRate.currency"), DiscountRate: v("data.discountRatePercent"),
		ScopeIn: v("data.scopeIn"), ScopeOut: v("data.scopeOut"),
		Constraints: v("data.constraints"), Assumptions: v("data.assumptions"), SuccessCriteria: v("data.successCriteria"),
		CompanyName: v("companyIntelligencePack.companyName"), Industry: v("companyIntelligencePack.industry"),
		Mission: v("companyIntelligencePack.mission"), ToneOfVoice: v("companyIntelligencePack.toneOfVoice"),
		Values: v("companyIntelligencePack.values"), StrategicGoals: v("companyIntelligencePack.strategicGoals"),
		Competitors: v("companyIntelligencePack.competitors"), ComplianceStds: v("companyIntelligencePack.complianceStandards"),
	}
	type row struct {
		key    string
		values map[string]string
	}
	rows := map[string][]*row{}
	byKey := map[string]*row{}
	c.Request().PostArgs().VisitAll(func(k, val []byte) {
		m := rowInput.FindSubmatch(k)
		if m == nil {
			return
		}
		list, key, field := string(m[1]), string(m[2]), string(m[3])
		r, ok := byKey[list+"\x00"+key]
		if !ok {
			r = &row{key: key, values: map[string]string{}}
			byKey[list+"\x00"+key] = r
			rows[list] = append(rows[list], r)
		}
		r.values[field] = normalizeNewlines(string(val))
	})
	blank := func(r *row) bool {
		for _, s := range r.values {
			if strings.TrimSpace(s) != "" {
				return false
			}
		}
		return true
	}
	next := func(list string) func(yield func(string, map[string]string) bool) {
		return func(yield func(string, map[string]string) bool) {
			i := 0
			for _, r := range rows[list] {
				if blank(r) {
					continue
				}
				if !yield(strconv.Itoa(i), r.values) {
					return
				}
				i++
			}
		}
	}
	for k, r := range next("deliverables") {
		f.Deliverables = append(f.Deliverables, pages.DeliverableRow{Key: k, Name: r["name"], Description: r["description"], EffortDays: r["effortDays"],
			People: r["people"], DependsOn: r["dependsOn"], Owner: r["owner"]})
	}
	for k, r := range next("milestones") {
		f.Milestones = append(f.Milestones, pages.MilestoneRow{Key: k, Name: r["name"], Date: r["date"], Requires: r["requires"]})
	}
	for k, r := range next("objectives") {
		f.Objectives = append(f.Objectives, pages.ObjectiveRow{Key: k, Text: r["text"], Goals: r["goals"]})
	}
	for k, r := range next("benefits") {
		f.Benefits = append(f.Benefits, pages.BenefitRow{Key: k, Description: r["description"], AnnualValue: r["annualValue"], StartsAfterMonths: r["startsAfterMonths"]})
	}
	for k, r := range next("stakeholders") {
		f.Stakeholders = append(f.Stakeholders, pages.StakeholderRow{Key: k, Name: r["name"], Role: r["role"], Interest: r["interest"], Influence: r["influence"]})
	}
	for k, r := range next("risks") {
		f.Risks = append(f.Risks, pages.RiskRow{Key: k, Description: r["description"], Probability: r["probability"], Impact: r["impact"], Owner: r["owner"], Mitigation: r["mitigation"]})
	}
	return f
}

// formInput turns the form into projectInput; numbers that don't parse are
// reported under their field's path.
func formInput(f pages.ProjectForm, fields *models.FieldErrors) models.ProjectInput {
	num := func(path, s string) *float64 {
		s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
		if s == "" {
			return nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			fields.Add(path, "must be a number")
			return nil
		}
		return &x
	}
	whole := func(path, s, msg string) *int {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fields.Add(path, msg)
			return nil
		}
		return &n
	}
	score := func(path, s string) *int { return whole(path, s, "must be a whole number from 1 to 5") }
	goals := lines(f.StrategicGoals)
	in := models.ProjectInput{
		Name: f.Name, Description: f.Description,
		Data: models.DataInput{
			Sponsor: f.Sponsor, Manager: f.Manager, StartDate: f.StartDate, EndDate: f.EndDate,
			ScopeIn: lines(f.ScopeIn), ScopeOut: lines(f.ScopeOut),
			DiscountRatePercent: num("data.discountRatePercent", f.DiscountRate),
			Constraints:         lines(f.Constraints), Assumptions: lines(f.Assumptions), SuccessCriteria: lines(f.SuccessCriteria),
		},
		CompanyIntelligencePack: models.CompanyPack{
			CompanyName: f.CompanyName, Industry: f.Industry, Mission: f.Mission, ToneOfVoice: f.ToneOfVoice,
			Values: lines(f.Values), StrategicGoals: lines(f.StrategicGoals),
			Competitors: lines(f.Competitors), ComplianceStandards: lines(f.ComplianceStds),
		},
	}
	// A currency without an amount is no budget (the form suggests EUR).
	if amount := num("data.budget.amount", f.BudgetAmount); amount != nil {
		in.Data.Budget = &models.MoneyInput{Amount: amount, Currency: f.BudgetCurrency}
	}
	if amount := num("data.dayRate.amount", f.DayRateAmount); amount != nil {
		in.Data.DayRate = &models.MoneyInput{Amount: amount, Currency: f.DayRateCurrency}
	}
	for _, r := range f.Objectives {
		o := models.Objective{Text: r.Text}
		path := pages.RowField("objectives", r.Key, "goals")
		for _, g := range strings.FieldsFunc(r.Goals, func(c rune) bool { return c == ',' || c == ';' || c == ' ' }) {
			n, err := strconv.Atoi(g)
			if len(goals) == 0 {
				fields.Add(path, "the company pack has no strategic goals yet: add them to the company pack first, then list their numbers here")
				break
			}
			if err != nil || n < 1 || n > len(goals) {
				fields.Add(path, goalNumbersMessage(len(goals)))
				break
			}
			o.StrategicGoals = append(o.StrategicGoals, goals[n-1])
		}
		in.Data.Objectives = append(in.Data.Objectives, o)
	}
	for _, r := range f.Deliverables {
		in.Data.Deliverables = append(in.Data.Deliverables, models.DeliverableInput{Name: r.Name, Description: r.Description,
			EffortDays: num(pages.RowField("deliverables", r.Key, "effortDays"), r.EffortDays),
			People:     whole(pages.RowField("deliverables", r.Key, "people"), r.People, "must be a whole number of people"),
			DependsOn:  lines(r.DependsOn), Owner: r.Owner})
	}
	for _, r := range f.Milestones {
		in.Data.Milestones = append(in.Data.Milestones, models.Milestone{Name: r.Name, Date: r.Date, Requires: lines(r.Requires)})
	}
	for _, r := range f.Benefits {
		in.Data.Benefits = append(in.Data.Benefits, models.BenefitInput{Description: r.Description,
			AnnualValue:       num(pages.RowField("benefits", r.Key, "annualValue"), r.AnnualValue),
			StartsAfterMonths: whole(pages.RowField("benefits", r.Key, "startsAfterMonths"), r.StartsAfterMonths, "must be a whole number of months")})
	}
	for _, r := range f.Stakeholders {
		in.Data.Stakeholders = append(in.Data.Stakeholders, models.StakeholderInput{Name: r.Name, Role: r.Role,
			Interest:  score(pages.RowField("stakeholders", r.Key, "interest"), r.Interest),
			Influence: score(pages.RowField("stakeholders", r.Key, "influence"), r.Influence)})
	}
	for _, r := range f.Risks {
		in.Data.Risks = append(in.Data.Risks, models.RiskInput{Description: r.Description, Owner: r.Owner, Mitigation: r.Mitigation,
			Probability: score(pages.RowField("risks", r.Key, "probability"), r.Probability),
			Impact:      score(pages.RowField("risks", r.Key, "impact"), r.Impact)})
	}
	return in
}

// projectForm fills the form from a stored project (edit, example).
func projectForm(name, description string, d models.ProjectData, cp models.CompanyPack) pages.ProjectForm {
	j := func(l []string) string { return strings.Join(l, "\n") }
	f := pages.ProjectForm{
		Name: name, Description: description,
		Sponsor: d.Sponsor, Manager: d.Manager, StartDate: d.StartDate, EndDate: d.EndDate,
		ScopeIn: j(d.ScopeIn), ScopeOut: j(d.ScopeOut),
		Constraints: j(d.Constraints), Assumptions: j(d.Assumptions), SuccessCriteria: j(d.SuccessCriteria),
		CompanyName: cp.CompanyName, Industry: cp.Industry, Mission: cp.Mission, ToneOfVoice: cp.ToneOfVoice,
		Values: j(cp.Values), StrategicGoals: j(cp.StrategicGoals), Competitors: j(cp.Competitors), ComplianceStds: j(cp.ComplianceStandards),
	}
	if d.Budget != nil {
		f.BudgetAmount = strconv.FormatFloat(d.Budget.Amount, 'f', -1, 64)
		f.BudgetCurrency = d.Budget.Currency
	}
	if d.DayRate != nil {
		f.DayRateAmount = strconv.FormatFloat(d.DayRate.Amount, 'f', -1, 64)
		f.DayRateCurrency = d.DayRate.Currency
	}
	if d.DiscountRatePercent != nil {
		f.DiscountRate = strconv.FormatFloat(*d.DiscountRatePercent, 'f', -1, 64)
	}
	for i, o := range d.Objectives {
		var nums []string
		for _, g := range o.StrategicGoals {
			n := slices.IndexFunc(cp.StrategicGoals, func(s string) bool { return strings.EqualFold(s, g) })
			if n >= 0 {
				nums = append(nums, strconv.Itoa(n+1))
			}
		}
		f.Objectives = append(f.Objectives, pages.ObjectiveRow{Key: strconv.Itoa(i), Text: o.Text, Goals: strings.Join(nums, ", ")})
	}
	for i, x := range d.Benefits {
		f.Benefits = append(f.Benefits, pages.BenefitRow{Key: strconv.Itoa(i), Description: x.Description,
			AnnualValue: strconv.FormatFloat(x.AnnualValue, 'f', -1, 64), StartsAfterMonths: strconv.Itoa(x.StartsAfterMonths)})
	}
	for i, x := range d.Deliverables {
		eff := ""
		if x.EffortDays != 0 {
			eff = strconv.FormatFloat(x.EffortDays, 'f', -1, 64)
		}
		people := ""
		if x.People > 0 {
			people = strconv.Itoa(x.People)
		}
		f.Deliverables = append(f.Deliverables, pages.DeliverableRow{Key: strconv.Itoa(i), Name: x.Name, Description: x.Description, EffortDays: eff,
			People: people, DependsOn: j(x.DependsOn), Owner: x.Owner})
	}
	for i, x := range d.Milestones {
		f.Milestones = append(f.Milestones, pages.MilestoneRow{Key: strconv.Itoa(i), Name: x.Name, Date: x.Date, Requires: j(x.Requires)})
	}
	for i, x := range d.Stakeholders {
		f.Stakeholders = append(f.Stakeholders, pages.StakeholderRow{Key: strconv.Itoa(i), Name: x.Name, Role: x.Role, Interest: scoreString(x.Interest), Influence: scoreString(x.Influence)})
	}
	for i, x := range d.Risks {
		f.Risks = append(f.Risks, pages.RiskRow{Key: strconv.Itoa(i), Description: x.Description, Probability: scoreString(x.Probability), Impact: scoreString(x.Impact), Owner: x.Owner, Mitigation: x.Mitigation})
	}
	return f
}

func scoreString(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// goalNumbersMessage asks for the numbers of the pack's n (1 or more)
// strategic goals, with an example within them.
func goalNumbersMessage(n int) string {
	switch n {
	case 1:
		return "the company pack has one strategic goal: enter 1, or leave this empty"
	case 2:
		return "list the numbers of strategic goals in the company pack, from 1 to 2, such as 1, 2"
	}
	return fmt.Sprintf("list the numbers of strategic goals in the company pack, from 1 to %d, such as 1, 3", n)
}
