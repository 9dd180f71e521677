package handlers

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// projectInput is the Project JSON of DESIGN.md as a client sends it. Numbers
// are pointers so that a missing score (fine) differs from a 0 (out of
// range). The HTML form is parsed into the same struct, so both are
// validated by validate.
type projectInput struct {
	Name                    string             `json:"name"`
	Description             string             `json:"description"`
	Data                    dataInput          `json:"data"`
	CompanyIntelligencePack models.CompanyPack `json:"companyIntelligencePack"`
}

type dataInput struct {
	Sponsor         string             `json:"sponsor"`
	Manager         string             `json:"manager"`
	StartDate       string             `json:"startDate"`
	EndDate         string             `json:"endDate"`
	Budget          *budgetInput       `json:"budget"`
	Objectives      []string           `json:"objectives"`
	ScopeIn         []string           `json:"scopeIn"`
	ScopeOut        []string           `json:"scopeOut"`
	Deliverables    []deliverableInput `json:"deliverables"`
	Milestones      []models.Milestone `json:"milestones"`
	Stakeholders    []stakeholderInput `json:"stakeholders"`
	Risks           []riskInput        `json:"risks"`
	Constraints     []string           `json:"constraints"`
	Assumptions     []string           `json:"assumptions"`
	SuccessCriteria []string           `json:"successCriteria"`
}

type budgetInput struct {
	Amount   *float64 `json:"amount"`
	Currency string   `json:"currency"`
}

type deliverableInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	EffortDays  *float64 `json:"effortDays"`
}

type stakeholderInput struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Interest  *int   `json:"interest"`
	Influence *int   `json:"influence"`
}

type riskInput struct {
	Description string `json:"description"`
	Probability *int   `json:"probability"`
	Impact      *int   `json:"impact"`
	Owner       string `json:"owner"`
	Mitigation  string `json:"mitigation"`
}

// Limits that keep one project a sensible size; the body limit caps the rest.
const (
	maxName  = 200
	maxText  = 5000
	maxItems = 200
)

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// validate checks the rules the Project JSON promises: a name, dates in ISO
// 8601 with the end not before the start, scores from 1 to 5, no negative
// effort or budget. Errors are keyed by JSON path.
func (in *projectInput) validate(fields fieldErrors) {
	in.trim()
	switch {
	case in.Name == "":
		fields.add("name", "is required")
	case tooLong(in.Name, maxName):
		fields.add("name", "must be at most 200 characters")
	}
	if tooLong(in.Description, maxText) {
		fields.add("description", "must be at most 5000 characters")
	}
	d := &in.Data
	start, startOK := checkDate(fields, "data.startDate", d.StartDate)
	end, endOK := checkDate(fields, "data.endDate", d.EndDate)
	if startOK && endOK && !start.IsZero() && !end.IsZero() && end.Before(start) {
		fields.add("data.endDate", "must be on or after the start date")
	}
	if b := d.Budget; b != nil {
		if b.Amount != nil && (*b.Amount < 0 || math.IsNaN(*b.Amount) || math.IsInf(*b.Amount, 0)) {
			fields.add("data.budget.amount", "must be zero or more")
		}
		if b.Currency != "" && !currencyCode.MatchString(b.Currency) {
			fields.add("data.budget.currency", "must be a 3-letter currency code such as EUR")
		}
	}
	for _, l := range []struct {
		path  string
		items []string
	}{
		{"data.objectives", d.Objectives}, {"data.scopeIn", d.ScopeIn}, {"data.scopeOut", d.ScopeOut},
		{"data.constraints", d.Constraints}, {"data.assumptions", d.Assumptions}, {"data.successCriteria", d.SuccessCriteria},
		{"companyIntelligencePack.values", in.CompanyIntelligencePack.Values},
		{"companyIntelligencePack.strategicGoals", in.CompanyIntelligencePack.StrategicGoals},
		{"companyIntelligencePack.competitors", in.CompanyIntelligencePack.Competitors},
		{"companyIntelligencePack.complianceStandards", in.CompanyIntelligencePack.ComplianceStandards},
	} {
		if len(l.items) > maxItems {
			fields.add(l.path, "must have at most 200 items")
		}
	}
	for _, n := range []struct {
		path string
		n    int
	}{{"data.deliverables", len(d.Deliverables)}, {"data.milestones", len(d.Milestones)}, {"data.stakeholders", len(d.Stakeholders)}, {"data.risks", len(d.Risks)}} {
		if n.n > maxItems {
			fields.add(n.path, "must have at most 200 items")
		}
	}
	for i, x := range d.Deliverables {
		p := "data.deliverables[" + strconv.Itoa(i) + "]."
		if x.Name == "" {
			fields.add(p+"name", "is required")
		}
		if x.EffortDays != nil && (*x.EffortDays < 0 || math.IsNaN(*x.EffortDays) || math.IsInf(*x.EffortDays, 0)) {
			fields.add(p+"effortDays", "must be zero or more")
		}
	}
	for i, x := range d.Milestones {
		p := "data.milestones[" + strconv.Itoa(i) + "]."
		if x.Name == "" {
			fields.add(p+"name", "is required")
		}
		checkDate(fields, p+"date", x.Date)
	}
	for i, x := range d.Stakeholders {
		p := "data.stakeholders[" + strconv.Itoa(i) + "]."
		if x.Name == "" {
			fields.add(p+"name", "is required")
		}
		checkScore(fields, p+"interest", x.Interest)
		checkScore(fields, p+"influence", x.Influence)
	}
	for i, x := range d.Risks {
		p := "data.risks[" + strconv.Itoa(i) + "]."
		if x.Description == "" {
			fields.add(p+"description", "is required")
		}
		checkScore(fields, p+"probability", x.Probability)
		checkScore(fields, p+"impact", x.Impact)
	}
}

