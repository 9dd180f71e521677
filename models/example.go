package models

// ExampleProject is the realistic sample behind "Start from an example
// project". The golden tests of the template generator are pinned to it, so
// changing a number here changes the expected documents. Most deliverables
// name an owner, two do not, so that its documents show both a named owner
// and the project manager assumed in place of one.
//
// Its figures are sized for its scope: 723 person-days over six months,
// ten people at the peak (February and March), an estimate of 88% of the
// budget, go-live a month before the end so that four weeks of hypercare
// fit, and every deliverable signed off at a milestone. One milestone is
// three working days at risk, so that the documents show a re-plan
// decision. The benefits assume 150,000 claim-status calls a year (about
// 2.5 per claim).
func ExampleProject() (name, description string, data ProjectData, pack CompanyPack) {
	name = "Customer Portal Relaunch"
	description = "Replace the ageing self-service portal with a mobile-first customer portal " +
		"that lets policy holders file claims, track them and talk to an adviser without calling the contact centre."
	data = ProjectData{
		Sponsor:   "Helena Brandt (Chief Customer Officer)",
		Manager:   "Marco Rossi",
		StartDate: "2027-01-04",
		EndDate:   "2027-06-30",
		Budget:    &Budget{Amount: 750000, Currency: "EUR"},
		DayRate:   &Budget{Amount: 850, Currency: "EUR"},
		Objectives: []Objective{
			{Text: "Cut contact-centre call volume for claim status by 40% within three months of launch",
				StrategicGoals: []string{goalCostToServe, goalDigitalFirst}},
			{Text: "Let customers file a motor or home claim end to end on a phone in under 10 minutes",
				StrategicGoals: []string{goalDigitalFirst}},
			{Text: "Raise the portal's customer satisfaction score from 3.1 to 4.2 out of 5",
				StrategicGoals: []string{goalNPS}},
		},
		ScopeIn: []string{
			"Responsive web portal for claims filing, tracking and document upload",
			"Single sign-on with the existing customer identity service",
			"Secure messaging between customers and claim advisers",
			"Migration of 18 months of claim history",
		},
		ScopeOut: []string{
			"Native iOS and Android apps",
			"Changes to the core claims-handling system",
			"Broker and partner portals",
		},
		Deliverables: []Deliverable{
			{Name: "Discovery and UX research", Description: "Interviews with 20 customers, journey maps and a validated prototype", EffortDays: 48, People: 3},
			{Name: "Portal front end", Description: "Accessible, mobile-first claims journeys built on the design system", EffortDays: 260, People: 5,
				DependsOn: []string{"Discovery and UX research"}},
			{Name: "Claims API integration", Description: "Read and write integration with the core claims system through the API gateway", EffortDays: 150,
				DependsOn: []string{"Discovery and UX research"}, People: 3, Owner: "Tomasz Nowak"},
			{Name: "Secure messaging", Description: "Customer-to-adviser messaging with attachments, an audit trail and encryption approved by information security", EffortDays: 80,
				DependsOn: []string{"Discovery and UX research"}, People: 2, Owner: "Tomasz Nowak"},
			{Name: "Data migration", Description: "Migration and reconciliation of 18 months of claim history", EffortDays: 60,
				DependsOn: []string{"Claims API integration"}, People: 2, Owner: "Tomasz Nowak"},
			{Name: "Security and accessibility assurance", Description: "Penetration test, WCAG 2.1 AA audit and remediation", EffortDays: 45,
				DependsOn: []string{"Portal front end", "Claims API integration", "Secure messaging"}, People: 3, Owner: "Priya Natarajan"},
			{Name: "Launch readiness", Description: "Phased roll-out plan, contact-centre training and a pilot with 500 customers", EffortDays: 40,
				DependsOn: []string{"Security and accessibility assurance"}, People: 2, Owner: "Contact-centre team leads"},
			{Name: "Hypercare", Description: "Four weeks of daily defect triage and fixes after launch, then handover to claims operations", EffortDays: 40,
				DependsOn: []string{"Launch readiness", "Data migration"}, People: 2, Owner: "Tomasz Nowak"},
		},
		Milestones: []Milestone{
			{Name: "Prototype validated with customers", Date: "2027-01-29", Requires: []string{"Discovery and UX research"}},
			{Name: "Claims filing journey feature-complete", Date: "2027-04-02",
				Requires: []string{"Portal front end", "Claims API integration", "Secure messaging"}},
			{Name: "Security sign-off", Date: "2027-05-07", Requires: []string{"Security and accessibility assurance"}},
			{Name: "Public launch", Date: "2027-05-27", Requires: []string{"Data migration", "Security and accessibility assurance", "Launch readiness"}},
			{Name: "Handover to business as usual", Date: "2027-06-30", Requires: []string{"Hypercare"}},
		},
		Stakeholders: []Stakeholder{
			{Name: "Helena Brandt", Role: "Sponsor, Chief Customer Officer", Interest: 5, Influence: 5},
			{Name: "Tomasz Nowak", Role: "Head of Claims Operations", Interest: 4, Influence: 4},
			{Name: "Priya Natarajan", Role: "Chief Information Security Officer", Interest: 3, Influence: 5},
			{Name: "Contact-centre team leads", Role: "Front-line operations", Interest: 5, Influence: 2},
			{Name: "Customer advisory panel", Role: "Policy holders who test the journeys", Interest: 4, Influence: 2},
			{Name: "Finance business partner", Role: "Budget control", Interest: 2, Influence: 4},
			{Name: "Group marketing", Role: "Brand and launch communications", Interest: 2, Influence: 2},
		},
		Risks: []Risk{
			{Description: "Core claims system API cannot handle portal load at peak", Probability: 3, Impact: 5, Owner: "Tomasz Nowak", Mitigation: "Load-test the gateway in February; add a read cache for claim status"},
			{Description: "Legacy claim history contains inconsistent records", Probability: 4, Impact: 3, Owner: "Marco Rossi", Mitigation: "Profile the data in week 2 and agree reconciliation rules with claims operations"},
			{Description: "Penetration test finds critical issues late", Probability: 2, Impact: 5, Owner: "Priya Natarajan", Mitigation: "Threat-model in discovery and run an early security review of the messaging design"},
			{Description: "Contact-centre staff are not ready at launch", Probability: 3, Impact: 3, Owner: "Contact-centre team leads", Mitigation: "Train super-users four weeks before launch and run a pilot with 500 customers"},
			{Description: "Key front-end developers are pulled onto the regulatory programme", Probability: 2, Impact: 4, Owner: "Helena Brandt", Mitigation: "Ring-fence the team in the portfolio plan; keep a vetted contractor on standby"},
			{Description: "Accessibility audit requires journey redesign", Probability: 2, Impact: 2, Owner: "Marco Rossi", Mitigation: "Use the accessible design system components and test with screen readers each sprint"},
		},
		Constraints: []string{
			"Go-live before the summer storm season (end of June 2027)",
			"Customer data stays in EU data centres",
			"No change freeze exemptions during the year-end close in January",
		},
		Assumptions: []string{
			"The API gateway team delivers the claims endpoints by the end of February",
			"The customer identity service supports the portal's single sign-on flows without change",
			"A blended day rate of EUR 850 applies to all project effort",
		},
		SuccessCriteria: []string{
			"Claim-status calls down 40% in the 12 weeks after launch",
			"95% of claims filed online completed without adviser help",
			"Zero critical or high findings open at launch",
			"Portal CSAT at or above 4.2 by September 2027",
		},
		Benefits: []Benefit{
			{Description: "Fewer claim-status calls: 40% of 150,000 calls a year at EUR 6.50 each", AnnualValue: 390000, StartsAfterMonths: 3},
			{Description: "Paper and postal claims handling retired", AnnualValue: 45000},
			{Description: "Members retained through a better claims experience", AnnualValue: 120000, StartsAfterMonths: 6},
		},
		DiscountRatePercent: ptr(8.0),
	}
	pack = CompanyPack{
		CompanyName:         "Northwind Mutual",
		Industry:            "Property and casualty insurance",
		Mission:             "Help our members recover quickly and fairly when the unexpected happens.",
		Values:              []string{"Fairness", "Clarity", "Care", "Accountability"},
		StrategicGoals:      []string{goalDigitalFirst, goalCostToServe, goalNPS},
		Competitors:         []string{"Allied Shield", "Harbour Insurance", "Lumen Direct"},
		ComplianceStandards: []string{"GDPR", "ISO/IEC 27001", "WCAG 2.1 AA", "EIOPA outsourcing guidelines"},
		ToneOfVoice:         "Plain, warm and confident; short sentences; no jargon",
	}
	return name, description, data, pack
}

const (
	goalDigitalFirst = "Digital-first service for 70% of customer interactions by 2028"
	goalCostToServe  = "Reduce cost to serve by 15% over three years"
	goalNPS          = "Top-quartile Net Promoter Score in the national insurance benchmark"
)

func ptr[T any](v T) *T { return &v }
