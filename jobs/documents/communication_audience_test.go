package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// No regular communication goes to "none": the sponsor receives the status
// report wherever the grid places them, a steering committee without
// high-influence stakeholders says who sits on it, and a message nobody is
// placed to receive is left out.
func TestCommunicationsHaveAnAudience(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]Request{"german": germanProject(), "name only": {ProjectName: "Bare"}} {
		for _, r := range tableRows(t, generate(t, req, "communication_plan"), "## Regular communications") {
			assert.NotEqual(t, "none", r[1], "%s: %s", name, r[0])
		}
	}
	rows := tableRows(t, generate(t, germanProject(), "communication_plan"), "## Regular communications")
	assert.Equal(t, "Jürgen Müller (sponsor)", rows[0][1])
	assert.Equal(t, "The sponsor and the project manager only: no stakeholder has high influence", rows[1][1])
	bare := tableRows(t, generate(t, Request{ProjectName: "Bare"}, "communication_plan"), "## Regular communications")
	assert.Len(t, bare, 2, "no demo and no newsletter without stakeholders")
	assert.Equal(t, "The sponsor (not named yet)", bare[0][1])
	// The example's sponsor is a stakeholder managed closely: named once.
	ex := tableRows(t, generateExample(t, "communication_plan").Markdown, "## Regular communications")
	assert.Equal(t, "Helena Brandt, Tomasz Nowak", ex[0][1])
}

// The charter's steering committee members are the stakeholders the
// Communication Plan invites to the steering committee.
func TestSteeringCommitteeAgrees(t *testing.T) {
	t.Parallel()
	var members []string
	for _, r := range tableRows(t, generateExample(t, "project_charter").Markdown, "## Roles and authority") {
		if r[0] == "Steering committee member" {
			members = append(members, r[1])
		}
	}
	assert.Equal(t, []string{"Tomasz Nowak (Head of Claims Operations)", "Priya Natarajan (Chief Information Security Officer)", "Finance business partner (Budget control)"}, members)
	comm := tableRows(t, generateExample(t, "communication_plan").Markdown, "## Regular communications")
	assert.Equal(t, "Steering committee", comm[1][0])
	assert.Equal(t, "Helena Brandt, Tomasz Nowak, Priya Natarajan, Finance business partner", comm[1][1], "the sponsor chairs; the members as in the charter")
}
