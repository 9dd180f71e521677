package documents

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func exampleRequest(typ string) Request {
	name, desc, data, pack := models.ExampleProject()
	return Request{Type: typ, ProjectName: name, Description: desc, Project: data, Company: pack}
}

func generateExample(t *testing.T, typ string) Document {
	t.Helper()
	doc, err := NewTemplateGenerator(0).Generate(context.Background(), exampleRequest(typ))
	require.NoError(t, err)
	return doc
}

func TestTemplateGolden(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			doc := generateExample(t, k)
			assert.Equal(t, k, doc.Type)
			dt, _ := Lookup(k)
			assert.Equal(t, dt.Title+": Customer Portal Relaunch", doc.Title)
			assert.True(t, strings.HasPrefix(doc.Markdown, "# "+dt.Title+": Customer Portal Relaunch\n"))

			path := filepath.Join("testdata", "golden", k+".md")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(doc.Markdown), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestTemplateGolden -update to create it")
			assert.Equal(t, string(want), doc.Markdown, "output differs from %s; rerun with -update if the change is intended", path)

			// Determinism: a second run is byte-identical.
			assert.Equal(t, doc.Markdown, generateExample(t, k).Markdown)
		})
	}
}

// tableRows returns the data rows of the first Markdown table after the
// heading, split into trimmed cells.
func tableRows(t *testing.T, md, heading string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(md, heading+"\n")
	require.True(t, ok, "heading %q not found", heading)
	var rows [][]string
	inTable := false
	for line := range strings.SplitSeq(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), " |")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	require.GreaterOrEqual(t, len(rows), 2, "no table under %q", heading)
	return rows[2:] // skip header and delimiter
}

func TestRiskRegisterNumbers(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "risk_register").Markdown
	rows := tableRows(t, md, "## Risks ranked by score")
	require.Len(t, rows, 6)
	// Rank, Risk, P, I, Score, Band, Owner, Mitigation
	assert.Equal(t, []string{"1", "Core claims system API cannot handle portal load at peak", "3", "5", "15", "High", "Tomasz Nowak"}, rows[0][:7])
	var scores []string
	for _, r := range rows {
		scores = append(scores, r[4])
	}
	assert.Equal(t, []string{"15", "12", "10", "9", "8", "4"}, scores)
	assert.Contains(t, md, "Heat: 1 High · 4 Medium · 1 Low.")
	// 58 ÷ 6 = 9.67, as the Budget Estimate's contingency formula states
	// it: the two documents show the same average.
	assert.Contains(t, md, "Total exposure 58 of a possible 150 (38.7%); average score 9.67.")
	assert.Contains(t, generateExample(t, "budget_estimate").Markdown, "with an average score of 9.67 (total exposure 58)")
}

func TestRiskTieBreakKeepsInputOrder(t *testing.T) {
	t.Parallel()
	req := exampleRequest("risk_register")
	req.Project.Risks = []models.Risk{
		{Description: "Alpha", Probability: 2, Impact: 3},
		{Description: "Bravo", Probability: 3, Impact: 2},
		{Description: "Charlie", Probability: 9, Impact: 1}, // clamped to 5 × 1
		{Description: "Delta", Probability: 3, Impact: 3},
	}
	doc, err := NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	rows := tableRows(t, doc.Markdown, "## Risks ranked by score")
	var order []string
	for _, r := range rows {
		order = append(order, r[1]+"="+r[4])
	}
	assert.Equal(t, []string{"Delta=9", "Alpha=6", "Bravo=6", "Charlie=5"}, order)
	assert.Contains(t, doc.Markdown, "Charlie): probability 9 is outside 1–5; scored as 5.")
}

