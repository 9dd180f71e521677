package documents

import (
	"fmt"
	"slices"
	"strings"
)

// DocType describes one kind of document Dossier can write. DependsOn names
// the documents whose content this one builds on: they are generated first and
// handed to the generator, so a risk register can read the scope and the
// executive summary can quote every other document.
type DocType struct {
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	DependsOn   []string `json:"dependsOn"`
}

// catalog is in a topological order: every type comes after its
// dependencies. Resolve and the tests rely on that.
var catalog = []DocType{
	{Key: "project_charter", Title: "Project Charter",
		Description: "Authorises the project: purpose, objectives, scope summary, key deliverables, milestones, budget, roles and approval."},
	{Key: "business_case", Title: "Business Case",
		Description: "Why the project is worth doing: problem, strategic fit, options, costs, benefits, risks and a recommendation."},
	{Key: "scope_statement", Title: "Scope Statement",
		Description: "What is in and out of scope, the deliverables and their acceptance criteria, constraints and assumptions."},
	{Key: "stakeholder_register", Title: "Stakeholder Register",
		Description: "Who has a stake, their interest and influence, a power/interest grid and an engagement strategy for each."},
	{Key: "risk_register", Title: "Risk Register", DependsOn: []string{"scope_statement"},
		Description: "Identified risks scored by probability and impact, ranked, with owners, mitigations, a heat summary and exposure totals."},
	{Key: "communication_plan", Title: "Communication Plan", DependsOn: []string{"stakeholder_register"},
		Description: "Who hears what, when, through which channel and from whom, derived from the stakeholder grid."},
	{Key: "work_breakdown_structure", Title: "Work Breakdown Structure", DependsOn: []string{"scope_statement"},
		Description: "The deliverables decomposed into numbered work packages with effort estimates and totals."},
	{Key: "schedule", Title: "Project Schedule", DependsOn: []string{"work_breakdown_structure"},
		Description: "Start and finish dates for each work package in working days, checked against the end date and milestones."},
	{Key: "budget_estimate", Title: "Budget Estimate", DependsOn: []string{"work_breakdown_structure", "risk_register"},
		Description: "Labour cost from effort and day rate, a risk-based contingency, and the comparison with the approved budget."},
	{Key: "raci_matrix", Title: "RACI Matrix", DependsOn: []string{"stakeholder_register", "work_breakdown_structure"},
		Description: "Who is Responsible, Accountable, Consulted and Informed for each deliverable."},
	{Key: "quality_plan", Title: "Quality Plan", DependsOn: []string{"scope_statement"},
		Description: "Quality objectives, standards, acceptance checks per deliverable and how compliance is assured."},
	{Key: "executive_summary", Title: "Executive Summary",
		DependsOn: []string{"project_charter", "business_case", "scope_statement", "stakeholder_register",
			"risk_register", "communication_plan", "work_breakdown_structure", "schedule",
			"budget_estimate", "raci_matrix", "quality_plan"},
		Description: "One page for the sponsor: the key figures, the top risks, cost, dates and the decisions needed."},
}

// catalogIndex maps a key to its position in catalog; positions define the
// order every list of types is returned in.
var catalogIndex = func() map[string]int {
	m := make(map[string]int, len(catalog))
	for i, d := range catalog {
		m[d.Key] = i
	}
	return m
}()

// Catalog returns the document types in a stable, dependency-respecting
// order. The result is a copy; callers may modify it.
func Catalog() []DocType {
	out := make([]DocType, len(catalog))
	for i, d := range catalog {
		d.DependsOn = slices.Clone(d.DependsOn)
		if d.DependsOn == nil {
			d.DependsOn = []string{} // JSON clients get [] rather than null
		}
		out[i] = d
	}
	return out
}

// Lookup finds a document type by key.
func Lookup(key string) (DocType, bool) {
	i, ok := catalogIndex[key]
	if !ok {
		return DocType{}, false
	}
	d := catalog[i]
	d.DependsOn = slices.Clone(d.DependsOn)
	return d, true
}

// Keys returns every document type key in catalog order, which is also the
// valid input for Resolve.
func Keys() []string {
	keys := make([]string, len(catalog))
	for i, d := range catalog {
		keys[i] = d.Key
	}
	return keys
}

// UnknownTypeError reports requested document types that are not in the
// catalog, together with the valid ones so an API client can correct itself.
type UnknownTypeError struct {
	Unknown []string
	Valid   []string
}

func (e *UnknownTypeError) Error() string {
	noun := "type"
	if len(e.Unknown) > 1 {
		noun = "types"
	}
	return fmt.Sprintf("unknown document %s %s; valid types are: %s",
		noun, quoteAll(e.Unknown), strings.Join(e.Valid, ", "))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// Resolve expands the requested types to everything they need, so a job
// asked for "budget_estimate" also writes the WBS, scope statement and risk
// register it builds on. No keys means the full set. The result is in
// catalog order, which is a valid generation order. Duplicates are ignored.
func Resolve(keys []string) ([]string, error) {
	if len(keys) == 0 {
		return Keys(), nil
	}
	var unknown []string
	want := make([]bool, len(catalog))
	var visit func(i int)
	visit = func(i int) {
		if want[i] {
			return
		}
		want[i] = true
		for _, dep := range catalog[i].DependsOn {
			visit(catalogIndex[dep])
		}
	}
	for _, k := range keys {
		i, ok := catalogIndex[k]
		if !ok {
			if !slices.Contains(unknown, k) {
				unknown = append(unknown, k)
			}
			continue
		}
		visit(i)
	}
	if len(unknown) > 0 {
		return nil, &UnknownTypeError{Unknown: unknown, Valid: Keys()}
	}
	out := make([]string, 0, len(catalog))
	for i, ok := range want {
		if ok {
			out = append(out, catalog[i].Key)
		}
	}
	return out, nil
}

// Levels groups resolved keys into waves that can run in parallel: every
// type in a wave depends only on types in earlier waves (dependencies outside
// keys are taken as already available). Useful for display and estimates;
// the processor schedules on DependsOn itself.
func Levels(keys []string) [][]string {
	in := make(map[string]bool, len(keys))
	for _, k := range keys {
		in[k] = true
	}
	level := make(map[string]int, len(keys))
	var levels [][]string
	for _, d := range catalog { // catalog order is topological
		if !in[d.Key] {
			continue
		}
		l := 0
		for _, dep := range d.DependsOn {
			if lv, ok := level[dep]; ok && lv+1 > l {
				l = lv + 1
			}
		}
		level[d.Key] = l
		for len(levels) <= l {
			levels = append(levels, nil)
		}
		levels[l] = append(levels[l], d.Key)
	}
	return levels
}
