package documents

import "dossier/models"

// input is one part of the project data that documents are written from.
type input struct {
	// missing says, as a reader would, what the project lacks.
	missing string
	empty   func(p models.ProjectData, c models.CompanyPack) bool
}

var (
	noObjectives   = input{"no objectives", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Objectives) == 0 }}
	noDeliverables = input{"no deliverables", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Deliverables) == 0 }}
	noEffort       = input{"no effort on any deliverable", func(p models.ProjectData, _ models.CompanyPack) bool {
		for _, d := range p.Deliverables {
			if d.EffortDays > 0 {
				return false
			}
		}
		return len(p.Deliverables) > 0 // "no deliverables" says it already
	}}
	noScope        = input{"nothing in scope", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.ScopeIn) == 0 }}
	noMilestones   = input{"no milestones", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Milestones) == 0 }}
	noDates        = input{"no start or end date", func(p models.ProjectData, _ models.CompanyPack) bool { return p.StartDate == "" || p.EndDate == "" }}
	noStakeholders = input{"no stakeholders", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Stakeholders) == 0 }}
	noRisks        = input{"no risks", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Risks) == 0 }}
	noBudget       = input{"no budget", func(p models.ProjectData, _ models.CompanyPack) bool { return p.Budget == nil || p.Budget.Amount == 0 }}
	noBenefits     = input{"no benefits", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.Benefits) == 0 }}
	noSponsor      = input{"no sponsor", func(p models.ProjectData, _ models.CompanyPack) bool { return p.Sponsor == "" }}
	noCriteria     = input{"no success criteria", func(p models.ProjectData, _ models.CompanyPack) bool { return len(p.SuccessCriteria) == 0 }}
	noGoals        = input{"no strategic goals in the company pack", func(_ models.ProjectData, c models.CompanyPack) bool { return len(c.StrategicGoals) == 0 }}
)

// inputs are what each document type is built from: without them the
// built-in generator writes a placeholder section, and a model guesses.
var inputs = map[string][]input{
	"project_charter":          {noObjectives, noDeliverables, noSponsor},
	"business_case":            {noBudget, noBenefits, noObjectives, noGoals},
	"scope_statement":          {noScope, noDeliverables},
	"stakeholder_register":     {noStakeholders},
	"risk_register":            {noRisks},
	"communication_plan":       {noStakeholders},
	"work_breakdown_structure": {noDeliverables, noEffort},
	"schedule":                 {noMilestones, noDates, noDeliverables},
	"budget_estimate":          {noBudget, noDeliverables, noEffort},
	"raci_matrix":              {noStakeholders, noDeliverables},
	"quality_plan":             {noCriteria, noDeliverables},
	"executive_summary":        {noObjectives, noBudget, noRisks},
}

// Thin is a document that will come out thin, and why.
type Thin struct {
	Type    string
	Title   string
	Missing []string
}

// ThinDocuments says, in catalog order, which documents the project's data
// is too sparse for and what each lacks, so that a user can fill the gaps
// before spending a generation on them.
func ThinDocuments(p models.ProjectData, c models.CompanyPack) []Thin {
	var out []Thin
	for _, d := range catalog {
		var missing []string
		for _, in := range inputs[d.Key] {
			if in.empty(p, c) {
				m := in.missing
				if say := sayMissing[in.missing]; say != nil {
					m = say(p)
				}
				missing = append(missing, m)
			}
		}
		if len(missing) > 0 {
			out = append(out, Thin{Type: d.Key, Title: d.Title, Missing: missing})
		}
	}
	return out
}

// sayMissing words, from the data itself, what an input made of several
// fields lacks, when only some of them may be missing.
var sayMissing = map[string]func(models.ProjectData) string{noDates.missing: missingDates}

// missingDates names the date that is missing: "no start date", "no end
// date", or "no start or end date" when neither is given.
func missingDates(p models.ProjectData) string {
	switch {
	case p.StartDate == "" && p.EndDate == "":
		return "no start or end date"
	case p.StartDate == "":
		return "no start date"
	default:
		return "no end date"
	}
}
