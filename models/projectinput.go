package models

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ProjectInput is the Project JSON of the API as a client sends it. The HTML
// form and the JSON import are read into the same struct, and a job's
// projectData is a DataInput, so every entry point is checked by the same
// rules (Validate). Numbers are pointers so that a missing score (fine)
// differs from a 0 (out of range).
type ProjectInput struct {
	Name                    string      `json:"name"`
	Description             string      `json:"description"`
	Data                    DataInput   `json:"data"`
	CompanyIntelligencePack CompanyPack `json:"companyIntelligencePack"`
}

// DataInput is the project's data as sent: ProjectData with optional numbers.
type DataInput struct {
	Sponsor             string             `json:"sponsor"`
	Manager             string             `json:"manager"`
	StartDate           string             `json:"startDate"`
	EndDate             string             `json:"endDate"`
	Budget              *MoneyInput        `json:"budget"`
	DayRate             *MoneyInput        `json:"dayRate"`
	Objectives          []Objective        `json:"objectives"`
	ScopeIn             []string           `json:"scopeIn"`
	ScopeOut            []string           `json:"scopeOut"`
	Deliverables        []DeliverableInput `json:"deliverables"`
	Milestones          []Milestone        `json:"milestones"`
	Stakeholders        []StakeholderInput `json:"stakeholders"`
	Risks               []RiskInput        `json:"risks"`
	Constraints         []string           `json:"constraints"`
	Assumptions         []string           `json:"assumptions"`
	SuccessCriteria     []string           `json:"successCriteria"`
	Benefits            []BenefitInput     `json:"benefits"`
	DiscountRatePercent *float64           `json:"discountRatePercent"`
}

type MoneyInput struct {
	Amount   *float64 `json:"amount"`
	Currency string   `json:"currency"`
}

type DeliverableInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	EffortDays  *float64 `json:"effortDays"`
	DependsOn   []string `json:"dependsOn"`
	People      *int     `json:"people"`
	Owner       string   `json:"owner"`
}

type StakeholderInput struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Interest  *int   `json:"interest"`
	Influence *int   `json:"influence"`
}

type RiskInput struct {
	Description string `json:"description"`
	Probability *int   `json:"probability"`
	Impact      *int   `json:"impact"`
	Owner       string `json:"owner"`
	Mitigation  string `json:"mitigation"`
}

type BenefitInput struct {
	Description       string   `json:"description"`
	AnnualValue       *float64 `json:"annualValue"`
	StartsAfterMonths *int     `json:"startsAfterMonths"`
}

// Limits that keep one project a sensible size. Every text has a length
// limit and every list a count limit, so neither a stored project nor a
// document written from it can grow without bound.
const (
	MaxNameChars  = 200  // names, owners, roles, dates, currency
	MaxTextChars  = 5000 // descriptions and list items
	MaxItems      = 200  // entries per list
	MaxPeople     = 100  // people on one deliverable
	MaxMonths     = 600  // a benefit starting 50 years out is a typo
	maxAmount     = 1e15 // beyond this a money figure is a typo, not a plan
	maxEffortDays = 10000
)

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate trims every text and checks the rules the Project JSON promises:
// a name, texts within their length and free of NUL characters (which
// PostgreSQL cannot store), dates in ISO 8601 with the end not before the
// start, scores from 1 to 5, no negative effort or money, lists within their
// size, and references (dependsOn, requires, strategic goals) that name
// something that exists, without cycles. Errors are keyed by JSON path.
func (in *ProjectInput) Validate(fe *FieldErrors) {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	switch {
	case in.Name == "":
		fe.Add("name", "is required")
	default:
		checkText(fe, "name", in.Name, MaxNameChars)
	}
	checkText(fe, "description", in.Description, MaxTextChars)
	ValidateCompanyPack(&in.CompanyIntelligencePack, fe, "companyIntelligencePack.")
	in.Data.Validate(fe, "data.", &in.CompanyIntelligencePack)
}

// Project converts valid input into the stored project.
func (in *ProjectInput) Project() *Project {
	return &Project{Name: in.Name, Description: in.Description, Data: in.Data.ProjectData(), CompanyIntelligencePack: in.CompanyIntelligencePack}
}

