package documents

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// planProject has parallel work packages, a dependency chain, a team of 3
// on one package, a milestone at risk and money benefits. Every number the
// test asserts is worked out by hand in the comments.
func planProject() Request {
	rate := 10.0
	return Request{ProjectName: "Plan check", Project: models.ProjectData{
		StartDate: "2027-03-01", // a Monday
		EndDate:   "2027-04-30", // a Friday
		Budget:    &models.Budget{Amount: 100000, Currency: "EUR"},
		DayRate:   &models.Budget{Amount: 1000, Currency: "EUR"},
		Deliverables: []models.Deliverable{
			{Name: "Design", EffortDays: 10},
			{Name: "Build", EffortDays: 30, People: 3, DependsOn: []string{"Design"}},
			{Name: "Content", EffortDays: 8},
			{Name: "Test", EffortDays: 5, DependsOn: []string{"Build", "Content"}},
			{Name: "Training", EffortDays: 4, People: 2, DependsOn: []string{"Content"}},
		},
		Milestones: []models.Milestone{
			{Name: "Build complete", Date: "2027-03-24", Requires: []string{"Build"}},
			{Name: "Go-live", Date: "2027-04-09", Requires: []string{"Test", "Training"}},
		},
		Benefits: []models.Benefit{
			{Description: "Overtime saved", AnnualValue: 24000},
			{Description: "New subscriptions", AnnualValue: 36000, StartsAfterMonths: 6},
		},
		DiscountRatePercent: &rate,
	}}
}

func generate(t *testing.T, req Request, typ string) string {
	t.Helper()
	req.Type = typ
	doc, err := NewTemplateGenerator(0).Generate(t.Context(), req)
	require.NoError(t, err)
	return doc.Markdown
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	req := planProject()
	sched := generate(t, req, "schedule")
	rows := tableRows(t, sched, "## Timeline")
	// Design: 10 days alone from Mon 1 Mar: two weeks, to Fri 12 Mar.
	assert.Equal(t, []string{"1", "**Design** (critical)", "10", "1", "10", "Start", "Mon 1 Mar 2027", "Fri 12 Mar 2027"}, rows[0])
	// Build: 30 person-days by 3 people = 10 working days, after Design:
	// Mon 15 Mar to Fri 26 Mar.
	assert.Equal(t, []string{"2", "**Build** (critical)", "30", "3", "10", "1", "Mon 15 Mar 2027", "Fri 26 Mar 2027"}, rows[1])
	// Content has no dependency: it runs in parallel with Design from Mon
	// 1 Mar, 8 days, to Wed 10 Mar.
	assert.Equal(t, []string{"3", "Content", "8", "1", "8", "Start", "Mon 1 Mar 2027", "Wed 10 Mar 2027"}, rows[2])
	// Test waits for Build (Fri 26 Mar) and Content (Wed 10 Mar): the later
	// one decides. 5 days from Mon 29 Mar end Fri 2 Apr.
	assert.Equal(t, []string{"4", "**Test** (critical)", "5", "1", "5", "2, 3", "Mon 29 Mar 2027", "Fri 2 Apr 2027"}, rows[3])
	// Training: 4 ÷ 2 = 2 days after Content: Thu 11 and Fri 12 Mar.
	assert.Equal(t, []string{"5", "Training", "4", "2", "2", "3", "Thu 11 Mar 2027", "Fri 12 Mar 2027"}, rows[4])
	// The chain Design → Build → Test is 10 + 10 + 5 = 25 working days and
	// ends last: it is the critical path.
	assert.Contains(t, sched, "Planned finish: Fri 2 Apr 2027; the plan takes 25 working days.")
	assert.Contains(t, sched, "Critical path: Design → Build → Test.")
	// March 2027 has 23 working days and April to the 30th 22: 45. The plan
	// ends Fri 2 Apr; Mon 5 to Fri 30 Apr is 20 working days to spare.
	assert.Contains(t, sched, "which allows 45 working days. The plan finishes 20 working days before the end date.")
	ms := tableRows(t, sched, "## Milestones against the plan")
	// Build complete is due Wed 24 Mar but Build ends Fri 26 Mar: Thu 25
	// and Fri 26 are 2 working days late.
	assert.Equal(t, []string{"Build complete", "Wed 24 Mar 2027", "2", "Fri 26 Mar 2027",
		"**At risk**: the required work finishes 2 working days later, on Fri 26 Mar 2027"}, ms[0])
	// Go-live (Fri 9 Apr) needs Test (Fri 2 Apr) and Training (Fri 12
	// Mar): Mon 5 to Fri 9 Apr are 5 working days to spare.
	assert.Equal(t, "On track: 5 working days to spare", ms[1][4])

	bc := generate(t, req, "business_case")
	// Cost: 10 + 30 + 8 + 5 + 4 = 57 person-days × EUR 1,000 = EUR 57,000;
	// no risks, so no contingency.
	assert.Contains(t, bc, "Cost C = EUR 57,000")
	years := tableRows(t, bc, "its active months in that year ÷ 12.") // the table after the rule
	// Year 1: overtime 24,000 + subscriptions 36,000 × 6 ÷ 12 = 42,000;
	// PV 42,000 ÷ 1.1 = 38,181.82.
	assert.Equal(t, []string{"1", "EUR 42,000", "0.9091", "EUR 38,182"}, years[0])
	// Years 2–5: 60,000 each; year 2 PV 60,000 ÷ 1.21 = 49,586.78.
	assert.Equal(t, []string{"2", "EUR 60,000", "0.8264", "EUR 49,587"}, years[1])
	// Year 5: 60,000 ÷ 1.1^5 (1.61051) = 37,255.28.
	assert.Equal(t, []string{"5", "EUR 60,000", "0.6209", "EUR 37,255"}, years[4])
	// Σ PV = 38,181.82 + 49,586.78 + 45,078.89 + 40,980.81 + 37,255.28
	//      = 211,083.57; NPV = 211,083.57 − 57,000 = 154,083.57.
	assert.Contains(t, bc, "= −EUR 57,000 + EUR 211,084 = **EUR 154,084**.")
	// Payback: 2,000 a month for months 1–6 (12,000), then 5,000 a month;
	// the remaining 45,000 take 9 more months: 15 months after go-live.
	assert.Contains(t, bc, "**15 months** after go-live")
	// ROI: benefits 42,000 + 4 × 60,000 = 282,000; (282,000 − 57,000) ÷
	// 57,000 = 3.947 = 394.7%.
	assert.Contains(t, bc, "(EUR 282,000 − EUR 57,000) ÷ EUR 57,000 = **394.7%**.")
	// Deferring a year discounts today's NPV once more: 154,083.57 ÷ 1.1 = 140,075.97.
	assert.Contains(t, bc, "NPV falls to EUR 140,076")
	assert.Contains(t, bc, "re-plan the milestone at risk")
}

