package documents

import (
	"fmt"
	"slices"

	"dossier/models"
)

// Risk scoring rule, stated in the risk register: probability and impact are
// integers from 1 to 5, score = probability × impact (1–25). Bands: High ≥ 15,
// Medium 8–14, Low ≤ 7. A score outside 1–5 (or missing) is clamped to the
// nearest bound and flagged, so a typo cannot hide a risk or blow up a total.
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

// clampScore brings a 1–5 score into range and reports whether it had to.
func clampScore(v int) (int, bool) {
	return min(max(v, 1), 5), v < 1 || v > 5
}

func scoreRisks(in []models.Risk) riskFigures {
	var rf riskFigures
	for i, r := range in {
		p, pAdj := clampScore(r.Probability)
		im, iAdj := clampScore(r.Impact)
		s := scoredRisk{Risk: r, Order: i + 1, Probability: p, Impact: im, Score: p * im, Adjusted: pAdj || iAdj}
		if s.Adjusted {
			rf.notes = append(rf.notes, fmt.Sprintf(
				"Risk %d (%s): probability %d and impact %d were outside 1–5 and were scored as %d × %d.",
				s.Order, escOr(r.Description, "no description"), r.Probability, r.Impact, p, im))
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
