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

// rowKeys are the keys the kept rows of a posted form had on the page, per
// list ("objectives"), in the order of the renumbered rows. The edit page
// keys a stored row by its position (projectForm), so a key tells which
// stored row a posted one was filled from; a row added on the page has a
// random key ("n…"), which names none.
type rowKeys map[string][]string

// readProjectForm reads the posted form as typed. Rows keep the order of the
// page; rows whose fields are all blank (added, then left empty) are dropped,
// and the rest are renumbered 0, 1, 2… so that their names match the JSON
// paths of validation errors; keys are the keys they had on the page.
func readProjectForm(c *fiber.Ctx) (f pages.ProjectForm, keys rowKeys) {
	// A browser sends a textarea's line breaks as CRLF: stored as typed,
	// they are LF (a project saved unchanged stays unchanged).
	v := func(k string) string { return normalizeNewlines(strings.Clone(c.FormValue(k))) }
	f = pages.ProjectForm{
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
	keys = rowKeys{}
	next := func(list string) func(yield func(string, map[string]string) bool) {
		return func(yield func(string, map[string]string) bool) {
			i := 0
			for _, r := range rows[list] {
				if blank(r) {
					continue
				}
				keys[list] = append(keys[list], r.key)
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
	return f, keys
}

// formInput turns the form into projectInput; numbers that don't parse are
// reported under their field's path. base is the project the form was
// filled from (nil for a new project): a list the form shows as base has it
// is base's list, as stored (readList), and so are an objective's links to
// strategic goals when neither they nor the goals were changed.
func formInput(f pages.ProjectForm, keys rowKeys, base *models.Project, fields *models.FieldErrors) models.ProjectInput {
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
	var d models.ProjectData
	var cp models.CompanyPack
	if base != nil {
		d, cp = base.Data, base.CompanyIntelligencePack
	}
	goals := readList(f.StrategicGoals, cp.StrategicGoals)
	sameGoals := base != nil && slices.Equal(goals, cp.StrategicGoals)
	in := models.ProjectInput{
		Name: f.Name, Description: f.Description,
		Data: models.DataInput{
			Sponsor: f.Sponsor, Manager: f.Manager, StartDate: f.StartDate, EndDate: f.EndDate,
			ScopeIn: readList(f.ScopeIn, d.ScopeIn), ScopeOut: readList(f.ScopeOut, d.ScopeOut),
			DiscountRatePercent: num("data.discountRatePercent", f.DiscountRate),
			Constraints:         readList(f.Constraints, d.Constraints), Assumptions: readList(f.Assumptions, d.Assumptions),
			SuccessCriteria: readList(f.SuccessCriteria, d.SuccessCriteria),
		},
		CompanyIntelligencePack: models.CompanyPack{
			CompanyName: f.CompanyName, Industry: f.Industry, Mission: f.Mission, ToneOfVoice: f.ToneOfVoice,
			Values: readList(f.Values, cp.Values), StrategicGoals: goals,
			Competitors: readList(f.Competitors, cp.Competitors), ComplianceStandards: readList(f.ComplianceStds, cp.ComplianceStandards),
		},
	}
	// A currency without an amount is no budget (the form suggests EUR).
	if amount := num("data.budget.amount", f.BudgetAmount); amount != nil {
		in.Data.Budget = &models.MoneyInput{Amount: amount, Currency: f.BudgetCurrency}
	}
	if amount := num("data.dayRate.amount", f.DayRateAmount); amount != nil {
		in.Data.DayRate = &models.MoneyInput{Amount: amount, Currency: f.DayRateCurrency}
	}
	for i, r := range f.Objectives {
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
		// The validator matches a link to its goal whatever the case
		// ("cut costs" links "Cut costs"), and the form shows it as the
		// goal's number: the row it was filled from keeps its spelling.
		if stored, ok := storedRow(d.Objectives, keys["objectives"], i); ok && sameGoals && sameLinks(o.StrategicGoals, stored.StrategicGoals) {
			o.StrategicGoals = slices.Clone(stored.StrategicGoals)
		}
		in.Data.Objectives = append(in.Data.Objectives, o)
	}
	for i, r := range f.Deliverables {
		stored, _ := storedRow(d.Deliverables, keys["deliverables"], i)
		in.Data.Deliverables = append(in.Data.Deliverables, models.DeliverableInput{Name: r.Name, Description: r.Description,
			EffortDays: num(pages.RowField("deliverables", r.Key, "effortDays"), r.EffortDays),
			People:     whole(pages.RowField("deliverables", r.Key, "people"), r.People, "must be a whole number of people"),
			DependsOn:  readList(r.DependsOn, stored.DependsOn), Owner: r.Owner})
	}
	for i, r := range f.Milestones {
		stored, _ := storedRow(d.Milestones, keys["milestones"], i)
		in.Data.Milestones = append(in.Data.Milestones, models.Milestone{Name: r.Name, Date: r.Date, Requires: readList(r.Requires, stored.Requires)})
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

// listText is a list as the form's "one per line" textareas show it: each
// item on a line of its own. An item with a line break (the API and the
// JSON import take any text) is shown on one line, its line breaks as
// spaces, so that each line is one item, as the form reads it back: the
// strategic goals are numbered by their lines, and objectives link to them
// by these numbers. A text sent back as shown keeps the items as stored
// (readList).
func listText(items []string) string {
	shown := make([]string, len(items))
	for i, s := range items {
		shown[i] = itemOnOneLine(s)
	}
	return strings.Join(shown, "\n")
}

// itemOnOneLine is s with its line breaks, and the spaces around them, as
// one space.
func itemOnOneLine(s string) string {
	if !strings.ContainsFunc(s, isLineBreak) {
		return s
	}
	var parts []string
	for _, l := range strings.FieldsFunc(s, isLineBreak) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// isLineBreak reports whether r ends a line in a textarea.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// readList reads a "one per line" textarea: its non-blank lines, trimmed.
// A text that shows the stored list (listText, blank lines and spaces
// around lines aside) is the stored list, as it is: an item with a line
// break, which the form shows on one line, keeps it, so that a form saved
// unchanged leaves the project unchanged. A list changed on the form is
// read as shown, one item per line.
func readList(text string, stored []string) []string {
	l := lines(text)
	if len(stored) > 0 && slices.Equal(l, lines(listText(stored))) {
		return slices.Clone(stored)
	}
	return l
}

// storedRow is the stored row that the i-th posted row of a list was
// filled from (keys are the posted rows' keys on the page: a stored row's
// is its position), if any.
func storedRow[T any](stored []T, keys []string, i int) (T, bool) {
	var zero T
	if i >= len(keys) {
		return zero, false
	}
	n, err := strconv.Atoi(keys[i])
	if err != nil || n < 0 || n >= len(stored) || strconv.Itoa(n) != keys[i] {
		return zero, false
	}
	return stored[n], true
}

// sameLinks reports whether two lists of links name the same goals in the
// same order, whatever the case (as the validator matches them).
func sameLinks(a, b []string) bool {
	return slices.EqualFunc(a, b, strings.EqualFold)
}

// projectForm fills the form from a stored project (edit, example).
func projectForm(name, description string, d models.ProjectData, cp models.CompanyPack) pages.ProjectForm {
	j := listText
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
