package documents

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Formatting is fixed (not locale-dependent) so that documents are
// reproducible and golden files stay stable.

const isoDate = "2006-01-02"

// parseDate reads an ISO 8601 date ("2027-01-04", or a full RFC 3339
// timestamp whose date part is used). The result is midnight UTC so that
// day arithmetic never crosses a DST change.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(isoDate, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, false
		}
	}
	if t.Year() < 1900 || t.Year() > 9000 {
		// Outside any plausible project; refusing it keeps date arithmetic
		// (years of working days added) far from time.Time's limits.
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
}

// fmtDate is the house date style: weekday, day, month, year.
func fmtDate(t time.Time) string { return t.Format("Mon 2 Jan 2006") }

// dateOr formats a user-supplied date, or explains why it cannot.
func dateOr(raw string) string {
	if t, ok := parseDate(raw); ok {
		return fmtDate(t)
	}
	if strings.TrimSpace(raw) == "" {
		return notProvided
	}
	return esc(raw) + " _(not a valid ISO 8601 date)_"
}

// Working days are Monday to Friday. Public holidays are not modelled: the
// documents say so wherever dates are computed.
func isWorkday(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// nextWorkday returns t if it is a working day, else the following Monday.
func nextWorkday(t time.Time) time.Time {
	for !isWorkday(t) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// addWorkdays moves n working days forward from a working day t.
func addWorkdays(t time.Time, n int) time.Time {
	t = nextWorkday(t)
	t = t.AddDate(0, 0, n/5*7)
	for range n % 5 {
		t = nextWorkday(t.AddDate(0, 0, 1))
	}
	return t
}

// workdaysBetween counts working days from a to b, both included. It works
// on day numbers rather than time.Duration, which saturates at 292 years.
func workdaysBetween(a, b time.Time) int {
	da, db := dayNumber(a), dayNumber(b)
	if db < da {
		return 0
	}
	days := db - da + 1
	n := days / 7 * 5
	wd := int64(a.Weekday())
	for i := range days % 7 {
		if d := (wd + i) % 7; d != int64(time.Saturday) && d != int64(time.Sunday) {
			n++
		}
	}
	return int(n)
}

// dayNumber is the number of days since 1970-01-01 of a midnight-UTC date.
func dayNumber(t time.Time) int64 { return t.Unix() / 86400 }

// fmtNum formats a number with thousands separators and at most the given
// decimals, dropping a zero fraction: 114750 → "114,750", 2.5 → "2.5".
func fmtNum(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// fmtDays formats an effort in person-days, to at most two decimals, the
// precision efforts are kept in (hundredths): 2.25 days shows as 2.25, not
// 2.2, so that the shown effort is the priced one.
func fmtDays(x float64) string { return fmtNum(x, 2) }

// fmtPct formats a percentage to one decimal, a negative one with the
// minus sign: "−40%".
func fmtPct(x float64) string { return strings.Replace(fmtNum(x, 1), "-", "−", 1) + "%" }

// fmtMoney formats an amount in whole currency units: estimates to the cent
// would be false precision. A negative amount takes the minus sign (−, as
// the formulas write it) before the currency: "−EUR 7".
func fmtMoney(x float64, currency string) string {
	if r := math.Round(x); r < 0 {
		return "−" + fmtMoney(-r, currency)
	}
	n := fmtNum(math.Round(x), 0)
	if currency == "" {
		return n
	}
	return currency + " " + n
}

// personDays states an effort: "1 person-day", "2.5 person-days".
func personDays(x float64) string {
	if fmtDays(x) == "1" {
		return "1 person-day"
	}
	return fmtDays(x) + " person-days"
}

// sentence ends a statement with a full stop, unless the text already ends
// with one, as "_Not provided._" does.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "._") {
		return s
	}
	return s + "."
}

// plural picks the singular or plural noun for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// theCount names a counted set after "the": "the High risk" for one (a
// count of one reads as a number where none is needed), "the 3 High risks"
// otherwise.
func theCount(n int, one, many string) string {
	if n == 1 {
		return "the " + one
	}
	return "the " + plural(n, one, many)
}

// andList joins names as a sentence does: "A", "A and B", "A, B and C".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// sharesOf gives each part's percentage of their sum to a tenth, rounded so
// that the shown shares add up to the 100% a table's total row shows
// (largest remainder: the tenths lost to rounding go to the parts that lost
// most, ties to the earlier part). All zeros for a zero sum.
func sharesOf(parts []float64) []float64 {
	out := make([]float64, len(parts))
	var sum float64
	for _, p := range parts {
		sum += p
	}
	if sum <= 0 {
		return out
	}
	tenths := make([]int, len(parts))
	rest := make([]float64, len(parts))
	left := 1000
	for i, p := range parts {
		exact := 1000 * p / sum
		tenths[i] = int(math.Floor(exact))
		rest[i] = exact - float64(tenths[i])
		left -= tenths[i]
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rest[b], rest[a]) })
	for _, i := range order[:min(max(left, 0), len(order))] {
		tenths[i]++
	}
	for i, t := range tenths {
		out[i] = float64(t) / 10
	}
	return out
}
