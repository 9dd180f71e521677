package jobs

import (
	"strings"
	"sync"
	"time"
	"unicode"

	"dossier/jobs/events"
)

// draftInterval is the pace of draft updates: at most five a second per
// document, however fast the model writes.
const draftInterval = 200 * time.Millisecond

// A slow model's text is gathered for longer: an update carries at least
// draftMinBytes, or what came within draftMaxWait. Each update costs its
// framing on the wire (an event with the document's type and offset, a
// NOTIFY payload): 25 bytes every 200 ms would cost several times the text.
const (
	draftMinBytes = 64
	draftMaxWait  = time.Second
)

// draftExpireEvery is how often the drafter expires the hub's drafts that
// had no news for the hub's Idle time (see DraftHub.Expire).
const draftExpireEvery = 15 * time.Second

// drafter is the worker side of live drafts. A generator hands each piece of
// text to a document's draftWriter, which only appends to a buffer; a
// ticker publishes what the buffers gathered, one delta per document per
// tick, to the hub. Nothing here waits on the hub, the database or a
// client: the fenced commit path never waits on drafts.
type drafter struct {
	hub      *events.DraftHub
	interval time.Duration
	// publish is hub.Publish; a test holds it to force an interleaving.
	publish func(events.Draft)
	// minBytes and maxWait pace a slow model's updates (draftMinBytes,
	// draftMaxWait); zero publishes at every tick.
	minBytes int
	maxWait  time.Duration
	// expireEvery is the pace of the hub's expiry (draftExpireEvery). A
	// DraftBridge expires the hub too, but only on PostgreSQL: without
	// it (SQLite) a draft never dropped (its worker's run gone without
	// ending it) would otherwise stay in memory for good.
	expireEvery time.Duration

	mu      sync.Mutex
	writers map[*draftWriter]struct{}
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	unkeep  func()
}

func newDrafter(hub *events.DraftHub, interval time.Duration) *drafter {
	return &drafter{hub: hub, publish: hub.Publish, interval: interval, minBytes: draftMinBytes, maxWait: draftMaxWait, expireEvery: draftExpireEvery, writers: map[*draftWriter]struct{}{}, stop: make(chan struct{})}
}

// start runs the ticker, unless drafts are off, and keeps the hub from
// expiring the drafts still being written here.
func (d *drafter) start() {
	if d.hub.Enabled() {
		d.unkeep = d.hub.Keep(d.writing)
		d.wg.Add(1)
		go d.loop()
	}
}

// close stops the ticker. Safe to call twice, or before start.
func (d *drafter) close() {
	d.once.Do(func() {
		close(d.stop)
		if d.unkeep != nil {
			d.unkeep()
		}
	})
	d.wg.Wait()
}

// writing reports whether a writer of this drafter still writes the
// document's draft (it has not finished or dropped it).
func (d *drafter) writing(jobID, typ string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for w := range d.writers {
		if w.job == jobID && w.typ == typ {
			return true
		}
	}
	return false
}

func (d *drafter) loop() {
	defer d.wg.Done()
	t := time.NewTicker(d.interval)
	defer t.Stop()
	x := time.NewTicker(d.expireEvery)
	defer x.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.flush()
		case now := <-x.C:
			d.hub.Expire(now)
		}
	}
}

// flush publishes every buffer's gathered text. Each writer's pub is held
// from take to Publish, so that finish or drop, waiting for it, cannot
// publish first.
func (d *drafter) flush() {
	d.mu.Lock()
	ws := make([]*draftWriter, 0, len(d.writers))
	for w := range d.writers {
		ws = append(ws, w)
	}
	d.mu.Unlock()
	now := time.Now()
	for _, w := range ws {
		w.pub.Lock()
		if m, ok := w.take(now, d.minBytes, d.maxWait); ok {
			d.publish(m)
		}
		w.pub.Unlock()
	}
}

// open starts the draft of one document of one job; nil when drafts are
// off.
func (d *drafter) open(jobID, userID, docType string) *draftWriter {
	if d == nil || !d.hub.Enabled() {
		return nil
	}
	w := &draftWriter{d: d, job: jobID, user: userID, typ: docType}
	d.mu.Lock()
	d.writers[w] = struct{}{}
	d.mu.Unlock()
	return w
}

// draftWriter gathers one document's text between ticks.
type draftWriter struct {
	d              *drafter
	job, user, typ string

	// pub is held from making a message to publishing it, so that the
	// writer's messages reach the hub in the order they were made: a drop
	// or the final text published ahead of a flush's delta would be undone
	// by it (the draft back after its drop, or missing its end). It is not
	// mu: write, the model's stream, never waits on the hub.
	pub sync.Mutex

	mu    sync.Mutex
	epoch int64
	// text is what was written in this epoch: its first sent bytes were
	// published, the rest is pending. finish compares the stored document
	// with all of it, not only with the pending tail: the stored text may
	// differ before the tail (a figure inserted under its heading).
	text    strings.Builder
	sent    int  // bytes published in this epoch
	started bool // the epoch's offset-0 message is due or sent
	leading bool // still skipping leading white space
	ended   bool
	at      time.Time // last published
}

