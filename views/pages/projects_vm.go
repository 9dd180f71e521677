package pages

import (
	"cmp"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dossier/views/components"
	"dossier/views/partials"
)

// ProjectForm holds the project form's values exactly as typed, so that a
// form with errors comes back the way the user left it. Lists of strings are
// one item per line.
type ProjectForm struct {
	Name, Description                                   string
	Sponsor, Manager, StartDate, EndDate                string
	BudgetAmount, BudgetCurrency                        string
	DayRateAmount, DayRateCurrency, DiscountRate        string
	Objectives                                          []ObjectiveRow
	ScopeIn, ScopeOut                                   string
	Deliverables                                        []DeliverableRow
	Milestones                                          []MilestoneRow
	Stakeholders                                        []StakeholderRow
	Risks                                               []RiskRow
	Benefits                                            []BenefitRow
	Constraints, Assumptions, SuccessCriteria           string
	CompanyName, Industry, Mission, ToneOfVoice         string
	Values, StrategicGoals, Competitors, ComplianceStds string
}

// HasInput reports whether the form holds anything a person typed or
// chose: a text of its own or of a row. Row keys and the currency choices,
// which the blank form fills, do not count. A new-project form refused
// without any (Save pressed on the blank form) has nothing to lose, and
// leaving it asks nothing.
func (f ProjectForm) HasInput() bool { return hasInput(reflect.ValueOf(f)) }

