// Package static embeds the built CSS, the vendored htmx and the page script,
// so that the binary serves them from anywhere with no Node.
package static

import "embed"

// FS holds css/, vendor/, js/ and the favicon.
//
//go:embed css/app.css vendor js favicon.svg
var FS embed.FS
