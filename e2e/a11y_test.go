package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Accessibility of the live parts: focus that survives the swaps, and live
// regions that say a little once rather than a lot every time.

// focusLog records, after every swap (the stream's or a response's) and
// every focusout, what the card's Cancel button says and whether it has the
// focus. It finds the button by data-testid, not by id, so a card without
// ids fails the check rather than the query.
const focusLog = `(() => {
	window.__focus = [];
	const card = () => document.getElementById('job-%[1]s');
	const record = (why) => {
		const c = card();
		const b = c && c.querySelector('[data-testid="job-cancel"]');
		window.__focus.push({why, status: c ? c.dataset.status : '', cancel: b ? b.textContent.trim() : '',
			onCancel: !!b && document.activeElement === b, active: document.activeElement ? document.activeElement.tagName + '#' + document.activeElement.id : ''});
	};
	document.addEventListener('htmx:afterSwap', (e) => record('swap:' + e.target.id + (e.detail.xhr ? ':xhr' : '')));
	document.addEventListener('focusout', (e) => window.__focus.push({why: 'focusout:' + e.target.id + ':' + e.target.textContent.trim() + ':' + e.target.disabled}));
	document.addEventListener('htmx:sseMessage', () => record('sse'));
})()`

// A keyboard user on a job card's Cancel button stays on it while the
// stream replaces the card (a document finished), after pressing it
// ("Stopping…" comes back from the server and the stream), and is not
// thrown to the top of the page.
func TestUIFocusStaysOnTheCardAcrossSwaps(t *testing.T) {
	srv, model := gatedServer(t, serverOpts{})
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	jobID := startGeneration(t, ctx, srv, exampleProject(t, ctx, srv))
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	cancelSel := fmt.Sprintf(`#job-%s [data-testid="job-cancel"]`, jobID)
	act(t, ctx, "focus Cancel", chromedp.Focus(chromedp.CSS(cancelSel)))
	act(t, ctx, "log the focus", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(focusLog, jobID)))

	release(t, model, 1)
	waitFor(t, ctx, "the stream swaps the card (1 done)", cardDoneAtLeast(jobID, 1), 10*time.Second)
	release(t, model, 1)
	waitFor(t, ctx, "the stream swaps the card (2 done)", cardDoneAtLeast(jobID, 2), 10*time.Second)
	if ok := value(t, ctx, "focus after progress", chromedp.Evaluate[bool](
		fmt.Sprintf(`document.activeElement === document.querySelector('%s')`, cancelSel))); !ok {
		log := value(t, ctx, "focus log", chromedp.Evaluate[any](`window.__focus`))
		t.Fatalf("focus left Cancel when the stream swapped the card: now on %s; log %v",
			value(t, ctx, "active", chromedp.Evaluate[string](`document.activeElement.tagName + '#' + document.activeElement.id`)), log)
	}

	// The finished documents' links keep the focus the same way: by id.
	links := value(t, ctx, "document links", chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#job-%s [data-testid="doc-link"]')).map(a => a.id === a.closest('li').id + '-link' ? 'ok' : 'no id: ' + a.outerHTML)`, jobID)))
	if len(links) != 2 || links[0] != "ok" || links[1] != "ok" {
		t.Fatalf("the card's document links: %q", links)
	}

	// Press it from the keyboard: the button says "Stopping…" and keeps
	// the focus, through the response's swap and the stream's.
	if _, err := model.WaitForCalls(1, gateWait); err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "confirm without a dialog", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	act(t, ctx, "press Enter on Cancel", chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the card is cancelled", cardIs(jobID, "cancelled"), gateWait)
	var log []struct {
		Why, Status, Cancel, Active string
		OnCancel                    bool
	}
	raw := value(t, ctx, "focus log", chromedp.Evaluate[string](`JSON.stringify(window.__focus)`))
	if err := json.Unmarshal([]byte(raw), &log); err != nil {
		t.Fatal(err)
	}
	sawStopping := false
	for _, e := range log {
		if e.Status != "processing" || e.Cancel == "" {
			continue
		}
		if e.Cancel == "Stopping…" {
			sawStopping = true
		}
		if !e.OnCancel {
			t.Fatalf("after a %s swap the card shows %q and the focus is on %q, not on it; log %s", e.Why, e.Cancel, e.Active, raw)
		}
	}
	if !sawStopping {
		t.Fatalf("no swap showed Stopping…; log %s", raw)
	}
	// The job ended and took Cancel away: the focus is on what the card
	// offers now, Retry.
	waitFor(t, ctx, "focus on Retry", fmt.Sprintf(`document.activeElement === document.querySelector('#job-%s [data-testid="job-retry"]')`, jobID), 5*time.Second)
}

// On the tokens page, creating a token puts the focus on it (the form that
// had it is swapped away), and revoking one leaves the focus on its row.
func TestUIFocusOnTokensPage(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	act(t, ctx, "the tokens page", chromedp.Navigate(srv.URL+"/settings/tokens"), chromedp.WaitVisible(testid("token-form")))
	act(t, ctx, "create a token from the keyboard",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "CI pipeline"),
		chromedp.Focus(testid("token-create")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(testid("token-created")),
	)
	waitFor(t, ctx, "focus on the new token", `document.activeElement === document.querySelector('[data-testid="token-value"]')`, 5*time.Second)

	act(t, ctx, "confirm without a dialog", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	act(t, ctx, "revoke from the keyboard", chromedp.Focus(testid("token-revoke")), chromedp.KeyEvent("\r"))
	waitFor(t, ctx, "the row says Revoked", `!!document.querySelector('[data-testid="token-row"][data-revoked]')`, 5*time.Second)
	if ok := value(t, ctx, "focus after revoking", chromedp.Evaluate[bool](
		`document.querySelector('[data-testid="token-row"][data-revoked]').contains(document.activeElement)`)); !ok {
		t.Fatalf("after revoking, the focus is on %s, not on the row",
			value(t, ctx, "active", chromedp.Evaluate[string](`document.activeElement.tagName + '#' + document.activeElement.id`)))
	}
}

// The editor's preview is not a live region (it would read the whole
// document after every pause in typing); a polite status line says it was
// updated.
func TestUIEditPreviewIsNotReadOut(t *testing.T) {
	srv := startServer(t, map[string]string{"TEMPLATE_DELAY": "20ms"})
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	generateAll(t, ctx, srv, projectID)
	act(t, ctx, "the editor",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/documents/risk_register/edit"),
		chromedp.WaitVisible(testid("edit-markdown")),
	)
	live := value(t, ctx, "live regions", chromedp.Evaluate[string](`(() => {
		const p = document.getElementById('edit-preview');
		const live = p.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="log"], [role="alert"]');
		return live ? live.outerHTML.slice(0, 80) : '';
	})()`))
	if live != "" {
		t.Fatalf("the preview is inside a live region: %s", live)
	}
	// Every text the status line is given is an announcement.
	act(t, ctx, "listen to the status line", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__said = [];
		const s = document.querySelector('[data-testid="edit-preview-status"]');
		new MutationObserver(() => { const t = s.textContent.trim(); if (t) window.__said.push(t); }).observe(s, {childList: true, subtree: true, characterData: true});
	})()`))
	act(t, ctx, "caret at the end", chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('edit-markdown'); e.focus(); e.setSelectionRange(e.value.length, e.value.length); })()`))
	act(t, ctx, "type", chromedp.SendKeys(testid("edit-markdown"), "\n\n## Accessible\n"))
	waitFor(t, ctx, "the preview shows it", `Array.from(document.querySelectorAll('#edit-preview h2')).some(h => h.textContent.trim() === 'Accessible')`, 10*time.Second)
	waitFor(t, ctx, "the status line says it", `(() => {
		const s = document.querySelector('[data-testid="edit-preview-status"]');
		return !!s && s.getAttribute('aria-live') === 'polite' && s.textContent.trim().startsWith('Preview updated') && !s.contains(document.getElementById('edit-preview'));
	})()`, 5*time.Second)
	// Two more pauses in typing, each updating the preview: nothing more
	// is said (it was said after every pause, interrupting the typing).
	for _, h := range []string{"Second", "Third"} {
		act(t, ctx, "type "+h, chromedp.SendKeys(testid("edit-markdown"), "\n## "+h+"\n"))
		waitFor(t, ctx, "the preview shows "+h, `Array.from(document.querySelectorAll('#edit-preview h2')).some(h => h.textContent.trim() === '`+h+`')`, 10*time.Second)
	}
	// The status line is set 100 ms after a swap (app.js): a timer of the
	// page's set after the last swap, for longer, fires after any such
	// announcement would have.
	act(t, ctx, "mark after the status line's delay", chromedp.Evaluate[chromedp.Void](`window.__past = false; setTimeout(() => { window.__past = true; }, 150)`))
	waitFor(t, ctx, "past the status line's delay", `window.__past === true`, 5*time.Second)
	if said := value(t, ctx, "what the status line said", chromedp.Evaluate[[]string](`window.__said`)); len(said) != 1 {
		t.Errorf("the status line announced %d times over three previews: %q", len(said), said)
	}
}