// A score that was not given is not "out of range": the note names only the
// missing value, and it counts as the middle of the scale, not the lowest.
func TestMissingScoreIsNamedAndCountsAsMiddle(t *testing.T) {
	t.Parallel()
	req := exampleRequest("risk_register")
	req.Project.Risks = []models.Risk{
		{Description: "Alpha", Probability: 2, Impact: 3},
		{Description: "Echo", Probability: 2}, // impact not given: 2 × 3
	}
	doc, err := NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	md := doc.Markdown
	assert.Contains(t, md, "Risk 2 (Echo): impact not given; scored as 3 (the middle of 1–5) until it is set.")
	assert.NotContains(t, md, "outside 1–5;")
	assert.Contains(t, md, "A probability or impact not given counts as 3")
	rows := tableRows(t, md, "## Risks ranked by score")
	var order []string
	for _, r := range rows {
		order = append(order, r[1]+"="+r[4])
	}
	assert.Equal(t, []string{"Alpha=6", "Echo=6"}, order)

	req = exampleRequest("stakeholder_register")
	req.Project.Stakeholders = []models.Stakeholder{{Name: "Ines", Interest: 5}}
	doc, err = NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Contains(t, doc.Markdown, "Ines: influence not given; placed as 3 (the middle of 1–5) until it is set.")
	assert.NotContains(t, doc.Markdown, "interest 5")
}

func TestScheduleDates(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "schedule").Markdown
	rows := tableRows(t, md, "## Timeline")
	// WBS ID, package, effort, people, working days, after, start, finish.
	// 1 starts Mon 4 Jan 2027: 48 days by 3 people are 16 working days,
	// three weeks and a day, to Mon 25 Jan.
	assert.Equal(t, []string{"1", "**Discovery and UX research** (critical)", "48", "3", "16", "Start", "Mon 4 Jan 2027", "Mon 25 Jan 2027"}, rows[0])
	// 2, 3 and 4 all wait for 1 and run in parallel from Tue 26 Jan. 2:
	// 260 ÷ 5 = 52 working days, ten weeks (to Mon 5 Apr) and two days, to
	// Wed 7 Apr. 3: 150 ÷ 3 = 50, ten weeks, to Mon 5 Apr. 4: 80 ÷ 2 = 40,
	// eight weeks, to Mon 22 Mar.
	assert.Equal(t, []string{"2", "**Portal front end** (critical)", "260", "5", "52", "1", "Tue 26 Jan 2027", "Wed 7 Apr 2027"}, rows[1])
	assert.Equal(t, []string{"3", "Claims API integration", "150", "3", "50", "1", "Tue 26 Jan 2027", "Mon 5 Apr 2027"}, rows[2])
	assert.Equal(t, []string{"4", "Secure messaging", "80", "2", "40", "1", "Tue 26 Jan 2027", "Mon 22 Mar 2027"}, rows[3])
	// 5 follows 3: 60 ÷ 2 = 30 days from Tue 6 Apr, six weeks, to Mon 17 May.
	assert.Equal(t, []string{"Tue 6 Apr 2027", "Mon 17 May 2027"}, rows[4][6:])
	// 6 waits for 2, 3 and 4; 2 ends last, Wed 7 Apr: 45 ÷ 3 = 15 days from
	// Thu 8 Apr to Wed 28 Apr. 7 follows 6: 40 ÷ 2 = 20 days, Thu 29 Apr to
	// Wed 26 May. 8 waits for 7 and 5 (Mon 17 May): 20 days from Thu 27 May,
	// the launch day, to Wed 23 Jun.
	assert.Equal(t, []string{"Thu 8 Apr 2027", "Wed 28 Apr 2027"}, rows[5][6:])
	assert.Equal(t, []string{"Thu 29 Apr 2027", "Wed 26 May 2027"}, rows[6][6:])
	assert.Equal(t, []string{"Thu 27 May 2027", "Wed 23 Jun 2027"}, rows[7][6:])
	// 16 + 52 + 15 + 20 + 20 = 123 working days on the critical path.
	assert.Contains(t, md, "Planned finish: Wed 23 Jun 2027; the plan takes 123 working days.")
	// Mon 4 Jan – Wed 30 Jun holds 128 working days; 128 − 123 = 5 to spare.
	assert.Contains(t, md, "which allows 128 working days. The plan finishes 5 working days before the end date.")
	assert.Contains(t, md, "Critical path: Discovery and UX research → Portal front end → Security and accessibility assurance → Launch readiness → Hypercare.")
	// Feature-complete (Fri 2 Apr) needs 2, which ends Wed 7 Apr: Mon 5 to Wed 7 is 3 working days late.
	ms := tableRows(t, md, "## Milestones against the plan")
	assert.Equal(t, []string{"Claims filing journey feature-complete", "Fri 2 Apr 2027", "2, 3, 4", "Wed 7 Apr 2027",
		"**At risk**: the required work finishes 3 working days later, on Wed 7 Apr 2027"}, ms[1])
	assert.Equal(t, "On track: 4 working days to spare", ms[0][4]) // Mon 25 Jan → Fri 29 Jan
	// Public launch (Thu 27 May) needs 5, 6 and 7; 7 ends the day before.
	assert.Equal(t, "On track: 1 working day to spare", ms[3][4])
	assert.Equal(t, "On track: 5 working days to spare", ms[4][4]) // Wed 23 Jun → Wed 30 Jun
}

