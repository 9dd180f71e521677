package documents

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// smallProjects are the shapes where counts of one and missing fields
// show: a one-day project with nothing else, and one without dates whose
// matrix has a single Consulted cell.
func smallProjects() map[string]Request {
	return map[string]Request{
		"one day": {ProjectName: "Tiny", Project: models.ProjectData{
			Deliverables: []models.Deliverable{{Name: "Report", EffortDays: 1}}}},
		"no dates": {ProjectName: "No dates", Project: models.ProjectData{
			Manager:      "Ann Lee",
			Deliverables: []models.Deliverable{{Name: "Survey", EffortDays: 3}, {Name: "Report", EffortDays: 2, DependsOn: []string{"Survey"}}},
			Milestones:   []models.Milestone{{Name: "Done", Requires: []string{"Report"}}},
			Stakeholders: []models.Stakeholder{{Name: "Zoë Weiß", Role: "Survey lead"}},
			Benefits:     []models.Benefit{{Description: "Saves time", AnnualValue: 1000}}}},
	}
}

// badWording is what no document may say: a count of one with a plural
// noun ("1 person-days"), or a full stop doubled after a placeholder
// ("_Not provided._.").
var badWording = regexp.MustCompile(`(^|[^0-9.,])1 (person-days|assignments|days|working days|items|risks|stakeholders|deliverables|work packages|milestones|months|rows)\b|\._\.|\.\.`)

func TestNoCountOfOneInThePluralAndNoDoubleFullStop(t *testing.T) {
	t.Parallel()
	shapes := smallProjects()
	shapes["example"] = exampleRequest("")
	for name, req := range shapes {
		for _, k := range Keys() {
			md := generate(t, req, k)
			for _, m := range badWording.FindAllString(md, -1) {
				assert.Fail(t, "bad wording", "%s, %s: %q", name, k, m)
			}
		}
	}
	assert.Contains(t, generate(t, shapes["one day"], "project_charter"), "The estimate is 800: 1 person-day at 800 a day")
	assert.Contains(t, generate(t, shapes["one day"], "project_charter"), "Start: _Not provided._ Committed end: _Not provided._ From the effort estimates")
	assert.Contains(t, generate(t, shapes["no dates"], "raci_matrix"), "Consulted: 1 assignment.")
}

// A loss reads as one: the minus sign the formulas use (not a hyphen),
// and deferring a negative NPV does not "fall" to a smaller loss. The
// discount factors all show four decimals, and the cost is not said to be
// spent before go-live when work goes on after it.
func TestBusinessCaseWordsALossAndItsTiming(t *testing.T) {
	t.Parallel()
	req := smallProjects()["no dates"]
	// 1,000 a year for 5 years at 8%: Σ PV = 3,992.71; C = 5 days × 800
	// = 4,000; NPV = −7.29, deferred −7.29 ÷ 1.08 = −6.75.
	bc := generate(t, req, "business_case")
	assert.Contains(t, bc, "= −4,000 + 3,993 = **−7**.")
	assert.Contains(t, bc, "NPV becomes −7 (today's NPV ÷ 1.08)")
	assert.NotContains(t, bc, "falls to")
	assert.Contains(t, generate(t, req, "executive_summary"), "| Net present value | −7 at 8% over 5 years;")
	req.Project.Benefits[0].AnnualValue = 500 // ROI (2,500 − 4,000) ÷ 4,000 = −37.5%
	assert.Contains(t, generate(t, req, "business_case"), "= **−37.5%**.")

	ex := generateExample(t, "business_case").Markdown
	assert.Contains(t, ex, "| 4 | EUR 555,000 | 0.7350 | EUR 407,942 |") // 1 ÷ 1.08⁴ = 0.73503
	// Go-live is Thu 27 May; hypercare runs to Wed 23 Jun.
	assert.Contains(t, ex, "Cost C = EUR 662,075 (the total estimate, counted in full at go-live, although the work runs to Wed 23 Jun 2027).")
	assert.Contains(t, generate(t, planProject(), "business_case"), "Cost C = EUR 57,000 (the total estimate, spent before go-live).")
}

