package documents

import (
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The shares in a table add up to the 100% its total row shows: the
// example's phases were 6.6 + 67.8 + 6.2 + 13.8 + 5.5 = 99.9% above a
// "100%" total, and its work packages too.
func TestSharesAddUpToTheirTotal(t *testing.T) {
	t.Parallel()
	sum := func(rows [][]string, col int) string {
		s := new(big.Rat)
		for _, r := range rows {
			if v := strings.TrimSuffix(r[col], "%"); strings.TrimSpace(v) != "" {
				s.Add(s, rat(t, v))
			}
		}
		return s.FloatString(1)
	}
	for name, req := range map[string]Request{"example": exampleRequest(""), "scanner": scannerProject(), "plan": planProject()} {
		wbs := generate(t, req, "work_breakdown_structure")
		phases := tableRows(t, wbs, "## Phases")
		assert.Equal(t, "100.0", sum(phases[:len(phases)-1], 4), "%s: phases", name)
		structure := tableRows(t, wbs, "## Structure")
		assert.Equal(t, "100.0", sum(structure[:len(structure)-1], 3), "%s: work packages", name)
		parts := tableRows(t, wbs, "## Effort by part")
		assert.Equal(t, "100.0", sum(parts[:len(parts)-1], 2), "%s: parts", name)
		if len(req.Project.Risks) > 0 {
			assert.Equal(t, "100.0", sum(tableRows(t, generate(t, req, "risk_register"), "## Exposure by owner"), 3), "%s: risk owners", name)
		}
	}
	// Thirds: 33.4 + 33.3 + 33.3, the first keeping the extra tenth.
	assert.Equal(t, []float64{33.4, 33.3, 33.3}, sharesOf([]float64{1, 1, 1}))
	assert.Equal(t, []float64{0, 0}, sharesOf([]float64{0, 0}))
}
