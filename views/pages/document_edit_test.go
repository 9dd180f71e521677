package pages

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stale-save refusal names who stored the newer version, as the live
// banner does.
func TestDocumentEditConflictNamesWhoSaved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		vm   DocumentEditVM
		want string
	}{
		{"you", DocumentEditVM{ConflictByYou: true}, "You saved version 3 of this document in another tab or window while you were editing here,"},
		{"someone named", DocumentEditVM{ConflictAuthor: "Ada Lovelace"}, "Ada Lovelace saved version 3 of this document while you were editing,"},
		{"a run", DocumentEditVM{ConflictRun: 4}, "Run #4 wrote version 3 of this document while you were editing,"},
		{"unknown", DocumentEditVM{}, "Version 3 of this document was stored while you were editing,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vm := tc.vm
			vm.ProjectID, vm.DocType, vm.ConflictID, vm.ConflictVersion, vm.BaseVersion = "p", "risk_register", "a3", 3, 3
			var b strings.Builder
			require.NoError(t, DocumentEdit(vm).Render(context.Background(), &b))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
			require.NoError(t, err)
			text := strings.Join(strings.Fields(doc.Find("[data-testid=edit-conflict]").Text()), " ")
			assert.Contains(t, text, tc.want)
			assert.NotContains(t, text, "Someone")
			assert.Equal(t, "Save as version 4", strings.Join(strings.Fields(doc.Find("[data-testid=edit-save]").Text()), " "))
		})
	}
}
