package documents

import (
	"strings"
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

// The executive summary's document set says what each document holds for
// this project: a project without stakeholders or deliverables was told
// its communication plan had "cadence and channel for each stakeholder",
// its RACI "one accountable person per deliverable" and its quality plan
// "acceptance checks", none of which those documents contain.
func TestDocumentSetDescribesWhatIsThere(t *testing.T) {
	t.Parallel()
	bare := generate(t, Request{ProjectName: "Idea"}, "executive_summary")
	assert.Contains(t, bare, "- **Communication Plan**: the status report and the steering committee only; its audiences follow once stakeholders are recorded.\n")
	assert.Contains(t, bare, "- **RACI Matrix**: not drawn up yet: it needs the deliverables.\n")
	assert.Contains(t, bare, "- **Quality Plan**: no acceptance checks yet (no deliverables); no compliance standards recorded yet.\n")
	assert.NotContains(t, generate(t, Request{ProjectName: "Idea"}, "raci_matrix"), "| ID |", "the matrix is indeed empty")

	full := generateExample(t, "executive_summary").Markdown
	assert.Contains(t, full, "- **Communication Plan**: cadence and channel for each stakeholder.\n")
	assert.Contains(t, full, "- **RACI Matrix**: one accountable person per deliverable.\n")
	assert.Contains(t, full, "- **Quality Plan**: acceptance checks and 4 compliance standards.\n")
}

// A project without a sponsor or a project manager cannot have its charter
// signed: the executive summary's decisions say so, as they say what else
// is missing.
func TestDecisionsNameTheMissingPeople(t *testing.T) {
	t.Parallel()
	decisions := func(req Request) []string {
		md := generate(t, req, "executive_summary")
		_, rest, _ := strings.Cut(md, "## Decisions needed\n\n")
		rest, _, _ = strings.Cut(rest, "\n\n")
		return strings.Split(rest, "\n")
	}
	assert.Contains(t, decisions(Request{ProjectName: "Idea"}), "- Name the sponsor and the project manager: the charter has no one to approve it and the plans no one to run them.")
	assert.Contains(t, decisions(Request{ProjectName: "Idea", Project: models.ProjectData{Manager: "Ann Lee"}}),
		"- Name the sponsor, who approves the charter, signs the deliverables off and chairs the steering committee.")
	assert.Contains(t, decisions(Request{ProjectName: "Idea", Project: models.ProjectData{Sponsor: "Bo Park"}}),
		"- Appoint the project manager, who runs the project day to day and owns the plans.")
	for _, d := range decisions(exampleRequest("")) {
		assert.NotContains(t, d, "sponsor", "the example names both")
		assert.NotContains(t, d, "project manager")
	}
}

// The quality plan's verification effort is the WBS's Verify and accept
// part, rounded to half days: its rule says so, as 48 days give 9.5, not
// the 9.6 that "20% of its effort" would make.
func TestVerificationEffortStatesItsRounding(t *testing.T) {
	t.Parallel()
	qp := generateExample(t, "quality_plan").Markdown
	rows := tableRows(t, qp, "## Acceptance checks per deliverable")
	assert.Equal(t, []string{"1", "Discovery and UX research", "9.5"}, rows[0][:3], "48 days: 20% is 9.6, 9.5 to the half day")
	assert.Contains(t, qp, "Verification effort is the Verify and accept part of each work package in the Work Breakdown Structure: 20% of its effort, rounded to the nearest half day.")
	wbs := tableRows(t, generateExample(t, "work_breakdown_structure").Markdown, "## Structure")
	assert.Equal(t, []string{"1.3", "Verify and accept", "9.5"}, wbs[4][:3])
}

// The charter's tolerances (5 working days of slip, 5% of the estimate)
// say when the plan as estimated is already beyond them: granting 5 days
// of slip to a plan that overruns its end date by 10 was left unremarked.
func TestCharterSaysWhenThePlanIsBeyondTolerance(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "CRM", Project: models.ProjectData{
		StartDate: "2027-09-06", EndDate: "2027-10-15", // 30 working days
		Budget:       &models.Budget{Amount: 40000, Currency: "GBP"},
		Deliverables: []models.Deliverable{{Name: "Mapping", EffortDays: 20, People: 2}, {Name: "Migration", EffortDays: 40, People: 2, DependsOn: []string{"Mapping"}}, {Name: "Training", EffortDays: 10, DependsOn: []string{"Migration"}}},
	}}
	// 10 + 20 + 10 = 40 working days: 10 after the end date. 70 days × 800
	// = GBP 56,000, GBP 16,000 over the budget.
	assert.Contains(t, generate(t, req, "project_charter"), "Anything beyond goes to the sponsor. The plan as estimated is already beyond them: it finishes 10 working days after the committed end date, and its estimate exceeds the approved budget by GBP 16,000. The sponsor decides on this before approving the charter.")

	// Within tolerance: 5 days late and 5% over budget are not beyond it.
	req.Project.EndDate = "2027-10-22"                                  // 35 working days: 5 late
	req.Project.Budget = &models.Budget{Amount: 53200, Currency: "GBP"} // 56,000 − 5%
	ch := generate(t, req, "project_charter")
	assert.Contains(t, ch, "(5 working days after the end date)")
	assert.NotContains(t, ch, "already beyond them")
	assert.NotContains(t, generateExample(t, "project_charter").Markdown, "already beyond them")
}