// trim removes the blanks around every string, so "  " counts as empty.
func (in *projectInput) trim() {
	t := strings.TrimSpace
	in.Name, in.Description = t(in.Name), t(in.Description)
	d := &in.Data
	d.Sponsor, d.Manager, d.StartDate, d.EndDate = t(d.Sponsor), t(d.Manager), t(d.StartDate), t(d.EndDate)
	if d.Budget != nil {
		d.Budget.Currency = strings.ToUpper(t(d.Budget.Currency))
	}
	for _, l := range []*[]string{&d.Objectives, &d.ScopeIn, &d.ScopeOut, &d.Constraints, &d.Assumptions, &d.SuccessCriteria,
		&in.CompanyIntelligencePack.Values, &in.CompanyIntelligencePack.StrategicGoals,
		&in.CompanyIntelligencePack.Competitors, &in.CompanyIntelligencePack.ComplianceStandards} {
		*l = trimList(*l)
	}
	for i := range d.Deliverables {
		x := &d.Deliverables[i]
		x.Name, x.Description = t(x.Name), t(x.Description)
	}
	for i := range d.Milestones {
		x := &d.Milestones[i]
		x.Name, x.Date = t(x.Name), t(x.Date)
	}
	for i := range d.Stakeholders {
		x := &d.Stakeholders[i]
		x.Name, x.Role = t(x.Name), t(x.Role)
	}
	for i := range d.Risks {
		x := &d.Risks[i]
		x.Description, x.Owner, x.Mitigation = t(x.Description), t(x.Owner), t(x.Mitigation)
	}
	cp := &in.CompanyIntelligencePack
	cp.CompanyName, cp.Industry, cp.Mission, cp.ToneOfVoice = t(cp.CompanyName), t(cp.Industry), t(cp.Mission), t(cp.ToneOfVoice)
}