func hasInput(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.TrimSpace(v.String()) != ""
	case reflect.Slice:
		for i := range v.Len() {
			if hasInput(v.Index(i)) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if name == "Key" || strings.HasSuffix(name, "Currency") {
				continue
			}
			if hasInput(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// Row kinds, as in /projects/rows/:kind.
const (
	RowDeliverable = "deliverable"
	RowMilestone   = "milestone"
	RowStakeholder = "stakeholder"
	RowRisk        = "risk"
	RowObjective   = "objective"
	RowBenefit     = "benefit"
)

// RowList maps a row kind to its list in the project JSON.
var RowList = map[string]string{
	RowDeliverable: "deliverables",
	RowMilestone:   "milestones",
	RowStakeholder: "stakeholders",
	RowRisk:        "risks",
	RowObjective:   "objectives",
	RowBenefit:     "benefits",
}

// Each row has a Key that names its inputs (data.risks[KEY].impact). Rows
// the server renders use their index; rows added in the browser get a random
// key, and the server renumbers them on submit.
// DependsOn and Requires hold deliverable names, one per line; an
// objective's Goals are numbers of the strategic goals ("1, 3").
type DeliverableRow struct{ Key, Name, Description, EffortDays, People, DependsOn, Owner string }
type MilestoneRow struct{ Key, Name, Date, Requires string }
type ObjectiveRow struct{ Key, Text, Goals string }
type BenefitRow struct{ Key, Description, AnnualValue, StartsAfterMonths string }
type StakeholderRow struct{ Key, Name, Role, Interest, Influence string }
type RiskRow struct{ Key, Description, Probability, Impact, Owner, Mitigation string }

// RowField is the input name of a row's field, which is also its error key
// and its path in the project JSON.
func RowField(list, key, field string) string {
	return "data." + list + "[" + key + "]." + field
}

// ProjectFormVM is the new or edit page.
type ProjectFormVM struct {
	// ProjectID is empty for a new project.
	ProjectID string
	// StoredName is the project's saved name (the form's may be unsaved
	// input), for the breadcrumb and the title.
	StoredName string
	Form       ProjectForm
	// Errors are keyed by field name (= JSON path).
	Errors map[string]string
	CSRF   string
	Import ImportVM
	// FromExample says the form holds the example project, not yet saved.
	FromExample bool
	// Base is the fingerprint of the project the edit form was filled
	// from; a save is refused when the project changed since.
	Base string
	// BaseProject is that project's content as JSON, for a three-way merge
	// with a save made meanwhile.
	BaseProject string
	// Changed explains such a refusal.
	Changed string
	// Flash is a message from the action that led here (a duplicate).
	Flash string
	// Delete is the edit page's "Delete project".
	Delete DeleteVM
}

// DeleteVM is the edit page's "Delete project" section.
type DeleteVM struct {
	// Open shows the section's form open (after a refusal).
	Open bool
	// Error says why the project was not deleted; ActiveJobID names the
	// run to cancel first.
	Error       string
	ActiveJobID string
}

// ImportVM is the "Import JSON" panel of the new-project page.
type ImportVM struct {
	Open    bool
	JSON    string
	Message string
	Errors  []components.ErrorItem
}

func (vm ProjectFormVM) action() string {
	if vm.ProjectID == "" {
		return "/projects"
	}
	return "/projects/" + vm.ProjectID
}

// ProjectListItem is a card on /projects.
type ProjectListItem struct {
	ID, Name, Description string
	Company               string
	Dates                 string
	Updated               string
	Deliverables, Risks   int
}

// ProjectsVM is the /projects page.
type ProjectsVM struct {
	Projects []ProjectListItem
	// Flash is a message from the action that led here (a deletion).
	Flash string
}

// ProjectView is the /projects/:id page: the project laid out to read.
type ProjectView struct {
	ID, Name, Description string
	// CSRF is the session's token, for the page's forms (Duplicate).
	CSRF               string
	Sponsor, Manager   string
	StartDate, EndDate string
	Duration           string
	Budget             string
	Objectives         []string
	ScopeIn, ScopeOut  []string
	Deliverables       []DeliverableView
	TotalEffort        string
	Milestones         []MilestoneView
	Stakeholders       []StakeholderView
	Risks              []RiskView
	Constraints        []string
	Assumptions        []string
	SuccessCriteria    []string
	Company            CompanyView
	Updated            string
	// Flash is a one-off message, such as "Project saved".
	Flash string
	// Library and Runs are the project's documents and generation runs.
	Library partials.LibraryVM
	Runs    partials.RunsVM
}

// DocumentsZipURL downloads the project's current set: the latest version
// of each document, edits included (a job's zip is one run's set).
func (p ProjectView) DocumentsZipURL() string {
	return "/api/projects/" + p.ID + "/documents.zip"
}

type DeliverableView struct{ Name, Description, Effort, Owner string }
type MilestoneView struct{ Name, Date string }
type StakeholderView struct {
	Name, Role          string
	Interest, Influence int
}
type RiskView struct {
	Description, Owner, Mitigation string
	Probability, Impact, Score     int
	// Level is low, medium or high, from the score.
	Level string
}
type CompanyView struct {
	Name, Industry, Mission, ToneOfVoice                     string
	Values, StrategicGoals, Competitors, ComplianceStandards []string
}

func (c CompanyView) empty() bool {
	return c.Name == "" && c.Industry == "" && c.Mission == "" && c.ToneOfVoice == "" &&
		len(c.Values)+len(c.StrategicGoals)+len(c.Competitors)+len(c.ComplianceStandards) == 0
}

// scoreOptions are the choices of a 1–5 score.
var scoreOptions = []components.Option{
	{Value: "", Label: "–"},
	{Value: "1", Label: "1 · very low"},
	{Value: "2", Label: "2 · low"},
	{Value: "3", Label: "3 · medium"},
	{Value: "4", Label: "4 · high"},
	{Value: "5", Label: "5 · very high"},
}

// scoreChoices adds the current value if it is not a valid choice, so a
// bad value is shown with its error rather than silently replaced.
func scoreChoices(v string) []components.Option {
	for _, o := range scoreOptions {
		if o.Value == v {
			return scoreOptions
		}
	}
	return append(slices.Clone(scoreOptions), components.Option{Value: v, Label: v})
}

// fieldOrder is the order the form shows its fields in
// (projects_form.templ), the error summary's order: benefits after risks,
// and the company pack field by field.
var fieldOrder = []string{
	"name", "description", "data.sponsor", "data.manager", "data.startDate", "data.endDate",
	"data.budget", "data.budget.amount", "data.budget.currency",
	"data.dayRate", "data.dayRate.amount", "data.dayRate.currency", "data.discountRatePercent",
	"data.objectives", "data.scopeIn", "data.scopeOut",
	"data.deliverables", "data.milestones", "data.stakeholders", "data.risks", "data.benefits",
	"data.constraints", "data.assumptions", "data.successCriteria",
	"companyIntelligencePack",
	"companyIntelligencePack.companyName", "companyIntelligencePack.industry", "companyIntelligencePack.mission",
	"companyIntelligencePack.values", "companyIntelligencePack.strategicGoals", "companyIntelligencePack.competitors",
	"companyIntelligencePack.complianceStandards", "companyIntelligencePack.toneOfVoice",
}

var rowFieldOrder = []string{"text", "goals", "strategicGoals", "name", "description", "role", "date", "requires", "effortDays", "people", "dependsOn", "interest", "influence", "probability", "impact", "owner", "mitigation", "annualValue", "startsAfterMonths"}

var rowPath = regexp.MustCompile(`^(data\.[A-Za-z]+)\[(\d+)\](?:\.([A-Za-z]+))?`)

var listLabels = map[string]string{
	"data.deliverables": "Deliverable", "data.milestones": "Milestone",
	"data.objectives": "Objective", "data.benefits": "Benefit",
	"data.stakeholders": "Stakeholder", "data.risks": "Risk",
}

var fieldLabels = map[string]string{
	"name": "Project name", "description": "Description", "data.sponsor": "Sponsor", "data.manager": "Project manager",
	"data.startDate": "Start date", "data.endDate": "End date", "data.budget": "Budget",
	"data.budget.amount": "Budget", "data.budget.currency": "Currency",
	"data.objectives": "Objectives", "data.scopeIn": "In scope", "data.scopeOut": "Out of scope",
	"data.constraints": "Constraints", "data.assumptions": "Assumptions", "data.successCriteria": "Success criteria",
	"companyIntelligencePack":             "Company pack",
	"companyIntelligencePack.companyName": "Company name", "companyIntelligencePack.industry": "Industry",
	"companyIntelligencePack.mission": "Mission", "companyIntelligencePack.values": "Values",
	"companyIntelligencePack.strategicGoals": "Strategic goals", "companyIntelligencePack.competitors": "Competitors",
	"companyIntelligencePack.complianceStandards": "Compliance standards", "companyIntelligencePack.toneOfVoice": "Tone of voice",
	"effortDays":          "effort",
	"data.dayRate.amount": "Day rate", "data.dayRate.currency": "Day rate currency",
	"data.discountRatePercent": "Discount rate",
	"dependsOn":                "depends on", "requires": "requires", "people": "people", "strategicGoals": "strategic goals",
	"goals": "strategic goals", "annualValue": "annual value", "startsAfterMonths": "start", "text": "text",
}

// FieldLabel names a field for people: data.risks[0].impact → "Risk 1 impact".
// A line of a plain list: data.scopeIn[1] → "In scope, line 2".
func FieldLabel(path string) string {
	if m := rowPath.FindStringSubmatch(path); m != nil && listLabels[m[1]] != "" {
		i, _ := strconv.Atoi(m[2])
		label := cmp.Or(listLabels[m[1]], m[1]) + " " + strconv.Itoa(i+1)
		if m[3] != "" {
			label += " " + cmp.Or(fieldLabels[m[3]], m[3])
		}
		return label
	}
	if m := lineItem.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[2])
		return FieldLabel(m[1]) + ", line " + strconv.Itoa(i+1)
	}
	if l, ok := fieldLabels[path]; ok {
		return l
	}
	if rest, ok := strings.CutPrefix(path, "companyIntelligencePack."); ok {
		return "Company " + rest
	}
	return path
}

func rank(path string) (int, int, int) {
	base, idx, field := path, -1, ""
	if m := rowPath.FindStringSubmatch(path); m != nil {
		base = m[1]
		idx, _ = strconv.Atoi(m[2])
		field = m[3]
	}
	if m := lineItem.FindStringSubmatch(base); m != nil && !strings.HasPrefix(base, "data.") {
		// A line of a company pack list: companyIntelligencePack.values[1].
		base = m[1]
		idx, _ = strconv.Atoi(m[2])
	}
	r := slices.Index(fieldOrder, base)
	if r < 0 {
		r = len(fieldOrder)
		if strings.HasPrefix(base, "companyIntelligencePack") {
			r = slices.Index(fieldOrder, "companyIntelligencePack")
		}
	}
	return r, idx, slices.Index(rowFieldOrder, field)
}

// ErrorItems orders a form's errors the way the form shows its fields and
// names each field, for the summary at the top of the form.
func ErrorItems(errs map[string]string) []components.ErrorItem {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ra, ia, fa := rank(a)
		rb, ib, fb := rank(b)
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(ia, ib), cmp.Compare(fa, fb), strings.Compare(a, b))
	})
	items := make([]components.ErrorItem, 0, len(keys))
	for _, k := range keys {
		items = append(items, components.ErrorItem{Field: k, Control: errorControl(k), Message: labelled(FieldLabel(k), errs[k])})
	}
	return items
}

