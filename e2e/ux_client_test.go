package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York, whatever the machine's zone files

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Browser tests of the page's script and styles found by a keyboard and
// phone review: where the focus goes, what a sticky bar hides, the times'
// zone, a session ended in another tab, wide tables.

// focusCovered tabs through the project form from its first field to its
// save button and returns the fields the sticky bar of actions covered
// when they took the focus (the element at the centre of a focused field
// is neither it nor inside it).
func focusCovered(t *testing.T, ctx context.Context) []string {
	t.Helper()
	act(t, ctx, "focus the first field", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0); document.getElementById('f-name').focus()`))
	var covered []string
	for i := 0; i < 600; i++ {
		got := value(t, ctx, "the focused field", chromedp.Evaluate[string](`(() => {
			const e = document.activeElement;
			if (!e || !e.closest('#project-form')) return 'left';
			if (e.matches('[data-testid="project-save"]')) return 'done';
			const r = e.getBoundingClientRect();
			const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (at && (at === e || e.contains(at))) return 'ok';
			return (e.name || e.id || e.textContent.trim() || e.tagName) + ' under ' + (at ? at.tagName + '.' + String(at.className).slice(0, 40) : 'nothing');
		})()`))
		switch got {
		case "done":
			return covered
		case "left":
			t.Fatalf("the focus left the form before its save button (%d presses of Tab)", i)
		case "ok":
		default:
			covered = append(covered, got)
		}
		act(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
	}
	t.Fatal("600 presses of Tab did not reach the save button")
	return nil
}

// Tabbing through the project form never puts the focused field behind the
// sticky Cancel / Create project bar, on a laptop or a phone: End date's
// Tab put Budget under it, and on a phone Discount rate, Scope, the
// deliverables' fields and Add deliverable were hidden.
func TestUXFocusedFieldIsNotUnderTheStickyBar(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	watchDialogs(t, ctx).setAccept(true)
	signUp(t, ctx, srv)
	act(t, ctx, "the example project's form",
		chromedp.Navigate(srv.URL+"/projects/new?example=1"),
		chromedp.WaitVisible(testid("project-form")),
	)
	if c := focusCovered(t, ctx); len(c) > 0 {
		t.Errorf("at 1280 px the sticky bar covered %d focused fields: %v", len(c), c)
	}
	act(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844))
	defer act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	if c := focusCovered(t, ctx); len(c) > 0 {
		t.Errorf("at 390 px the sticky bar covered %d focused fields: %v", len(c), c)
	}
}

// Times are shown in the browser's time zone, in the server's shape
// without "UTC" (which the page shows without script), and so are the
// times the stream swaps in later.
func TestUXTimesAreShownInTheBrowsersZone(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatalf("emulate New York's time zone: %v", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Zones")
	firstJob := apiJobCreate(t, srv, token, projectID, "project_charter")
	waitAPI(t, srv, token, firstJob, "completed")

	act(t, ctx, "the document page",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/project_charter"),
		chromedp.WaitVisible(testid("artifact-created")),
	)
	type shown struct{ ISO, Text, Title string }
	check := func(where string, s shown) {
		t.Helper()
		at, err := time.Parse(time.RFC3339, s.ISO)
		if err != nil {
			t.Fatalf("%s: datetime %q: %v", where, s.ISO, err)
		}
		want := at.In(ny).Format("2 Jan 2006, 15:04")
		if s.Text != want {
			t.Errorf("%s shows %q; want New York's time %q", where, s.Text, want)
		}
		if !strings.HasSuffix(s.Title, "UTC") {
			t.Errorf("%s's title is %q; want the server's UTC time", where, s.Title)
		}
	}
	read := func(sel string) shown {
		return value(t, ctx, "read "+sel, chromedp.Evaluate[shown](`(() => { const e = document.querySelector(`+jsString(sel)+`);
			return e ? {iso: e.getAttribute('datetime'), text: e.textContent.trim(), title: e.getAttribute('title') || ''} : {iso: '', text: '', title: ''}; })()`))
	}
	check("the document's date", read(`[data-testid="artifact-created"]`))

	// A version made while the page is open arrives over the stream, in the
	// newer-version banner: its time is local too.
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")
	waitFor(t, ctx, "the newer version's banner", `document.querySelector('#newer-version time[datetime]') !== null`, 10*time.Second)
	banner := read(`#newer-version time[datetime]`)
	at, err := time.Parse(time.RFC3339, banner.ISO)
	if err != nil {
		t.Fatalf("the banner's datetime %q: %v", banner.ISO, err)
	}
	if want := at.In(ny).Format("15:04"); !strings.HasPrefix(banner.Text, want) || strings.Contains(banner.Text, "UTC") {
		t.Errorf("the banner shows %q; want New York's time %q, without UTC", banner.Text, want)
	}

	// The job page's exact times (queued, started, finished, each
	// document's start, the history's steps) are local too, with seconds.
	act(t, ctx, "the job page", chromedp.Navigate(srv.URL+"/jobs/"+firstJob), chromedp.WaitVisible(testid("job-page")))
	times := value(t, ctx, "read the job page's times", chromedp.Evaluate[[]shown](`[...document.querySelectorAll('[data-testid="job-page"] time[datetime]')]
		.filter(e => /\d{2}:\d{2}:\d{2}/.test(e.textContent) || /UTC/.test(e.textContent))
		.map(e => ({iso: e.getAttribute('datetime'), text: e.textContent.trim(), title: e.getAttribute('title') || ''}))`))
	if len(times) < 4 {
		t.Fatalf("the job page has %d exact times in <time datetime>; want queued, started, finished and the document's start at least: %+v", len(times), times)
	}
	for i, s := range times {
		at, err := time.Parse(time.RFC3339, s.ISO)
		if err != nil {
			t.Fatalf("job page time %d: datetime %q: %v", i, s.ISO, err)
		}
		if want := at.In(ny).Format("2 Jan 2006, 15:04:05"); s.Text != want || !strings.HasSuffix(s.Title, "UTC") {
			t.Errorf("job page time %d shows %q (title %q); want New York's %q, the UTC text in the title", i, s.Text, s.Title, want)
		}
	}
}

