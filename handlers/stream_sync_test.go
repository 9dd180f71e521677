package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stream's ?view= is the caller's to write: its ids go into event names,
// so a line break in one wrote events of the caller's choosing into the
// user's tab (an announce toast carrying markup, say). A view no page could
// have named is no view: the stream sends what every page gets, and goes on
// working.
func TestAViewCannotWriteEventsIntoTheStream(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{})
	const injected = "\nevent: announce\ndata: <img src=x>\n\n"
	const id = "0b6c1f55-6b0a-4a39-9d7a-0d1c4d7b2a11"
	for _, view := range []string{
		"project:zz" + injected,
		"project:" + id + injected,
		"project:zz\revent: announce\rdata: <img src=x>\r\r",
		"job:zz" + injected,
		"generate:zz" + injected,
		"jobs:zz" + injected,
		"dashboard:zz" + injected,
	} {
		t.Run(strings.TrimSpace(view[:strings.IndexAny(view, "\r\n")]), func(t *testing.T) {
			u, token := e.signIn(uniqueEmail("view"))
			c := dialSSE(t, e.addr, "/events?view="+url.QueryEscape(view), token)
			require.Equal(t, 200, c.Status, c.Body)
			defer c.close()
			evs, _ := c.batch(streamWait)
			for _, ev := range evs {
				assert.NotEqual(t, "announce", ev.Name, "an injected event")
				assert.NotContains(t, ev.Data, "<img src=x>", "injected data")
			}
			assert.Equal(t, []string{"badge", "bell", "unshown", "sync"}, eventNames(evs), "what every page gets")

			// The stream goes on: a new job's card arrives.
			j := e.newJob(u.ID, "project_charter")
			e.drive(j).publish(j)
			evs, _ = c.batch(streamWait)
			assert.Contains(t, eventNames(evs), "job-"+j.ID)
		})
	}
}

func TestViewsParseOnlyWhatAPageNames(t *testing.T) {
	t.Parallel()
	const id = "0b6c1f55-6b0a-4a39-9d7a-0d1c4d7b2a11"
	for s, want := range map[string]liveView{
		"":                           {},
		"dashboard":                  {Kind: "dashboard"},
		"dashboard:x":                {},
		"jobs":                       {Kind: "jobs"},
		"jobs:active":                {Kind: "jobs", Arg: "active"},
		"jobs:failed":                {Kind: "jobs", Arg: "failed"},
		"jobs:processing":            {Kind: "jobs", Arg: "processing"},
		"jobs:nope":                  {},
		"jobs:active\nevent: x":      {},
		"job:" + id:                  {Kind: "job", Arg: id},
		"generate:" + id:             {Kind: "generate", Arg: id},
		"project:" + id:              {Kind: "project", Arg: id},
		"project:" + id + "\n":       {},
		"project:" + id + "\r":       {},
		"project:zz":                 {},
		"project:":                   {},
		"project":                    {},
		"job:" + strings.ToUpper(id): {},
		"generate:{" + id + "}":      {},
		"unknown:" + id:              {},
	} {
		assert.Equal(t, want, parseView(s), "%q", s)
	}
}
