package documents

import (
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// DiffLine is one line of a line diff between two versions of a document.
type DiffLine struct {
	// Op is "+" (added), "-" (removed), " " (unchanged) or "…" (unchanged
	// lines left out; Text says how many).
	Op   string
	Text string
}

// diffContext is how many unchanged lines are kept around each change.
const diffContext = 2

// LineDiff compares two Markdown texts line by line (diff-match-patch's line
// mode), keeping a little context around each change.
func LineDiff(from, to string) []DiffLine {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(from, to)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var all []DiffLine
	for _, d := range diffs {
		op := " "
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = "+"
		case diffmatchpatch.DiffDelete:
			op = "-"
		}
		text := strings.TrimSuffix(d.Text, "\n")
		for l := range strings.SplitSeq(text, "\n") {
			all = append(all, DiffLine{Op: op, Text: l})
		}
	}
	// Keep unchanged lines only near a change.
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Op == " " {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(all)-1, i+diffContext); j++ {
			keep[j] = true
		}
	}
	var out []DiffLine
	skipped := 0
	flush := func() {
		if skipped > 0 {
			out = append(out, DiffLine{Op: "…", Text: plural(skipped, "unchanged line", "unchanged lines")})
			skipped = 0
		}
	}
	for i, l := range all {
		if !keep[i] {
			skipped++
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return out
}

// TitleOf is a document's title: its first level-1 heading, else fallback.
func TitleOf(md, fallback string) string { return titleOf(md, fallback) }
