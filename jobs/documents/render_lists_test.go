package documents

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A numbered list that a code block interrupts goes on from its number.
func TestRenderKeepsAListsStartNumber(t *testing.T) {
	html := RenderHTML("1. Plan\n\n```\nmake\n```\n\n2. Build\n3. Ship\n")
	assert.Contains(t, html, `<ol start="2">`)
	assert.NotContains(t, RenderHTML("<ol start=\"x\"><li>a</li></ol>"), "start=", "raw HTML stays out")
}

// A <br> in a table cell is a line break, not glue between two words; any
// other raw HTML is still left out.
func TestRenderTurnsBrIntoALineBreak(t *testing.T) {
	html := RenderHTML("| Step | Owner |\n|---|---|\n| Weekly review<br>Escalate | PM<BR />Sponsor |\n")
	assert.Contains(t, html, "Weekly review<br>Escalate")
	assert.Contains(t, html, "PM<br>Sponsor")
	assert.NotContains(t, RenderHTML("a <span onclick=\"x\">b</span> c"), "span")
	assert.NotContains(t, RenderHTML("a <br onclick=\"x\"> c"), "onclick")
}
