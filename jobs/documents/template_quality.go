package documents

import (
	"fmt"
	"strings"
)

// writeQuality agrees how each deliverable will be accepted and how each
// compliance standard is assured, before the work starts.
func writeQuality(f *facts, d *doc) {
	d.h(2, "Quality objectives")
	d.para("The project is successful when these criteria are met. Each is measured at project close and again at the benefits review.")
	d.bullets(f.data.SuccessCriteria, notProvided)

	d.h(2, "Standards and how they are assured")
	if f.complianceList == "" {
		d.para("Compliance standards: " + notProvided + " Ask the compliance function which standards apply before design starts.")
	} else {
		t := newTable("Standard", "Quality activity", "Evidence")
		for _, s := range f.pack.ComplianceStandards {
			if clean(s) == "" {
				continue
			}
			act, ev := assurance(s)
			t.row(esc(s), act, ev)
		}
		t.write(d)
	}

	d.h(2, "Acceptance checks per deliverable")
	if len(f.wbs) == 0 {
		d.para("Deliverables: " + notProvided)
	} else {
		t := newTable("#", "Deliverable", "Verification effort (days)", "Accepted when").right(2)
		for _, wp := range f.wbs {
			check := "It does what the Scope Statement describes"
			if wp.Desc != "" {
				check = "It delivers: " + wp.Desc
			}
			t.row(wp.ID, wp.Name, fmtDays(wp.Parts[2].Effort), check+"; peer review passed; sponsor sign-off")
		}
		t.write(d)
		d.para(fmt.Sprintf("Verification effort is the Verify and accept part of each work package in the Work Breakdown Structure: %.0f%% of its effort, rounded to the nearest half day.", verifyShare*100))
	}

	d.h(2, "Reviews")
	var rev []string
	for _, i := range milestoneOrder(f.data.Milestones) {
		// An unnamed milestone is "Milestone 3" here as in the schedule
		// and the WBS, whose phase it closes.
		m := f.data.Milestones[i]
		when := dateOr(m.Date)
		if strings.TrimSpace(m.Date) == "" {
			when = "date not set yet"
		}
		rev = append(rev, fmt.Sprintf("Stage review at “%s” (%s): deliverables due by then are checked against this plan.", escOr(m.Name, fmt.Sprintf("Milestone %d", i+1)), when))
	}
	lessons := "Lessons learned captured at each stage review and at close."
	if len(rev) == 0 {
		// No milestone, no stage review to capture them at.
		lessons = "Lessons learned captured at close; stage reviews follow once milestones are set."
	}
	rev = append(rev, "Peer review of every deliverable before it goes to the sponsor.", lessons)
	d.list(rev...)

	d.h(2, "Roles")
	owners, assumed := qualityOwners(f)
	sponsorDuty, managerDuty := "Accepts deliverables; decides on waivers", "Owns this plan; runs reviews; tracks findings to closure"
	var others [][3]string
	for _, o := range owners {
		duty := "answers for the quality of " + o.list() + ": " + isAre(len(o.ids), "it meets its", "each meets its") + " acceptance check above and passes peer review before it goes to the sponsor"
		switch {
		case f.manager != "" && o.name == f.manager:
			managerDuty += "; " + duty
		case f.sponsorShort != "" && o.name == f.sponsorShort:
			sponsorDuty += "; " + duty
		default:
			others = append(others, [3]string{"Deliverable owner", o.name, capitalise(duty)})
		}
	}
	if len(assumed.ids) > 0 {
		managerDuty += "; answers for the quality of " + assumed.list() + " until " + isAre(len(assumed.ids), "an owner is", "owners are") + " named (assumed, as in the RACI Matrix)"
	}
	t := newTable("Role", "Who", "Quality responsibility")
	t.row("Sponsor", cmpOr(f.sponsor, notProvided), sponsorDuty)
	t.row("Project manager", cmpOr(f.manager, notProvided), managerDuty)
	for _, r := range others {
		t.row(r[0], r[1], r[2])
	}
	t.write(d)

}

// assurance maps a compliance standard to a quality activity and its
// evidence. Known standards get specific activities; others a generic review.
func assurance(standard string) (activity, evidence string) {
	s := strings.ToLower(standard)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case has("gdpr", "privacy", "data protection"):
		return "Data protection impact assessment before build; review of every form and data flow for data minimisation",
			"Approved DPIA; updated records of processing"
	case has("27001", "27002", "security", "soc 2", "soc2"):
		return "Security controls mapped to the information security management system; threat model at design; penetration test before launch",
			"Control checklist; penetration test report with no open critical or high findings"
	case has("wcag", "accessib", "en 301 549"):
		return "Automated and screen-reader accessibility tests every sprint; independent audit before launch",
			"Audit report confirming conformance at the stated level"
	case has("outsourc", "eiopa", "dora", "third party", "third-party"):
		return "Supplier due diligence, contract review and exit plan for every external service used",
			"Outsourcing register entry; signed-off supplier assessment"
	case has("pci"):
		return "Card data kept out of project systems or confined to certified components; scope review",
			"PCI DSS scope assessment"
	default:
		return "Requirements of the standard listed at design; compliance review before launch",
			"Sign-off by the compliance function"
	}
}

// ownedPackages is one person's work packages.
type ownedPackages struct {
	name string   // escaped, as the RACI and WBS name them
	ids  []string // "3 Claims API integration"
}

// list names the packages: "3 Claims API integration and 4 Secure messaging".
func (o ownedPackages) list() string {
	return andList(o.ids)
}

// qualityOwners groups the work packages by the owner the WBS and the RACI
// name (deliverableOwner, by the matrix's own rule), in order of their
// first package; assumed holds the packages without an owner, which the
// project manager answers for.
func qualityOwners(f *facts) (owners []ownedPackages, assumed ownedPackages) {
	cols := raciColumns(f)
	at := map[string]int{}
	for _, wp := range f.wbs {
		id := wp.ID + " " + wp.Name
		if wp.owner == "" {
			assumed.ids = append(assumed.ids, id)
			continue
		}
		name := deliverableOwner(f, cols, wp)
		k, ok := at[name]
		if !ok {
			k = len(owners)
			at[name] = k
			owners = append(owners, ownedPackages{name: name})
		}
		owners[k].ids = append(owners[k].ids, id)
	}
	return owners, assumed
}