// attempt begins a new attempt: the draft starts again at offset 0. It is
// RetryPolicy's onAttempt.
func (w *draftWriter) attempt(int) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.epoch = time.Now().UnixNano()
	w.sent = 0
	w.text.Reset()
	w.started = false
	w.leading = true
}

// write is the generator's OnDelta: it only appends. The text is cleaned as
// the stored document will be (no NUL, valid UTF-8, no leading white space).
func (w *draftWriter) write(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	text = storable(text)
	if w.leading {
		text = strings.TrimLeftFunc(text, unicode.IsSpace)
		if text == "" {
			return
		}
		w.leading = false
	}
	w.text.WriteString(text)
}

// take returns the delta gathered since the last tick, once it holds
// minBytes or maxWait has passed since the last. The first of an epoch is
// sent at offset 0 at once, even when empty, so that a retry clears the
// previous attempt's text at once.
func (w *draftWriter) take(now time.Time, minBytes int, maxWait time.Duration) (events.Draft, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pending := w.text.Len() - w.sent
	if w.ended || w.epoch == 0 || (w.started && pending == 0) {
		return events.Draft{}, false
	}
	if w.started && pending < minBytes && now.Sub(w.at) < maxWait {
		return events.Draft{}, false
	}
	w.at = now
	text := w.text.String()[w.sent:] // valid UTF-8: write cleaned every piece
	m := events.Draft{Op: events.DraftDelta, JobID: w.job, UserID: w.user, Type: w.typ, Epoch: w.epoch, Offset: w.sent, Delta: text}
	w.sent += len(text)
	w.started = true
	return m, true
}

// finish ends the draft with the document as it will be stored: if the
// stored text is everything written in this epoch (published or still
// buffered) plus more, what follows the published part is sent; otherwise
// (the model's trailing white space was trimmed, a figure was inserted
// under its heading) the whole text is sent from offset 0. The document's
// commit then replaces the draft.
func (w *draftWriter) finish(markdown string) {
	if w == nil {
		return
	}
	w.pub.Lock()
	defer w.pub.Unlock()
	w.mu.Lock()
	if w.ended || w.epoch == 0 {
		w.mu.Unlock()
		w.d.forget(w)
		return
	}
	var m events.Draft
	if strings.HasPrefix(markdown, w.text.String()) {
		m = events.Draft{Offset: w.sent, Delta: markdown[w.sent:]}
	} else {
		m = events.Draft{Offset: 0, Delta: markdown}
	}
	m.Op, m.JobID, m.UserID, m.Type, m.Epoch = events.DraftDelta, w.job, w.user, w.typ, w.epoch
	send := m.Offset == 0 || m.Delta != ""
	w.ended = true
	w.mu.Unlock()
	w.d.forget(w)
	if send {
		w.d.publish(m)
	}
}

// drop removes the draft: its document failed or was cancelled.
func (w *draftWriter) drop() {
	if w == nil {
		return
	}
	w.pub.Lock()
	defer w.pub.Unlock()
	w.mu.Lock()
	w.ended = true
	epoch := w.epoch
	w.mu.Unlock()
	w.d.forget(w)
	w.d.publish(events.Draft{Op: events.DraftDrop, JobID: w.job, UserID: w.user, Type: w.typ, Epoch: epoch})
}

func (d *drafter) forget(w *draftWriter) {
	d.mu.Lock()
	delete(d.writers, w)
	d.mu.Unlock()
}

// onDelta is the generator hook, nil without a writer.
func (w *draftWriter) onDelta() func(string) {
	if w == nil {
		return nil
	}
	return w.write
}

// onAttempt is RetryPolicy's hook, nil without a writer.
func (w *draftWriter) onAttempt() func(int) {
	if w == nil {
		return nil
	}
	return w.attempt
}

// endDraft ends a document's draft with its outcome.
func endDraft(w *draftWriter, res result) {
	if res.err != nil {
		w.drop()
		return
	}
	w.finish(storable(res.doc.Markdown))
}

// committed drops a document's draft once the document is stored: pages
// show its link instead. Its commit was announced first.
func (d *drafter) committed(jobID, userID, docType string) {
	if d.hub.Enabled() {
		d.hub.Publish(events.Draft{Op: events.DraftDrop, JobID: jobID, UserID: userID, Type: docType, Committed: true})
	}
}
