package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Key terms match as whole words: a word inside a hyphenated word, or the
// start of a longer word, is no match.
func TestKeyTermsMatchWholeWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want bool
	}{
		// The RACI defect: the contact-centre leads' role "Front-line
		// operations" marked them Consulted on "Portal front end".
		{"Front-line operations", "Portal front end", false},
		{"Front-line operations", "Accessible, mobile-first claims journeys built on the design system", false},
		{"Front office", "Front-line operations", false},
		{"Front office", "Portal front end", true},
		// A hyphenated word is the same word written closed or apart.
		{"Key front-end developers", "Portal front end", true},
		{"Key front-end developers", "Portal frontend", true},
		{"Portal front-ends", "front end", true},
		{"Key front-end developers", "Front-line operations", false},
		{"Go-live readiness", "Plan the go live", true},
		// Two words apart match only a word, not the same two words apart.
		{"front office staff", "front office staff", true}, // on "front", "office"
		{"the end of the road", "end of the line", false},
		// Case does not matter.
		{"FRONT-END", "front-end build", true},
		{"CLAIMS operations", "claim history", true},
		// Plurals and possessives count as the word.
		{"Head of Claims Operations", "Claims API integration", true},
		{"Migration of claim history", "Head of Claims Operations", true},
		{"Renewal policies", "policy wording", true},
		{"The portal's design", "Portal front end", true},
		{"Access control", "Accessibility audit", false},
		{"Status page", "Statuses", false},
		// Whole words only: no prefix, no substring.
		{"Information Security", "Secure messaging", false},
		{"Confrontation", "Front office", false},
		{"Integration", "Integrity checks", false},
		{"Compliance review", "Complete the build", false},
		// Short and common words are not key terms.
		{"Data team", "Data lake team", false},
		{"Delivery teams", "Platform teams", false}, // "team", four letters
		{"Quick fixes", "Defect fixes", false},      // "fix"
		{"Chief officer", "Chief Information Security Officer", false},
		// Letters beyond ASCII are letters.
		{"Übersetzung verspätet", "Übersetzung für Zürich", true},
		{"Réservation", "réservations en ligne", true},
		{"Lösungsarchitektur", "Lösung", false},
	} {
		assert.Equal(t, c.want, shares(keyTerms(c.a), keyTerms(c.b)), "%q ~ %q", c.a, c.b)
		assert.Equal(t, c.want, shares(keyTerms(c.b), keyTerms(c.a)), "%q ~ %q (reversed)", c.b, c.a)
	}
}
