package pages

import (
	"fmt"
	"math"
	"strconv"

	"dossier/views/components"
)

// AdminVM is the operator console: the live part (pushed over /events as
// the admin event) and the failing jobs, which only change when an
// administrator acts or reloads, so that a selection is never swapped away.
type AdminVM struct {
	Live    AdminLiveVM
	Failing AdminFailingVM
	CSRF    string
}

// AdminLiveVM is everything on the console that refreshes by itself.
type AdminLiveVM struct {
	GeneratedAt string
	Depth       []DepthRowVM
	DepthTotal  int
	Throughput  ChartVM
	QueueWait   ChartVM
	Running     []AdminJobVM
	Instances   []InstanceVM
	Usage       []UsageVM
	// Failing counts the jobs listed (or listable) in the failing section.
	Failing int
}

// DepthRowVM is one status's job counts by priority.
type DepthRowVM struct {
	Status                   string
	High, Normal, Low, Total int
}

// AdminJobVM is a job row of the console.
type AdminJobVM struct {
	ID, ShortID, User, Project, Status, Priority string
	Progress                                     int
	Current                                      string
	Instance                                     string
	LeaseLeft                                    string
	Retry                                        string
	Error                                        string
	When                                         string
}

// InstanceVM is an alive instance.
type InstanceVM struct {
	ID, Role, Version, Started, LastSeen string
	Leases                               int
}

// UsageVM is one user's use on one day.
type UsageVM struct {
	Day, User       string
	Jobs, Documents int
	Tokens          string
}

// AdminFailingVM is the failing jobs, grouped by error, with the result of
// the last bulk action.
type AdminFailingVM struct {
	Groups []FailGroupVM
	Flash  string
	Total  int
}

// FailGroupVM is the jobs that failed with one error message.
type FailGroupVM struct {
	Key   string
	Error string
	// Hints say what to check (a setting), for the failures only an
	// operator can fix: the users' pages tell them to ask an
	// administrator.
	Hints []string
	Jobs  []AdminJobVM
}

// ChartVM is a bar chart over time, laid out on the server as SVG: no
// script, no library.
type ChartVM struct {
	ID, Title, Unit string
	// Bars are evenly spaced; each has up to two stacked series values.
	Bars []BarVM
	// Max is the axis maximum; Summary is the line under the title.
	Max     float64
	Summary string
	Series  [2]string
}

// BarVM is one time bucket.
type BarVM struct {
	Label string
	A, B  float64
	// Mark is an optional tick on the bar (e.g. the maximum wait).
	Mark float64
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH       = 600.0, 160.0
	chartLeft, chartBase = 40.0, 140.0
	chartTop             = 10.0
)

func (c ChartVM) viewBox() string { return fmt.Sprintf("0 0 %.0f %.0f", chartW, chartH) }

func (c ChartVM) barW() float64 {
	if len(c.Bars) == 0 {
		return 0
	}
	return (chartW - chartLeft - 4) / float64(len(c.Bars))
}

func (c ChartVM) y(v float64) float64 {
	if c.Max <= 0 {
		return chartBase
	}
	return chartBase - (chartBase-chartTop)*v/c.Max
}

func (c ChartVM) barX(i int) string { return f1(chartLeft + 2 + float64(i)*c.barW()) }
func (c ChartVM) barWidth() string  { return f1(math.Max(c.barW()-1, 1)) }

// rectA and rectB are the stacked series' y and height.
func (c ChartVM) aY(b BarVM) string { return f1(c.y(b.A)) }
func (c ChartVM) aH(b BarVM) string { return f1(chartBase - c.y(b.A)) }
func (c ChartVM) bY(b BarVM) string { return f1(c.y(b.A + b.B)) }
func (c ChartVM) bH(b BarVM) string { return f1(c.y(b.A) - c.y(b.A+b.B)) }
func (c ChartVM) markY(b BarVM) string {
	return f1(c.y(b.Mark))
}
func (c ChartVM) markX2(i int) string {
	return f1(chartLeft + 2 + float64(i)*c.barW() + math.Max(c.barW()-1, 1))
}

// ticks are the y-axis labels: 0, half and the maximum.
func (c ChartVM) ticks() []tick {
	if c.Max <= 0 {
		return []tick{{Y: f1(chartBase), Label: "0"}}
	}
	return []tick{
		{Y: f1(chartBase), Label: "0"},
		{Y: f1(c.y(c.Max / 2)), Label: num(c.Max / 2)},
		{Y: f1(c.y(c.Max)), Label: num(c.Max)},
	}
}

// xLabels labels every 15th bar and the last; the last ends at the right
// edge, so that it is not cut off there.
func (c ChartVM) xLabels() []tick {
	var out []tick
	for i, b := range c.Bars {
		switch {
		case i == len(c.Bars)-1:
			out = append(out, tick{X: f1(chartW - 2), Label: b.Label, Anchor: "end"})
		case i%15 == 0:
			out = append(out, tick{X: f1(chartLeft + 2 + float64(i)*c.barW()), Label: b.Label, Anchor: "start"})
		}
	}
	return out
}

type tick struct{ X, Y, Label, Anchor string }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func num(v float64) string {
	if v != 0 && math.Abs(v) < 1 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// barTitle is the tooltip of a bar.
func (c ChartVM) barTitle(b BarVM) string {
	s := b.Label + ": " + c.Series[0] + " " + num(b.A)
	if c.Series[1] != "" {
		s += ", " + c.Series[1] + " " + num(b.B)
	}
	if b.Mark > 0 {
		s += ", max " + num(b.Mark)
	}
	return s + " " + c.Unit
}

func leasesText(n int) string {
	switch n {
	case 0:
		return "no leases"
	case 1:
		return "1 lease"
	}
	return strconv.Itoa(n) + " leases"
}

// The console's table columns.
var (
	depthColumns   = []components.Column{{Label: "Status"}, {Label: "High", Right: true}, {Label: "Normal", Right: true}, {Label: "Low", Right: true}, {Label: "All", Right: true}}
	runningColumns = []components.Column{{Label: "Job"}, {Label: "User"}, {Label: "Project"}, {Label: "Progress"}, {Label: "Instance"}, {Label: "Lease"}}
	usageColumns   = []components.Column{{Label: "Day"}, {Label: "User"}, {Label: "Jobs", Right: true}, {Label: "Documents", Right: true}, {Label: "Model tokens", Right: true}}
)
