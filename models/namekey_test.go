package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A reference matches a deliverable's name with letter case aside, each run
// of spaces and line breaks as one space, and format characters as none.
func TestNameKey(t *testing.T) {
	for in, want := range map[string]string{
		"Portal\nredesign": "portal redesign", " Portal \r\n\t Redesign ": "portal redesign",
		"Portal\u2028redesign": "portal redesign", "Por\u200btal": "portal", "Build": "build",
	} {
		assert.Equal(t, want, NameKey(in), "%q", in)
	}
}
