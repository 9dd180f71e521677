package partials

import "testing"

func TestDocumentsOfAgreesWithTheTotal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{0, 1, "0 of 1 document"},
		{1, 1, "1 of 1 document"},
		{1, 2, "1 of 2 documents"},
		{0, 0, "0 of 0 documents"},
		{11, 12, "11 of 12 documents"},
	} {
		if got := DocumentsOf(tc.done, tc.total); got != tc.want {
			t.Errorf("DocumentsOf(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
