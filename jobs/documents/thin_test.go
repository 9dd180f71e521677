package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestThinDocuments(t *testing.T) {
	_, _, example, pack := models.ExampleProject()
	noMilestones := example
	noMilestones.Milestones = nil
	noStart, noEnd := example, example
	noStart.StartDate, noEnd.EndDate = "", ""
	sparse := models.ProjectData{Objectives: []models.Objective{{Text: "Launch"}}, Deliverables: []models.Deliverable{{Name: "Portal"}}}

	cases := []struct {
		name string
		data models.ProjectData
		pack models.CompanyPack
		want map[string][]string // type → what it lacks; nil: nothing thin
	}{
		{"the example project is complete", example, pack, nil},
		{"no milestones: only the schedule is thin", noMilestones, pack, map[string][]string{"schedule": {"no milestones"}}},
		// Only the missing date is named, not "no start or end date".
		{"no start date", noStart, pack, map[string][]string{"schedule": {"no start date"}}},
		{"no end date", noEnd, pack, map[string][]string{"schedule": {"no end date"}}},
		{"a name and nothing else: every document is thin", models.ProjectData{}, models.CompanyPack{}, map[string][]string{
			"project_charter":          {"no objectives", "no deliverables", "no sponsor"},
			"business_case":            {"no budget", "no benefits", "no objectives", "no strategic goals in the company pack"},
			"scope_statement":          {"nothing in scope", "no deliverables"},
			"stakeholder_register":     {"no stakeholders"},
			"risk_register":            {"no risks"},
			"communication_plan":       {"no stakeholders"},
			"work_breakdown_structure": {"no deliverables"},
			"schedule":                 {"no milestones", "no start or end date", "no deliverables"},
			"budget_estimate":          {"no budget", "no deliverables"},
			"raci_matrix":              {"no stakeholders", "no deliverables"},
			"quality_plan":             {"no success criteria", "no deliverables"},
			"executive_summary":        {"no objectives", "no budget", "no risks"},
		}},
		{"deliverables without effort", sparse, pack, map[string][]string{
			"project_charter":          {"no sponsor"},
			"business_case":            {"no budget", "no benefits"},
			"scope_statement":          {"nothing in scope"},
			"stakeholder_register":     {"no stakeholders"},
			"risk_register":            {"no risks"},
			"communication_plan":       {"no stakeholders"},
			"work_breakdown_structure": {"no effort on any deliverable"},
			"schedule":                 {"no milestones", "no start or end date"},
			"budget_estimate":          {"no budget", "no effort on any deliverable"},
			"raci_matrix":              {"no stakeholders"},
			"quality_plan":             {"no success criteria"},
			"executive_summary":        {"no budget", "no risks"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ThinDocuments(tc.data, tc.pack)
			m := map[string][]string{}
			order := []string{}
			for _, d := range got {
				m[d.Type] = d.Missing
				order = append(order, d.Type)
				dt, ok := Lookup(d.Type)
				require.True(t, ok, d.Type)
				require.Equal(t, dt.Title, d.Title, "the catalog title")
			}
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, m)
			var catalogOrder []string
			for _, k := range Keys() {
				if _, ok := tc.want[k]; ok {
					catalogOrder = append(catalogOrder, k)
				}
			}
			assert.Equal(t, catalogOrder, order, "in catalog order")
		})
	}
}

// Every document type says what it is built from.
func TestEveryTypeHasInputs(t *testing.T) {
	for _, k := range Keys() {
		assert.NotEmpty(t, inputs[k], k)
	}
	assert.Len(t, inputs, len(Keys()))
}
