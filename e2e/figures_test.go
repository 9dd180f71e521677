package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The schedule, the risk register and the stakeholder register carry their
// picture (Gantt chart, heat map, power/interest grid) as SVG the server
// draws, with a text alternative, in the document page and in the print
// view. The screenshots are e2e/screenshots/TestFigures*.png.
func TestFiguresInDocumentPages(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "10ms"})
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	jobID := startGeneration(t, ctx, srv, exampleProject(t, ctx, srv))
	waitFor(t, ctx, "the job completes", cardIs(jobID, "completed"), 60*time.Second)
	job := fetchJob(t, ctx, jobID)
	artifact := map[string]string{}
	for _, d := range job.Documents {
		if d.ArtifactID != nil {
			artifact[d.Type] = *d.ArtifactID
		}
	}
	for _, tc := range []struct{ typ, title string }{
		{"schedule", "Gantt chart of the work packages"},
		{"risk_register", "Risk heat map: probability × impact"},
		{"stakeholder_register", "Power/interest grid"},
	} {
		id := artifact[tc.typ]
		if id == "" {
			t.Fatalf("no artifact for %s in %+v", tc.typ, job)
		}
		for _, view := range []struct{ name, path string }{{"page", "/artifacts/" + id}, {"print", "/artifacts/" + id + ".html"}} {
			act(t, ctx, "open the "+tc.typ+" "+view.name,
				chromedp.Navigate(srv.URL+view.path),
				chromedp.WaitVisible(chromedp.CSS(`figure.dossier-chart svg`)),
			)
			// The figure is drawn (it has a size), is labelled by its title
			// and description, and has a caption.
			got := value(t, ctx, "the figure", chromedp.Evaluate[map[string]any](`(() => {
				const svg = document.querySelector('figure.dossier-chart svg');
				const r = svg.getBoundingClientRect();
				const ids = (svg.getAttribute('aria-labelledby') || '').split(' ');
				return {width: r.width, height: r.height, role: svg.getAttribute('role'),
					title: document.getElementById(ids[0])?.textContent || '',
					desc: document.getElementById(ids[1])?.textContent || '',
					caption: document.querySelector('figure.dossier-chart figcaption')?.textContent || ''};
			})()`))
			if w, _ := got["width"].(float64); w < 300 {
				t.Errorf("%s %s: the figure is %v px wide", tc.typ, view.name, got["width"])
			}
			if got["role"] != "img" || got["title"] != tc.title || got["desc"] == "" || !strings.Contains(fmt.Sprint(got["caption"]), tc.title) {
				t.Errorf("%s %s: text alternatives %v", tc.typ, view.name, got)
			}
			act(t, ctx, "scroll to the figure", chromedp.ScrollIntoView(chromedp.CSS(`figure.dossier-chart`)))
			screenshot(t, ctx, tc.typ+"-"+view.name)
		}
	}
}
