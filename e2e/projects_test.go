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

// TestProjectFormRows adds and removes repeated rows with htmx, and sees a
// validation error next to the field it belongs to, with the input kept.
func TestProjectFormRows(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	rows := func(list string) int {
		return value(t, ctx, "count rows", chromedp.Evaluate[int](`document.querySelectorAll('#`+list+` [data-row]').length`))
	}

	act(t, ctx, "sign up",
		chromedp.Navigate(srv.URL+"/signup?next=/projects/new"),
		chromedp.SendKeys(css(`#f-name`), "Rowan Rows"),
		chromedp.SendKeys(css(`#f-email`), fmt.Sprintf("rowan-%d@example.com", time.Now().UnixNano())),
		chromedp.SendKeys(css(`#f-password`), "a long enough password"),
		chromedp.Click(css(`[data-testid="signup-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="project-form"]`)),
	)
	if n := rows("risks"); n != 1 {
		t.Fatalf("a new form starts with %d risk rows, want 1", n)
	}
	act(t, ctx, "add two risks",
		chromedp.Click(css(`[data-testid="add-risk"]`)),
		chromedp.WaitVisible(css(`#risks [data-row]:nth-child(2)`)),
		chromedp.Click(css(`[data-testid="add-risk"]`)),
		chromedp.WaitVisible(css(`#risks [data-row]:nth-child(3)`)),
	)
	act(t, ctx, "remove the first",
		chromedp.Click(css(`#risks [data-row]:nth-child(1) [data-testid="remove-row"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#risks [data-row]').length === 2`, chromedp.WithPollingTimeout(5*time.Second)),
	)
	act(t, ctx, "fill in and save with a bad score",
		chromedp.SendKeys(css(`#f-name`), "Rows project"),
		chromedp.SendKeys(css(`#risks [data-row]:nth-child(1) input[name$=".description"]`), "Supplier goes bust"),
		chromedp.SetValue(css(`#risks [data-row]:nth-child(1) select[name$=".probability"]`), "4"),
		chromedp.SetValue(css(`#risks [data-row]:nth-child(1) select[name$=".impact"]`), "3"),
		chromedp.SendKeys(css(`#risks [data-row]:nth-child(2) input[name$=".description"]`), "Scope creep"),
		// A date the form rejects: the end before the start.
		chromedp.SetValue(css(`#f-data-startDate`), "2027-06-01"),
		chromedp.SetValue(css(`#f-data-endDate`), "2027-05-01"),
		chromedp.Click(css(`[data-testid="project-save"]`)),
		chromedp.WaitVisible(css(`[data-testid="form-errors"]`)),
		chromedp.WaitVisible(css(`[data-testid="error-data.endDate"]`)),
	)
	screenshot(t, ctx, "errors")
	if n := rows("risks"); n != 2 {
		t.Fatalf("after the error the form shows %d risk rows, want the 2 filled in", n)
	}
	kept := value(t, ctx, "kept value", chromedp.Value(css(`#f-data-risks-0--probability`)))
	if kept != "4" {
		t.Fatalf("the first risk's probability is %q after the error, want 4", kept)
	}
	act(t, ctx, "fix and save",
		chromedp.SetValue(css(`#f-data-endDate`), "2027-07-01"),
		chromedp.Click(css(`[data-testid="project-save"]`)),
		chromedp.WaitVisible(css(`[data-testid="project-page"]`)),
	)
	risks := value(t, ctx, "risks", chromedp.Text(css(`[data-testid="risks"]`)))
	for _, want := range []string{"Supplier goes bust", "Scope creep"} {
		if !strings.Contains(risks, want) {
			t.Errorf("the project page lacks the risk %q:\n%s", want, risks)
		}
	}
}
