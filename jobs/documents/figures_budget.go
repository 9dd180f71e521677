package documents

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"dossier/models"
)

// Budget rules, stated in the budget estimate:
//   - a work package's labour = its effort × day rate, rounded to whole
//     currency units; total labour is the sum of those amounts, so that the
//     labour table adds up. The day rate (kept to the cent, as it is shown)
//     comes from an assumption such as "A blended day rate of EUR 850
//     applies", else defaultDayRate in the budget currency;
//   - contingency % = average risk score ÷ 25 × 20%, so a register of
//     maximal risks (every score 25) reserves 20% and no risks reserve 0%;
//   - amounts are rounded to whole currency units.
const (
	defaultDayRate     = 800
	maxContingencyPct  = 20.0
	maxPlausibleRate   = 1e6
	maxPlausibleAmount = 1e15 // beyond this a budget is a typo, not a plan
)

var dayRatePattern = regexp.MustCompile(`(?i:day[ -]?rate)\b[^0-9]{0,40}?(?:\b([A-Z]{3})\s*)?[€$£]?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?`)

type budgetFigures struct {
	rate          float64
	rateSource    string // escaped assumption the rate came from, "" for the default
	rateCurrency  string // currency named with the rate
	rateStated    bool   // the rate is the project's dayRate
	currency      string // escaped currency used for all amounts, may be ""
	effort        float64
	labour        float64
	contPct       float64
	contingency   float64
	total         float64
	hasBudget     bool
	budget        float64
	budgetNote    string // escaped issue with the budget figure
	headroom      float64
	currencyClash bool
}

// parseDayRate finds a day rate in the assumptions; the first one wins.
func parseDayRate(assumptions []string) (rate float64, currency, source string, ok bool) {
	for _, a := range assumptions {
		m := dayRatePattern.FindStringSubmatch(a)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", "")+m[3], 64)
		if err != nil || v <= 0 || v > maxPlausibleRate {
			continue
		}
		return v, strings.ToUpper(m[1]), a, true
	}
	return 0, "", "", false
}

func estimate(d models.ProjectData, wbs []workPackage, rf riskFigures) budgetFigures {
	var b budgetFigures
	if d.Budget != nil {
		b.currency = esc(strings.ToUpper(strings.TrimSpace(d.Budget.Currency)))
		amt := d.Budget.Amount
		switch {
		case math.IsNaN(amt) || math.IsInf(amt, 0):
			b.budgetNote = "The budget amount is not a number."
		case amt <= 0:
			b.budgetNote = "The budget amount is zero or negative."
		case amt > maxPlausibleAmount:
			b.budgetNote = "The budget amount is implausibly large; check it for a typo."
		default:
			b.hasBudget, b.budget = true, amt
		}
	}
	rate, cur, src, ok := parseDayRate(d.Assumptions)
	if r := d.DayRate; r != nil && r.Amount > 0 && r.Amount <= maxPlausibleRate {
		rate, cur, src, ok = r.Amount, strings.ToUpper(strings.TrimSpace(r.Currency)), "", true
		b.rateStated = true
	}
	if ok {
		b.rate, b.rateSource, b.rateCurrency = hundredths(rate), esc(src), cur
		if b.currency == "" {
			b.currency = cur
		} else if cur != "" && cur != b.currency {
			b.currencyClash = true
		}
	} else {
		b.rate = defaultDayRate
	}
	b.effort = totalEffort(wbs)
	for _, wp := range wbs {
		b.labour += b.cost(wp.Effort)
	}
	b.contPct = rf.average() / maxScore * maxContingencyPct
	b.contingency = math.Round(b.labour * b.contPct / 100)
	b.total = b.labour + b.contingency
	if b.hasBudget {
		b.headroom = b.budget - b.total
	}
	return b
}

func (b budgetFigures) money(x float64) string { return fmtMoney(x, b.currency) }

// cost is the labour cost of effort days at the day rate, rounded to whole
// currency units (halves up). It is worked out in hundredths of a day and
// cents, the precision both are shown in, so that the shown effort times
// the shown rate is the shown cost with no binary rounding in between
// (1.15 days at 10 is 11.5, so 12).
func (b budgetFigures) cost(effort float64) float64 {
	days := int64(math.Round(effort * 100))
	cents := int64(math.Round(b.rate * 100))
	return float64((days*cents + 5000) / 10000)
}

// rateText shows the day rate to the cent when it has cents.
func (b budgetFigures) rateText() string {
	n := fmtNum(b.rate, 2)
	if b.currency == "" {
		return n
	}
	return b.currency + " " + n
}

// share is the estimate as a percentage of the approved budget.
func (b budgetFigures) share() float64 {
	if !b.hasBudget {
		return 0
	}
	return 100 * b.total / b.budget
}