func TestWorkdayArithmetic(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time { v, ok := parseDate(s); require.True(t, ok); return v }
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2027-01-04", 0, "2027-01-04"},
		{"2027-01-04", 4, "2027-01-08"},
		{"2027-01-04", 5, "2027-01-11"},
		{"2027-01-08", 1, "2027-01-11"},
		{"2027-01-09", 0, "2027-01-11"}, // Saturday moves to Monday
		{"2027-01-04", 14, "2027-01-22"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, addWorkdays(d(tt.from), tt.n).Format(isoDate), "%s + %d", tt.from, tt.n)
	}
	assert.Equal(t, 128, workdaysBetween(d("2027-01-04"), d("2027-06-30")))
	assert.Equal(t, 0, workdaysBetween(d("2027-01-09"), d("2027-01-10")))

	// Cross-check the arithmetic against counting day by day.
	base := d("2026-12-01")
	for from := range 21 {
		for span := range 60 {
			a := base.AddDate(0, 0, from)
			b := a.AddDate(0, 0, span)
			want := 0
			for x := a; !x.After(b); x = x.AddDate(0, 0, 1) {
				if isWorkday(x) {
					want++
				}
			}
			require.Equal(t, want, workdaysBetween(a, b), "%s..%s", a.Format(isoDate), b.Format(isoDate))
			if isWorkday(a) && want > 0 {
				require.Equal(t, lastWorkday(b), addWorkdays(a, want-1), "%s + %d", a.Format(isoDate), want-1)
			}
		}
	}
	// Spans beyond time.Duration's 292 years still count correctly.
	assert.Equal(t, 1826213, workdaysBetween(d("2000-01-03"), d("9000-01-01")))
}

