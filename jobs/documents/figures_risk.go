package documents

import (
	"fmt"
	"slices"
	"strings"

	"dossier/models"
)

// Risk scoring rule, stated in the risk register: probability and impact are
// integers from 1 to 5, score = probability × impact (1–25). Bands: High ≥ 15,
// Medium 8–14, Low ≤ 7. A missing score (0: not given) counts as the middle
// of the scale, missingScore, until it is set: the lowest value would rank an
// unrated risk below every rated one. A score outside 1–5 is clamped to the
// nearest bound. Both are flagged, naming only the value adjusted, so a typo
// cannot hide a risk or blow up a total.
const (
	highBand   = 15
	mediumBand = 8
	maxScore   = 25
)

type scoredRisk struct {
	models.Risk
	Order       int // position in the input, 1-based; the tie-break
	Probability int
	Impact      int
	Score       int
	Adjusted    bool // an input score was clamped
}

type riskFigures struct {
	ranked   []scoredRisk // by score descending, then input order
	notes    []string     // escaped data-quality notes
	total    int          // sum of scores
	high     int
	medium   int
	low      int
	owners   []ownerExposure
	maxTotal int // 25 per risk
}

type ownerExposure struct {
	owner string // escaped
	count int
	total int
}

// band names the band a score falls in.
func band(score int) string {
	switch {
	case score >= highBand:
		return "High"
	case score >= mediumBand:
		return "Medium"
	default:
		return "Low"
	}
}

// missingScore is what a 1–5 score that was not given counts as.
const missingScore = 3

// scoreOf brings a 1–5 score into range: a missing one (0) counts as
// missingScore, an out-of-range one as the nearest bound. note says what was
// done, for a data-quality note ("impact not given; scored as 3 …"), and is
// empty when v is in range; verb is "scored" or "placed".
func scoreOf(field string, v int, verb string) (score int, note string) {
	switch {
	case v == 0:
		return missingScore, fmt.Sprintf("%s not given; %s as %d (the middle of 1–5) until it is set", field, verb, missingScore)
	case v < 1 || v > 5:
		c := min(max(v, 1), 5)
		return c, fmt.Sprintf("%s %d is outside 1–5; %s as %d", field, v, verb, c)
	}
	return v, ""
}

// joinNotes joins the non-empty notes with "; ".
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

func scoreRisks(in []models.Risk) riskFigures {
	var rf riskFigures
	for i, r := range in {
		p, pNote := scoreOf("probability", r.Probability, "scored")
		im, iNote := scoreOf("impact", r.Impact, "scored")
		note := joinNotes(pNote, iNote)
		s := scoredRisk{Risk: r, Order: i + 1, Probability: p, Impact: im, Score: p * im, Adjusted: note != ""}
		if s.Adjusted {
			rf.notes = append(rf.notes, fmt.Sprintf("Risk %d (%s): %s.", s.Order, escOr(r.Description, "no description"), note))
		}
		rf.ranked = append(rf.ranked, s)
	}
	// SortStableFunc keeps input order among equal scores.
	slices.SortStableFunc(rf.ranked, func(a, b scoredRisk) int { return b.Score - a.Score })

	idx := map[string]int{}
	for _, r := range rf.ranked {
		rf.total += r.Score
		switch band(r.Score) {
		case "High":
			rf.high++
		case "Medium":
			rf.medium++
		default:
			rf.low++
		}
		owner := escOr(r.Owner, "_Unassigned_")
		i, ok := idx[owner]
		if !ok {
			i = len(rf.owners)
			idx[owner] = i
			rf.owners = append(rf.owners, ownerExposure{owner: owner})
		}
		rf.owners[i].count++
		rf.owners[i].total += r.Score
	}
	slices.SortStableFunc(rf.owners, func(a, b ownerExposure) int { return b.total - a.total })
	rf.maxTotal = maxScore * len(rf.ranked)
	return rf
}

// average is the mean risk score, 0 without risks.
func (rf riskFigures) average() float64 {
	if len(rf.ranked) == 0 {
		return 0
	}
	return float64(rf.total) / float64(len(rf.ranked))
}

// top returns up to n highest-scored risks.
func (rf riskFigures) top(n int) []scoredRisk {
	return rf.ranked[:min(n, len(rf.ranked))]
}
