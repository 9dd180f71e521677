package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// Lists in running text read as sentences: names joined with "and", the
// verb agreeing with them, and a count of one not written as a number
// ("the 1 High risk, starting with: …" named one risk as if of several).
func TestListsAndCountsReadAsSentences(t *testing.T) {
	t.Parallel()
	one := Request{ProjectName: "One", Project: models.ProjectData{
		StartDate: "2027-03-01",
		Deliverables: []models.Deliverable{
			{Name: "Survey", EffortDays: 10}, {Name: "Report", EffortDays: 2}, {Name: "Briefing", EffortDays: 1}, {Name: "Archive", EffortDays: 1},
		},
		Milestones: []models.Milestone{{Name: "Survey done", Date: "2027-03-03", Requires: []string{"Survey"}}},
		Risks:      []models.Risk{{Description: "Data is late", Probability: 4, Impact: 4}, {Description: "Staff leave", Probability: 2, Impact: 2}},
		Benefits:   []models.Benefit{{Description: "Savings", AnnualValue: 50000}},
	}, Company: models.CompanyPack{Competitors: []string{"Acme"}}}
	bc := generate(t, one, "business_case")
	assert.Contains(t, bc, "; Acme keeps any lead in service for another year")
	assert.Contains(t, bc, "re-plan the milestone at risk: Survey done (Wed 3 Mar 2027, 7 working days late);")
	assert.Contains(t, bc, "; confirm the mitigation of the High risk.")
	assert.Contains(t, generate(t, one, "executive_summary"), "- Endorse the mitigation of the High risk: Data is late.\n")
	assert.Contains(t, generate(t, one, "work_breakdown_structure"),
		"No milestone requires Report, Briefing and Archive, so they are signed off at no milestone")

	several := one
	several.Project.Risks = append(several.Project.Risks, models.Risk{Description: "Budget cut", Probability: 5, Impact: 5})
	several.Company = models.CompanyPack{Competitors: []string{"Acme", "Globex", "Initech"}}
	assert.Contains(t, generate(t, several, "business_case"), "; Acme, Globex and Initech keep any lead in service for another year")
	assert.Contains(t, generate(t, several, "executive_summary"), "- Endorse the mitigation of the 2 High risks, starting with: Budget cut.\n")

	// A cycle (the validator refuses one; stored data may hold it) is named
	// as one: "A, B and C", not "A and B, C".
	cycle := Request{ProjectName: "Cycle", Project: models.ProjectData{Deliverables: []models.Deliverable{
		{Name: "A", EffortDays: 1, DependsOn: []string{"B", "C"}},
		{Name: "B", EffortDays: 1, DependsOn: []string{"A"}},
		{Name: "C", EffortDays: 1, DependsOn: []string{"A"}},
	}}}
	assert.Contains(t, generate(t, cycle, "schedule"), "A, B and C depend on each other (a cycle); A starts without waiting for them.")
}
