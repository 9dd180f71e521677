package documents

import (
	"math"

	"dossier/models"
)

// Appraisal rules, stated in the business case:
//   - the cost C is the budget estimate (labour + contingency), spent during
//     the project, before go-live (year 0, not discounted);
//   - year y (1 … benefitYears) is the y-th twelve months after the planned
//     finish (go-live). A benefit counts from StartsAfterMonths after go-live:
//     in year y it yields annual value × its active months in that year ÷ 12;
//   - NPV = −C + Σ B_y ÷ (1 + r)^y, with r the discount rate (defaultDiscount
//     when none is given);
//   - payback is the month after go-live in which the cumulative benefits
//     (not discounted) reach C, interpolated within the month;
//   - ROI = (Σ B_y − C) ÷ C over the benefit horizon, not discounted.
const (
	benefitYears    = 5
	defaultDiscount = 8.0
)

type appraisal struct {
	ok          bool // benefits are given
	cost        float64
	rate        float64 // percent
	rateDefault bool
	years       [benefitYears]float64 // benefits per year, not discounted
	factors     [benefitYears]float64 // 1 ÷ (1 + r)^y
	pv          [benefitYears]float64
	total       float64 // Σ B_y
	npv         float64
	payback     float64 // months after go-live; 0 when not reached
	paidBack    bool
	roi         float64 // percent; valid when cost > 0
	deferNPV    float64 // the same plan a year later: NPV ÷ (1 + r)
}

func appraise(d models.ProjectData, cost float64) appraisal {
	a := appraisal{cost: cost, rate: defaultDiscount, rateDefault: true}
	if r := d.DiscountRatePercent; r != nil && !math.IsNaN(*r) && *r >= 0 && *r <= 100 {
		a.rate, a.rateDefault = *r, false
	}
	var bs []models.Benefit
	for _, b := range d.Benefits {
		if b.AnnualValue > 0 && !math.IsInf(b.AnnualValue, 0) && b.AnnualValue <= maxPlausibleAmount {
			b.StartsAfterMonths = min(max(b.StartsAfterMonths, 0), models.MaxMonths)
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return a
	}
	a.ok = true
	r := a.rate / 100
	for y := 1; y <= benefitYears; y++ {
		for _, b := range bs {
			active := min(max(12*y-b.StartsAfterMonths, 0), 12)
			a.years[y-1] += b.AnnualValue * float64(active) / 12
		}
		a.factors[y-1] = 1 / math.Pow(1+r, float64(y))
		a.pv[y-1] = a.years[y-1] * a.factors[y-1]
		a.total += a.years[y-1]
		a.npv += a.pv[y-1]
	}
	a.npv -= cost
	a.deferNPV = a.npv / (1 + r)
	if cost > 0 {
		a.roi = 100 * (a.total - cost) / cost
	}
	// Payback, month by month.
	cum := 0.0
	for m := 1; m <= 12*benefitYears; m++ {
		monthly := 0.0
		for _, b := range bs {
			if m > b.StartsAfterMonths {
				monthly += b.AnnualValue / 12
			}
		}
		if monthly > 0 && cum+monthly >= cost {
			a.payback, a.paidBack = float64(m-1)+(cost-cum)/monthly, true
			break
		}
		cum += monthly
	}
	return a
}
