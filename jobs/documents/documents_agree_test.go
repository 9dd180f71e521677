package documents

import (
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// amount reads a shown amount or effort ("**GBP 3,600**", "723").
func amount(t *testing.T, s string) *big.Rat {
	t.Helper()
	s = strings.Trim(s, "* ")
	if len(s) > 4 && s[3] == ' ' && strings.ToUpper(s[:3]) == s[:3] {
		s = s[4:]
	}
	return rat(t, s)
}

// shownDate reads a date as the documents show it ("Mon 4 Jan 2027").
func shownDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse("Mon 2 Jan 2006", s)
	require.NoError(t, err, s)
	return d
}

// The documents of differently shaped projects add up and agree: the
// budget's lines make its totals, the schedule keeps every package after
// what it waits for and within the project's dates, and every document
// states the same effort and estimate.
func TestDocumentsAddUpAndAgree(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]Request{"example": exampleRequest(""), "scanner": scannerProject(), "plan": planProject()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			budget := generate(t, req, "budget_estimate")
			labour := tableRows(t, budget, "## Labour by work package")
			sumEffort, sumCost := new(big.Rat), new(big.Rat)
			for _, r := range labour[:len(labour)-1] {
				sumEffort.Add(sumEffort, amount(t, r[2]))
				sumCost.Add(sumCost, amount(t, r[3]))
			}
			total := labour[len(labour)-1]
			assert.Equal(t, amount(t, total[2]).String(), sumEffort.String(), "effort rows add up to the total")
			assert.Equal(t, amount(t, total[3]).String(), sumCost.String(), "cost rows add up to the total labour")
			est := map[string]string{}
			for _, r := range tableRows(t, budget, "## Estimate against the approved budget") {
				est[strings.Trim(r[0], "*")] = r[1]
			}
			assert.Equal(t, strings.Trim(total[3], "*"), est["Labour"])
			var contingency string
			for k, v := range est {
				if strings.HasPrefix(k, "Contingency") {
					contingency = v
				}
			}
			estimate := new(big.Rat).Add(amount(t, est["Labour"]), amount(t, contingency))
			assert.Equal(t, amount(t, est["Total estimate"]).String(), estimate.String(), "labour + contingency = estimate")
			headroom := new(big.Rat).Sub(amount(t, est["Approved budget"]), estimate)
			assert.Equal(t, amount(t, est["Headroom"]).String(), headroom.String(), "budget − estimate = headroom")

			// Every document that states the effort or the estimate states
			// the budget's.
			effort := strings.Trim(total[2], "*")
			estimateText := strings.Trim(est["Total estimate"], "*")
			charter := generate(t, req, "project_charter")
			assert.Contains(t, charter, "The estimate is "+estimateText+": "+effort+" person-days")
			summary := generate(t, req, "executive_summary")
			assert.Contains(t, summary, "| Total effort | "+effort+" person-days")
			assert.Contains(t, summary, "= "+estimateText+" |")
			assert.Contains(t, generate(t, req, "business_case"), "| **Total estimate** | **"+estimateText+"** |")
			wbs := tableRows(t, generate(t, req, "work_breakdown_structure"), "## Phases")
			assert.Equal(t, total[2], wbs[len(wbs)-1][3], "the WBS phases add up to the budget's effort")
			assert.Equal(t, total[3], wbs[len(wbs)-1][5], "and to its labour")

			// The schedule: each package starts after what it waits for
			// finishes, the project row spans them all, and all of it lies
			// between the start and the committed end.
			sched := generate(t, req, "schedule")
			rows := tableRows(t, sched, "## Timeline")
			start := shownDate(t, regexp.MustCompile(`Start: (\w{3} \d+ \w{3} \d{4})\.`).FindStringSubmatch(sched)[1])
			end := shownDate(t, regexp.MustCompile(`Committed end: (\w{3} \d+ \w{3} \d{4}),`).FindStringSubmatch(sched)[1])
			finish := map[string]time.Time{}
			var last time.Time
			for _, r := range rows[:len(rows)-1] {
				s, f := shownDate(t, r[6]), shownDate(t, r[7])
				finish[r[0]] = f
				assert.False(t, s.Before(start), "%s starts before the project", r[1])
				assert.False(t, f.Before(s), "%s finishes before it starts", r[1])
				assert.False(t, f.After(end), "%s finishes after the committed end", r[1])
				if f.After(last) {
					last = f
				}
			}
			for _, r := range rows[:len(rows)-1] {
				if r[5] == "Start" {
					continue
				}
				for dep := range strings.SplitSeq(r[5], ", ") {
					assert.True(t, shownDate(t, r[6]).After(finish[dep]), "%s starts after %s finishes", r[1], dep)
				}
			}
			project := rows[len(rows)-1]
			assert.Equal(t, total[2], project[2], "the schedule's effort is the budget's")
			assert.Equal(t, start, shownDate(t, project[6]))
			assert.Equal(t, last, shownDate(t, project[7]))
			assert.Contains(t, sched, "Planned finish: "+fmtDate(last)+";")
		})
	}
}

// The example is a plan a project manager could sign: every deliverable is
// signed off at a milestone, every date lies within the project, the
// estimate fits the budget without leaving most of it unexplained, the
// business case pays back, and no document has a data quality note.
func TestExampleIsConsistent(t *testing.T) {
	t.Parallel()
	req := exampleRequest("")
	f := newFacts(req)
	assert.Empty(t, f.dateNotes)
	assert.Empty(t, f.wbsNotes)
	assert.Empty(t, f.phaseNotes, "every deliverable is required by a milestone")
	assert.Empty(t, f.sched.notes)
	require.True(t, f.sched.ok)
	assert.False(t, f.sched.finish.After(f.end), "the plan fits the dates")
	for _, m := range f.sched.milestones {
		assert.True(t, m.dateOK, m.name)
		assert.False(t, m.date.Before(f.start) || m.date.After(f.end), "%s lies within the project", m.name)
	}
	share := f.budget.share()
	assert.True(t, share >= 75 && share <= 100, "the estimate uses %.1f%% of the budget", share)
	assert.Positive(t, f.case_.npv)
	for _, k := range Keys() {
		assert.NotContains(t, generate(t, req, k), "## Data quality notes", k)
	}
}
