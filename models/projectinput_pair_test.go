package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A risk's probability and impact, and a stakeholder's interest and
// influence, come in pairs: one without the other is refused with a message
// on the missing field; neither (not yet assessed) is fine.
func TestScorePairsAreBothOrNeither(t *testing.T) {
	n := func(v int) *int { return &v }
	d := DataInput{
		Risks: []RiskInput{
			{Description: "only probability", Probability: n(2)},
			{Description: "only impact", Impact: n(4)},
			{Description: "both", Probability: n(2), Impact: n(4)},
			{Description: "neither"},
		},
		Stakeholders: []StakeholderInput{
			{Name: "only interest", Interest: n(5)},
			{Name: "only influence", Influence: n(1)},
			{Name: "neither"},
		},
	}
	var fe FieldErrors
	d.Validate(&fe, "data.", &CompanyPack{})
	assert.Equal(t, map[string]string{
		"data.risks[0].impact":           "is required when probability is given (a whole number from 1 to 5)",
		"data.risks[1].probability":      "is required when impact is given (a whole number from 1 to 5)",
		"data.stakeholders[0].influence": "is required when interest is given (a whole number from 1 to 5)",
		"data.stakeholders[1].interest":  "is required when influence is given (a whole number from 1 to 5)",
	}, fe.Map())
}
