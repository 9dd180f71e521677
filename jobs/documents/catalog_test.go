package documents

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalogIsAValidDAG(t *testing.T) {
	t.Parallel()
	cat := Catalog()
	require.Len(t, cat, 12)
	pos := map[string]int{}
	for i, d := range cat {
		_, dup := pos[d.Key]
		require.False(t, dup, "duplicate key %s", d.Key)
		pos[d.Key] = i
		assert.NotEmpty(t, d.Title, d.Key)
		assert.NotEmpty(t, d.Description, d.Key)
	}
	for _, d := range cat {
		for _, dep := range d.DependsOn {
			p, ok := pos[dep]
			require.True(t, ok, "%s depends on unknown %s", d.Key, dep)
			// Catalog order is topological, which also rules out cycles.
			assert.Less(t, p, pos[d.Key], "%s must come after its dependency %s", d.Key, dep)
		}
	}
	// Independent cycle check by depth-first search.
	state := map[string]int{}
	var visit func(k string) bool
	visit = func(k string) bool {
		switch state[k] {
		case 1:
			return false
		case 2:
			return true
		}
		state[k] = 1
		d, _ := Lookup(k)
		for _, dep := range d.DependsOn {
			if !visit(dep) {
				return false
			}
		}
		state[k] = 2
		return true
	}
	for _, k := range Keys() {
		assert.True(t, visit(k), "cycle through %s", k)
	}
	for _, k := range Keys() {
		assert.NotNil(t, writers[k], "no template for %s", k)
		assert.NotEmpty(t, sections[k], "no prompt sections for %s", k)
	}
}

func TestCatalogDependencies(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"risk_register":            {"scope_statement"},
		"communication_plan":       {"stakeholder_register"},
		"work_breakdown_structure": {"scope_statement"},
		"schedule":                 {"work_breakdown_structure"},
		"budget_estimate":          {"work_breakdown_structure", "risk_register"},
		"raci_matrix":              {"stakeholder_register", "work_breakdown_structure"},
		"quality_plan":             {"scope_statement"},
	}
	for _, d := range Catalog() {
		switch d.Key {
		case "executive_summary":
			others := slices.DeleteFunc(Keys(), func(k string) bool { return k == "executive_summary" })
			assert.ElementsMatch(t, others, d.DependsOn)
		default:
			assert.Equal(t, want[d.Key], nilIfEmpty(d.DependsOn), d.Key)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestCatalogJSONShape(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Catalog())
	require.NoError(t, err)
	var got []map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, "project_charter", got[0]["key"])
	assert.Equal(t, []any{}, got[0]["dependsOn"], "no dependencies is [] not null")
	assert.Equal(t, []any{"scope_statement"}, got[4]["dependsOn"])
	for _, k := range []string{"key", "title", "description", "dependsOn"} {
		assert.Contains(t, got[0], k)
	}
}

func TestCatalogReturnsCopies(t *testing.T) {
	t.Parallel()
	c := Catalog()
	c[4].DependsOn[0] = "mutated"
	d, ok := Lookup("risk_register")
	require.True(t, ok)
	assert.Equal(t, []string{"scope_statement"}, d.DependsOn)
	d.DependsOn[0] = "mutated"
	d2, _ := Lookup("risk_register")
	assert.Equal(t, []string{"scope_statement"}, d2.DependsOn)
	_, ok = Lookup("nope")
	assert.False(t, ok)
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty means all", nil, Keys()},
		{"no dependencies", []string{"business_case"}, []string{"business_case"}},
		{"one level", []string{"risk_register"}, []string{"scope_statement", "risk_register"}},
		{"transitive", []string{"schedule"}, []string{"scope_statement", "work_breakdown_structure", "schedule"}},
		{"budget", []string{"budget_estimate"}, []string{"scope_statement", "risk_register", "work_breakdown_structure", "budget_estimate"}},
		{"raci", []string{"raci_matrix"}, []string{"scope_statement", "stakeholder_register", "work_breakdown_structure", "raci_matrix"}},
		{"order and duplicates ignored", []string{"schedule", "scope_statement", "schedule"}, []string{"scope_statement", "work_breakdown_structure", "schedule"}},
		{"summary pulls everything", []string{"executive_summary"}, Keys()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestResolveUnknown(t *testing.T) {
	t.Parallel()
	_, err := Resolve([]string{"risk_register", "gantt_chart", "nope", "nope"})
	var u *UnknownTypeError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, []string{"gantt_chart", "nope"}, u.Unknown)
	assert.Equal(t, Keys(), u.Valid)
	assert.Contains(t, err.Error(), `unknown document types "gantt_chart", "nope"`)
	assert.Contains(t, err.Error(), "project_charter, business_case")
	assert.Contains(t, err.Error(), "executive_summary")
}

func TestLevels(t *testing.T) {
	t.Parallel()
	assert.Equal(t, [][]string{
		{"project_charter", "business_case", "scope_statement", "stakeholder_register"},
		{"risk_register", "communication_plan", "work_breakdown_structure", "quality_plan"},
		{"schedule", "budget_estimate", "raci_matrix"},
		{"executive_summary"},
	}, Levels(Keys()))
	assert.Equal(t, [][]string{{"schedule"}}, Levels([]string{"schedule"}))
}
