package documents

import "fmt"

// writeScope fixes the boundary every later document is measured against:
// the risk register, WBS and quality plan all build on it.
func writeScope(f *facts, d *doc) {
	d.h(2, "Project description")
	d.para(cmpOr(f.desc, notProvided))

	d.h(2, "In scope")
	d.bullets(f.data.ScopeIn, notProvided)

	d.h(2, "Out of scope")
	d.para("These are excluded. Requests for them are handled as change requests, not absorbed into the plan.")
	d.bullets(f.data.ScopeOut, notProvided)

	d.h(2, "Deliverables and acceptance")
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided)
	} else {
		t := newTable("#", "Deliverable", "What it includes", "Effort (days)", "Accepted when").right(3)
		for _, wp := range f.wbs {
			t.row(wp.ID, wp.Name, cmpOr(wp.Desc, notProvided), fmtDays(wp.Effort),
				fmt.Sprintf("Its verification package %s is complete and the sponsor signs it off", wp.Parts[2].ID))
		}
		t.row(" ", "**Total**", " ", "**"+fmtDays(totalEffort(f.wbs))+"**", " ")
		t.write(d)
	}

	d.h(2, "Timeline")
	d.para(startLine(f) + " Committed end: " + sentence(dateOr(f.data.EndDate)))

	d.h(2, "Constraints")
	d.bullets(f.data.Constraints, notProvided)
	d.h(2, "Assumptions")
	d.para("If an assumption proves false, the project manager raises it as a risk or a change request within one week.")
	d.bullets(f.data.Assumptions, notProvided)
	d.h(2, "Success criteria")
	d.bullets(f.data.SuccessCriteria, notProvided)

	d.h(2, "Change control")
	d.para(fmt.Sprintf("Changes to scope, deliverables or dates are logged by the project manager (%s), assessed for effort, cost, schedule and risk, and decided by the sponsor (%s). Approved changes update this statement and the documents built on it.",
		cmpOr(f.manager, "not named"), cmpOr(f.sponsorShort, "not named")))

	compliance(f, d, "Every deliverable in scope must meet these standards; meeting them is part of acceptance, not extra scope:")
	notesSection(d, f.wbsNotes)
}
