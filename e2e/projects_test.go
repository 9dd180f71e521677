package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignupCreateExampleProject is the first walk through the app: sign up,
// start a project from the example, save it, and find it in the list.
func TestSignupCreateExampleProject(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	email := fmt.Sprintf("erin-%d@example.com", time.Now().UnixNano())

	act(t, ctx, "sign up",
		chromedp.Navigate(srv.URL+"/signup"),
		chromedp.WaitVisible(css(`[data-testid="signup-form"]`)),
		chromedp.SendKeys(css(`#f-name`), "Erin Example"),
		chromedp.SendKeys(css(`#f-email`), email),
		chromedp.SendKeys(css(`#f-password`), "a long enough password"),
		chromedp.Click(css(`[data-testid="signup-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="user-menu"]`)),
	)

	act(t, ctx, "open the new-project form",
		chromedp.Navigate(srv.URL+"/projects/new"),
		chromedp.WaitVisible(css(`[data-testid="project-form"]`)),
	)
	act(t, ctx, "start from the example",
		chromedp.Click(css(`[data-testid="use-example"]`)),
		// htmx swaps the form in place; wait until it holds the example.
		chromedp.Poll[chromedp.Void](`document.querySelector('#f-name')?.value === 'Customer Portal Relaunch'`,
			chromedp.WithPollingTimeout(15*time.Second)),
	)
	screenshot(t, ctx, "example-form")

	act(t, ctx, "save",
		chromedp.Click(css(`[data-testid="project-save"]`)),
		chromedp.WaitVisible(css(`[data-testid="project-page"]`)),
	)
	name := value(t, ctx, "project name", chromedp.Text(css(`[data-testid="project-name"]`)))
	if name != "Customer Portal Relaunch" {
		t.Fatalf("project page shows %q", name)
	}
	screenshot(t, ctx, "project")

	act(t, ctx, "open the project list",
		chromedp.Navigate(srv.URL+"/projects"),
		chromedp.WaitVisible(css(`[data-testid="project-list"]`)),
	)
	list := value(t, ctx, "project list", chromedp.Text(css(`[data-testid="project-list"]`)))
	if !strings.Contains(list, "Customer Portal Relaunch") {
		t.Fatalf("the project list does not show the project:\n%s", list)
	}
	screenshot(t, ctx, "projects")
}
