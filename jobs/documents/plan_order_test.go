package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// The After column and the milestone's Requires column list WBS IDs in
// WBS order, whatever the order the data names them in.
func TestPredecessorsInWBSOrder(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "Order", Project: models.ProjectData{
		StartDate: "2027-03-01",
		Deliverables: []models.Deliverable{
			{Name: "Alpha", EffortDays: 2}, {Name: "Bravo", EffortDays: 3},
			{Name: "Charlie", EffortDays: 1, DependsOn: []string{"Bravo", "Alpha", "Bravo"}},
		},
		Milestones: []models.Milestone{{Name: "Done", Date: "2027-03-31", Requires: []string{"Charlie", "Bravo", "Alpha"}}},
	}}
	sched := generate(t, req, "schedule")
	rows := tableRows(t, sched, "## Timeline")
	assert.Equal(t, "1, 2", rows[2][5], "Charlie waits for Alpha (1) and Bravo (2), listed once each, in WBS order")
	ms := tableRows(t, sched, "## Milestones against the plan")
	assert.Equal(t, "1, 2, 3", ms[0][2])
}

// The benefits table says when each benefit starts in words: "At go-live"
// rather than "0 months", and "1 month" in the singular.
func TestBenefitStartInWords(t *testing.T) {
	t.Parallel()
	req := planProject()
	req.Project.Benefits = []models.Benefit{
		{Description: "Overtime saved", AnnualValue: 24000},
		{Description: "Fewer errors", AnnualValue: 1000, StartsAfterMonths: 1},
		{Description: "New subscriptions", AnnualValue: 36000, StartsAfterMonths: 6},
	}
	rows := tableRows(t, generate(t, req, "business_case"), "## Benefits")
	assert.Equal(t, []string{"At go-live", "1 month after go-live", "6 months after go-live"}, []string{rows[0][2], rows[1][2], rows[2][2]})
}

// germanProject names everything in German; its first deliverable, which
// every other one waits for, is required by no milestone.
func germanProject() Request {
	return Request{ProjectName: "Neues Kundenportal", Project: models.ProjectData{
		Sponsor: "Jürgen Müller (Vorstand)", Manager: "Zoë Weiß", StartDate: "2027-03-01", EndDate: "2027-06-30",
		Budget: &models.Budget{Amount: 200000, Currency: "EUR"},
		Deliverables: []models.Deliverable{
			{Name: "Abnahmetest", EffortDays: 10, People: 2, DependsOn: []string{"Schnittstellen", "Benutzeroberfläche"}},
			{Name: "Schnittstellen", EffortDays: 40, People: 2, DependsOn: []string{"Anforderungsanalyse"}, Owner: "Łukasz Kowalski"},
			{Name: "Benutzeroberfläche", EffortDays: 30, People: 2, DependsOn: []string{"Anforderungsanalyse"}, Owner: "Çağla Öztürk"},
			{Name: "Anforderungsanalyse", EffortDays: 20, People: 2, Owner: "Zoë Weiß"},
		},
		Milestones: []models.Milestone{
			{Name: "Freigabe", Date: "2027-05-28", Requires: []string{"Schnittstellen", "Benutzeroberfläche", "Abnahmetest"}},
		},
		Stakeholders: []models.Stakeholder{{Name: "Łukasz Kowalski", Role: "Leiter Schnittstellen", Interest: 4, Influence: 3}},
		Risks:        []models.Risk{{Description: "Schnittstellen verzögert", Probability: 3, Impact: 4, Owner: "Łukasz Kowalski"}},
		Benefits:     []models.Benefit{{Description: "Weniger Anrufe", AnnualValue: 100000}},
	}}
}

// The RACI lists the deliverables in the plan's order, not by milestone:
// the analysis everything waits for comes first although no milestone
// requires it, and the sign-off follows the last deliverable of its phase.
func TestRACIRowsFollowThePlan(t *testing.T) {
	t.Parallel()
	var ids []string
	for _, r := range tableRows(t, generate(t, germanProject(), "raci_matrix"), "## Matrix") {
		ids = append(ids, r[0]+" "+r[1])
	}
	assert.Equal(t, []string{
		"4 Anforderungsanalyse (not tied to a milestone)", // days 1–10
		"2 Schnittstellen",     // days 11–30, after 4
		"3 Benutzeroberfläche", // days 11–25, after 4
		"1 Abnahmetest",        // after 2 and 3
		"M1 _Sign-off: Freigabe_",
	}, ids)
}

// The quality plan names each deliverable's owner, as the WBS and the RACI
// resolve them, with the packages they answer for; the project manager
// answers for the packages without an owner, as an assumption.
func TestQualityPlanNamesTheOwners(t *testing.T) {
	t.Parallel()
	roles := map[string]string{}
	for _, r := range tableRows(t, generateExample(t, "quality_plan").Markdown, "## Roles") {
		roles[r[1]] = r[0] + ": " + r[2]
	}
	assert.Equal(t, "Deliverable owner: Answers for the quality of 3 Claims API integration, 4 Secure messaging, 5 Data migration and 8 Hypercare: each meets its acceptance check above and passes peer review before it goes to the sponsor", roles["Tomasz Nowak"])
	assert.Equal(t, "Deliverable owner: Answers for the quality of 6 Security and accessibility assurance: it meets its acceptance check above and passes peer review before it goes to the sponsor", roles["Priya Natarajan"])
	assert.Contains(t, roles["Contact-centre team leads"], "7 Launch readiness")
	assert.Contains(t, roles["Marco Rossi"], "answers for the quality of 1 Discovery and UX research and 2 Portal front end until owners are named")
	assert.Len(t, roles, 5)

	// An owner named as the project manager is, in the project manager's row.
	g := map[string]string{}
	for _, r := range tableRows(t, generate(t, germanProject(), "quality_plan"), "## Roles") {
		g[r[1]] = r[2]
	}
	assert.Contains(t, g["Zoë Weiß"], "answers for the quality of 4 Anforderungsanalyse: it meets")
	assert.Contains(t, g["Zoë Weiß"], "answers for the quality of 1 Abnahmetest until an owner is named")
	assert.Contains(t, g["Łukasz Kowalski"], "2 Schnittstellen")
	assert.Contains(t, g["Çağla Öztürk"], "3 Benutzeroberfläche")
}