func lastWorkday(t time.Time) time.Time {
	for !isWorkday(t) {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

func TestWBSNumbering(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "work_breakdown_structure").Markdown
	rows := tableRows(t, md, "## Structure")
	require.Len(t, rows, 8*4+5+1) // packages with their parts, 5 phase headings, the total
	byID := map[string][]string{}
	for _, r := range rows {
		byID[r[0]] = r
	}
	assert.Equal(t, []string{"", "_Phase 1: Prototype validated with customers_", "", ""}, rows[0])
	// 48 of 723 days is 6.64%. 20% of 48 is 9.6, rounded to 9.5 for plan
	// and verify; build takes the other 29.
	assert.Equal(t, []string{"**1**", "**Discovery and UX research**", "**48**", "6.6%"}, rows[1])
	assert.Equal(t, []string{"1.1", "Plan and design", "9.5"}, byID["1.1"][:3])
	assert.Equal(t, []string{"1.2", "Build", "29"}, byID["1.2"][:3])
	assert.Equal(t, []string{"1.3", "Verify and accept", "9.5"}, byID["1.3"][:3])
	// 60 days: 20% is 12 for plan and verify; build takes 36.
	assert.Equal(t, []string{"5.1", "Plan and design", "12"}, byID["5.1"][:3])
	assert.Equal(t, []string{"5.2", "Build", "36"}, byID["5.2"][:3])
	assert.Equal(t, []string{"", "**Total**", "**723**", "100%"}, rows[len(rows)-1]) // blank cell
}

func TestBudgetNumbers(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "budget_estimate").Markdown
	assert.Contains(t, md, "EUR 850 a day, the project's stated day rate.")
	rows := tableRows(t, md, "## Estimate against the approved budget")
	// 723 days × 850 = 614,550. Average risk score 58/6; 58/6 ÷ 25 × 20% =
	// 7.733%; 614,550 × 7.733% = 47,525.2, so 47,525. 750,000 − 662,075 =
	// 87,925; 662,075 ÷ 750,000 = 88.28%.
	assert.Equal(t, [][]string{
		{"Labour", "EUR 614,550"},
		{"Contingency (7.7%)", "EUR 47,525"},
		{"**Total estimate**", "**EUR 662,075**"},
		{"Approved budget", "EUR 750,000"},
		{"Headroom", "EUR 87,925"},
		{"Estimate as share of budget", "88.3%"},
	}, rows)
}

func TestBudgetDefaultRate(t *testing.T) {
	t.Parallel()
	req := exampleRequest("budget_estimate")
	req.Project.DayRate = nil
	// Without a stated day rate, the assumption's sentence is the fallback.
	doc, err := NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Contains(t, doc.Markdown, "EUR 850 a day, from the assumption: _A blended day rate of EUR 850 applies to all project effort_")
	req.Project.Assumptions = nil
	req.Project.Risks = nil
	doc, err = NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Contains(t, doc.Markdown, "EUR 800 a day: the default rate")
	assert.Contains(t, doc.Markdown, "| **Total estimate** | **EUR 578,400** |") // 723 × 800, no contingency
}

func TestParseDayRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		rate     float64
		currency string
		ok       bool
	}{
		{"A blended day rate of EUR 850 applies to all project effort", 850, "EUR", true},
		{"Day-rate: 1,200.50 GBP", 1200.5, "", true},
		{"day rate for contractors is 700", 700, "", true},
		{"We pay 900 per day", 0, "", false},
	}
	for _, tt := range tests {
		rate, cur, _, ok := parseDayRate([]string{tt.in})
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.rate, rate, tt.in)
		assert.Equal(t, tt.currency, cur, tt.in)
	}
}

func TestStakeholderGrid(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "stakeholder_register").Markdown
	rows := tableRows(t, md, "## Register")
	want := map[string]string{
		"Helena Brandt":             "Manage closely",
		"Tomasz Nowak":              "Manage closely",
		"Priya Natarajan":           "Keep satisfied",
		"Contact-centre team leads": "Keep informed",
		"Customer advisory panel":   "Keep informed",
		"Finance business partner":  "Keep satisfied",
		"Group marketing":           "Monitor",
	}
	require.Len(t, rows, len(want))
	for _, r := range rows {
		assert.Equal(t, want[r[1]], r[5], r[1])
	}
	assert.Contains(t, md, "| **High influence (4–5)** | Keep satisfied: Priya Natarajan, Finance business partner | Manage closely: Helena Brandt, Tomasz Nowak |")
}

