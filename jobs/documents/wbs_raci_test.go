package documents

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// scannerProject is shaped unlike the example: its milestones are listed
// out of date order, one requires a deliverable that does not exist, one
// deliverable is required by two milestones and another by none; the
// sponsor is not a stakeholder, the manager is, and a risk is owned by
// someone outside the stakeholder list.
func scannerProject() Request {
	return Request{ProjectName: "Warehouse Scanner Rollout", Project: models.ProjectData{
		Sponsor:   "Dana Okafor (Chief Operating Officer)",
		Manager:   "Liam Chen",
		StartDate: "2027-02-01",
		EndDate:   "2027-07-30",
		Budget:    &models.Budget{Amount: 150000, Currency: "GBP"},
		DayRate:   &models.Budget{Amount: 600, Currency: "GBP"},
		Deliverables: []models.Deliverable{
			{Name: "Site survey", Description: "Wi-Fi coverage survey of the three warehouses", EffortDays: 6},
			{Name: "Scanner procurement", Description: "Tender, order and enrol 240 handheld scanners", EffortDays: 10},
			{Name: "WMS integration", Description: "Connect the handhelds to the warehouse management system", EffortDays: 24, People: 2,
				DependsOn: []string{"Site survey"}},
			{Name: "Shift training", Description: "Train every picking shift on the new handhelds", EffortDays: 9,
				DependsOn: []string{"WMS integration", "Scanner procurement"}},
			{Name: "Process documentation", Description: "Updated picking and returns procedures", EffortDays: 4},
		},
		Milestones: []models.Milestone{
			{Name: "All sites live", Date: "2027-06-25", Requires: []string{"Shift training", "WMS integration"}},
			{Name: "Hardware ready", Date: "2027-03-12", Requires: []string{"Site survey", "Scanner procurement", "Label printers"}},
			{Name: "Pilot site live", Date: "2027-04-30", Requires: []string{"WMS integration"}},
		},
		Stakeholders: []models.Stakeholder{
			{Name: "Liam Chen", Role: "Project manager", Interest: 5, Influence: 4},
			{Name: "Warehouse shift managers", Role: "Picking and returns operations", Interest: 5, Influence: 3},
			{Name: "IT service desk", Role: "Supports handheld devices", Interest: 3, Influence: 2},
			{Name: "Health and safety officer", Role: "Workplace safety", Interest: 2, Influence: 4},
		},
		Risks: []models.Risk{
			{Description: "Scanner delivery slips because of the vendor's supply chain", Probability: 3, Impact: 4, Owner: "Vendor account manager"},
			{Description: "Pickers resist the new handhelds during peak", Probability: 2, Impact: 3, Owner: "Warehouse shift managers"},
		},
	}}
}

// headerCells returns the header of the first table after heading.
func headerCells(t *testing.T, md, heading string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(md, heading+"\n")
	require.True(t, ok, "heading %q not found", heading)
	for line := range strings.SplitSeq(rest, "\n") {
		if strings.HasPrefix(line, "|") {
			cells := strings.Split(strings.Trim(line, "|"), " |")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			return cells
		}
	}
	t.Fatalf("no table under %q", heading)
	return nil
}

func shapedProjects() map[string]Request {
	return map[string]Request{"example": exampleRequest(""), "scanner": scannerProject()}
}