// Option 1 names a single objective as one: "the objective “…” is not
// met", not "the objectives, such as “…”, are not met" as if of several.
func TestDoNothingNamesASingleObjective(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "CRM", Project: models.ProjectData{Objectives: []models.Objective{{Text: "All sales reps on the new CRM by October"}}}}
	rows := tableRows(t, generate(t, req, "business_case"), "## Options considered")
	assert.Equal(t, "Current problems persist and the objective “All sales reps on the new CRM by October” is not met", rows[0][2])
	rows = tableRows(t, generateExample(t, "business_case").Markdown, "## Options considered")
	assert.Equal(t, "Current problems persist and the objectives, such as “Cut contact-centre call volume for claim status by 40% within three months of launch”, are not met", rows[0][2])
}

// A quality plan without milestones has no stage reviews, so it does not
// capture lessons "at each stage review".
func TestLessonsLearnedWithoutStageReviews(t *testing.T) {
	t.Parallel()
	qp := generate(t, Request{ProjectName: "Idea"}, "quality_plan")
	assert.NotContains(t, qp, "Stage review at")
	assert.NotContains(t, qp, "at each stage review")
	assert.Contains(t, qp, "- Lessons learned captured at close; stage reviews follow once milestones are set.\n")
	assert.Contains(t, generateExample(t, "quality_plan").Markdown, "- Lessons learned captured at each stage review and at close.\n")
}

// A milestone without a name still closes a phase ("Phase 1: Milestone 2"
// in the WBS, a row in the schedule), so it still has its stage review.
func TestUnnamedMilestoneHasItsStageReview(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "P", Project: models.ProjectData{
		Deliverables: []models.Deliverable{{Name: "Build", EffortDays: 5}},
		Milestones:   []models.Milestone{{Name: "Kick-off", Date: "2027-03-01"}, {Date: "2027-04-01", Requires: []string{"Build"}}},
	}}
	assert.Contains(t, generate(t, req, "work_breakdown_structure"), "Phase 2: Milestone 2")
	assert.Contains(t, generate(t, req, "quality_plan"), "- Stage review at “Milestone 2” (Thu 1 Apr 2027): deliverables due by then are checked against this plan.\n")
}

// A milestone's unusable date says which it is: none set yet (add one) or
// not a date (correct it), no longer "Date missing or invalid" for both.
func TestMilestoneDateProblemIsNamed(t *testing.T) {
	t.Parallel()
	req := Request{ProjectName: "P", Project: models.ProjectData{
		StartDate:    "2027-03-01",
		Deliverables: []models.Deliverable{{Name: "Build", EffortDays: 5}},
		Milestones: []models.Milestone{
			{Name: "Ready", Requires: []string{"Build"}},
			{Name: "Done", Date: "next spring", Requires: []string{"Build"}},
			{Name: "Party", Date: "31/12/2027"},
		},
	}}
	ms := tableRows(t, generate(t, req, "schedule"), "## Milestones against the plan")
	assert.Equal(t, "No date set yet: the required work finishes on Fri 5 Mar 2027", ms[0][4])
	assert.Equal(t, "Not a valid date: the required work finishes on Fri 5 Mar 2027", ms[1][4])
	assert.Equal(t, "Not a valid date", ms[2][4])
	charter := tableRows(t, generate(t, req, "project_charter"), "## Timeline and milestones")
	assert.Equal(t, "Not a valid date", charter[2][2])
	req.Project.Deliverables = nil // nothing scheduled: the charter checks the date alone
	charter = tableRows(t, generate(t, req, "project_charter"), "## Timeline and milestones")
	assert.Equal(t, []string{"No date set yet", "Not a valid date", "Not a valid date"}, []string{charter[0][2], charter[1][2], charter[2][2]})
}

// A loss is said once: "a net present value of −GBP 4,173, a loss", not
// "a negative net present value of −GBP 4,173", whose sign and adjective
// say the same thing twice (and read as a double negative).
func TestNegativeNPVSaidOnce(t *testing.T) {
	t.Parallel()
	req := smallProjects()["no dates"] // NPV −7.29 (TestBusinessCaseWordsALossAndItsTiming)
	bc := generate(t, req, "business_case")
	assert.Contains(t, bc, "accept a net present value of −7, a loss in money terms, for reasons other than money, or raise the benefits")
	assert.NotContains(t, bc, "negative net present value of −")
	req.Project.StartDate = "2027-03-01"
	es := generate(t, req, "executive_summary")
	assert.Contains(t, es, "- Decide whether to proceed with a net present value of −7, a loss in money terms.\n")
	assert.NotContains(t, es, "negative net present value of −")
}
