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
