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

// isManager: the stakeholder is the project manager named in the project
// data. The manager sends the project's communications and answers to its
// steering committee, so no document makes them an audience or a member.
func isManager(s placedStakeholder, manager string) bool {
	return samePerson(s.Stakeholder.Name, manager)
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

// keyTerms are the distinctive words of a text, matched as whole words:
// RACI uses them to decide whose remit a deliverable touches, the business
// case to hint at strategic fit. The rules:
//   - a word is a run of letters and digits (case aside); words joined by a
//     hyphen are one word, so "front" is not "front-line", and neither
//     "front-line" nor "front" is "front-end";
//   - a hyphenated word is also the same word written closed or, of two
//     parts, apart: "front-end" is "frontend" and "front end" (two words in
//     a row are kept as a pair, which matches only a word: "of the" in one
//     text is no match for "of the" in another);
//   - a regular English plural counts as its singular ("claims" is "claim",
//     "policies" is "policy"), and a possessive as its noun ("portal's");
//   - words of fewer than five letters and common words are not key terms.
func keyTerms(texts ...string) map[string]bool {
	terms := map[string]bool{}
	for _, t := range texts {
		words := termWords(t)
		for i, w := range words {
			if s := singular(w); isKeyTerm(s) {
				terms[s] = true
			}
			// Two words that may be a hyphenated word written apart.
			if i+1 < len(words) && !strings.Contains(w, "-") && !strings.Contains(words[i+1], "-") {
				if pair := singular(w + " " + words[i+1]); isKeyTerm(pair) {
					terms[pair] = true
				}
			}
		}
	}
	return terms
}

// termWords splits a text into lower-case words: runs of letters, digits
// and combining marks, joined by single hyphens (any of - ‐ ‑) into one
// word. Apostrophes inside a word are dropped with a possessive "s".
func termWords(text string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if w := strings.Trim(b.String(), "-"); w != "" {
			words = append(words, w)
		}
		b.Reset()
	}
	rs := []rune(strings.ToLower(text))
	isWordRune := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case isWordRune(r):
			b.WriteRune(r)
		case (r == '-' || r == '‐' || r == '‑') && b.Len() > 0 && i+1 < len(rs) && isWordRune(rs[i+1]):
			b.WriteByte('-')
		case (r == '\'' || r == '’') && b.Len() > 0 && i+1 < len(rs) && isWordRune(rs[i+1]):
			// "portal's" is "portal"; "don't" is "dont".
			if i+1 < len(rs) && rs[i+1] == 's' && (i+2 == len(rs) || !isWordRune(rs[i+2])) {
				i++
			}
		default:
			flush()
		}
	}
	flush()
	return words
}

// isKeyTerm: at least five letters in the singular ("teams" is "team",
// too short), not a common word.
func isKeyTerm(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 5 && !stopWords[w]
}

// singular undoes a regular English plural on the last part of a word:
// "claims" → "claim", "policies" → "policy", "processes" → "process",
// "front-ends" → "front-end". Words ending in -ss, -us or -is are left
// alone ("access", "status", "analysis").
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") &&
		!strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

var stopWords = map[string]bool{
	"about": true, "after": true, "their": true, "there": true, "these": true, "those": true,
	"which": true, "while": true, "where": true, "would": true, "should": true, "could": true,
	"through": true, "without": true, "within": true, "chief": true, "officer": true, "other": true,
	"every": true, "under": true, "before": true, "between": true, "using": true, "project": true,
	"three": true, "year": true, "month": true, "week": true, "seven": true, "eight": true,
}

// shares reports whether two term sets (keyTerms) have a term in common: a
// word in both, or one written as a hyphenated word, as one word or as two
// words apart ("front-end", "frontend", "front end"), as long as at least
// one side wrote it as a word.
func shares(a, b map[string]bool) bool {
	words := map[string]bool{} // b's terms joined up → whether b wrote it as a word
	for t := range b {
		words[joined(t)] = words[joined(t)] || !strings.Contains(t, " ")
	}
	for t := range a { // order irrelevant: the result is a boolean
		isWord, ok := words[joined(t)]
		if ok && (isWord || !strings.Contains(t, " ")) {
			return true
		}
	}
	return false
}

// joined drops a term's hyphens and spaces: "front-end" → "frontend".
func joined(t string) string {
	return strings.NewReplacer("-", "", " ", "").Replace(t)
}
