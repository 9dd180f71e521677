package documents

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// labourProject prices efforts at rate a day in EUR.
func labourProject(rate float64, efforts ...float64) Request {
	var ds []models.Deliverable
	for i, e := range efforts {
		ds = append(ds, models.Deliverable{Name: fmt.Sprintf("Package %d", i+1), EffortDays: e})
	}
	return Request{ProjectName: "Labour check", Project: models.ProjectData{
		Budget:       &models.Budget{Amount: 1e6, Currency: "EUR"},
		DayRate:      &models.Budget{Amount: rate, Currency: "EUR"},
		Deliverables: ds,
	}}
}

// rat reads a shown number ("2,682", "**2.25**", "EUR 100.5").
func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	s = strings.TrimPrefix(strings.Trim(s, "* "), "EUR ")
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(s, ",", ""))
	require.True(t, ok, "not a number: %q", s)
	return r
}

// roundHalfUp rounds a non-negative r to a whole number.
func roundHalfUp(r *big.Rat) *big.Rat {
	q := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(r.Num(), big.NewInt(2)), r.Denom()), new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	return new(big.Rat).SetInt(q)
}

var shownRate = regexp.MustCompile(`(?m)^EUR ([0-9,.]+) a day`)

// The labour table adds up as shown: each row's cost is its shown effort
// times the shown day rate, rounded to a whole unit; the rows add up to
// the total, the efforts to the total effort; and every other document
// names the same labour and effort.
func TestBudgetLabourTableAddsUp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rate    float64
		efforts []float64
		labour  string // the total, worked out by hand
		effort  string
	}{
		// 0.5 × 825 = 412.5 → 413, twice; 2.25 × 825 = 1,856.25 → 1,856.
		// The total rounded on its own was 3.25 × 825 = 2,681.25 → 2,681,
		// and 2.25 showed as "2.2".
		{825, []float64{0.5, 0.5, 2.25}, "EUR 2,682", "3.25"},
		// 100.5 → 101 three times; the total on its own was 301.5 → 302.
		{100.5, []float64{1, 1, 1}, "EUR 303", "3"},
		// 1.15 × 10 = 11.5 → 12 (1.15*10 in binary is 11.499…); 0.01 ×
		// 99.99 = 0.9999 → 1; 7.77 × 10 = 77.7 → 78.
		{10, []float64{1.15, 0.01, 7.77}, "EUR 90", "8.93"},
		// 2.333 days is counted (and shown) as 2.33: 2.33 × 99.99 =
		// 232.9767 → 233; 0.125 as 0.13: 12.9987 → 13; 1.005 as 1 (its
		// binary value is just under 1.005): 99.99 → 100.
		{99.99, []float64{2.333, 0.125, 1.005}, "EUR 346", "3.46"},
		// A rate with more than cents is priced at the cents it shows:
		// 850.555 shows as 850.56; 0.75 × 850.56 = 637.92 → 638, twice.
		{850.555, []float64{0.75, 0.75}, "EUR 1,276", "1.5"},
	} {
		name := fmt.Sprint(c.rate, c.efforts)
		req := labourProject(c.rate, c.efforts...)
		budget := generate(t, req, "budget_estimate")
		m := shownRate.FindStringSubmatch(budget)
		require.NotNil(t, m, name)
		rate := rat(t, m[1])
		rows := tableRows(t, budget, "## Labour by work package")
		require.Len(t, rows, len(c.efforts)+1, name)
		sum, days := new(big.Rat), new(big.Rat)
		for _, r := range rows[:len(rows)-1] {
			effort, cost := rat(t, r[2]), rat(t, r[3])
			assert.Equal(t, roundHalfUp(new(big.Rat).Mul(effort, rate)).RatString(), cost.RatString(),
				"%s: package %s: %s days × %s a day", name, r[0], r[2], m[1])
			sum.Add(sum, cost)
			days.Add(days, effort)
		}
		total := rows[len(rows)-1]
		assert.Equal(t, "**Total labour**", total[1], name)
		assert.Equal(t, sum.RatString(), rat(t, total[3]).RatString(), "%s: the rows add up to the total", name)
		assert.Equal(t, days.RatString(), rat(t, total[2]).RatString(), "%s: the efforts add up to the total effort", name)
		assert.Equal(t, "**"+c.labour+"**", total[3], name)
		assert.Equal(t, "**"+c.effort+"**", total[2], name)

		est := tableRows(t, budget, "## Estimate against the approved budget")
		assert.Equal(t, []string{"Labour", c.labour}, est[0], name)

		// The other documents name the same labour and effort, and say
		// that the labour is the packages' rounded costs (3.25 days at
		// 825 is 2,681.25; the rows add up to 2,682).
		assert.Contains(t, generate(t, req, "project_charter"), c.effort+" person-days at EUR "+m[1]+" a day, priced per work package ("+c.labour+")", name)
		assert.Contains(t, generate(t, req, "business_case"), "| Labour: "+c.effort+" person-days at EUR "+m[1]+" a day, priced per work package | "+c.labour+" |", name)
		assert.Contains(t, generate(t, req, "executive_summary"), "| Cost estimate | "+c.labour+" labour, with no contingency as no risks are recorded = ", name) // no risks: no contingency
		wbs := generate(t, req, "work_breakdown_structure")
		assert.Contains(t, wbs, "| **Total** | **"+c.effort+"** |", name)
		ws := tableRows(t, wbs, "## Structure")
		for i := 0; i+3 < len(ws); i++ {
			if !strings.HasPrefix(ws[i][0], "**") { // a phase heading or a part
				continue
			}
			parts := new(big.Rat)
			for _, p := range ws[i+1 : i+4] {
				parts.Add(parts, rat(t, p[2]))
			}
			assert.Equal(t, rat(t, ws[i][2]).RatString(), parts.RatString(), "%s: %s's parts add up", name, ws[i][0])
		}
		// The WBS prices its phases at the budget's labour.
		phases := tableRows(t, wbs, "## Phases")
		assert.Equal(t, "**"+c.labour+"**", phases[len(phases)-1][5], name)
	}
}

// Efforts are shown to the hundredth, trailing zeros trimmed.
func TestFmtDaysShowsHundredths(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{2.25: "2.25", 2.5: "2.5", 3: "3", 0.01: "0.01", 1.15: "1.15", 1234.5: "1,234.5"} {
		assert.Equal(t, want, fmtDays(x), "%v", x)
	}
}
