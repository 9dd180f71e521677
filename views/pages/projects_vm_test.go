package pages

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The form's error summary names each field by its label on the form and
// reads as a sentence: "Project name is required", not "Name: is
// required"; a message that does not go on from the field keeps its colon.
func TestErrorSummaryReadsAsSentences(t *testing.T) {
	items := ErrorItems(map[string]string{
		"name":                              "is required",
		"data.endDate":                      "must be on or after the start date",
		"data.deliverables[1].dependsOn[0]": `no deliverable is named "Design"`,
	})
	var got []string
	for _, it := range items {
		got = append(got, it.Message)
	}
	assert.Equal(t, "Project name is required", got[0])
	assert.Equal(t, "End date must be on or after the start date", got[1])
	assert.Contains(t, got[2], `: no deliverable is named "Design"`)
}
