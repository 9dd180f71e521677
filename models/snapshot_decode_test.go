package models

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The claim's decoder (goccy/go-json) must read every snapshot exactly as
// encoding/json, which wrote it and which every other path reads it with.
func TestSnapshotDecode(t *testing.T) {
	_, _, data, pack := ExampleProject()
	example, err := json.Marshal(data)
	require.NoError(t, err)
	examplePack, err := json.Marshal(pack)
	require.NoError(t, err)

	projects := map[string]string{
		"the example project":               string(example),
		"empty":                             `{}`,
		"null":                              `null`,
		"objectives as strings and objects": `{"objectives": ["Cut costs", {"text": "Grow", "strategicGoals": ["Expand"]}, {"text": "Plain"}]}`,
		"escapes and unicode":               `{"sponsor": "Zoë \"Z\" O'Neil\u00e9 \ud83d\ude00", "manager": "line\nbreak\ttab\\slash"}`,
		"nulls":                             `{"budget": null, "dayRate": null, "objectives": null, "discountRatePercent": null, "risks": null}`,
		"numbers":                           `{"budget": {"amount": 1.5e6, "currency": "EUR"}, "dayRate": {"amount": 850}, "discountRatePercent": 7.25}`,
		"unknown fields":                    `{"sponsor": "A", "extra": {"deep": [1, 2, {"x": null}]}, "more": true}`,
		"case-insensitive keys":             `{"Sponsor": "Upper", "STARTDATE": "2027-01-04"}`,
		"duplicate keys":                    `{"sponsor": "first", "sponsor": "second"}`,
	}
	for name, raw := range projects {
		t.Run(name, func(t *testing.T) {
			var want, got ProjectData
			require.NoError(t, json.Unmarshal([]byte(raw), &want))
			require.NoError(t, decodeSnapshot([]byte(raw), &got))
			assert.Equal(t, want, got)
		})
	}
	t.Run("the example company pack", func(t *testing.T) {
		var want, got CompanyPack
		require.NoError(t, json.Unmarshal(examplePack, &want))
		require.NoError(t, decodeSnapshot(examplePack, &got))
		assert.Equal(t, want, got)
		assert.NotEmpty(t, got.StrategicGoals)
	})
	t.Run("objectives", func(t *testing.T) {
		var d ProjectData
		require.NoError(t, json.Unmarshal([]byte(`{"objectives": [" \"Cut\" costs\u00e9", {"text": "Grow", "strategicGoals": ["Expand", "Keep"]}, {"text": ""}]}`), &d))
		assert.Equal(t, []Objective{{Text: ` "Cut" costsé`}, {Text: "Grow", StrategicGoals: []string{"Expand", "Keep"}}, {}}, d.Objectives)
		for _, bad := range []string{`[1]`, `[{"text": 1}]`, `["unterminated]`} {
			assert.Error(t, json.Unmarshal([]byte(`{"objectives": `+bad+`}`), &d), bad)
		}
	})
	for _, bad := range []string{`{"sponsor": }`, `{"objectives": [1]}`, `{"budget": "lots"}`, `[`} {
		var want, got ProjectData
		assert.Error(t, json.Unmarshal([]byte(bad), &want), bad)
		assert.Error(t, decodeSnapshot([]byte(bad), &got), "%s: both decoders refuse it", bad)
	}
}
