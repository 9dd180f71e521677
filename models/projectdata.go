package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// ProjectData is the structured input every document generator reads. It is
// stored as JSON on the project and snapshotted onto each generation job, so a
// job always regenerates from the data it was started with.
type ProjectData struct {
	Sponsor   string  `json:"sponsor,omitempty"`
	Manager   string  `json:"manager,omitempty"`
	StartDate string  `json:"startDate,omitempty"` // ISO 8601 date, 2027-01-04
	EndDate   string  `json:"endDate,omitempty"`
	Budget    *Budget `json:"budget,omitempty"`
	// DayRate prices a person-day of effort. When it is missing, an
	// assumption such as "A blended day rate of EUR 850 applies" is read
	// instead.
	DayRate         *Budget       `json:"dayRate,omitempty"`
	Objectives      []Objective   `json:"objectives,omitempty"`
	ScopeIn         []string      `json:"scopeIn,omitempty"`
	ScopeOut        []string      `json:"scopeOut,omitempty"`
	Deliverables    []Deliverable `json:"deliverables,omitempty"`
	Milestones      []Milestone   `json:"milestones,omitempty"`
	Stakeholders    []Stakeholder `json:"stakeholders,omitempty"`
	Risks           []Risk        `json:"risks,omitempty"`
	Constraints     []string      `json:"constraints,omitempty"`
	Assumptions     []string      `json:"assumptions,omitempty"`
	SuccessCriteria []string      `json:"successCriteria,omitempty"`
	// Benefits are valued per year; with DiscountRatePercent they give the
	// business case its net present value, payback and return.
	Benefits            []Benefit `json:"benefits,omitempty"`
	DiscountRatePercent *float64  `json:"discountRatePercent,omitempty"`
}

// Objective is what the project commits to. StrategicGoals links it
// explicitly to goals of the company pack (by their text), which is what the
// business case's strategic fit is built from. In JSON an objective without
// links is a plain string, as it was before links existed.
type Objective struct {
	Text           string   `json:"text"`
	StrategicGoals []string `json:"strategicGoals,omitempty"`
}

// AcceptsString tells the JSON type check that a plain string is a valid
// Objective.
func (Objective) AcceptsString() {}

func (o Objective) MarshalJSON() ([]byte, error) {
	if len(o.StrategicGoals) == 0 {
		return json.Marshal(o.Text)
	}
	type plain Objective
	return json.Marshal(plain(o))
}

// UnmarshalJSON reads a string or an object. It decodes with goccy/go-json
// (as the claim does, decodeSnapshot): a project has a dozen objectives,
// and a fresh encoding/json decode of each was most of a snapshot's decode.
func (o *Objective) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*o = Objective{}
		return gojson.Unmarshal(b, &o.Text)
	}
	type plain Objective
	var p plain
	if err := gojson.Unmarshal(b, &p); err != nil {
		return err
	}
	*o = Objective(p)
	return nil
}

// ObjectiveTexts returns the objectives' texts.
func ObjectiveTexts(objs []Objective) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Text
	}
	return out
}

// TextObjectives makes objectives without links from plain texts.
func TextObjectives(texts []string) []Objective {
	var out []Objective
	for _, t := range texts {
		out = append(out, Objective{Text: t})
	}
	return out
}

// Benefit is a yearly money value the project brings once it is delivered.
// StartsAfterMonths counts from the planned finish (go-live).
type Benefit struct {
	Description       string  `json:"description"`
	AnnualValue       float64 `json:"annualValue"`
	StartsAfterMonths int     `json:"startsAfterMonths,omitempty"`
}

// Budget is an amount in a currency (ISO 4217 code such as EUR).
type Budget struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency,omitempty"`
}

// Deliverable is a unit of work; EffortDays drives the WBS, schedule and budget.
type Deliverable struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	EffortDays  float64 `json:"effortDays,omitempty"`
	// DependsOn names the deliverables that must finish before this one
	// starts; without it a deliverable starts with the project.
	DependsOn []string `json:"dependsOn,omitempty"`
	// People work on it at once; its duration is effort ÷ people. 0 means 1.
	People int `json:"people,omitempty"`
	// Owner is the person or team responsible for it, as free text. Without
	// one the documents name the project manager, marked as an assumption.
	Owner string `json:"owner,omitempty"`
}

// Milestone is a named date (ISO 8601). Requires names the deliverables
// that must be finished by then; the schedule checks it.
type Milestone struct {
	Name     string   `json:"name"`
	Date     string   `json:"date,omitempty"`
	Requires []string `json:"requires,omitempty"`
}

// Stakeholder scores are integers from 1 to 5.
type Stakeholder struct {
	Name      string `json:"name"`
	Role      string `json:"role,omitempty"`
	Interest  int    `json:"interest,omitempty"`
	Influence int    `json:"influence,omitempty"`
}

// Risk scores are integers from 1 to 5; exposure is Probability × Impact.
type Risk struct {
	Description string `json:"description"`
	Probability int    `json:"probability,omitempty"`
	Impact      int    `json:"impact,omitempty"`
	Owner       string `json:"owner,omitempty"`
	Mitigation  string `json:"mitigation,omitempty"`
}

// CompanyPack is the company intelligence pack: who the documents speak for.
type CompanyPack struct {
	CompanyName         string   `json:"companyName,omitempty"`
	Industry            string   `json:"industry,omitempty"`
	Mission             string   `json:"mission,omitempty"`
	Values              []string `json:"values,omitempty"`
	StrategicGoals      []string `json:"strategicGoals,omitempty"`
	Competitors         []string `json:"competitors,omitempty"`
	ComplianceStandards []string `json:"complianceStandards,omitempty"`
	ToneOfVoice         string   `json:"toneOfVoice,omitempty"`
}

// Value and Scan store the structs as JSON text (jsonb on PostgreSQL).
func (d ProjectData) Value() (driver.Value, error) { return jsonValue(d) }
func (d *ProjectData) Scan(src any) error          { return jsonScan(src, d) }
func (p CompanyPack) Value() (driver.Value, error) { return jsonValue(p) }
func (p *CompanyPack) Scan(src any) error          { return jsonScan(src, p) }

// StringList is a JSON array column (jsonb on PostgreSQL, text on SQLite).
type StringList []string

func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	return jsonValue(l)
}
func (l *StringList) Scan(src any) error { return jsonScan(src, l) }

// JSONMap is a free-form JSON object column, used for error details.
type JSONMap map[string]any

func (m JSONMap) Value() (driver.Value, error) {
	if m == nil {
		return nil, nil
	}
	return jsonValue(m)
}
func (m *JSONMap) Scan(src any) error { return jsonScan(src, m) }

func jsonValue(v any) (driver.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func jsonScan(src any, dst any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		return nil
	case []byte:
		b = s
	case string:
		b = []byte(s)
	default:
		return fmt.Errorf("scan json: unsupported type %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, dst)
}

// GormDataType tells GORM these are single JSON columns, not relations.
func (ProjectData) GormDataType() string { return "json" }
func (CompanyPack) GormDataType() string { return "json" }
func (StringList) GormDataType() string  { return "json" }
func (JSONMap) GormDataType() string     { return "json" }