func TestRACISponsorAccountable(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "raci_matrix").Markdown
	header := headerCells(t, md, "## Matrix")
	require.Equal(t, []string{"ID", "Deliverable or milestone", "Marco Rossi (project manager)", "Helena Brandt"}, header[:4])
	rows := tableRows(t, md, "## Matrix")
	require.Len(t, rows, 8+5) // deliverables and milestone sign-offs
	_, _, data, _ := models.ExampleProject()
	owners := map[string]string{}
	for _, x := range data.Deliverables {
		owners[x.Name] = x.Owner
	}
	byName := map[string][]string{}
	for _, r := range rows {
		assert.Equal(t, "A", r[3], r[1])
		assert.Equal(t, 1, strings.Count(strings.Join(r[2:], ","), "A"), r[1])
		assert.Equal(t, 1, countCells(r[2:], "R"), "one Responsible on %s", r[1])
		byName[r[1]] = r
		// A deliverable's named owner is Responsible; the project manager
		// is on the sign-offs and on the deliverables without one.
		if owner := owners[strings.TrimSuffix(r[1], " (not tied to a milestone)")]; owner != "" {
			k := slices.Index(header, owner)
			require.GreaterOrEqual(t, k, 0, "%s has a column", owner)
			assert.Equal(t, "R", r[k], r[1])
			assert.Contains(t, []string{"C", "I"}, r[2], "the project manager on %s", r[1])
		} else {
			assert.Equal(t, "R", r[2], r[1])
		}
	}
	// The CISO owns the security deliverable, is consulted on the other
	// one that names information security and on the sign-offs of their
	// phases.
	ciso := 5 // column of Priya Natarajan
	assert.Equal(t, "Priya Natarajan", header[ciso])
	assert.Equal(t, "C", byName["Secure messaging"][ciso])
	assert.Equal(t, "R", byName["Security and accessibility assurance"][ciso])
	assert.Equal(t, "C", byName["_Sign-off: Security sign-off_"][ciso])
	assert.Equal(t, "I", byName["Discovery and UX research"][ciso])
	assert.Equal(t, "I", byName["_Sign-off: Prototype validated with customers_"][ciso])
	// The contact-centre team leads ("Front-line operations") own the launch
	// but have no key term in common with the portal front end: "front" is
	// not "front-line".
	leads := 6
	assert.Equal(t, "Contact-centre team leads", header[leads])
	assert.Equal(t, "I", byName["Portal front end"][leads])
	assert.Equal(t, "R", byName["Launch readiness"][leads])
	// Group marketing ("Brand and launch communications") has no role on
	// the build, is consulted on the launch, and hears of every milestone.
	mkt := 9
	assert.Equal(t, "Group marketing", header[mkt])
	assert.Equal(t, "–", byName["Portal front end"][mkt])
	assert.Equal(t, "C", byName["Launch readiness"][mkt])
	assert.Equal(t, "C", byName["_Sign-off: Public launch_"][mkt])
	assert.Equal(t, "I", byName["_Sign-off: Security sign-off_"][mkt])
}

// countCells counts the cells that are exactly code.
func countCells(cells []string, code string) int {
	n := 0
	for _, c := range cells {
		if c == code {
			n++
		}
	}
	return n
}

func TestExecutiveSummaryCitesFigures(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "executive_summary").Markdown
	for _, want := range []string{
		"| Planned finish | Wed 23 Jun 2027 (5 working days before the end date) |",
		// Year 1 after go-live: calls 390,000 × 9/12 + paper 45,000 +
		// retention 120,000 × 6/12 = 397,500; years 2–5: 555,000 each. PV at
		// 8%: 368,055.56 + 475,823.05 + 440,576.90 + 407,941.58 + 377,723.69
		// = 2,070,120.78; NPV = 2,070,120.78 − 662,075 = 1,408,045.78.
		// Payback: 3,750 a month for months 1–3 (11,250), 36,250 for months
		// 4–6 (120,000), then 46,250: the other 542,075 take 11.72 months,
		// 17.7 in all, from Thu 27 May 2027: about Nov 2028. ROI: (397,500 +
		// 4 × 555,000 − 662,075) ÷ 662,075 = 295.3%.
		"| Net present value | EUR 1,408,046 at 8% over 5 years; payback 17.7 months after go-live (about Nov 2028); ROI 295.3% |",
		"723 person-days across 8 deliverables",
		"EUR 614,550 labour + EUR 47,525 contingency (7.7%) = EUR 662,075",
		"| Top risk | Core claims system API cannot handle portal load at peak (3 × 5 = 15, owner Tomasz Nowak) |",
		"EUR 750,000",
	} {
		assert.Contains(t, md, want)
	}
}

