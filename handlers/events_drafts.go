package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/views/partials"
)

// Drafts on the /events stream of a page that shows one job (the job page
// and the generate page): the text of each document being written, under
// its row of the job's card, as sanitised HTML that grows (drafts_html.go).
//
// Drafts carry no sync position: they are display only. A stream sends,
// for each document its tab's card shows as generating, what the tab lacks
// of the draft: all of it on connect, on reconnect, on a resync, on a new
// attempt or when the tab's card first shows the document generating; then
// only the growth. The card's draft element keeps its content when the card
// is replaced (hx-preserve), and goes when the card no longer shows the
// document generating: committed, failed or cancelled.
//
// Nothing here touches the database after the stream starts, and a slow
// tab delays no one: the hub merges what a stream has not taken yet.

// A tab is sent a draft's growth once it is at least pageDraftBytes long,
// or pageDraftWait after the last piece: each swap names its target, so
// many small pieces would cost more than the text (a model writing 30
// tokens a second gives 25 bytes every 200 ms). Together this keeps the
// bytes sent for a document within a small multiple of its size, at any
// pace.
const (
	pageDraftBytes = 200
	pageDraftWait  = time.Second
)

// pageDrafts is one /events stream's drafts.
type pageDrafts struct {
	hub           *events.DraftHub
	sub           *events.DraftSub
	userID, jobID string
	// snap is the job as the tab's card shows it: the latest snapshot the
	// stream sent (or the page was rendered with).
	snap *models.JobSnapshot
	docs map[string]*pageDraft // document type → what the tab shows
	// minBytes and wait pace the growth sent (pageDraftBytes and
	// pageDraftWait; zero sends every change at once).
	minBytes int
	wait     time.Duration
	timer    *time.Timer
}

// pageDraft is what a tab shows of one draft.
type pageDraft struct {
	epoch  int64
	n      int    // bytes of the text shown
	closed int    // closed blocks shown
	gen    uint64 // the rendering they came from (draftRender.gen)
	open   string // the open block's HTML as shown
	at     time.Time
}

// viewDrafts subscribes a /events stream to the drafts of the job its view
// shows; nil when it shows none, the job is not the user's, or drafts are
// off. It reads the job before the stream reads its first sync update, so
// that when that update does not carry the job, the page shows the job as
// read here.
func (h *eventHub) viewDrafts(ctx context.Context, userID string, view liveView) (*pageDrafts, error) {
	hub := h.s.cfg.Drafts
	if !hub.Enabled() || (view.Kind != "job" && view.Kind != "generate") || view.Arg == "" {
		return nil, nil
	}
	sub, _ := hub.Subscribe(view.Arg)
	snap, err := h.s.db.Snapshot(ctx, view.Arg)
	switch {
	case errors.Is(err, models.ErrNotFound) || (err == nil && snap.Job.UserID != userID):
		sub.Close()
		return nil, nil
	case err != nil:
		sub.Close()
		return nil, err
	}
	return &pageDrafts{hub: hub, sub: sub, userID: userID, jobID: view.Arg, snap: snap, docs: map[string]*pageDraft{},
		minBytes: pageDraftBytes, wait: pageDraftWait}, nil
}

func (d *pageDrafts) ready() <-chan struct{} {
	if d == nil {
		return nil
	}
	return d.sub.Ready()
}

func (d *pageDrafts) close() {
	if d != nil {
		d.sub.Close()
		if d.timer != nil {
			d.timer.Stop()
		}
	}
}

// apply sends what changed in the drafts.
func (d *pageDrafts) apply(e *sse) error {
	return d.send(e, d.sub.Take())
}

// synced follows a sync update the stream has just sent: the tab's card
// now shows the job as the update carries it. A resync clears what the
// stream knew the tab had, as it does for the rest of the page.
func (d *pageDrafts) synced(e *sse, up *events.SyncUpdate) error {
	if d == nil {
		return nil
	}
	if up.State.Reset {
		clear(d.docs)
	}
	for i := range up.State.Jobs {
		if s := &up.State.Jobs[i]; s.Job.ID == d.jobID && s.Job.SyncPosition >= d.snap.Job.SyncPosition {
			d.snap = s
		}
	}
	return d.send(e, d.sub.Take())
}