// The WBS names every deliverable, groups them under the schedule's
// milestones in date order, each in the phase of the earliest milestone
// requiring it, and adds up to the schedule's effort.
func TestWBSPhasesFollowTheSchedule(t *testing.T) {
	t.Parallel()
	for name, req := range shapedProjects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wbs := generate(t, req, "work_breakdown_structure")
			sched := generate(t, req, "schedule")

			var structure []string
			for _, r := range tableRows(t, wbs, "## Structure") {
				structure = append(structure, r[1])
			}
			for _, d := range req.Project.Deliverables {
				assert.Contains(t, structure, "**"+d.Name+"**", "the WBS has a work package for %s", d.Name)
			}

			// The schedule's milestones, with the IDs each requires.
			type ms struct {
				name, date string
				ids        []string
			}
			var want []ms
			for _, r := range tableRows(t, sched, "## Milestones against the plan") {
				want = append(want, ms{r[0], r[1], strings.Split(r[2], ", ")})
			}
			require.Len(t, want, len(req.Project.Milestones))
			slices.SortStableFunc(want, func(a, b ms) int {
				da, _ := parseDate(dateToISO(t, a.date))
				db, _ := parseDate(dateToISO(t, b.date))
				return da.Compare(db)
			})
			phases := tableRows(t, wbs, "## Phases")
			phases = phases[:len(phases)-1] // the total
			claimed := map[string]bool{}
			for i, m := range want {
				require.Greater(t, len(phases), i)
				assert.Equal(t, "Phase "+string(rune('1'+i))+": "+m.name, phases[i][0])
				assert.Equal(t, m.date, phases[i][1], m.name)
				var ids []string
				for _, id := range m.ids {
					if !claimed[id] && id != "—" {
						ids = append(ids, id)
						claimed[id] = true
					}
				}
				assert.Equal(t, cmpOr(strings.Join(ids, ", "), "None"), phases[i][2], "%s holds the work it is the first to require", m.name)
			}
			// Whatever no milestone requires is in one group, and said to be.
			var untied []string
			for i, d := range req.Project.Deliverables {
				if id := string(rune('1' + i)); !claimed[id] {
					untied = append(untied, id)
					assert.Contains(t, wbs, "No milestone requires "+d.Name)
				}
			}
			if len(untied) > 0 {
				require.Len(t, phases, len(want)+1)
				assert.Equal(t, []string{"Not tied to a milestone", "—", strings.Join(untied, ", ")}, phases[len(want)][:3])
			} else {
				assert.Len(t, phases, len(want))
			}

			// Effort and scheduled dates are the schedule's.
			timeline := tableRows(t, sched, "## Timeline")
			total := timeline[len(timeline)-1][2]
			assert.Contains(t, wbs, "| **Total** |   |   | "+total+" |")
			for i, d := range tableRows(t, wbs, "## Work package descriptions") {
				want := timeline[i][6] + " to " + timeline[i][7]
				if timeline[i][6] == timeline[i][7] {
					want = timeline[i][6] // a one-day package: one date
				}
				assert.Equal(t, want, d[4], d[1])
			}
		})
	}
}

// dateToISO reads the schedule's "Fri 29 Jan 2027" back.
func dateToISO(t *testing.T, s string) string {
	t.Helper()
	d, err := time.Parse("Mon 2 Jan 2006", s)
	require.NoError(t, err, s)
	return d.Format("2006-01-02")
}

// The RACI's rows are the deliverables and the milestones' sign-offs, its
// columns the people the data names, with one Accountable per row and each
// deliverable's owner (as the WBS states it) Responsible or Accountable.
func TestRACIComesFromTheData(t *testing.T) {
	t.Parallel()
	for name, req := range shapedProjects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raci := generate(t, req, "raci_matrix")
			wbs := generate(t, req, "work_breakdown_structure")
			d := req.Project

			head := headerCells(t, raci, "## Matrix")
			cols := head[2:]
			people := []string{shortName(d.Sponsor), d.Manager}
			for _, s := range d.Stakeholders {
				people = append(people, s.Name)
			}
			for _, r := range d.Risks {
				people = append(people, r.Owner)
			}
			for _, x := range d.Deliverables {
				if x.Owner != "" {
					people = append(people, x.Owner)
				}
			}
			for _, c := range cols {
				base := c
				for _, suffix := range []string{" (project manager)", " (sponsor)", " (risk owner)", " (deliverable owner)"} {
					base = strings.TrimSuffix(base, suffix)
				}
				assert.Contains(t, people, base, "column %q is a person the data names", c)
			}
			for _, p := range people {
				assert.True(t, slices.ContainsFunc(cols, func(c string) bool { return strings.HasPrefix(c, p) }), "%s has a column", p)
			}

			rows := tableRows(t, raci, "## Matrix")
			var names []string
			for _, r := range rows {
				assert.Equal(t, 1, strings.Count(strings.Join(r[2:], ","), "A"), "one Accountable on %s", r[1])
				names = append(names, strings.TrimSuffix(r[1], " (not tied to a milestone)"))
			}
			var want []string
			for _, x := range d.Deliverables {
				want = append(want, x.Name)
			}
			for _, m := range d.Milestones {
				want = append(want, "_Sign-off: "+m.Name+"_")
			}
			assert.ElementsMatch(t, want, names)

			// The owner the WBS names is R or A on the deliverable's row.
			for _, w := range tableRows(t, wbs, "## Work package descriptions") {
				owner := strings.TrimSuffix(w[5], " (assumed)")
				k := slices.IndexFunc(cols, func(c string) bool { return c == owner || strings.HasPrefix(c, owner+" (") })
				require.GreaterOrEqual(t, k, 0, "owner %q of %s has a column", owner, w[1])
				i := slices.IndexFunc(rows, func(r []string) bool { return r[0] == w[0] })
				require.GreaterOrEqual(t, i, 0, w[1])
				assert.Contains(t, []string{"R", "A", "A/R"}, rows[i][2+k], "%s's owner %s", w[1], owner)
			}
		})
	}
}

