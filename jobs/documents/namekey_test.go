package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A reference names a deliverable exactly when models.NameKey says so: the
// validator accepts a dependsOn or requires by that key, so the schedule and
// the phases must resolve it by the same key, never by one of their own.
// The last pair is where a copy of the rule in this package read otherwise
// (invalid UTF-8: two broken bytes made one replacement character there,
// two in NameKey), so a reference the key refuses was scheduled.
func TestReferencesMatchDeliverablesByNameKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, ref string }{
		{"Design review", "design  review"},
		{"Design review", "Design Review"},
		{"Design review", " DESIGN\nreview\t"},
		{"Design review", "Design\u00a0review"},
		{"Design review", "Designreview"},
		{"Design review", "Design reviews"},
		{"Design \xff\xfe review", "design \xff review"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			t.Parallel()
			want := models.NameKey(tc.name) == models.NameKey(tc.ref)
			req := Request{ProjectName: "Keys", Project: models.ProjectData{
				StartDate: "2027-03-01",
				Deliverables: []models.Deliverable{
					{Name: tc.name, EffortDays: 5},
					{Name: "Build", EffortDays: 5, DependsOn: []string{tc.ref}},
				},
				Milestones: []models.Milestone{{Name: "Reviewed", Date: "2027-03-05", Requires: []string{tc.ref}}},
			}}
			sched := generate(t, req, "schedule")
			rows := tableRows(t, sched, "## Timeline")
			require.Len(t, rows, 3) // two packages and the total
			ms := tableRows(t, sched, "## Milestones against the plan")
			wbs := generate(t, req, "work_breakdown_structure")
			if want {
				// Build waits for 1 and starts the Monday after it ends.
				assert.Equal(t, "1", rows[1][5], "Build depends on the reviewed deliverable")
				assert.Equal(t, "Mon 8 Mar 2027", rows[1][6])
				assert.Equal(t, "1", ms[0][2], "the milestone requires the deliverable")
				assert.Contains(t, wbs, "Phase 1: Reviewed")
				assert.NotContains(t, sched, "which is not a deliverable")
				assert.NotContains(t, wbs, "which is not a deliverable")
			} else {
				assert.Equal(t, "Start", rows[1][5], "Build depends on nothing")
				assert.Equal(t, "Mon 1 Mar 2027", rows[1][6])
				assert.Contains(t, sched, "which is not a deliverable; that dependency is ignored.")
				assert.Contains(t, wbs, "which is not a deliverable; that requirement is ignored.")
			}
		})
	}
}