// send writes one draft event with what the tab lacks of each document its
// card shows as generating. A draft dropped without being stored (its
// document failed or was cancelled) is emptied at once; one that was
// stored stays until the card shows its link.
func (d *pageDrafts) send(e *sse, taken []events.Draft) error {
	if d == nil {
		return nil
	}
	dropped := map[string]bool{}
	for _, m := range taken {
		if m.Op == events.DraftDrop && !m.Committed {
			dropped[m.Type] = true
		}
	}
	var b strings.Builder
	shown := map[string]bool{}
	now := time.Now()
	var wake time.Time
	for _, doc := range d.snap.Documents {
		if doc.Status != models.DocGenerating {
			continue
		}
		typ := doc.DocumentType
		shown[typ] = true
		dr, ok := d.hub.Draft(d.jobID, typ)
		if !ok || dr.UserID != d.userID {
			if d.docs[typ] != nil && dropped[typ] {
				writeOOB(&b, "div", "innerHTML", "#"+partials.DraftTextID(d.jobID, typ), "")
				delete(d.docs, typ)
			}
			continue
		}
		if later := d.grow(&b, typ, dr, now); !later.IsZero() && (wake.IsZero() || later.Before(wake)) {
			wake = later
		}
	}
	for typ := range d.docs {
		if !shown[typ] {
			delete(d.docs, typ) // the card no longer has its element
		}
	}
	if !wake.IsZero() {
		if d.timer == nil {
			d.timer = time.AfterFunc(wake.Sub(now), d.sub.Poke)
		} else {
			d.timer.Reset(wake.Sub(now))
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return e.event("draft", []byte(b.String()))
}

// grow writes the out-of-band swaps that bring the tab's draft of typ to
// dr's text. A small growth waits (see pageDraftBytes): it returns when
// to look again, or zero.
func (d *pageDrafts) grow(b *strings.Builder, typ string, dr events.Draft, now time.Time) (later time.Time) {
	st := d.docs[typ]
	if st != nil && st.epoch == dr.Epoch {
		grown := len(dr.Delta) - st.n
		if grown == 0 {
			return time.Time{}
		}
		if grown > 0 && grown < d.minBytes && now.Sub(st.at) < d.wait {
			return st.at.Add(d.wait)
		}
	}
	closed, open, gen := pageDraftRenders.render(d.jobID+"\x00"+typ, dr.Epoch, dr.Delta)
	id := "#" + partials.DraftTextID(d.jobID, typ)
	next := &pageDraft{epoch: dr.Epoch, n: len(dr.Delta), closed: len(closed), open: open, gen: gen, at: now}
	d.docs[typ] = next
	if st == nil || st.epoch != dr.Epoch || st.gen != gen || st.closed > len(closed) {
		writeOOB(b, "div", "innerHTML", id, blocksHTML(closed, open))
		return time.Time{}
	}
	tail := id + ">:last-child"
	if st.closed == len(closed) {
		growBlock(b, tail, st.open, open)
		return time.Time{}
	}
	growBlock(b, tail, st.open, closed[st.closed])
	writeOOB(b, "div", "beforeend", id, blocksHTML(closed[st.closed+1:], open))
	return time.Time{}
}

// growBlock turns the open block's HTML from prev into next: by appending
// where it can, else by sending it again.
func growBlock(b *strings.Builder, sel, prev, next string) {
	ops, ok := growOps(prev, next)
	if !ok {
		writeOOB(b, "div", "innerHTML", sel, next)
		return
	}
	for _, op := range ops {
		writeOOB(b, op.tag, "beforeend", sel+strings.Repeat(">:last-child", op.depth), op.html)
	}
}

// blocksHTML wraps each block in its <div>.
func blocksHTML(closed []string, open string) string {
	var b strings.Builder
	for _, c := range closed {
		b.WriteString("<div>")
		b.WriteString(c)
		b.WriteString("</div>")
	}
	b.WriteString("<div>")
	b.WriteString(open)
	b.WriteString("</div>")
	return b.String()
}

// writeOOB writes one out-of-band swap. It sits in a <template>, whose
// content the browser parses without moving table rows or list items out
// of place, and its element is of the target's kind for the same reason.
// html is sanitised (documents.RenderHTML) or empty; sel is built here.
func writeOOB(b *strings.Builder, tag, style, sel, html string) {
	b.WriteString("<template><")
	b.WriteString(tag)
	b.WriteString(` hx-swap-oob="`)
	b.WriteString(style)
	b.WriteByte(':')
	b.WriteString(sel)
	b.WriteString(`">`)
	b.WriteString(html)
	b.WriteString("</")
	b.WriteString(tag)
	b.WriteString("></template>")
}
