package documents

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// writeCommunication turns the stakeholder grid into a calendar of who hears
// what: cadence and channel follow from each stakeholder's grid position.
func writeCommunication(f *facts, d *doc) {
	d.h(2, "Principles")
	tone := esc(f.pack.ToneOfVoice)
	if tone != "" {
		d.para(fmt.Sprintf("Every message follows %s's tone of voice: %s.", f.companyOrWe, strings.TrimSuffix(tone, ".")))
	} else {
		d.para("Tone of voice: " + notProvided + " Until it is agreed, write plainly and lead with what the reader needs to do.")
	}
	d.list("Bad news travels first: a High risk or a slipped milestone reaches the sponsor within two working days.",
		"One owner per message, named below, so nobody receives the same news twice or not at all.",
		"Every update says what changed since the last one and what is needed from the reader.")

	d.h(2, "Audiences")
	if len(f.stakeholders) == 0 {
		d.para("Stakeholders: " + notProvided + " Complete the Stakeholder Register first; this plan follows from it.")
	} else {
		owner := cmpOr(f.manager, "Project manager")
		t := newTable("Audience", "Grid position", "What they need", "Channel", "Frequency", "Owner")
		manager := ""
		for _, s := range f.stakeholders {
			if isManager(s, f.data.Manager) {
				manager = s.Name
				continue
			}
			o := owner
			if s.Quadrant == manageClosely && !isSponsor(s, f.data.Sponsor) && f.sponsor != "" {
				o = owner + ", with the sponsor"
			}
			t.row(s.Name+roleSuffix(s.Role), s.Quadrant.String(), s.Quadrant.need(), s.Quadrant.channel(), s.Quadrant.cadence(), o)
		}
		if manager != "" && len(t.rows) == 0 {
			d.para(fmt.Sprintf("The Stakeholder Register lists only %s, the project manager, who sends these messages. Add the people who must hear about the project.", manager))
		} else {
			t.write(d)
		}
		if manager != "" && len(t.rows) > 0 {
			d.para(fmt.Sprintf("%s, listed in the Stakeholder Register, is the project manager: they send these messages and are not an audience of them.", manager))
		}
	}

	d.h(2, "Regular communications")
	names := audiences(f)
	r := newTable("Communication", "Audience", "Frequency", "Owner")
	// Each audience's regular messages come at the frequency its row above
	// gives (quadrant.cadence): the weekly report to those managed
	// closely, a fortnightly update with a demo to those kept informed.
	// The sponsor receives the status report whatever their grid position:
	// bad news reaches the sponsor first. A communication nobody is placed
	// to receive says so rather than naming "none".
	report := names[manageClosely]
	if !slices.ContainsFunc(f.stakeholders, func(s placedStakeholder) bool {
		return s.Quadrant == manageClosely && isSponsor(s, f.data.Sponsor)
	}) {
		sp := "The sponsor (not named yet)"
		if f.sponsorShort != "" {
			sp = f.sponsorShort + " (sponsor)"
		}
		report = join2(sp, report)
	}
	r.row("Status report: progress, next steps, risks, decisions needed", report, "Weekly", cmpOr(f.manager, "Project manager"))
	committee := join2(names[manageClosely], names[keepSatisfied])
	switch {
	case len(f.stakeholders) == 0:
		committee = "The sponsor and the project manager until the Stakeholder Register names the members"
	case committee == "none" && slices.ContainsFunc(f.stakeholders, func(s placedStakeholder) bool {
		return s.Quadrant <= keepSatisfied && isManager(s, f.data.Manager)
	}):
		committee = "The sponsor and the project manager only: no other stakeholder has high influence"
	case committee == "none":
		committee = "The sponsor and the project manager only: no stakeholder has high influence"
	}
	r.row("Steering committee", committee, "Monthly", cmpOr(f.sponsorShort, "Sponsor")+" (chair)")
	if names[keepInformed] != "none" {
		r.row("Status update and demo of working software or drafts", names[keepInformed], "Fortnightly", cmpOr(f.manager, "Project manager"))
	}
	if len(f.stakeholders) > 0 {
		r.row("Project newsletter", "All stakeholders", "At milestones", cmpOr(f.manager, "Project manager"))
	}
	r.write(d)

	d.h(2, "Milestone announcements")
	if len(f.data.Milestones) == 0 {
		d.para("Milestones: " + notProvided)
	} else {
		m := newTable("Date", "Milestone", "Announce to")
		for _, i := range milestoneOrder(f.data.Milestones) {
			ms := f.data.Milestones[i]
			m.row(dateOr(ms.Date), escOr(ms.Name, "Milestone "+strconv.Itoa(i+1)), "All stakeholders; steering committee briefed a week before")
		}
		m.write(d)
	}

	d.h(2, "Escalation")
	d.para(fmt.Sprintf("Issues the project manager cannot resolve within five working days go to the sponsor (%s). Decisions are recorded in the status report of the following week.", cmpOr(f.sponsorShort, "not named")))
}

// audiences lists the stakeholders in each quadrant who receive the
// project's messages (groupByQuadrant without the project manager, who
// sends them).
func audiences(f *facts) map[quadrant]string {
	lists := map[quadrant][]string{}
	for _, s := range f.stakeholders {
		if !isManager(s, f.data.Manager) {
			lists[s.Quadrant] = append(lists[s.Quadrant], s.Name)
		}
	}
	out := map[quadrant]string{}
	for _, q := range quadrants {
		out[q] = cmpOr(strings.Join(lists[q], ", "), "none")
	}
	return out
}

// join2 joins two comma-separated name lists, skipping "none".
func join2(a, b string) string {
	var parts []string
	for _, s := range []string{a, b} {
		if s != "none" {
			parts = append(parts, s)
		}
	}
	return cmpOr(strings.Join(parts, ", "), "none")
}
