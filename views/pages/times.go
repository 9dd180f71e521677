package pages

import "time"

// ExactLayout is how the job pages write an exact time on the server
// (handlers' exactTime): in UTC, said so. serverTime puts such a time in a
// <time datetime>, which the page shows in the browser's time zone.
const ExactLayout = "2 Jan 2006, 15:04:05 UTC"

// MinuteLayout is the app's time to the minute, in UTC, said so: when a
// project last changed (its page, the Projects list, the dashboard), a
// version's date, a token's last use.
const MinuteLayout = "2 Jan 2006, 15:04 UTC"

// serverLayouts are the forms in which the pages write a time in UTC: the
// job pages' exact times, the minute of a project's or a token's last
// change, the console's instants.
var serverLayouts = []string{ExactLayout, MinuteLayout, "2006-01-02 15:04 UTC"}

// parseServerTime reads a time written in one of serverLayouts.
func parseServerTime(s string) (time.Time, bool) {
	for _, l := range serverLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// serverDatetime is the datetime attribute of a time the server wrote in
// one of serverLayouts (RFC 3339, in UTC), or "" for other text: for an
// element that cannot hold a <time> (an <option>'s data-datetime).
func serverDatetime(value string) string {
	if t, ok := parseServerTime(value); ok {
		return t.UTC().Format(time.RFC3339)
	}
	return ""
}