// TestExampleDocumentsAgree checks that the example project's documents
// agree on the planned finish and on the milestone at risk: they all read
// one schedule.
func TestExampleDocumentsAgree(t *testing.T) {
	t.Parallel()
	finish := map[string]*regexp.Regexp{
		"schedule":          regexp.MustCompile(`Planned finish: (\w{3} \d+ \w{3} \d{4});`),
		"project_charter":   regexp.MustCompile(`Planned finish from the effort estimates and dependencies: (\w{3} \d+ \w{3} \d{4}) \(`),
		"executive_summary": regexp.MustCompile(`\| Planned finish \| (\w{3} \d+ \w{3} \d{4}) \(`),
		"business_case":     regexp.MustCompile(`Objectives met; planned finish (\w{3} \d+ \w{3} \d{4}) \(`),
	}
	got := map[string]string{}
	for typ, re := range finish {
		md := generateExample(t, typ).Markdown
		m := re.FindStringSubmatch(md)
		require.NotNil(t, m, "%s states no planned finish", typ)
		got[typ] = m[1]
		// The same date drives option 2 and the summary's document list.
		if typ == "business_case" {
			assert.Contains(t, md, "planned finish "+m[1]+" (")
		}
		if typ == "executive_summary" {
			assert.Contains(t, md, "**Project Schedule**: planned finish "+m[1]+";")
		}
		if typ == "schedule" {
			assert.Contains(t, md, `"finish":"2027-06-23"`, "the Gantt chart ends on the same day")
		}
	}
	for typ, d := range got {
		assert.Equal(t, "Wed 23 Jun 2027", d, "%s", typ)
	}
	// The milestone at risk is the same one, with the same gap, everywhere.
	at := "Claims filing journey feature-complete"
	assert.Contains(t, generateExample(t, "project_charter").Markdown, "| "+at+" | Fri 2 Apr 2027 | **At risk**: the required work finishes 3 working days later")
	assert.Contains(t, generateExample(t, "executive_summary").Markdown, "| Milestones at risk | "+at+" (Fri 2 Apr 2027, 3 working days late) |")
	assert.Contains(t, generateExample(t, "business_case").Markdown, at+" (Fri 2 Apr 2027, 3 working days late)")
}
