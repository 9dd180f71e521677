package partials

import (
	"context"
	"strings"
	"testing"
)

// A job card names its project through ProjectName, so a rename in another
// tab reaches it; its title reads as before.
func TestJobCardNamesItsProjectLive(t *testing.T) {
	var b strings.Builder
	vm := JobCardVM{ID: "j1", ProjectID: "p1", ProjectName: "Relaunch", Title: "Relaunch · Run #2", Status: "queued"}
	if err := JobProgress(vm).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `data-testid="job-card-title"><span class="wrap-anywhere" sse-swap="projectname-p1" hx-swap="innerHTML" data-testid="project-name-live">Relaunch</span> · Run #2</a>`
	if !strings.Contains(b.String(), want) {
		t.Fatalf("the card's title is not %s in\n%s", want, b.String())
	}
}

// A job without a run number (written before runs were numbered) is titled
// with the project's name alone, and that follows a rename too.
func TestJobCardWithoutRunNumberNamesItsProjectLive(t *testing.T) {
	var b strings.Builder
	vm := JobCardVM{ID: "j1", ProjectID: "p1", ProjectName: "Relaunch", Title: "Relaunch", Status: "queued"}
	if err := JobProgress(vm).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `data-testid="job-card-title"><span class="wrap-anywhere" sse-swap="projectname-p1" hx-swap="innerHTML" data-testid="project-name-live">Relaunch</span></a>`
	if !strings.Contains(b.String(), want) {
		t.Fatalf("the card's title is not %s in\n%s", want, b.String())
	}
}
