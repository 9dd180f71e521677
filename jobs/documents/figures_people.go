package documents

import (
	"fmt"
	"strings"
	"unicode"

	"dossier/models"
)

// The power/interest grid (Mendelow): influence is power. A score of 4 or 5
// counts as high, 1 to 3 as low. A missing score counts as missingScore (3,
// low) until it is set, an out-of-range one as the nearest bound; both are
// flagged (scoreOf).
const highScore = 4

type quadrant int

const (
	manageClosely quadrant = iota
	keepSatisfied
	keepInformed
	monitor
)

var quadrants = []quadrant{manageClosely, keepSatisfied, keepInformed, monitor}

func (q quadrant) String() string {
	return [...]string{"Manage closely", "Keep satisfied", "Keep informed", "Monitor"}[q]
}

// rule states the grid position in words.
func (q quadrant) rule() string {
	return [...]string{"high influence, high interest", "high influence, lower interest",
		"lower influence, high interest", "lower influence, lower interest"}[q]
}

// strategy is the engagement approach for the quadrant.
func (q quadrant) strategy() string {
	return [...]string{
		"Involve in key decisions; one-to-one before each steering meeting; review drafts of major deliverables.",
		"Consult on decisions that touch their remit; keep briefings short and decision-focused; no surprises.",
		"Share progress and early designs; invite feedback at each milestone; explain how feedback was used.",
		"Keep up to date through general updates; check their position at each milestone in case it changes.",
	}[q]
}

// cadence and channel drive the communication plan.
func (q quadrant) cadence() string {
	return [...]string{"Weekly", "Monthly", "Fortnightly", "At milestones"}[q]
}

func (q quadrant) channel() string {
	return [...]string{"One-to-one meeting and steering committee", "Briefing note and steering committee",
		"Status update and demo session", "Newsletter or portal update"}[q]
}

func (q quadrant) need() string {
	return [...]string{"Decisions needed, risks above threshold, budget and schedule variance",
		"Impact on their area, decisions needed from them, compliance position",
		"Progress, upcoming changes that affect them, how their feedback was used",
		"Headline progress and upcoming milestones"}[q]
}

type placedStakeholder struct {
	models.Stakeholder
	Order     int
	Interest  int
	Influence int
	Quadrant  quadrant
	Name      string // escaped, never empty
	Role      string // escaped, may be empty
}

func placeStakeholders(in []models.Stakeholder) ([]placedStakeholder, []string) {
	var out []placedStakeholder
	var notes []string
	for i, s := range in {
		interest, iNote := scoreOf("interest", s.Interest, "placed")
		influence, fNote := scoreOf("influence", s.Influence, "placed")
		p := placedStakeholder{Stakeholder: s, Order: i + 1, Interest: interest, Influence: influence,
			Name: escOr(s.Name, fmt.Sprintf("Stakeholder %d", i+1)), Role: esc(s.Role)}
		if note := joinNotes(iNote, fNote); note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s.", p.Name, note))
		}
		hiPower, hiInterest := influence >= highScore, interest >= highScore
		switch {
		case hiPower && hiInterest:
			p.Quadrant = manageClosely
		case hiPower:
			p.Quadrant = keepSatisfied
		case hiInterest:
			p.Quadrant = keepInformed
		default:
			p.Quadrant = monitor
		}
		out = append(out, p)
	}
	return out, notes
}

// isSponsor: the role says so, or the sponsor field starts with the
// stakeholder's name ("Helena Brandt (Chief Customer Officer)").
func isSponsor(s placedStakeholder, sponsor string) bool {
	if strings.Contains(strings.ToLower(s.Stakeholder.Role), "sponsor") {
		return true
	}
	return samePerson(s.Stakeholder.Name, sponsor)
}

// samePerson matches "Helena Brandt" with "Helena Brandt (CCO)".
func samePerson(name, field string) bool {
	name, field = strings.ToLower(clean(name)), strings.ToLower(clean(field))
	if name == "" || field == "" {
		return false
	}
	if name == field {
		return true
	}
	rest, ok := strings.CutPrefix(field, name)
	return ok && (rest[0] == ' ' || rest[0] == ',' || rest[0] == '(')
}

// keyTerms are the distinctive words of a text (five letters or more, minus
// common words), reduced to their first five letters so that "claim" and
// "claims", or "secure" and "security", match. RACI uses them to decide
// whose remit a deliverable touches.
func keyTerms(texts ...string) map[string]bool {
	terms := map[string]bool{}
	for _, t := range texts {
		for _, w := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len([]rune(w)) < 5 || stopWords[w] {
				continue
			}
			terms[string([]rune(w)[:5])] = true
		}
	}
	return terms
}

var stopWords = map[string]bool{
	"about": true, "after": true, "their": true, "there": true, "these": true, "those": true,
	"which": true, "while": true, "where": true, "would": true, "should": true, "could": true,
	"through": true, "without": true, "within": true, "chief": true, "officer": true, "other": true,
	"every": true, "under": true, "before": true, "between": true, "using": true, "project": true,
	"three": true, "years": true, "months": true, "weeks": true, "seven": true, "eight": true,
}

// shares reports whether two term sets overlap.
func shares(a, b map[string]bool) bool {
	for t := range a { // order irrelevant: the result is a boolean
		if b[t] {
			return true
		}
	}
	return false
}