// On the generate form, checking a document that needs eleven others says
// so once, in the selected-count line, not once per document added; and
// the documents' group is named "Documents".
func TestUIGenerateFormAnnouncesOnceAndNamesTheGroup(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	projectID := exampleProject(t, ctx, srv)
	act(t, ctx, "the generate page, nothing selected",
		chromedp.Navigate(srv.URL+"/projects/"+projectID+"/generate"),
		chromedp.WaitVisible(testid("generate-form")),
		chromedp.Click(testid("select-all")),
	)
	act(t, ctx, "watch the live regions", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__said = [];
		const form = document.querySelector('[data-testid="generate-form"]');
		const regions = Array.from(form.querySelectorAll('[aria-live]:not([aria-live="off"]), [role="status"], [role="log"], [role="alert"]'));
		const obs = new MutationObserver(muts => {
			const changed = new Set();
			for (const m of muts) {
				const r = regions.find(r => r.contains(m.target));
				if (r) changed.add(r);
			}
			changed.forEach(r => window.__said.push(r.textContent.replace(/\s+/g, ' ').trim()));
		});
		regions.forEach(r => obs.observe(r, {subtree: true, childList: true, characterData: true, attributes: true}));
	})()`))
	act(t, ctx, "check the executive summary", chromedp.Click(testid("doc-executive_summary")))
	waitFor(t, ctx, "the count", `document.querySelector('[data-testid="selected-count"]').textContent.trim() === '12 documents'`, 5*time.Second)
	waitFor(t, ctx, "the live regions' observer reports", `window.__said.length > 0`, 5*time.Second)
	said := value(t, ctx, "announcements", chromedp.Evaluate[[]string](`window.__said`))
	if len(said) != 1 || !strings.Contains(said[0], "12 documents selected.") || !strings.Contains(said[0], "Added 11 documents that Executive Summary needs.") {
		t.Fatalf("one click changed %d live regions: %q", len(said), said)
	}
	notes := value(t, ctx, "visible notes", chromedp.Evaluate[int](`document.querySelectorAll('[data-auto-note]:not(.hidden)').length`))
	if notes != 11 {
		t.Errorf("%d documents say why they were added, want 11", notes)
	}

	// The group's accessible name, as Chromium computes it.
	var name string
	cdp(t, ctx, "the fieldset's accessible name", func(c context.Context) error {
		const group = "a11y"
		defer chromedp.Call(c, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
		obj, err := chromedp.Call(c, runtime.Evaluate, runtime.EvaluateParams{Expression: `document.querySelector('[data-testid="generate-form"] fieldset')`, ObjectGroup: group})
		if err != nil {
			return err
		}
		no := false
		tree, err := chromedp.Call(c, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: obj.Result.ObjectID, FetchRelatives: &no})
		if err != nil {
			return err
		}
		if len(tree.Nodes) == 0 || tree.Nodes[0].Name == nil {
			return nil
		}
		return json.Unmarshal(tree.Nodes[0].Name.Value, &name)
	})
	if name != "Documents" {
		t.Fatalf("the documents' fieldset is named %q, want \"Documents\"", name)
	}
}

// The header's user menu button has a name a screen reader announces
// (it said "button"): the account menu, with the user's name, on a phone
// (which hides the name) and on a laptop.
func TestUIUserMenuButtonHasAName(t *testing.T) {
	srv := startServer(t, nil)
	ctx := newBrowser(t)
	signUp(t, ctx, srv)
	for _, px := range []int64{390, 1280} {
		act(t, ctx, fmt.Sprintf("dashboard at %d px", px), chromedp.EmulateViewport(px, 844),
			chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(testid("user-menu")))
		if name := accessibleName(t, ctx, `[data-testid="user-menu"] summary`); name != "Account menu (Uma Interface)" {
			t.Errorf("at %d px the user menu's button is announced as %q", px, name)
		}
	}
	act(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
}
