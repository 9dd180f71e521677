package partials

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Names are listed as people list them, wherever a page lists them: the job
// card's "Generating …" and the handlers' failure sentences share AndList.
func TestAndList(t *testing.T) {
	t.Parallel()
	for want, names := range map[string][]string{
		"":              nil,
		"A":             {"A"},
		"A and B":       {"A", "B"},
		"A, B and C":    {"A", "B", "C"},
		"A, B, C and D": {"A", "B", "C", "D"},
	} {
		assert.Equal(t, want, AndList(names), "%q", names)
	}
	card := JobCardVM{Docs: []DocRowVM{{Type: "a", Status: "generating"}, {Type: "b", Status: "done"},
		{Type: "c", Status: "generating"}, {Type: "d", Status: "generating"}}, DocTitle: func(k string) string { return "Doc " + k }}
	assert.Equal(t, "Doc a, Doc c and Doc d", card.Generating())
	assert.Equal(t, "Doc x", JobCardVM{Current: "x", DocTitle: card.DocTitle}.Generating())
	assert.Equal(t, "", JobCardVM{}.Generating())
}
