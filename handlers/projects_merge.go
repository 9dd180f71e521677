package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"dossier/models"
)

// Two editors of one project: the edit form carries the project as it was
// filled from (baseProject, the content as JSON, and its fingerprint). A
// save made after someone else saved the project is merged with that save
// field by field, as a three-way merge: a field only the form changed takes
// the form's value, a field only the other save changed keeps the stored
// value, and a field both changed to different values is a conflict, which
// the user decides (the form's value is kept and named). A merge with no
// conflict is saved at once.

// projectContent is what a save replaces: the Project JSON without id and
// times (also the export's shape).
type projectContent struct {
	Name                    string             `json:"name"`
	Description             string             `json:"description"`
	Data                    models.ProjectData `json:"data"`
	CompanyIntelligencePack models.CompanyPack `json:"companyIntelligencePack"`
}

func contentOf(p *models.Project) projectContent {
	return projectContent{p.Name, p.Description, p.Data, p.CompanyIntelligencePack}
}

// contentJSON is the project's content as the edit form carries it.
func contentJSON(p *models.Project) string {
	b, err := json.Marshal(contentOf(p))
	if err != nil {
		return "" // a float that is not finite: validation refuses it
	}
	return string(b)
}

// projectFields splits a project's content into its mergeable fields: the
// name, the description, each member of data and of the company pack.
func projectFields(p *models.Project) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	top, err := json.Marshal(struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}{p.Name, p.Description})
	if err != nil {
		return nil, err
	}
	for prefix, v := range map[string]any{"": json.RawMessage(top), "data.": p.Data, "companyIntelligencePack.": p.CompanyIntelligencePack} {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			out[prefix+k] = v
		}
	}
	return out, nil
}

// sameField compares two fields' JSON, counting a CRLF as an LF (a browser
// sends a textarea's line breaks as CRLF; the form stores LF).
func sameField(a, b json.RawMessage) bool {
	norm := func(r json.RawMessage) []byte { return bytes.ReplaceAll(r, []byte(`\r\n`), []byte(`\n`)) }
	return bytes.Equal(norm(a), norm(b))
}

// projectMerge is a three-way merge's outcome.
type projectMerge struct {
	Merged *models.Project
	// Conflicts are the fields both saves changed, to different values
	// (Merged holds the form's); Theirs are the fields only the other save
	// changed (Merged holds its values); Same are the fields both saves
	// changed to the same value. Each is in the form's order (formFields),
	// as the messages name them.
	Conflicts, Theirs, Same []string
}

// mergeProject merges mine (the form) and theirs (the stored project), both
// changed from base.
func mergeProject(base, mine, theirs *models.Project) (*projectMerge, error) {
	b, err := projectFields(base)
	if err != nil {
		return nil, err
	}
	m, err := projectFields(mine)
	if err != nil {
		return nil, err
	}
	t, err := projectFields(theirs)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, f := range []map[string]json.RawMessage{b, m, t} {
		for k := range f {
			keys[k] = true
		}
	}
	out := &projectMerge{}
	merged := map[string]json.RawMessage{}
	for _, k := range formOrdered(keys) { // as the messages name them
		switch {
		case sameField(m[k], b[k]):
			merged[k] = t[k]
			if !sameField(t[k], b[k]) {
				out.Theirs = append(out.Theirs, k)
			}
		case sameField(t[k], b[k]):
			merged[k] = m[k]
		case sameField(m[k], t[k]):
			merged[k] = m[k]
			out.Same = append(out.Same, k)
		default:
			merged[k] = m[k]
			out.Conflicts = append(out.Conflicts, k)
		}
	}
	// Put the fields back together.
	parts := map[string]map[string]json.RawMessage{"": {}, "data.": {}, "companyIntelligencePack.": {}}
	for k, v := range merged {
		if v == nil {
			continue
		}
		prefix := ""
		for _, p := range []string{"data.", "companyIntelligencePack."} {
			if strings.HasPrefix(k, p) {
				prefix = p
			}
		}
		parts[prefix][strings.TrimPrefix(k, prefix)] = v
	}
	p := &models.Project{ID: theirs.ID, UserID: theirs.UserID}
	for prefix, dst := range map[string]any{"": &struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}{&p.Name, &p.Description}, "data.": &p.Data, "companyIntelligencePack.": &p.CompanyIntelligencePack} {
		raw, err := json.Marshal(parts[prefix])
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, err
		}
	}
	out.Merged = p
	return out, nil
}

// formOrdered is m's keys in the order the form shows their fields
// (formFields); a key the form does not show (none today) comes after
// them, in name order.
func formOrdered(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	pos := func(k string) int {
		if i := formFieldIndex(k); i >= 0 {
			return i
		}
		return len(formFields)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(pos(a), pos(b)), strings.Compare(a, b)) })
	return out
}

// formField is a mergeable field and its label on the form.
type formField struct{ key, label string }

// formFields are the mergeable fields in the order the edit form shows
// them (views/pages/projects_form.templ), named as the form does: the
// messages about a merge list the fields in this order.
var formFields = []formField{
	{"name", "Project name"}, {"description", "Description"},
	{"data.sponsor", "Sponsor"}, {"data.manager", "Project manager"},
	{"data.startDate", "Start date"}, {"data.endDate", "End date"},
	{"data.budget", "Budget"}, {"data.dayRate", "Day rate"}, {"data.discountRatePercent", "Discount rate"},
	{"data.objectives", "Objectives"},
	{"data.scopeIn", "In scope"}, {"data.scopeOut", "Out of scope"},
	{"data.deliverables", "Deliverables"}, {"data.milestones", "Milestones"},
	{"data.stakeholders", "Stakeholders"}, {"data.risks", "Risks"}, {"data.benefits", "Benefits"},
	{"data.constraints", "Constraints"}, {"data.assumptions", "Assumptions"}, {"data.successCriteria", "Success criteria"},
	{"companyIntelligencePack.companyName", "Company name"}, {"companyIntelligencePack.industry", "Industry"},
	{"companyIntelligencePack.mission", "Mission"}, {"companyIntelligencePack.values", "Values"},
	{"companyIntelligencePack.strategicGoals", "Strategic goals"}, {"companyIntelligencePack.competitors", "Competitors"},
	{"companyIntelligencePack.complianceStandards", "Compliance standards"}, {"companyIntelligencePack.toneOfVoice", "Tone of voice"},
}

// formFieldIndex is the position of the field k in formFields, or -1.
func formFieldIndex(k string) int {
	return slices.IndexFunc(formFields, func(f formField) bool { return f.key == k })
}

// fieldList names fields for a sentence: "Project name, Risks".
func fieldList(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k
		if n := formFieldIndex(k); n >= 0 {
			names[i] = formFields[n].label
		}
	}
	return strings.Join(names, ", ")
}

// conflictMessages mark the form's fields that both saves changed, keyed
// as the form's fields are, each saying what the other save stored.
func conflictMessages(conflicts []string, theirs *models.Project) map[string]string {
	fields, err := projectFields(theirs)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range conflicts {
		msg := "Changed elsewhere too; yours is kept here"
		var text string
		if json.Unmarshal(fields[k], &text) == nil {
			if r := []rune(text); len(r) > 80 {
				text = string(r[:80]) + "…"
			}
			msg = "Saved elsewhere as “" + text + "”; yours is kept here"
			if text == "" {
				msg = "Emptied elsewhere; yours is kept here"
			}
		}
		switch k {
		case "data.budget", "data.dayRate":
			k += ".amount" // the object's first field on the form
		}
		out[k] = msg
	}
	return out
}