// A risk's owner is consulted on the deliverable the risk is about.
func TestRACIConsultsRiskOwners(t *testing.T) {
	t.Parallel()
	raci := generate(t, scannerProject(), "raci_matrix")
	head := headerCells(t, raci, "## Matrix")
	k := slices.Index(head, "Vendor account manager (risk owner)")
	require.GreaterOrEqual(t, k, 0, head)
	for _, r := range tableRows(t, raci, "## Matrix") {
		want := "–"
		switch {
		case r[1] == "Scanner procurement":
			want = "C"
		case strings.HasPrefix(r[1], "_Sign-off: Hardware ready"):
			want = "C"
		case strings.HasPrefix(r[1], "_Sign-off"):
			want = "I"
		}
		assert.Equal(t, want, r[k], r[1])
	}
}

// Without milestones there are no phases to invent: the WBS says so, and
// the RACI has one row per deliverable and no sign-off rows.
func TestWBSAndRACIWithoutMilestones(t *testing.T) {
	t.Parallel()
	req := scannerProject()
	req.Project.Milestones = nil
	wbs := generate(t, req, "work_breakdown_structure")
	assert.Contains(t, wbs, "No milestones are given, so the work packages are not grouped into phases.")
	phases := tableRows(t, wbs, "## Phases")
	assert.Equal(t, []string{"Not tied to a milestone", "—", "1, 2, 3, 4, 5"}, phases[0][:3])
	raci := generate(t, req, "raci_matrix")
	var names []string
	for _, r := range tableRows(t, raci, "## Matrix") {
		names = append(names, r[1])
	}
	// In the plan's order: the three packages that start with the project,
	// then WMS integration after the survey, then the training after it.
	assert.Equal(t, []string{"Site survey", "Scanner procurement", "Process documentation", "WMS integration", "Shift training"}, names)
	assert.NotContains(t, raci, "**M1**")
}

