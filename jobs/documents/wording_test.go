package documents

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// smallProjects are the shapes where counts of one and missing fields
// show: a one-day project with nothing else, and one without dates whose
// matrix has a single Consulted cell.
func smallProjects() map[string]Request {
	return map[string]Request{
		"one day": {ProjectName: "Tiny", Project: models.ProjectData{
			Deliverables: []models.Deliverable{{Name: "Report", EffortDays: 1}}}},
		"no dates": {ProjectName: "No dates", Project: models.ProjectData{
			Manager:      "Ann Lee",
			Deliverables: []models.Deliverable{{Name: "Survey", EffortDays: 3}, {Name: "Report", EffortDays: 2, DependsOn: []string{"Survey"}}},
			Milestones:   []models.Milestone{{Name: "Done", Requires: []string{"Report"}}},
			Stakeholders: []models.Stakeholder{{Name: "Zoë Weiß", Role: "Survey lead"}},
			Benefits:     []models.Benefit{{Description: "Saves time", AnnualValue: 1000}}}},
	}
}

// badWording is what no document may say: a count of one with a plural
// noun ("1 person-days"), or a full stop doubled after a placeholder
// ("_Not provided._.").
var badWording = regexp.MustCompile(`(^|[^0-9.,])1 (person-days|assignments|days|working days|items|risks|stakeholders|deliverables|work packages|milestones|months|rows)\b|\._\.|\.\.`)

func TestNoCountOfOneInThePluralAndNoDoubleFullStop(t *testing.T) {
	t.Parallel()
	shapes := smallProjects()
	shapes["example"] = exampleRequest("")
	for name, req := range shapes {
		for _, k := range Keys() {
			md := generate(t, req, k)
			for _, m := range badWording.FindAllString(md, -1) {
				assert.Fail(t, "bad wording", "%s, %s: %q", name, k, m)
			}
		}
	}
	assert.Contains(t, generate(t, shapes["one day"], "project_charter"), "The estimate is 800: 1 person-day at 800 a day")
	assert.Contains(t, generate(t, shapes["one day"], "project_charter"), "Start: _Not provided._ Committed end: _Not provided._\n")
	assert.Contains(t, generate(t, shapes["no dates"], "raci_matrix"), "Consulted: 1 assignment.")
}
