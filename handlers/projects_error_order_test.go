package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// The form's error summary lists its problems in the order the form shows
// the fields. It listed benefits after the success criteria (the form has
// them right after the risks) and the company pack as one field, its
// fields in name order (competitors before mission); each now has its
// place, and its label as on the form.
func TestFormErrorSummaryFollowsTheForm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		long := strings.Repeat("x", models.MaxTextChars+1)
		resp := c.postForm(t, "/projects", url.Values{
			"name":                                {"Ordered"},
			"data.risks[r1].description":          {"Vendor late"},
			"data.risks[r1].probability":          {"9"},
			"data.risks[r1].impact":               {"3"},
			"data.benefits[b1].description":       {"Faster onboarding"},
			"data.constraints":                    {long},
			"companyIntelligencePack.companyName": {strings.Repeat("c", models.MaxNameChars+1)},
			"companyIntelligencePack.mission":     {long},
			"companyIntelligencePack.competitors": {"Acme\n" + long},
			"companyIntelligencePack.toneOfVoice": {long},
		})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		var got []string
		testID(page(t, resp), "form-errors").Find("li").Each(func(_ int, li *goquery.Selection) {
			got = append(got, li.Text())
		})
		want := []string{"Risk 1 probability", "Benefit 1 annual value", "Constraints", "Company name", "Mission", "Competitors, line 2", "Tone of voice"}
		require.Len(t, got, len(want), "%q", got)
		for i, w := range want {
			assert.True(t, strings.HasPrefix(got[i], w), "line %d is %q, want %q first", i+1, got[i], w)
		}
	})
}
