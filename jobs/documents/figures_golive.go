package documents

import (
	"strings"
	"time"
	"unicode"

	"dossier/models"
)

// goLive is the date benefits count from in the business case and the
// executive summary. Rule, stated in the business case: a milestone whose
// name says go-live, launch, live or cutover (case-insensitive, whole words:
// "Go-live", "Public launch", "Cut-over") is go-live, the earliest by date
// when several are; without one, go-live is assumed to be the planned finish.
type goLive struct {
	ok        bool // a date is known
	date      time.Time
	milestone string // escaped name of the milestone used; "" when the planned finish is assumed
}

func findGoLive(ms []models.Milestone, s schedule) goLive {
	var g goLive
	for _, m := range ms {
		d, ok := parseDate(m.Date)
		if !ok || !isGoLiveName(m.Name) {
			continue
		}
		if g.milestone == "" || d.Before(g.date) {
			g = goLive{ok: true, date: d, milestone: esc(clean(m.Name))}
		}
	}
	if g.milestone == "" && s.ok {
		g = goLive{ok: true, date: s.finish}
	}
	return g
}

// isGoLiveName: the name has the word launch (launches, launched, relaunch),
// live (go-live, go live, golive, "live in all branches") or cutover
// (cut-over, cut over).
func isGoLiveName(name string) bool {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) })
	for i, w := range words {
		switch {
		case w == "live" || w == "golive" || w == "cutover",
			strings.HasSuffix(w, "launch") || strings.HasSuffix(w, "launches") || strings.HasSuffix(w, "launched"),
			w == "cut" && i+1 < len(words) && words[i+1] == "over":
			return true
		}
	}
	return false
}

// goLiveText says which date go-live is and where it comes from.
func goLiveText(f *facts) string {
	g := f.goLive
	switch {
	case g.milestone != "":
		return "the milestone “" + g.milestone + "” (" + fmtDate(g.date) + ")"
	case g.ok:
		return "assumed to be the planned finish (" + fmtDate(g.date) + "), as no milestone is named go-live, launch, live or cutover"
	}
	if f.sched.planned {
		return "not known yet: no milestone is named go-live, launch, live or cutover, and the planned finish has no date until a start date is set"
	}
	return "not known yet: no milestone is named go-live, launch, live or cutover and the planned finish cannot be computed"
}