func TestTemplateDelayHonoursCancel(t *testing.T) {
	t.Parallel()
	g := NewTemplateGenerator(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := g.Generate(ctx, exampleRequest("risk_register"))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
		assert.False(t, IsRetryable(err))
	case <-time.After(5 * time.Second):
		t.Fatal("Generate did not return after cancel")
	}
}

func TestTemplateUnknownTypeIsPermanent(t *testing.T) {
	t.Parallel()
	_, err := NewTemplateGenerator(0).Generate(context.Background(), Request{Type: "nope"})
	var p *PermanentError
	require.ErrorAs(t, err, &p)
	var u *UnknownTypeError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, []string{"nope"}, u.Unknown)
}

func TestTemplateEmptyProject(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		doc, err := NewTemplateGenerator(0).Generate(context.Background(), Request{Type: k})
		require.NoError(t, err, k)
		dt, _ := Lookup(k)
		assert.True(t, strings.HasPrefix(doc.Markdown, "# "+dt.Title+"\n"), k)
		assert.Equal(t, dt.Title, doc.Title)
		assert.Contains(t, doc.Markdown, notProvided, k)
	}
}

func TestEscapeKeepsStructure(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"a | b":            `a \| b`,
		"line\nbreak":      "line break",
		"# heading":        `\# heading`,
		"- item":           `\- item`,
		"1. first":         `1\. first`,
		"3.1 to 4.2":       "3.1 to 4.2",
		"<script>":         `\<script\>`,
		"[x](javascript:)": `\[x\](javascript:)`,
		"&amp; R&D":        `\&amp; R&D`,
		"  spaced\t out ":  "spaced out",
	}
	for in, want := range tests {
		assert.Equal(t, want, esc(in), "%q", in)
	}
}

// Go-live comes from the project's own go-live milestone, not the planned
// finish: the example's "Public launch" (Thu 27 May 2027), while the work
// (hypercare) finishes Wed 23 Jun 2027.
func TestGoLiveFromMilestone(t *testing.T) {
	t.Parallel()
	md := generateExample(t, "business_case").Markdown
	assert.Contains(t, md, "Go-live is the milestone “Public launch” (Thu 27 May 2027).")
	assert.NotContains(t, md, "Go-live is the planned finish")
	assert.Contains(t, generateExample(t, "executive_summary").Markdown, "| Go-live | the milestone “Public launch” (Thu 27 May 2027) |")

	// The earliest of several; word matching, not substrings ("Delivery" has no "live" word).
	req := exampleRequest("business_case")
	req.Project.Milestones = []models.Milestone{
		{Name: "Delivery review", Date: "2027-05-20"},
		{Name: "Cut-over weekend", Date: "2027-07-03"},
		{Name: "Go live (pilot)", Date: "2027-06-21"},
	}
	doc, err := NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Contains(t, doc.Markdown, "Go-live is the milestone “Go live (pilot)” (Mon 21 Jun 2027).")

	// None: the planned finish, said to be an assumption.
	req.Project.Milestones = []models.Milestone{{Name: "Delivery review", Date: "2027-05-20"}}
	doc, err = NewTemplateGenerator(0).Generate(context.Background(), req)
	require.NoError(t, err)
	assert.Contains(t, doc.Markdown, "Go-live is assumed to be the planned finish (Wed 23 Jun 2027), as no milestone is named go-live, launch, live or cutover.")
}
