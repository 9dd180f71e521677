package documents

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The communication plan sends each audience its regular messages at the
// frequency its row in Audiences gives: a keep-informed stakeholder
// (fortnightly) got the weekly status report too.
func TestCommunicationPlanKeepsEachAudiencesFrequency(t *testing.T) {
	t.Parallel()
	req := exampleRequest("communication_plan")
	req.Project.Stakeholders = []models.Stakeholder{
		{Name: "Ada Close", Role: "CFO", Interest: 5, Influence: 5},
		{Name: "Ben Informed", Role: "Support lead", Interest: 5, Influence: 1},
	}
	plan := generate(t, req, "communication_plan")
	freq := map[string]string{}
	for _, row := range tableRows(t, plan, "## Audiences") {
		freq[strings.SplitN(row[0], " (", 2)[0]] = row[4]
	}
	require.Equal(t, "Weekly", freq["Ada Close"], plan)
	require.Equal(t, "Fortnightly", freq["Ben Informed"], plan)
	for _, row := range tableRows(t, plan, "## Regular communications") {
		audience, frequency := row[1], row[2]
		for name, want := range freq {
			if strings.Contains(audience, name) && frequency != "Monthly" && frequency != "At milestones" {
				assert.Equal(t, want, frequency, "%s gets %q at a frequency its audience row does not give", name, row[0])
			}
		}
	}
}