// ValidateCompanyPack trims and checks a company pack; prefix is its path
// ("companyIntelligencePack.").
func ValidateCompanyPack(cp *CompanyPack, fe *FieldErrors, prefix string) {
	t := strings.TrimSpace
	cp.CompanyName, cp.Industry, cp.Mission, cp.ToneOfVoice = t(cp.CompanyName), t(cp.Industry), t(cp.Mission), t(cp.ToneOfVoice)
	checkText(fe, prefix+"companyName", cp.CompanyName, MaxNameChars)
	checkText(fe, prefix+"industry", cp.Industry, MaxNameChars)
	checkText(fe, prefix+"mission", cp.Mission, MaxTextChars)
	checkText(fe, prefix+"toneOfVoice", cp.ToneOfVoice, MaxTextChars)
	checkList(fe, prefix+"values", &cp.Values)
	checkList(fe, prefix+"strategicGoals", &cp.StrategicGoals)
	checkList(fe, prefix+"competitors", &cp.Competitors)
	checkList(fe, prefix+"complianceStandards", &cp.ComplianceStandards)
}

// Validate trims and checks project data; prefix is its path ("data." in a
// project, "projectData." in a job request). pack is the company pack the
// data is used with: objectives may link only to its strategic goals.
func (d *DataInput) Validate(fe *FieldErrors, prefix string, pack *CompanyPack) {
	t := strings.TrimSpace
	d.Sponsor, d.Manager, d.StartDate, d.EndDate = t(d.Sponsor), t(d.Manager), t(d.StartDate), t(d.EndDate)
	checkText(fe, prefix+"sponsor", d.Sponsor, MaxNameChars)
	checkText(fe, prefix+"manager", d.Manager, MaxNameChars)
	start, startOK := checkDate(fe, prefix+"startDate", d.StartDate)
	end, endOK := checkDate(fe, prefix+"endDate", d.EndDate)
	if startOK && endOK && !start.IsZero() && !end.IsZero() && end.Before(start) {
		fe.Add(prefix+"endDate", "must be on or after the start date")
	}
	checkMoney(fe, prefix+"budget.", d.Budget, false)
	checkMoney(fe, prefix+"dayRate.", d.DayRate, true)
	if r := d.DiscountRatePercent; r != nil && (!finite(*r) || *r < 0 || *r > 100) {
		fe.Add(prefix+"discountRatePercent", "must be a number from 0 to 100")
	}
	for _, l := range []struct {
		path  string
		items *[]string
	}{
		{"scopeIn", &d.ScopeIn}, {"scopeOut", &d.ScopeOut}, {"constraints", &d.Constraints},
		{"assumptions", &d.Assumptions}, {"successCriteria", &d.SuccessCriteria},
	} {
		checkList(fe, prefix+l.path, l.items)
	}
	d.validateObjectives(fe, prefix, pack)

	// A list over its limit is one problem, not one per item: checking
	// 100,000 items would only bury that message.
	if checkCount(fe, prefix+"deliverables", len(d.Deliverables)) {
		d.validateDeliverables(fe, prefix)
	}
	if checkCount(fe, prefix+"milestones", len(d.Milestones)) {
		d.validateMilestones(fe, prefix)
	}
	if checkCount(fe, prefix+"stakeholders", len(d.Stakeholders)) {
		for i := range d.Stakeholders {
			x := &d.Stakeholders[i]
			p := item(prefix+"stakeholders", i)
			x.Name, x.Role = t(x.Name), t(x.Role)
			required(fe, p+"name", x.Name, MaxNameChars)
			checkText(fe, p+"role", x.Role, MaxNameChars)
			checkScore(fe, p+"interest", x.Interest)
			checkScore(fe, p+"influence", x.Influence)
			checkPair(fe, p, "interest", x.Interest, "influence", x.Influence)
		}
	}
	if checkCount(fe, prefix+"risks", len(d.Risks)) {
		for i := range d.Risks {
			x := &d.Risks[i]
			p := item(prefix+"risks", i)
			x.Description, x.Owner, x.Mitigation = t(x.Description), t(x.Owner), t(x.Mitigation)
			required(fe, p+"description", x.Description, MaxTextChars)
			checkText(fe, p+"owner", x.Owner, MaxNameChars)
			checkText(fe, p+"mitigation", x.Mitigation, MaxTextChars)
			checkScore(fe, p+"probability", x.Probability)
			checkScore(fe, p+"impact", x.Impact)
			checkPair(fe, p, "probability", x.Probability, "impact", x.Impact)
		}
	}
	if checkCount(fe, prefix+"benefits", len(d.Benefits)) {
		for i := range d.Benefits {
			x := &d.Benefits[i]
			p := item(prefix+"benefits", i)
			x.Description = t(x.Description)
			required(fe, p+"description", x.Description, MaxTextChars)
			switch v := x.AnnualValue; {
			case v == nil:
				fe.Add(p+"annualValue", "is required")
			default:
				if msg := amountOutOfRange(*v); msg != "" {
					fe.Add(p+"annualValue", msg)
				}
			}
			if m := x.StartsAfterMonths; m != nil && (*m < 0 || *m > MaxMonths) {
				fe.Add(p+"startsAfterMonths", fmt.Sprintf("must be a whole number of months from 0 to %d", MaxMonths))
			}
		}
	}
}