// The schedule counts the start and finish days both, so the finish is not
// "N working days after the start" but the end of a plan of N days; and a
// schedule that cannot be computed says what is missing, not more.
func TestPlannedFinishCountsItsDaysRight(t *testing.T) {
	t.Parallel()
	// One day of work from Mon 1 Mar finishes the same day.
	req := Request{ProjectName: "One day", Project: models.ProjectData{StartDate: "2027-03-01",
		Deliverables: []models.Deliverable{{Name: "Report", EffortDays: 1}}}}
	sched := generate(t, req, "schedule")
	assert.Contains(t, sched, "Planned finish: Mon 1 Mar 2027; the plan takes 1 working day.")
	assert.NotContains(t, sched, "after the start")

	noDates := smallProjects()["no dates"] // deliverables, no start date
	// Without a start date the plan still has a length (TestScheduleWithoutAStartDate).
	assert.Contains(t, generate(t, noDates, "business_case"), "Scope delivered (no objectives are stated yet); the plan takes 5 working days from the start (no start date yet); NPV")
	assert.Contains(t, generate(t, noDates, "executive_summary"), "| Planned finish | Not dated yet: no valid start date. The plan takes 5 working days (week 1);")
	noDates.Project.StartDate, noDates.Project.Deliverables = "2027-03-01", nil
	assert.Contains(t, generate(t, noDates, "executive_summary"), "| Planned finish | Cannot be computed: needs deliverables |")
}

// A milestone outside the project's dates is named in the schedule, not
// only in the charter's milestone table.
func TestMilestoneOutsideTheProjectIsNoted(t *testing.T) {
	t.Parallel()
	req := planProject() // 1 Mar to 30 Apr 2027
	req.Project.Milestones = append(req.Project.Milestones,
		models.Milestone{Name: "Kick-off", Date: "2027-02-26"},
		models.Milestone{Name: "Benefits review", Date: "2027-05-14"})
	sched := generate(t, req, "schedule")
	assert.Contains(t, sched, "- The milestone “Kick-off” (Fri 26 Feb 2027) is before the start date (Mon 1 Mar 2027).")
	assert.Contains(t, sched, "- The milestone “Benefits review” (Fri 14 May 2027) is after the committed end date (Fri 30 Apr 2027).")
	assert.NotContains(t, generate(t, planProject(), "schedule"), "## Data quality notes")
}

// zeroCount is a count of nothing before a noun ("0 items in scope", "0
// risks", "0 person-days"): a document says what is missing in words
// instead. Band breakdowns ("0 High, 1 Medium") are counts in a list and
// stay.
var zeroCount = regexp.MustCompile(`(^|[^0-9.,])0 [a-z]`)

func TestNoZeroCountsForMissingData(t *testing.T) {
	t.Parallel()
	shapes := smallProjects()
	shapes["name only"] = Request{ProjectName: "Bare"}
	shapes["german"] = germanProject()
	shapes["no efforts"] = Request{ProjectName: "Unestimated", Project: models.ProjectData{
		Deliverables: []models.Deliverable{{Name: "Report"}}}}
	for name, req := range shapes {
		for _, k := range Keys() {
			for _, line := range strings.Split(generate(t, req, k), "\n") {
				if zeroCount.MatchString(line) {
					assert.Fail(t, "a zero count", "%s, %s: %s", name, k, line)
				}
			}
		}
	}
	bare := shapes["name only"]
	summary := generate(t, bare, "executive_summary")
	assert.Contains(t, summary, "| Total effort | No deliverables recorded yet |")
	assert.Contains(t, summary, "- **Scope Statement**: no scope items are recorded yet.")
	assert.Contains(t, summary, "- **Risk Register**: no risks recorded yet.")
	assert.Contains(t, summary, "- Have the deliverables listed and estimated in person-days: without them there is no cost or date to approve.")
	assert.Contains(t, generate(t, bare, "project_charter"), "No scope items are recorded yet; the Scope Statement holds the detail.")
	assert.Contains(t, generate(t, bare, "business_case"), "Proceed with option 2, on condition that we state the objectives the project commits to, against which it is judged; estimate the deliverables' effort")
}

// A business case without objectives does not promise "Objectives met"
// nor recommend proceeding as scoped: stating them is its first condition.
func TestBusinessCaseWithoutObjectives(t *testing.T) {
	t.Parallel()
	req := germanProject() // no objectives, otherwise fit to proceed
	bc := generate(t, req, "business_case")
	assert.NotContains(t, bc, "Objectives met")
	assert.Contains(t, bc, "| 2. Deliver as scoped (recommended) | EUR 87,680 | Scope delivered (no objectives are stated yet); planned finish")
	assert.Contains(t, bc, "Proceed with option 2, on condition that we state the objectives the project commits to, against which it is judged.")
	assert.Contains(t, generateExample(t, "business_case").Markdown, "Objectives met; planned finish")
}