// A deliverable's owner is Responsible on its row, in the column of the
// stakeholder of that name (case aside) or in a column of their own; the
// sponsor stays the single Accountable; the WBS names the owner, and the
// project manager only where no owner is named, as an assumption.
func TestDeliverableOwnersAreResponsible(t *testing.T) {
	t.Parallel()
	req := scannerProject()
	d := req.Project.Deliverables
	d[1].Owner = "Network contractor"       // Scanner procurement: nobody listed
	d[2].Owner = "  it SERVICE desk "       // WMS integration: a stakeholder, other case
	d[3].Owner = "warehouse shift managers" // Shift training
	d[4].Owner = "Dana Okafor"              // Process documentation: the sponsor
	// d[0], Site survey, names no owner.

	raci := generate(t, req, "raci_matrix")
	head := headerCells(t, raci, "## Matrix")
	col := func(name string) int {
		t.Helper()
		k := slices.Index(head, name)
		require.GreaterOrEqual(t, k, 0, "column %q in %v", name, head)
		return k
	}
	pm, sponsor := col("Liam Chen"), col("Dana Okafor (sponsor)")
	assert.Equal(t, 1, countCells(head, "Network contractor (deliverable owner)"), "one column for the owner nobody lists")
	assert.NotContains(t, head, "it SERVICE desk (deliverable owner)")
	want := map[string]struct {
		owner int
		code  string
	}{
		"Site survey":           {pm, "R"},
		"Scanner procurement":   {col("Network contractor (deliverable owner)"), "R"},
		"WMS integration":       {col("IT service desk"), "R"},
		"Shift training":        {col("Warehouse shift managers"), "R"},
		"Process documentation": {sponsor, "A/R"},
	}
	rows := tableRows(t, raci, "## Matrix")
	seen := 0
	for _, r := range rows {
		name := strings.TrimSuffix(r[1], " (not tied to a milestone)")
		w, ok := want[name]
		if !ok {
			assert.Equal(t, "R", r[pm], "the project manager is responsible for %s", r[1])
			continue
		}
		seen++
		assert.Equal(t, w.code, r[w.owner], "%s's owner", name)
		assert.Equal(t, 1, strings.Count(strings.Join(r[2:], ","), "A"), "one Accountable on %s", name)
		assert.Contains(t, r[sponsor], "A", "the sponsor is accountable for %s", name)
		responsible := 0
		for _, c := range r[2:] {
			if strings.Contains(c, "R") {
				responsible++
			}
		}
		assert.Equal(t, 1, responsible, "one Responsible on %s: %v", name, r)
		if w.owner != pm {
			assert.Contains(t, []string{"C", "I"}, r[pm], "the project manager follows %s", name)
		}
	}
	assert.Equal(t, len(want), seen)
	assert.Contains(t, raci, "no owner for 1 deliverable (Site survey)")

	wbs := generate(t, req, "work_breakdown_structure")
	owners := map[string]string{}
	for _, r := range tableRows(t, wbs, "## Work package descriptions") {
		owners[r[1]] = r[5]
	}
	assert.Equal(t, map[string]string{
		"Site survey":           "Liam Chen (assumed)",
		"Scanner procurement":   "Network contractor",
		"WMS integration":       "IT service desk",
		"Shift training":        "Warehouse shift managers",
		"Process documentation": "Dana Okafor",
	}, owners)
	assert.Contains(t, wbs, "Owner: the project data names no owner for 1 deliverable (Site survey), so the project manager (Liam Chen) is shown as its owner.")

	// Every deliverable owned: no assumption left to explain.
	req.Project.Deliverables[0].Owner = "Liam Chen"
	for _, typ := range []string{"work_breakdown_structure", "raci_matrix"} {
		md := generate(t, req, typ)
		assert.NotContains(t, md, "(assumed)", typ)
		assert.NotContains(t, md, "Owner: the project data names no owner", typ)
	}
}

// The WBS and the RACI name the same person as a deliverable's owner, also
// when an owner's name could match two people ("Dana": the sponsor Dana
// Okafor and the stakeholder Dana Smith): the WBS named Dana Smith while
// the matrix made the sponsor Responsible.
func TestWBSAndRACIAgreeOnOwners(t *testing.T) {
	t.Parallel()
	req := scannerProject()
	req.Project.Stakeholders = append(req.Project.Stakeholders, models.Stakeholder{Name: "Dana Smith", Role: "Finance business partner", Interest: 3, Influence: 3})
	d := req.Project.Deliverables
	d[0].Owner = "Dana"
	d[1].Owner = "dana smith"
	d[2].Owner = "Liam"
	d[3].Owner = "Network contractor"

	raci := generate(t, req, "raci_matrix")
	head := headerCells(t, raci, "## Matrix")
	responsible := map[string]string{}
	for _, r := range tableRows(t, raci, "## Matrix") {
		if strings.HasPrefix(r[0], "M") {
			continue // a sign-off row
		}
		for k, c := range r[2:] {
			if strings.Contains(c, "R") {
				responsible[strings.TrimSuffix(r[1], " (not tied to a milestone)")] = head[k+2]
			}
		}
	}
	wbs := generate(t, req, "work_breakdown_structure")
	for _, r := range tableRows(t, wbs, "## Work package descriptions") {
		owner := strings.TrimSuffix(r[5], " (assumed)")
		col, ok := responsible[r[1]]
		require.True(t, ok, "no Responsible for %s in %v", r[1], responsible)
		assert.True(t, col == owner || strings.HasPrefix(col, owner+" ("), "%s: the WBS names %q, the RACI makes %q Responsible", r[1], owner, col)
	}
}
