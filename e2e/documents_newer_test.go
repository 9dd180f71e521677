package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A document open in one tab while a newer version is saved in another:
// the page says which version arrived, from whom, with a link to it, and
// keeps showing the text it had; an editor open on the old version says
// too that saving now would be refused, keeps the unsaved text, and the
// save is refused as stale. On PostgreSQL the open tabs are on one
// instance and the save on another (it reaches them through NOTIFY).
func TestUINewerVersionReachesAnOpenDocument(t *testing.T) {
	onOneAndTwoInstances(t, newerVersionReachesAnOpenDocument)
}

// newerVersionReachesAnOpenDocument opens the document and its editor
// from viewer and saves an edit on editor (the same database; the session
// cookie serves both, as cookies ignore ports).
func newerVersionReachesAnOpenDocument(t *testing.T, viewer, editor *Server) {
	page := newBrowser(t)
	email := signUp(t, page, viewer)
	token := tokenFor(t, viewer, email)
	projectID := apiProject(t, viewer, token, "Newer versions")
	waitAPI(t, viewer, token, apiJobCreate(t, viewer, token, projectID, "risk_register"), "completed")
	docURL := "/projects/" + projectID + "/documents/risk_register"

	act(t, page, "the document page", chromedp.Navigate(viewer.URL+docURL), chromedp.WaitVisible(testid("artifact-body")))
	waitFor(t, page, "the document's stream is live", `window.__dossierSynced === true`, 5*time.Second)
	act(t, page, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	if v := value(t, page, "version", chromedp.Text(testid("artifact-version"))); v != "Version 1" {
		t.Fatalf("the document page shows %q", v)
	}
	if n := value(t, page, "banner before", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="newer-version-banner"]').length`)); n != 0 {
		t.Fatalf("a newer-version banner before any newer version")
	}

	draft := newTab(t, page)
	act(t, draft, "an edit left unsaved in a second tab",
		chromedp.Navigate(viewer.URL+docURL+"/edit"),
		chromedp.WaitVisible(testid("edit-markdown")),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`),
		chromedp.SendKeys(testid("edit-markdown"), "\n\nMy unsaved draft."),
	)
	waitFor(t, draft, "the editor's stream is live", `window.__dossierSynced === true`, 5*time.Second)

	saver := newTab(t, page)
	// save saves an edit that appends text, in the third tab, on the editor's instance.
	save := func(what, text string) {
		t.Helper()
		act(t, saver, what,
			chromedp.Navigate(editor.URL+docURL+"/edit"),
			chromedp.WaitVisible(testid("edit-markdown")),
			chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`),
			chromedp.SendKeys(testid("edit-markdown"), text),
			chromedp.Click(testid("edit-save")),
			chromedp.WaitVisible(testid("artifact-version")),
		)
	}
	save("save an edit in a third tab", "\n\nEdited in another tab.")
	if v := value(t, saver, "version", chromedp.Text(testid("artifact-version"))); v != "Version 2" {
		t.Fatalf("after saving, the saving tab shows %q", v)
	}

	// The document page: told, not changed.
	waitFor(t, page, "the document page tells of version 2", `(() => {
		const b = document.querySelector('[data-testid="newer-version"] [data-testid="newer-version-banner"]');
		return b !== null && b.textContent.includes('was saved by you');
	})()`, 10*time.Second)
	type bannerState struct {
		Role, Live, Text, Href, Target, Version, Body string
		SamePage                                      bool
	}
	read := func(ctx context.Context) bannerState {
		t.Helper()
		return value(t, ctx, "the banner", chromedp.Evaluate[bannerState](`(() => {
			const r = document.querySelector('[data-testid="newer-version"]');
			const a = r.querySelector('[data-testid="newer-version-link"]');
			const v = document.querySelector('[data-testid="artifact-version"]');
			const b = document.querySelector('[data-testid="artifact-body"]');
			return {Role: r.getAttribute('role'), Live: r.getAttribute('aria-live'), Text: r.textContent.replace(/\s+/g, ' ').trim(),
				Href: a.getAttribute('href'), Target: a.getAttribute('target') || '', Version: v ? v.textContent.trim() : '',
				Body: b ? b.textContent : '', SamePage: window.__samePage === true};
		})()`))
	}
	got := read(page)
	if got.Role != "status" || got.Live != "polite" {
		t.Errorf("the banner's region is role=%q aria-live=%q", got.Role, got.Live)
	}
	if !strings.HasPrefix(got.Text, "Version 2 was saved by you at ") || !strings.Contains(got.Text, "This page shows version 1.") {
		t.Errorf("the banner says %q", got.Text)
	}
	if !strings.HasPrefix(got.Href, "/artifacts/") || got.Target != "" {
		t.Errorf("the banner links to %q (target %q)", got.Href, got.Target)
	}
	if got.Version != "Version 1" || strings.Contains(got.Body, "Edited in another tab.") || !got.SamePage {
		t.Errorf("the page changed under the reader: %q, edit in the body %v, same page %v", got.Version, strings.Contains(got.Body, "Edited in another tab."), got.SamePage)
	}
	checkWidths(t, page, "document page with a newer version's banner")

	// The stream reopens (as after a dropped connection): the banner is not
	// written again with the same version, or a screen reader would read
	// the live region out a second time.
	act(t, page, "reopen the stream", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__newerChanges = 0;
		new MutationObserver(() => window.__newerChanges++).observe(document.querySelector('[data-testid="newer-version"]'),
			{childList: true, subtree: true, characterData: true, attributes: true});
		window.__sourcesBefore = window.__dossierEventSources;
		window.__dossierSynced = false;
		const b = document.body, u = new URL(b.getAttribute('sse-connect'), location.href);
		u.searchParams.set('since', '0'); // from the start: the whole state again
		b.setAttribute('sse-connect', u.pathname + u.search);
		window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}));
		window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
	})()`))
	waitFor(t, page, "the reopened stream's first batch", `window.__dossierEventSources > window.__sourcesBefore && window.__dossierSynced === true`, 10*time.Second)
	if n := value(t, page, "changes to the banner", chromedp.Evaluate[int](`window.__newerChanges`)); n != 0 {
		t.Errorf("the reopened stream rewrote the banner of the same version (%d changes)", n)
	}
	if again := read(page); again.Text != got.Text {
		t.Errorf("after the reconnect the banner says %q, before %q", again.Text, got.Text)
	}
	// The editor: told that saving would be refused; the draft stays, and
	// the save is refused with it.
	waitFor(t, draft, "the editor tells of version 2", `(() => {
		const b = document.querySelector('[data-testid="newer-version"] [data-testid="newer-version-banner"]');
		return b !== null && b.textContent.includes('saving now will be refused as stale');
	})()`, 10*time.Second)
	got = read(draft)
	if !strings.HasPrefix(got.Text, "Version 2 was saved by you at ") || got.Target != "_blank" {
		t.Errorf("the editor's banner says %q and opens its link in %q", got.Text, got.Target)
	}
	if v := value(t, draft, "the draft", chromedp.Value(testid("edit-markdown"))); !strings.HasSuffix(strings.TrimSpace(v), "My unsaved draft.") {
		t.Errorf("the editor's text became %q", v)
	}
	// The button no longer promises version 2, which the banner has just
	// announced: it says the save will be refused.
	if l := value(t, draft, "the save button's label", chromedp.Evaluate[string](`document.querySelector('[data-testid="edit-save"]').textContent.trim().replace(/\s+/g, ' ')`)); l != "Review version 2, then save" {
		t.Errorf("under the banner the save button says %q", l)
	}
	if n := value(t, draft, "labels in the banner", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="newer-version"] [data-testid="edit-save-label"]').length`)); n != 0 {
		t.Errorf("the button's label was swapped into the banner (%d)", n)
	}
	checkWidths(t, draft, "document editor with a newer version's banner")
	act(t, draft, "save the stale edit", chromedp.Click(testid("edit-save")), chromedp.WaitVisible(testid("edit-conflict")))
	if v := value(t, draft, "the draft after the refusal", chromedp.Value(testid("edit-markdown"))); !strings.Contains(v, "My unsaved draft.") {
		t.Errorf("after the refusal the editor holds %q", v)
	}
	conflict := value(t, draft, "the refusal", chromedp.Evaluate[string](`document.querySelector('[data-testid="edit-conflict"]').textContent.trim().replace(/\s+/g, ' ')`))
	if !strings.HasPrefix(conflict, "You saved version 2 of this document in another tab") {
		t.Errorf("the refusal says %q", conflict)
	}
	if l := value(t, draft, "the save button's label after the refusal", chromedp.Evaluate[string](`document.querySelector('[data-testid="edit-save"]').textContent.trim().replace(/\s+/g, ' ')`)); l != "Save as version 3" {
		t.Errorf("after the refusal the save button says %q", l)
	}

	// A later version is still told.
	save("save version 3", " Again.")
	waitFor(t, page, "the document page tells of version 3", `(() => {
		const b = document.querySelector('[data-testid="newer-version"] [data-testid="newer-version-banner"]');
		return b !== null && b.getAttribute('data-version') === '3' && b.textContent.includes('Version 3 was saved');
	})()`, 10*time.Second)
}