func (d *DataInput) validateObjectives(fe *FieldErrors, prefix string, pack *CompanyPack) {
	path := prefix + "objectives"
	var kept []Objective
	for _, o := range d.Objectives {
		if o.Text = strings.TrimSpace(o.Text); o.Text != "" || len(o.StrategicGoals) > 0 {
			kept = append(kept, o)
		}
	}
	d.Objectives = kept
	if !checkCount(fe, path, len(kept)) {
		return
	}
	goals := map[string]bool{}
	if pack != nil {
		for _, g := range pack.StrategicGoals {
			goals[strings.ToLower(g)] = true
		}
	}
	for i := range d.Objectives {
		o := &d.Objectives[i]
		p := item(path, i)
		if len(o.StrategicGoals) == 0 {
			checkText(fe, p, o.Text, MaxTextChars)
			continue
		}
		required(fe, p+"text", o.Text, MaxTextChars)
		checkList(fe, p+"strategicGoals", &o.StrategicGoals)
		for j, g := range o.StrategicGoals {
			if !goals[strings.ToLower(g)] && !fe.Has(p+"strategicGoals") {
				fe.Add(item(p+"strategicGoals", j), fmt.Sprintf("%q is not one of the company pack's strategic goals", g))
			}
		}
	}
}

func (d *DataInput) validateDeliverables(fe *FieldErrors, prefix string) {
	path := prefix + "deliverables"
	t := strings.TrimSpace
	index := map[string]int{} // NameKey → position
	for i := range d.Deliverables {
		x := &d.Deliverables[i]
		p := item(path, i)
		x.Name, x.Description, x.Owner = t(x.Name), t(x.Description), t(x.Owner)
		required(fe, p+"name", x.Name, MaxNameChars)
		checkText(fe, p+"description", x.Description, MaxTextChars)
		checkText(fe, p+"owner", x.Owner, MaxNameChars)
		switch e := x.EffortDays; {
		case e == nil:
		case !finite(*e) || *e < 0:
			fe.Add(p+"effortDays", "must be zero or more")
		case *e > maxEffortDays:
			fe.Add(p+"effortDays", fmt.Sprintf("must be at most %d days", maxEffortDays))
		}
		if n := x.People; n != nil && (*n < 1 || *n > MaxPeople) {
			fe.Add(p+"people", fmt.Sprintf("must be a whole number from 1 to %d", MaxPeople))
		}
		checkList(fe, p+"dependsOn", &x.DependsOn)
		if NameKey(x.Name) == "" {
			continue // blank, or only invisible characters: no reference can name it (nor does the schedule)
		}
		if k, dup := index[NameKey(x.Name)]; dup {
			msg := "another deliverable has this name; names must be unique, as dependencies and milestones refer to them"
			if other := d.Deliverables[k].Name; !strings.EqualFold(other, x.Name) {
				// "Portal\nredesign" and "Portal redesign": one name
				// to a reference, and on the form.
				msg = fmt.Sprintf("another deliverable is named %q, which differs only in spaces or line breaks; "+
					"names must be unique, as dependencies and milestones refer to them", other)
			}
			fe.Add(p+"name", msg)
			continue
		}
		index[NameKey(x.Name)] = i
	}
	// References must name another deliverable.
	deps := make([][]int, len(d.Deliverables))
	for i, x := range d.Deliverables {
		for j, name := range x.DependsOn {
			k, ok := index[NameKey(name)]
			switch {
			case !ok:
				fe.Add(item(item(path, i)+"dependsOn", j), fmt.Sprintf("no deliverable is named %q", name))
			case k == i:
				fe.Add(item(item(path, i)+"dependsOn", j), "a deliverable cannot depend on itself")
			default:
				deps[i] = append(deps[i], k)
			}
		}
	}
	if cycle := findCycle(deps); cycle != nil {
		names := make([]string, len(cycle))
		for i, k := range cycle {
			names[i] = d.Deliverables[k].Name
		}
		fe.Add(item(path, cycle[0])+"dependsOn", "dependency cycle: "+strings.Join(names, " → ")+"; a deliverable cannot wait for itself")
	}
}