// labelled puts a field's label before its message as a sentence reads: a
// message that goes on from the field ("is required", "must be a date…")
// follows the label ("Project name is required"); any other is told after
// a colon ("Deliverable 2, depends on: no deliverable is named …").
func labelled(label, msg string) string {
	if strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must ") {
		return label + " " + msg
	}
	return label + ": " + msg
}

var (
	trailingItem = regexp.MustCompile(`\[\d+\]$`)
	lineItem     = regexp.MustCompile(`^(.+)\[(\d+)\]$`)
	objectiveRow = regexp.MustCompile(`^data\.objectives\[\d+\]$`)
)

// errorControl is the name of the form control that shows the error of the
// key, where it is not the key itself: an item of a list shows on the
// list's control (data.deliverables[0].dependsOn[1] on
// data.deliverables[0].dependsOn, data.scopeIn[2] on data.scopeIn), as
// firstError picks it; an objective's own error on its text and its
// strategic goals on its "Serves goals" field, as the form shows them.
func errorControl(key string) string {
	c := key
	if objectiveRow.MatchString(c) {
		return c + ".text"
	}
	c = trailingItem.ReplaceAllString(c, "")
	if m := rowPath.FindStringSubmatch(c); m != nil && m[1] == "data.objectives" && m[3] == "strategicGoals" {
		c = strings.TrimSuffix(c, "strategicGoals") + "goals"
	}
	if c == key {
		return ""
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

// firstError is the message of the first of the fields, or of any item
// within them (data.deliverables[0].dependsOn[2]).
func firstError(errs map[string]string, fields ...string) string {
	for _, f := range fields {
		if m, ok := errs[f]; ok {
			return m
		}
	}
	var keys []string
	for k := range errs {
		for _, f := range fields {
			if strings.HasPrefix(k, f+"[") {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		return errs[keys[0]]
	}
	return ""
}

// Plural counts things in words: "1 project", "3 projects".
func Plural(n int, one, many string) string { return plural(n, one, many) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ProjectPartEvent is the live stream's event that carries a part of a
// project's page again after the project is saved elsewhere: "company"
// (the line under the heading), "summary" (description and key facts) or
// "details" (objectives to company pack).
func ProjectPartEvent(part, projectID string) string { return "project" + part + "-" + projectID }
