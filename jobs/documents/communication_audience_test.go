package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
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

// The project manager listed as a stakeholder sends the project's messages
// and reports to its steering committee: no document makes them an
// audience of their own status report, a one-to-one with themself, or a
// member of the committee they report to. The scanner project's manager,
// Liam Chen, is a stakeholder managed closely.
func TestProjectManagerIsNotTheirOwnAudience(t *testing.T) {
	t.Parallel()
	req := scannerProject()
	var members []string
	for _, r := range tableRows(t, generate(t, req, "project_charter"), "## Roles and authority") {
		if r[0] == "Steering committee member" {
			members = append(members, r[1])
		}
	}
	assert.Equal(t, []string{"Health and safety officer (Workplace safety)"}, members)

	comm := generate(t, req, "communication_plan")
	for _, r := range tableRows(t, comm, "## Audiences") {
		assert.NotContains(t, r[0], "Liam Chen", "the manager is not an audience")
	}
	assert.Contains(t, comm, "Liam Chen, listed in the Stakeholder Register, is the project manager: they send these messages and are not an audience of them.")
	regular := tableRows(t, comm, "## Regular communications")
	assert.Equal(t, []string{"Status report: progress, next steps, risks, decisions needed", "Dana Okafor (sponsor)", "Weekly", "Liam Chen"}, regular[0])
	assert.Equal(t, []string{"Steering committee", "Health and safety officer", "Monthly", "Dana Okafor (chair)"}, regular[1])

	reg := tableRows(t, generate(t, req, "stakeholder_register"), "## Register")
	assert.Equal(t, "Liam Chen", reg[0][1])
	assert.NotContains(t, reg[0][6], "one-to-one", "no one-to-one with themself")

	// A register that lists only the manager: nobody to address yet.
	alone := Request{ProjectName: "Alone", Project: models.ProjectData{Manager: "Ann Lee", Sponsor: "Bo Park",
		Stakeholders: []models.Stakeholder{{Name: "Ann Lee", Role: "Project manager", Interest: 5, Influence: 5}}}}
	comm = generate(t, alone, "communication_plan")
	assert.Contains(t, comm, "The Stakeholder Register lists only Ann Lee, the project manager, who sends these messages.")
	regular = tableRows(t, comm, "## Regular communications")
	assert.Equal(t, "Bo Park (sponsor)", regular[0][1])
	assert.Equal(t, "The sponsor and the project manager only: no other stakeholder has high influence", regular[1][1])
}
