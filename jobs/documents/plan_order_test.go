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