// The user menu closes when the keyboard's focus leaves it: left open, it
// covered the element the focus went to.
func TestUXUserMenuClosesWhenTabbedOutOf(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	act(t, ctx, "open the menu from the keyboard",
		chromedp.Focus(chromedp.CSS(`[data-testid="user-menu"] summary`)),
		chromedp.KeyEvent("\r"),
	)
	waitFor(t, ctx, "the menu is open", `document.querySelector('[data-testid="user-menu"]').open`, 5*time.Second)
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatal("20 presses of Tab did not leave the menu")
		}
		act(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
		out := value(t, ctx, "where the focus is", chromedp.Evaluate[bool](`!document.querySelector('[data-testid="user-menu"]').contains(document.activeElement)`))
		if out {
			break
		}
	}
	if open := value(t, ctx, "the menu", chromedp.Evaluate[bool](`document.querySelector('[data-testid="user-menu"]').open`)); open {
		t.Fatal("the user menu stayed open after the focus left it")
	}
}

// Removing a row of the project form puts the focus on the next row's
// first field, or on the section's Add button after the last row; adding
// one puts it in the new row's first field. Removed, the focus fell to the
// page's top; added, the row appeared above the button, unannounced.
func TestUXRowsKeepTheKeyboardsPlace(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	watchDialogs(t, ctx).setAccept(true)
	signUp(t, ctx, srv)
	act(t, ctx, "the example project's form",
		chromedp.Navigate(srv.URL+"/projects/new?example=1"),
		chromedp.WaitVisible(testid("project-form")),
	)
	n := value(t, ctx, "deliverables", chromedp.Evaluate[int](`document.querySelectorAll('#deliverables [data-row]').length`))
	if n < 2 {
		t.Fatalf("the example has %d deliverables; want at least 2", n)
	}
	focused := `(() => { const e = document.activeElement; return e ? (e.name || e.getAttribute('data-testid') || e.tagName) : ''; })()`
	wantNext := value(t, ctx, "the second row's first field", chromedp.Evaluate[string](`document.querySelectorAll('#deliverables [data-row]')[1].querySelector('input').name`))
	act(t, ctx, "remove the first deliverable from the keyboard",
		chromedp.Focus(chromedp.CSS(`#deliverables [data-row] [data-remove-row]`)),
		chromedp.KeyEvent("\r"),
	)
	if got := value(t, ctx, "focus after Remove", chromedp.Evaluate[string](focused)); got != wantNext {
		t.Errorf("after Remove the focus is on %q; want the next row's first field %q", got, wantNext)
	}
	act(t, ctx, "remove the last deliverable from the keyboard", chromedp.Evaluate[chromedp.Void](`(() => {
		const rows = document.querySelectorAll('#deliverables [data-row]');
		rows[rows.length - 1].querySelector('[data-remove-row]').focus();
	})()`), chromedp.KeyEvent("\r"))
	if got := value(t, ctx, "focus after removing the last row", chromedp.Evaluate[string](focused)); got != "add-deliverable" {
		t.Errorf("after removing the last row the focus is on %q; want the section's Add button", got)
	}

	rows := value(t, ctx, "deliverables", chromedp.Evaluate[int](`document.querySelectorAll('#deliverables [data-row]').length`))
	act(t, ctx, "add a deliverable from the keyboard", chromedp.Focus(testid("add-deliverable")), chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the new row", fmt.Sprintf(`document.querySelectorAll('#deliverables [data-row]').length === %d`, rows+1), 5*time.Second)
	waitFor(t, ctx, "the focus in the new row's first field", `(() => {
		const rows = document.querySelectorAll('#deliverables [data-row]');
		return document.activeElement === rows[rows.length - 1].querySelector('input');
	})()`, 5*time.Second)
}

// A document edit saved right after the session ended in another tab
// (before the page's stream noticed) keeps the page and its text, and says
// so: the POST went to the log-in page, and the text was gone after it.
func TestUXSaveAfterLogoutElsewhereKeepsTheText(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	token := tokenFor(t, srv, email)
	projectID := apiProject(t, srv, token, "Logged out")
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")

	editPath := "/projects/" + projectID + "/documents/project_charter/edit"
	act(t, ctx, "the editor", chromedp.Navigate(srv.URL+editPath), chromedp.WaitVisible(testid("edit-markdown")))
	waitFor(t, ctx, "the stream is live", `window.__dossierSynced === true`, 5*time.Second)
	// The page does not hear of the session's end before the save (the
	// stream notices only some seconds later).
	act(t, ctx, "keep the stream's refusal from the page, and type",
		chromedp.Evaluate[chromedp.Void](`(() => {
			document.addEventListener('htmx:sseError', e => e.stopImmediatePropagation(), true);
			window.__samePage = true;
			const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length);
		})()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nTyped before the save."),
	)
	other := newTab(t, ctx)
	logOutIn(t, other, srv)

	act(t, ctx, "save", chromedp.Click(testid("edit-save")))
	pollThroughNavigations(t, ctx, "the editor says the session ended",
		`window.__samePage !== true || Array.from(document.querySelectorAll('[data-testid="error-toast"]')).some(t => t.textContent.includes('session has ended'))`, 10*time.Second)
	got := value(t, ctx, "the editor after the save", chromedp.Evaluate[string](`window.__samePage === true ? document.getElementById('edit-markdown').value : 'left for ' + location.href`))
	if !strings.Contains(got, "Typed before the save.") {
		t.Fatalf("after the save the tab holds %q", got)
	}

	// Logged in again in the other tab, as the message says: Save stores it.
	logIn(t, other, srv, email)
	act(t, ctx, "save again", chromedp.Click(testid("edit-save")))
	docPath := "/projects/" + projectID + "/documents/project_charter"
	pollThroughNavigations(t, ctx, "the document page after the save", `location.pathname === `+jsString(docPath)+` && document.body.textContent.includes('Typed before the save.')`, 10*time.Second)
}

// On a phone, a document's tables wider than the screen scroll in their
// own box and say so (a note, a faded edge), and amounts stay on one line:
// the Budget Estimate's "EUR 40,800" wrapped to two.
func TestUXWideDocumentTablesOnAPhone(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	token := tokenFor(t, srv, email)
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "work_breakdown_structure", "risk_register", "budget_estimate"), "completed")

	act(t, ctx, "the budget estimate",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/budget_estimate"),
		chromedp.WaitVisible(chromedp.CSS(`.prose-doc table`)),
	)
	narrow(t, ctx, func() {
		type report struct {
			Amounts, Wrapped []string
			Wide, Cued       int
		}
		// Resizing the window marks the tables a moment later.
		waitFor(t, ctx, "a table marked as scrolling", `document.querySelector('.prose-doc table[data-scroll]') !== null`, 5*time.Second)
		r := value(t, ctx, "the tables", chromedp.Evaluate[report](`(() => {
			const out = {amounts: [], wrapped: [], wide: 0, cued: 0};
			document.querySelectorAll('.prose-doc td[align="right"]').forEach(td => {
				const text = td.textContent.trim();
				if (!/\d/.test(text)) return;
				out.amounts.push(text);
				const range = document.createRange();
				range.selectNodeContents(td);
				const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.bottom)));
				if (lines.size > 1) out.wrapped.push(text);
			});
			document.querySelectorAll('.prose-doc table').forEach(table => {
				if (table.scrollWidth <= table.clientWidth + 1) return;
				out.wide++;
				const note = table.previousElementSibling;
				const noted = note && note.hasAttribute('data-scroll-note') && note.getBoundingClientRect().height > 0;
				const masked = getComputedStyle(table).webkitMaskImage !== 'none' || getComputedStyle(table).maskImage !== 'none';
				if (noted && masked) out.cued++;
			});
			return out;
		})()`))
		if len(r.Amounts) == 0 {
			t.Fatal("the budget estimate has no right-aligned amounts")
		}
		if len(r.Wrapped) > 0 {
			t.Errorf("amounts wrap on a phone: %q", r.Wrapped)
		}
		if r.Wide == 0 {
			t.Fatal("no table of the budget estimate is wider than a phone: the test shows nothing")
		}
		if r.Cued != r.Wide {
			t.Errorf("%d of %d tables wider than the phone say that they scroll", r.Cued, r.Wide)
		}
	})
}

// On a wide screen the editor stays in view beside its preview: scrolled
// down to read the end of the preview, the textarea was off screen.
func TestUXEditorStaysBesideItsPreview(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	email := signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	token := tokenFor(t, srv, email)
	waitAPI(t, srv, token, apiJobCreate(t, srv, token, projectID, "project_charter"), "completed")
	act(t, ctx, "the editor",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/project_charter/edit"),
		chromedp.WaitVisible(testid("edit-markdown")),
	)
	type view struct {
		Scrolled         bool
		Top, Bottom, Win float64
	}
	v := value(t, ctx, "scroll to the preview's end", chromedp.Evaluate[view](`(() => {
		const p = document.getElementById('edit-preview');
		p.scrollIntoView({block: 'end'});
		const r = document.getElementById('edit-markdown').getBoundingClientRect();
		return {scrolled: window.scrollY > 200, top: r.top, bottom: r.bottom, win: window.innerHeight};
	})()`))
	if !v.Scrolled {
		t.Fatal("the preview fits the window: the test shows nothing")
	}
	if v.Top < 0 || v.Bottom > v.Win {
		t.Errorf("scrolled to the preview's end, the editor spans %.0f–%.0f px of a %.0f px window", v.Top, v.Bottom, v.Win)
	}
}
