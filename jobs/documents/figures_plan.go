package documents

import (
	"fmt"
	"math"
	"strconv"

	"dossier/models"
)

// Effort rules, stated in the WBS: each deliverable N becomes work package N
// with three sub-packages. N.1 "Plan and design" and N.3 "Verify and accept"
// each take 20% of the deliverable's effort rounded to the nearest half day;
// N.2 "Build" takes the rest, so the parts always add up to the whole.
// Efforts that are negative or not numbers count as 0 and are flagged; a
// single deliverable is capped at maxEffort days. Efforts are kept to a
// hundredth of a day (flagged where that rounds one), the precision every
// document shows them in, so that the effort a reader sees is the effort
// that is priced and scheduled.
const (
	planShare   = 0.2
	verifyShare = 0.2
	maxEffort   = 10000
	// maxScheduleDays (about 40 years) bounds the schedule: beyond it dates
	// mean nothing, and arithmetic on them would only waste time.
	maxScheduleDays = 10000
)

type workPackage struct {
	ID     string // "3"
	Name   string // escaped, never empty
	Desc   string // escaped
	Effort float64
	Parts  [3]subPackage
	People int // at least 1
	// DependsOn holds the raw names of the deliverables this one waits for.
	DependsOn []string
	raw       string // the deliverable's name as given, for matching
	// owner is the deliverable's owner as given, cleaned; "" when the data
	// names none (deliverableOwner then names the project manager).
	owner string
}

type subPackage struct {
	ID     string // "3.1"
	Name   string
	Effort float64
}

func halfDays(x float64) float64 { return math.Round(x*2) / 2 }

func breakDown(in []models.Deliverable) ([]workPackage, []string) {
	var out []workPackage
	var notes []string
	for i, d := range in {
		id := strconv.Itoa(i + 1)
		wp := workPackage{ID: id, Name: escOr(d.Name, "Deliverable "+id), Desc: esc(d.Description),
			People: min(max(d.People, 1), models.MaxPeople), DependsOn: d.DependsOn, raw: d.Name, owner: clean(d.Owner)}
		e := d.EffortDays
		switch {
		case math.IsNaN(e) || math.IsInf(e, 0) || e < 0:
			notes = append(notes, fmt.Sprintf("%s: effort %s is not a valid number of days and counts as 0.", wp.Name, strconv.FormatFloat(e, 'g', 6, 64)))
			e = 0
		case e > maxEffort:
			notes = append(notes, fmt.Sprintf("%s: effort of %s days exceeds the %s-day ceiling and was capped.", wp.Name, fmtDays(e), fmtNum(maxEffort, 0)))
			e = maxEffort
		case e == 0:
			notes = append(notes, fmt.Sprintf("%s: no effort estimate provided.", wp.Name))
		case hundredths(e) != e:
			notes = append(notes, fmt.Sprintf("%s: effort of %s days is counted as %s (efforts are kept to a hundredth of a day).",
				wp.Name, strconv.FormatFloat(e, 'f', -1, 64), fmtDays(hundredths(e))))
		}
		e = hundredths(e)
		wp.Effort = e
		p, v := halfDays(e*planShare), halfDays(e*verifyShare)
		wp.Parts = [3]subPackage{
			{ID: id + ".1", Name: "Plan and design", Effort: p},
			{ID: id + ".2", Name: "Build", Effort: hundredths(math.Max(e-p-v, 0))},
			{ID: id + ".3", Name: "Verify and accept", Effort: v},
		}
		out = append(out, wp)
	}
	return out, notes
}

// hundredths rounds x to a hundredth.
func hundredths(x float64) float64 { return math.Round(x*100) / 100 }

// totalEffort adds the work packages' efforts, in whole hundredths of a
// day so that no floating-point remainder shows in a total.
func totalEffort(wbs []workPackage) float64 {
	var t int64
	for _, wp := range wbs {
		t += int64(math.Round(wp.Effort * 100))
	}
	return float64(t) / 100
}
