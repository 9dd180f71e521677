package documents

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A start date on a weekend: the schedule starts the work on the Monday,
// and the charter and the scope statement, which state the start date as
// given, say when the work starts too, so no two documents name different
// start days without saying why.
func TestWeekendStartDateAgreesWithTheSchedule(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "Office move", Project: models.ProjectData{
		StartDate:    "2027-05-08", // a Saturday
		EndDate:      "2027-05-28",
		Deliverables: []models.Deliverable{{Name: "Floor plan", EffortDays: 3}, {Name: "Move day", EffortDays: 2, DependsOn: []string{"Floor plan"}}},
	}}
	sched := generate(t, req, "schedule")
	rows := tableRows(t, sched, "## Timeline")
	require.Equal(t, "Mon 10 May 2027", rows[0][6], "the work starts on the Monday")
	assert.Contains(t, sched, "- Start: Mon 10 May 2027 (the start date, Sat 8 May 2027, is a weekend day).")
	startLine := regexp.MustCompile(`Start: [^\n]*?\.( |\n)`)
	for _, typ := range []string{"project_charter", "scope_statement"} {
		line := startLine.FindString(generate(t, req, typ))
		assert.Equal(t, "Start: Sat 8 May 2027 (a weekend day; work starts on Mon 10 May 2027). ", line, typ)
	}
	// A start on a working day reads as before.
	req.Project.StartDate = "2027-05-10"
	assert.Contains(t, generate(t, req, "project_charter"), "Start: Mon 10 May 2027. Committed end:")
	assert.Contains(t, generate(t, req, "schedule"), "- Start: Mon 10 May 2027.\n")
}

// A one-day work package is scheduled on one date in the WBS ("Thu 13 May
// 2027", not "Thu 13 May 2027 to Thu 13 May 2027"), as the undated plan
// gives it one working day ("4", not "4–4").
func TestOneDayPackageHasOneDate(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "Office move", Project: models.ProjectData{
		StartDate:    "2027-05-10",
		Deliverables: []models.Deliverable{{Name: "Floor plan", EffortDays: 3}, {Name: "Move day", EffortDays: 2, People: 4, DependsOn: []string{"Floor plan"}}},
	}}
	rows := tableRows(t, generate(t, req, "work_breakdown_structure"), "## Work package descriptions")
	assert.Equal(t, "Mon 10 May 2027 to Wed 12 May 2027", rows[0][4])
	assert.Equal(t, "Thu 13 May 2027", rows[1][4])
}
