package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// headerBox is where the header's inner container sits.
type headerBox struct {
	X     float64 `json:"x"`
	Width float64 `json:"width"`
}

const measureHeaderBox = `(() => { const r = document.querySelector('header > div').getBoundingClientRect(); return {x: r.x, width: r.width}; })()`

// The header's content stays in place between pages: its inner container
// has the same x and width on the dashboard, a job page and a document
// page (a document page's wider main column made it jump sideways).
func TestUXHeaderIsTheSameOnEveryPage(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Header check")
	jobID := apiJobCreate(t, srv, token, projectID, "project_charter")
	job := waitAPI(t, srv, token, jobID, "completed")
	if len(job.Documents) == 0 || job.Documents[0].ArtifactID == nil {
		t.Fatalf("the job wrote no document: %+v", job)
	}
	for _, px := range []int64{1440, 1280, 390} {
		act(t, ctx, fmt.Sprintf("%d px", px), chromedp.EmulateViewport(px, 900))
		var first headerBox
		for i, p := range []struct{ what, path string }{
			{"dashboard", "/"},
			{"job page", "/jobs/" + jobID},
			{"document page", "/artifacts/" + *job.Documents[0].ArtifactID},
		} {
			act(t, ctx, p.what, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
			box := value(t, ctx, "the header's box", chromedp.Evaluate[headerBox](measureHeaderBox))
			if i == 0 {
				first = box
				continue
			}
			if box != first {
				t.Errorf("at %d px the header's container on the %s is at x %.1f, %.1f wide; on the dashboard at x %.1f, %.1f wide",
					px, p.what, box.X, box.Width, first.X, first.Width)
			}
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}
