package pages

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A time the server writes in UTC, in any of the pages' forms, is a
// <time datetime> (which app.js shows in the browser's zone); other text
// ("never") stays text.
func TestServerTimeMarksUTCTimes(t *testing.T) {
	for in, want := range map[string]string{
		"1 Dec 2026, 06:33:18 UTC": `<time datetime="2026-12-01T06:33:18Z">1 Dec 2026, 06:33:18 UTC</time>`,
		"1 Dec 2026, 06:33 UTC":    `<time datetime="2026-12-01T06:33:00Z">1 Dec 2026, 06:33 UTC</time>`,
		"2026-12-01 06:33 UTC":     `<time datetime="2026-12-01T06:33:00Z">2026-12-01 06:33 UTC</time>`,
		"never":                    `never`,
	} {
		var b bytes.Buffer
		require.NoError(t, serverTime(in).Render(context.Background(), &b))
		assert.Equal(t, want, b.String(), in)
	}
}