func trimList(l []string) []string {
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkDate accepts an empty or ISO 8601 date; ok is false if it is neither.
func checkDate(fields fieldErrors, path, s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, ok = isoDate(s)
	if !ok {
		fields.add(path, "must be a date in the form YYYY-MM-DD")
	}
	return t, ok
}

func checkScore(fields fieldErrors, path string, n *int) {
	if n != nil && (*n < 1 || *n > 5) {
		fields.add(path, "must be a whole number from 1 to 5")
	}
}

// project converts valid input into the stored project.
func (in *projectInput) project() *models.Project {
	d := in.Data
	data := models.ProjectData{
		Sponsor: d.Sponsor, Manager: d.Manager, StartDate: d.StartDate, EndDate: d.EndDate,
		Objectives: d.Objectives, ScopeIn: d.ScopeIn, ScopeOut: d.ScopeOut,
		Milestones:  d.Milestones,
		Constraints: d.Constraints, Assumptions: d.Assumptions, SuccessCriteria: d.SuccessCriteria,
	}
	if b := d.Budget; b != nil && (b.Amount != nil || b.Currency != "") {
		data.Budget = &models.Budget{Amount: orZero(b.Amount), Currency: b.Currency}
	}
	for _, x := range d.Deliverables {
		data.Deliverables = append(data.Deliverables, models.Deliverable{Name: x.Name, Description: x.Description, EffortDays: orZero(x.EffortDays)})
	}
	for _, x := range d.Stakeholders {
		data.Stakeholders = append(data.Stakeholders, models.Stakeholder{Name: x.Name, Role: x.Role, Interest: orZero(x.Interest), Influence: orZero(x.Influence)})
	}
	for _, x := range d.Risks {
		data.Risks = append(data.Risks, models.Risk{Description: x.Description, Probability: orZero(x.Probability), Impact: orZero(x.Impact), Owner: x.Owner, Mitigation: x.Mitigation})
	}
	return &models.Project{Name: in.Name, Description: in.Description, Data: data, CompanyIntelligencePack: in.CompanyIntelligencePack}
}

func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ---- The HTML form --------------------------------------------------------

// rowInput matches a row field: data.risks[KEY].impact.
var rowInput = regexp.MustCompile(`^data\.(deliverables|milestones|stakeholders|risks)\[([A-Za-z0-9_-]{1,40})\]\.([A-Za-z]+)$`)

// readProjectForm reads the posted form as typed. Rows keep the order of the
// page; rows whose fields are all blank (added, then left empty) are dropped,
// and the rest are renumbered 0, 1, 2… so that their names match the JSON
// paths of validation errors.
func readProjectForm(c *fiber.Ctx) pages.ProjectForm {
	v := func(k string) string { return strings.Clone(c.FormValue(k)) }
	f := pages.ProjectForm{
		Name: v("name"), Description: v("description"),
		Sponsor: v("data.sponsor"), Manager: v("data.manager"),
		StartDate: v("data.startDate"), EndDate: v("data.endDate"),
		BudgetAmount: v("data.budget.amount"), BudgetCurrency: v("data.budget.currency"),
		Objectives: v("data.objectives"), ScopeIn: v("data.scopeIn"), ScopeOut: v("data.scopeOut"),
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
		r.values[field] = string(val)
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
		f.Deliverables = append(f.Deliverables, pages.DeliverableRow{Key: k, Name: r["name"], Description: r["description"], EffortDays: r["effortDays"]})
	}
	for k, r := range next("milestones") {
		f.Milestones = append(f.Milestones, pages.MilestoneRow{Key: k, Name: r["name"], Date: r["date"]})
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
func formInput(f pages.ProjectForm, fields fieldErrors) projectInput {
	num := func(path, s string) *float64 {
		s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
		if s == "" {
			return nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			fields.add(path, "must be a number")
			return nil
		}
		return &x
	}
	score := func(path, s string) *int {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fields.add(path, "must be a whole number from 1 to 5")
			return nil
		}
		return &n
	}
	in := projectInput{
		Name: f.Name, Description: f.Description,
		Data: dataInput{
			Sponsor: f.Sponsor, Manager: f.Manager, StartDate: f.StartDate, EndDate: f.EndDate,
			Objectives: lines(f.Objectives), ScopeIn: lines(f.ScopeIn), ScopeOut: lines(f.ScopeOut),
			Constraints: lines(f.Constraints), Assumptions: lines(f.Assumptions), SuccessCriteria: lines(f.SuccessCriteria),
		},
		CompanyIntelligencePack: models.CompanyPack{
			CompanyName: f.CompanyName, Industry: f.Industry, Mission: f.Mission, ToneOfVoice: f.ToneOfVoice,
			Values: lines(f.Values), StrategicGoals: lines(f.StrategicGoals),
			Competitors: lines(f.Competitors), ComplianceStandards: lines(f.ComplianceStds),
		},
	}
	// A currency without an amount is no budget (the form suggests EUR).
	if amount := num("data.budget.amount", f.BudgetAmount); amount != nil {
		in.Data.Budget = &budgetInput{Amount: amount, Currency: f.BudgetCurrency}
	}
	for _, r := range f.Deliverables {
		in.Data.Deliverables = append(in.Data.Deliverables, deliverableInput{Name: r.Name, Description: r.Description,
			EffortDays: num(pages.RowField("deliverables", r.Key, "effortDays"), r.EffortDays)})
	}
	for _, r := range f.Milestones {
		in.Data.Milestones = append(in.Data.Milestones, models.Milestone{Name: r.Name, Date: r.Date})
	}
	for _, r := range f.Stakeholders {
		in.Data.Stakeholders = append(in.Data.Stakeholders, stakeholderInput{Name: r.Name, Role: r.Role,
			Interest:  score(pages.RowField("stakeholders", r.Key, "interest"), r.Interest),
			Influence: score(pages.RowField("stakeholders", r.Key, "influence"), r.Influence)})
	}
	for _, r := range f.Risks {
		in.Data.Risks = append(in.Data.Risks, riskInput{Description: r.Description, Owner: r.Owner, Mitigation: r.Mitigation,
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
		Objectives: j(d.Objectives), ScopeIn: j(d.ScopeIn), ScopeOut: j(d.ScopeOut),
		Constraints: j(d.Constraints), Assumptions: j(d.Assumptions), SuccessCriteria: j(d.SuccessCriteria),
		CompanyName: cp.CompanyName, Industry: cp.Industry, Mission: cp.Mission, ToneOfVoice: cp.ToneOfVoice,
		Values: j(cp.Values), StrategicGoals: j(cp.StrategicGoals), Competitors: j(cp.Competitors), ComplianceStds: j(cp.ComplianceStandards),
	}
	if d.Budget != nil {
		f.BudgetAmount = strconv.FormatFloat(d.Budget.Amount, 'f', -1, 64)
		f.BudgetCurrency = d.Budget.Currency
	}
	for i, x := range d.Deliverables {
		eff := ""
		if x.EffortDays != 0 {
			eff = strconv.FormatFloat(x.EffortDays, 'f', -1, 64)
		}
		f.Deliverables = append(f.Deliverables, pages.DeliverableRow{Key: strconv.Itoa(i), Name: x.Name, Description: x.Description, EffortDays: eff})
	}
	for i, x := range d.Milestones {
		f.Milestones = append(f.Milestones, pages.MilestoneRow{Key: strconv.Itoa(i), Name: x.Name, Date: x.Date})
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
