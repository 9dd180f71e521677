package documents

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// undatedProject has deliverables, efforts, dependencies, a committed end
// and a dated milestone, but no start date.
func undatedProject() Request {
	return Request{ProjectName: "Undated", Project: models.ProjectData{
		Manager:    "Ann Lee",
		EndDate:    "2027-04-30", // a Friday
		Objectives: []models.Objective{{Text: "Test the new design with users"}},
		Deliverables: []models.Deliverable{
			{Name: "Design", EffortDays: 10},
			{Name: "Build", EffortDays: 30, People: 3, DependsOn: []string{"Design"}},
			{Name: "Content", EffortDays: 8},
			{Name: "Test", EffortDays: 5, DependsOn: []string{"Content", "Build"}},
		},
		Milestones: []models.Milestone{{Name: "Ready", Date: "2027-04-16", Requires: []string{"Test"}}},
	}}
}

// Without a start date the schedule still states what is known: each
// package's working days and weeks counted from the start, the order, the
// critical path and its length, and when work must start to meet the end
// date. It says once that calendar dates follow once a start date is set,
// and the documents that quote the schedule say the same.
func TestScheduleWithoutAStartDate(t *testing.T) {
	t.Parallel()
	req := undatedProject()
	sched := generate(t, req, "schedule")
	assert.Equal(t, 1, strings.Count(sched, "Calendar dates follow once a start date is set"), sched)
	rows := tableRows(t, sched, "## Timeline")
	// Design: 10 days alone, working days 1–10, weeks 1–2. Build: 30 ÷ 3
	// = 10 days after Design, 11–20, weeks 3–4. Content: 8 days from the
	// start. Test: 5 days after Build, 21–25, week 5.
	assert.Equal(t, []string{"1", "**Design** (critical)", "10", "1", "10", "Start", "1–10", "Weeks 1–2"}, rows[0])
	assert.Equal(t, []string{"2", "**Build** (critical)", "30", "3", "10", "1", "11–20", "Weeks 3–4"}, rows[1])
	assert.Equal(t, []string{"3", "Content", "8", "1", "8", "Start", "1–8", "Weeks 1–2"}, rows[2])
	assert.Equal(t, []string{"4", "**Test** (critical)", "5", "1", "5", "2, 3", "21–25", "Week 5"}, rows[3])
	assert.Equal(t, []string{"", "**Project**", "**53**", "", "**25**", "", "1–25", "Weeks 1–5"}, rows[4])
	assert.Contains(t, sched, "- Length: the plan takes 25 working days (weeks 1–5).")
	assert.Contains(t, sched, "- Critical path: Design → Build → Test (25 working days).")
	// 25 working days ending on Fri 30 Apr start on Mon 29 Mar.
	assert.Contains(t, sched, "- Committed end: Fri 30 Apr 2027. To finish by then, the work must start by Mon 29 Mar 2027.")
	ms := tableRows(t, sched, "## Milestones against the plan")
	assert.Equal(t, []string{"Ready", "Fri 16 Apr 2027", "4", "Working day 25 (week 5)", "Checked once a start date is set; the required work is done by the end of week 5"}, ms[0])
	assert.NotContains(t, sched, "Dates cannot be computed")

	wbs := generate(t, req, "work_breakdown_structure")
	desc := tableRows(t, wbs, "## Work package descriptions")
	assert.Equal(t, "Weeks 3–4", desc[1][4])
	assert.Equal(t, 1, strings.Count(wbs, "calendar dates follow once a start date is set"))

	summary := generate(t, req, "executive_summary")
	glance := map[string]string{}
	for _, r := range tableRows(t, summary, "## At a glance") {
		glance[r[0]] = r[1]
	}
	assert.Equal(t, "Not dated yet: no valid start date. The plan takes 25 working days (weeks 1–5); calendar dates follow once a start date is set", glance["Planned finish"])
	assert.Equal(t, "Design → Build → Test", glance["Critical path"])
	assert.Contains(t, summary, "**Project Schedule**: 25 working days (weeks 1–5), not yet dated; critical path Design → Build → Test.")

	charter := generate(t, req, "project_charter")
	assert.Contains(t, charter, "the plan takes 25 working days (weeks 1–5); critical path: Design → Build → Test. Calendar dates follow once a start date is set.")
	assert.Contains(t, charter, "| Ready | Fri 16 Apr 2027 | Checked once a start date is set; the required work is done by the end of week 5 |")
	assert.Contains(t, generate(t, req, "business_case"), "Objectives met; the plan takes 25 working days from the start (no start date yet)")
	for _, k := range Keys() {
		assert.NotContains(t, generate(t, req, k), "cannot be computed", k)
	}
}

// weeksOf and latestStart at their edges.
func TestRelativeWeeks(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "week 1", weeksOf(0, 5))
	assert.Equal(t, "weeks 1–2", weeksOf(0, 6))
	assert.Equal(t, "week 2", weeksOf(5, 10))
	assert.Equal(t, "week 3", weeksOf(10, 10)) // no days: the week it would start in
	assert.Equal(t, "week 1", weekOf(0))
	assert.Equal(t, "week 2", weekOf(6))
	sat := shownDate(t, "Sat 1 May 2027")
	assert.Equal(t, "Fri 30 Apr 2027", fmtDate(latestStart(sat, 1)))
	assert.Equal(t, "Mon 26 Apr 2027", fmtDate(latestStart(sat, 5)))
	assert.Equal(t, "Fri 23 Apr 2027", fmtDate(latestStart(sat, 6)))
}

// A milestone without a date still says when the work it requires is
// done, in weeks or on a date; the quality plan's stage review says the
// date is not set rather than "(_Not provided._)".
func TestUndatedMilestoneSaysWhenItsWorkIsDone(t *testing.T) {
	t.Parallel()
	req := undatedProject()
	req.Project.Milestones[0].Date = ""
	ms := tableRows(t, generate(t, req, "schedule"), "## Milestones against the plan")
	assert.Equal(t, "No date set yet: the required work is done by the end of week 5", ms[0][4])
	assert.Contains(t, generate(t, req, "project_charter"), "| Ready | _Not provided._ | No date set yet: the required work is done by the end of week 5 |")
	assert.Contains(t, generate(t, req, "quality_plan"), "Stage review at “Ready” (date not set yet):")
	req.Project.StartDate = "2027-03-01" // Test ends on working day 25, Fri 2 Apr
	ms = tableRows(t, generate(t, req, "schedule"), "## Milestones against the plan")
	assert.Equal(t, "No date set yet: the required work finishes on Fri 2 Apr 2027", ms[0][4])
}

// The executive summary asks the sponsor for the dates the plan lacks.
func TestSummaryAsksForMissingDates(t *testing.T) {
	t.Parallel()
	req := undatedProject()
	assert.Contains(t, generate(t, req, "executive_summary"), "- Set the start date: to finish by the committed end date of Fri 30 Apr 2027, the work must start by Mon 29 Mar 2027.")
	req.Project.EndDate = ""
	assert.Contains(t, generate(t, req, "executive_summary"), "- Set a start date and a committed end date: the plan takes 25 working days (weeks 1–5).")
	req.Project.StartDate = "2027-03-01" // 25 working days: to Fri 2 Apr
	assert.Contains(t, generate(t, req, "executive_summary"), "- Agree a committed end date: the plan finishes on Fri 2 Apr 2027.")
	assert.NotContains(t, generateExample(t, "executive_summary").Markdown, "start date:")
}
