package documents

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// Every document lists the milestones in one order, the WBS phases' and
// the RACI sign-offs' (M1, M2…): by date, those without a date last. The
// scanner project gives them out of date order, after one with no date.
func TestMilestonesInDateOrderEverywhere(t *testing.T) {
	t.Parallel()
	req := scannerProject()
	req.Project.Milestones = append([]models.Milestone{{Name: "Benefits review", Requires: []string{"Process documentation"}}}, req.Project.Milestones...)
	want := []string{"Hardware ready", "Pilot site live", "All sites live", "Benefits review"}

	column := func(md, heading string, col int) []string {
		var got []string
		for _, r := range tableRows(t, md, heading) {
			got = append(got, r[col])
		}
		return got
	}
	assert.Equal(t, want, column(generate(t, req, "project_charter"), "## Timeline and milestones", 0), "charter")
	assert.Equal(t, want, column(generate(t, req, "schedule"), "## Milestones against the plan", 0), "schedule")
	assert.Equal(t, want, column(generate(t, req, "communication_plan"), "## Milestone announcements", 1), "communication plan")

	var phases []string
	for _, p := range column(generate(t, req, "work_breakdown_structure"), "## Phases", 0) {
		if _, name, ok := strings.Cut(p, ": "); ok {
			phases = append(phases, name)
		}
	}
	assert.Equal(t, want, phases, "WBS phases")

	qp := generate(t, req, "quality_plan")
	_, reviews, ok := strings.Cut(qp, "## Reviews\n")
	require.True(t, ok)
	reviews, _, _ = strings.Cut(reviews, "\n## ")
	var stages []string
	for line := range strings.SplitSeq(reviews, "\n") {
		if _, rest, ok := strings.Cut(line, "Stage review at “"); ok {
			name, _, _ := strings.Cut(rest, "”")
			stages = append(stages, name)
		}
	}
	assert.Equal(t, want, stages, "quality plan's stage reviews")
}