// NameKey is what a reference to a deliverable (dependsOn, requires)
// matches its name by: letter case aside, and each run of spaces and line
// breaks counting as one space, control and format characters as none. The
// documents' schedule and phases (jobs/documents) resolve references with
// it too, so that the validator accepts exactly the references the schedule
// resolves, and the edit form, which shows a name's line breaks as spaces,
// can refer to it as shown.
func NameKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == 0:
			space = true
			continue
		case unicode.IsControl(r) || r == '\uFEFF' || unicode.Is(unicode.Cf, r) && r != '\u200d':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// findCycle returns one dependency cycle as positions, first repeated at
// the end (a → b → a), or nil.
func findCycle(deps [][]int) []int {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(deps))
	var path []int
	var visit func(int) []int
	visit = func(n int) []int {
		state[n] = onPath
		path = append(path, n)
		for _, m := range deps[n] {
			switch state[m] {
			case onPath:
				for i, p := range path {
					if p == m {
						return append(append([]int(nil), path[i:]...), m)
					}
				}
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for n := range deps {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

func (d *DataInput) validateMilestones(fe *FieldErrors, prefix string) {
	names := map[string]bool{}
	for _, x := range d.Deliverables {
		if k := NameKey(x.Name); k != "" {
			names[k] = true
		}
	}
	for i := range d.Milestones {
		x := &d.Milestones[i]
		p := item(prefix+"milestones", i)
		x.Name, x.Date = strings.TrimSpace(x.Name), strings.TrimSpace(x.Date)
		required(fe, p+"name", x.Name, MaxNameChars)
		checkDate(fe, p+"date", x.Date)
		checkList(fe, p+"requires", &x.Requires)
		for j, r := range x.Requires {
			if !names[NameKey(r)] {
				fe.Add(item(p+"requires", j), fmt.Sprintf("no deliverable is named %q", r))
			}
		}
	}
}

// ProjectData converts valid input into the stored data.
func (d *DataInput) ProjectData() ProjectData {
	data := ProjectData{
		Sponsor: d.Sponsor, Manager: d.Manager, StartDate: d.StartDate, EndDate: d.EndDate,
		Objectives: d.Objectives, ScopeIn: d.ScopeIn, ScopeOut: d.ScopeOut, Milestones: d.Milestones,
		Constraints: d.Constraints, Assumptions: d.Assumptions, SuccessCriteria: d.SuccessCriteria,
		DiscountRatePercent: d.DiscountRatePercent,
	}
	data.Budget = d.Budget.money()
	data.DayRate = d.DayRate.money()
	for _, x := range d.Deliverables {
		data.Deliverables = append(data.Deliverables, Deliverable{Name: x.Name, Description: x.Description,
			EffortDays: orZero(x.EffortDays), DependsOn: x.DependsOn, People: orZero(x.People), Owner: x.Owner})
	}
	for _, x := range d.Stakeholders {
		data.Stakeholders = append(data.Stakeholders, Stakeholder{Name: x.Name, Role: x.Role, Interest: orZero(x.Interest), Influence: orZero(x.Influence)})
	}
	for _, x := range d.Risks {
		data.Risks = append(data.Risks, Risk{Description: x.Description, Probability: orZero(x.Probability), Impact: orZero(x.Impact), Owner: x.Owner, Mitigation: x.Mitigation})
	}
	for _, x := range d.Benefits {
		data.Benefits = append(data.Benefits, Benefit{Description: x.Description, AnnualValue: orZero(x.AnnualValue), StartsAfterMonths: orZero(x.StartsAfterMonths)})
	}
	return data
}

// Input is the stored data as input, for validating it again (a job that
// runs a stored project's data, the example project in tests).
func (d ProjectData) Input() DataInput {
	in := DataInput{
		Sponsor: d.Sponsor, Manager: d.Manager, StartDate: d.StartDate, EndDate: d.EndDate,
		Objectives: d.Objectives, ScopeIn: d.ScopeIn, ScopeOut: d.ScopeOut, Milestones: d.Milestones,
		Constraints: d.Constraints, Assumptions: d.Assumptions, SuccessCriteria: d.SuccessCriteria,
		DiscountRatePercent: d.DiscountRatePercent,
	}
	if b := d.Budget; b != nil {
		in.Budget = &MoneyInput{Amount: &b.Amount, Currency: b.Currency}
	}
	if b := d.DayRate; b != nil {
		in.DayRate = &MoneyInput{Amount: &b.Amount, Currency: b.Currency}
	}
	for _, x := range d.Deliverables {
		di := DeliverableInput{Name: x.Name, Description: x.Description, EffortDays: &x.EffortDays, DependsOn: x.DependsOn, Owner: x.Owner}
		if x.People != 0 {
			di.People = &x.People
		}
		in.Deliverables = append(in.Deliverables, di)
	}
	for _, x := range d.Stakeholders {
		in.Stakeholders = append(in.Stakeholders, StakeholderInput{Name: x.Name, Role: x.Role, Interest: nonZero(x.Interest), Influence: nonZero(x.Influence)})
	}
	for _, x := range d.Risks {
		in.Risks = append(in.Risks, RiskInput{Description: x.Description, Owner: x.Owner, Mitigation: x.Mitigation, Probability: nonZero(x.Probability), Impact: nonZero(x.Impact)})
	}
	for _, x := range d.Benefits {
		in.Benefits = append(in.Benefits, BenefitInput{Description: x.Description, AnnualValue: &x.AnnualValue, StartsAfterMonths: &x.StartsAfterMonths})
	}
	return in
}

func (m *MoneyInput) money() *Budget {
	if m == nil || m.Amount == nil && m.Currency == "" {
		return nil
	}
	return &Budget{Amount: orZero(m.Amount), Currency: m.Currency}
}

// ---- single values ----------------------------------------------------------

func item(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]." }

// checkText reports NUL characters (PostgreSQL cannot store them), invalid
// UTF-8 and texts over max characters.
func checkText(fe *FieldErrors, path, s string, max int) {
	path = strings.TrimSuffix(path, ".")
	switch {
	case strings.IndexByte(s, 0) >= 0:
		fe.Add(path, "must not contain a NUL character")
	case !utf8.ValidString(s):
		fe.Add(path, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		fe.Add(path, fmt.Sprintf("must be at most %d characters", max))
	}
}

func required(fe *FieldErrors, path, s string, max int) {
	if s == "" {
		fe.Add(strings.TrimSuffix(path, "."), "is required")
		return
	}
	checkText(fe, path, s, max)
}

// checkCount reports a list over MaxItems; ok is false when it is.
func checkCount(fe *FieldErrors, path string, n int) bool {
	if n > MaxItems {
		fe.Add(path, fmt.Sprintf("must have at most %d items", MaxItems))
		return false
	}
	return true
}

// checkList trims a list of texts, drops the blank ones and checks the rest.
func checkList(fe *FieldErrors, path string, l *[]string) {
	var out []string
	for _, s := range *l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*l = out
	if !checkCount(fe, path, len(out)) {
		return
	}
	for i, s := range out {
		checkText(fe, item(path, i), s, MaxTextChars)
	}
}

func checkMoney(fe *FieldErrors, prefix string, m *MoneyInput, positive bool) {
	if m == nil {
		return
	}
	m.Currency = strings.ToUpper(strings.TrimSpace(m.Currency))
	if a := m.Amount; a != nil {
		switch msg := amountOutOfRange(*a); {
		case msg != "":
			fe.Add(prefix+"amount", msg)
		case positive && *a == 0:
			fe.Add(prefix+"amount", "must be more than zero")
		}
	} else if positive {
		fe.Add(prefix+"amount", "is required")
	}
	if m.Currency != "" && !currencyCode.MatchString(m.Currency) {
		fe.Add(prefix+"currency", "must be a 3-letter currency code such as EUR")
	}
}

// checkDate accepts an empty or ISO 8601 date; ok is false if it is neither.
func checkDate(fe *FieldErrors, path, s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		fe.Add(path, "must be a date in the form YYYY-MM-DD")
		return time.Time{}, false
	}
	return t, true
}

func checkScore(fe *FieldErrors, path string, n *int) {
	if n != nil && (*n < 1 || *n > 5) {
		fe.Add(path, "must be a whole number from 1 to 5")
	}
}

// checkPair requires both scores of a pair (a risk's probability and impact,
// a stakeholder's interest and influence) once one is given: a score is only
// meaningful with its partner, and a document would otherwise have to guess
// the missing one. Both missing is fine (not yet assessed).
func checkPair(fe *FieldErrors, prefix, a string, an *int, b string, bn *int) {
	switch {
	case an != nil && bn == nil:
		fe.Add(prefix+b, fmt.Sprintf("is required when %s is given (a whole number from 1 to 5)", a))
	case an == nil && bn != nil:
		fe.Add(prefix+a, fmt.Sprintf("is required when %s is given (a whole number from 1 to 5)", b))
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func nonZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// amountOutOfRange is the message for a money figure that is not one, or ""
// (a figure over the limit was told it "must be zero or more").
func amountOutOfRange(v float64) string {
	switch {
	case !finite(v):
		return "must be a number"
	case v < 0:
		return "must be zero or more"
	case v > maxAmount:
		return "must be at most 1,000,000,000,000,000"
	}
	return ""
}
