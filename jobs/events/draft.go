package events

import (
	"cmp"
	"sync"
	"time"
)

// Drafts are the texts of documents being written, shown live while a model
// writes them. They are display only: never stored, never part of a commit.
// A worker publishes a draft's growth as deltas (an epoch per attempt, byte
// offsets within it); every instance keeps the current text of every draft
// in memory, so that a client that connects mid-document gets the draft so
// far (offset 0) and then the deltas.

// DraftOp says what a Draft message does.
type DraftOp string

const (
	// DraftDelta appends Delta at Offset of the epoch's text. Offset 0
	// starts the epoch's text afresh: a new attempt, or a full resend.
	DraftDelta DraftOp = "d"
	// DraftDrop removes the draft: its document was committed, failed or
	// cancelled.
	DraftDrop DraftOp = "x"
	// DraftResend asks the instance that writes the job's drafts (every
	// instance, with JobID empty) to send them again from offset 0: the
	// asker saw a gap, or lost notifications while disconnected.
	DraftResend DraftOp = "r"
)

// Draft is one message about one document's draft. Offsets count bytes of
// the UTF-8 text.
type Draft struct {
	Op     DraftOp `json:"op"`
	JobID  string  `json:"j,omitempty"`
	UserID string  `json:"u,omitempty"`
	Type   string  `json:"t,omitempty"`
	// Epoch names one attempt at the document; a new attempt begins a new
	// epoch at offset 0.
	Epoch  int64  `json:"e,omitempty"`
	Offset int    `json:"o"`
	Delta  string `json:"d,omitempty"`
	// Committed marks the drop of a draft whose document was stored: the
	// job's own event shows the result, so streams send no drop for it.
	Committed bool `json:"c,omitempty"`
	// Origin is the publishing instance; the bridge ignores its own.
	Origin string `json:"i,omitempty"`
}

// DraftConfig configures a DraftHub.
type DraftConfig struct {
	// Instance names this process; the same as the broker's.
	Instance string
	// Idle is how long a draft without news is kept: a worker that died
	// mid-document sends no drop. Default 2m.
	Idle time.Duration
	// Disabled turns drafts off (DRAFT_STREAMING=off): Publish and
	// Subscribe do nothing.
	Disabled bool
}

// DraftHub keeps the current drafts of this instance and fans their changes
// out to subscribers, in process; a DraftBridge carries them to the other
// instances. Publish never blocks: each subscriber's mailbox merges what it
// has not read yet into one delta per document.
type DraftHub struct {
	cfg DraftConfig

	mu       sync.Mutex
	docs     map[string]map[string]*draftText // job → document type → text
	byJob    map[string]map[*DraftSub]struct{}
	outbound func(Draft)          // called with mu held: see attach
	asked    map[string]time.Time // job:type → last resend request, to pace them
	closed   bool
	// keepers say which drafts a live writer of this process still
	// writes (Keep): Expire spares them, however long their model stalls.
	keepers map[*keeper]struct{}
}

type keeper struct{ writing func(jobID, typ string) bool }

type draftText struct {
	user    string
	epoch   int64
	text    []byte
	local   bool // written by this instance's worker: it answers resends
	updated time.Time
}

// NewDraftHub builds a hub.
func NewDraftHub(cfg DraftConfig) *DraftHub {
	cfg.Instance = cmp.Or(cfg.Instance, defaultInstance())
	cfg.Idle = cmp.Or(cfg.Idle, 2*time.Minute)
	return &DraftHub{
		cfg: cfg, docs: map[string]map[string]*draftText{},
		byJob: map[string]map[*DraftSub]struct{}{}, asked: map[string]time.Time{},
	}
}

// Enabled reports whether drafts are streamed at all.
func (h *DraftHub) Enabled() bool { return h != nil && !h.cfg.Disabled }

// Instance is the name stamped on the drafts this instance publishes.
func (h *DraftHub) Instance() string { return h.cfg.Instance }

// Publish applies a draft written by this instance and sends it to the
// subscribers here and, with a bridge, to the other instances. It never
// blocks.
//
// The bridge gets d before h.mu is released, as it gets resend answers and
// requests: its queue then holds a draft's messages in the order the hub
// applied them. Handed over after the unlock, a delta could be queued ahead
// of a resend answer copied before it, and the other instances, applying
// the answer (offset 0) last, would cut the draft back.
func (h *DraftHub) Publish(d Draft) {
	if !h.Enabled() {
		return
	}
	d.Origin = h.cfg.Instance
	h.mu.Lock()
	defer h.mu.Unlock()
	h.apply(d, true)
	if h.outbound != nil {
		h.outbound(d)
	}
}

// receive applies a draft message from another instance. A resend request
// is answered with copies of this instance's drafts, handed to the bridge
// before h.mu is released (see Publish).
func (h *DraftHub) receive(d Draft) {
	if !h.Enabled() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if d.Op != DraftResend {
		h.apply(d, false)
		return
	}
	if h.outbound != nil {
		for _, r := range h.localDrafts(d.JobID) {
			h.outbound(r)
		}
	}
}

// apply changes the stored text and tells the job's subscribers. A delta
// that does not continue the text (a gap: notifications were lost) is not
// applied: the draft keeps its text so far and a resend is asked for, whose
// offset-0 answer replaces it. h.mu must be held.
func (h *DraftHub) apply(d Draft, local bool) {
	now := time.Now()
	switch d.Op {
	case DraftDrop:
		docs := h.docs[d.JobID]
		if t := docs[d.Type]; t != nil && (d.Epoch == 0 || d.Epoch == t.epoch) {
			delete(docs, d.Type)
			if len(docs) == 0 {
				delete(h.docs, d.JobID)
			}
			h.fanout(d)
		}
	case DraftDelta:
		docs := h.docs[d.JobID]
		t := docs[d.Type]
		switch {
		case d.Offset == 0:
			if docs == nil {
				docs = map[string]*draftText{}
				h.docs[d.JobID] = docs
			}
			t = &draftText{user: d.UserID, epoch: d.Epoch, text: []byte(d.Delta), local: local, updated: now}
			docs[d.Type] = t
			h.fanout(d)
		case t == nil || t.epoch != d.Epoch || d.Offset > len(t.text):
			h.askResend(d, now)
		case d.Offset+len(d.Delta) <= len(t.text):
			// Already have it.
		default:
			fresh := d.Delta[len(t.text)-d.Offset:]
			d.Offset, d.Delta = len(t.text), fresh
			t.text = append(t.text, fresh...)
			t.updated = now
			h.fanout(d)
		}
	}
}

// askResend asks the other instances for the job's drafts from offset 0, at
// most once a second per document. h.mu must be held.
func (h *DraftHub) askResend(d Draft, now time.Time) {
	key := d.JobID + ":" + d.Type
	if now.Sub(h.asked[key]) < time.Second || h.outbound == nil {
		return
	}
	h.asked[key] = now
	out := h.outbound
	out(Draft{Op: DraftResend, JobID: d.JobID, Type: d.Type, Origin: h.cfg.Instance})
}

// localDrafts are this instance's own drafts of the job (all jobs when
// jobID is empty), whole, from offset 0. h.mu must be held.
func (h *DraftHub) localDrafts(jobID string) []Draft {
	var out []Draft
	for j, docs := range h.docs {
		if jobID != "" && j != jobID {
			continue
		}
		for typ, t := range docs {
			if t.local {
				out = append(out, Draft{Op: DraftDelta, JobID: j, UserID: t.user, Type: typ, Epoch: t.epoch, Delta: string(t.text), Origin: h.cfg.Instance})
			}
		}
	}
	return out
}

// LocalDrafts are this instance's own drafts, whole: what the bridge sends
// again after it could not send for a while.
func (h *DraftHub) LocalDrafts() []Draft {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.localDrafts("")
}

// Current returns the job's drafts, whole, from offset 0.
func (h *DraftHub) Current(jobID string) []Draft {
	if !h.Enabled() {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.current(jobID)
}

func (h *DraftHub) current(jobID string) []Draft {
	out := make([]Draft, 0, len(h.docs[jobID]))
	for typ, t := range h.docs[jobID] {
		out = append(out, Draft{Op: DraftDelta, JobID: jobID, UserID: t.user, Type: typ, Epoch: t.epoch, Delta: string(t.text)})
	}
	return out
}

// Text is a document's current draft and whether there is one.
func (h *DraftHub) Text(jobID, docType string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.docs[jobID][docType]
	if t == nil {
		return "", false
	}
	return string(t.text), true
}

// Draft is a document's current draft, whole (Delta is the text so far),
// with its writer's user and attempt, and whether there is one.
func (h *DraftHub) Draft(jobID, docType string) (Draft, bool) {
	if !h.Enabled() {
		return Draft{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.docs[jobID][docType]
	if t == nil {
		return Draft{}, false
	}
	return Draft{Op: DraftDelta, JobID: jobID, UserID: t.user, Type: docType, Epoch: t.epoch, Delta: string(t.text)}, true
}

// Expire drops drafts that had no news for the hub's Idle time (their
// worker died), telling their subscribers. The bridge calls it now and
// then; tests call it directly.
func (h *DraftHub) Expire(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for job, docs := range h.docs {
		for typ, t := range docs {
			if now.Sub(t.updated) > h.cfg.Idle && !h.kept(job, typ) {
				h.apply(Draft{Op: DraftDrop, JobID: job, Type: typ}, false)
			}
		}
	}
	for k, at := range h.asked {
		if now.Sub(at) > time.Minute {
			delete(h.asked, k)
		}
	}
}

// Keep makes Expire spare the drafts writing reports as still being
// written here (a model that stalls past the idle time, then goes on: its
// writer would publish its next delta past a draft the hub dropped, and
// on a single instance nothing would send it whole again). writing is
// called with the hub's lock held: it must not call the hub. The returned
// function removes it.
func (h *DraftHub) Keep(writing func(jobID, typ string) bool) (remove func()) {
	k := &keeper{writing: writing}
	h.mu.Lock()
	if h.keepers == nil {
		h.keepers = map[*keeper]struct{}{}
	}
	h.keepers[k] = struct{}{}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.keepers, k)
		h.mu.Unlock()
	}
}

func (h *DraftHub) kept(jobID, typ string) bool {
	for k := range h.keepers {
		if k.writing(jobID, typ) {
			return true
		}
	}
	return false
}

// attach makes Publish hand drafts to send (the bridge). send is called with
// h.mu held, so that the bridge queues drafts in the order they were applied:
// it must not block, nor take h.mu (DraftBridge.send only queues, under a
// lock of its own that is never held while taking h.mu).
func (h *DraftHub) attach(send func(Draft)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outbound = send
}

// Subscribe watches one job's drafts. It returns the subscription and the
// drafts so far, whole, from offset 0: nothing falls in between.
func (h *DraftHub) Subscribe(jobID string) (*DraftSub, []Draft) {
	s := &DraftSub{h: h, job: jobID, box: map[string]*Draft{}, ready: make(chan struct{}, 1)}
	if !h.Enabled() {
		return s, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.byJob[jobID]
	if set == nil {
		set = map[*DraftSub]struct{}{}
		h.byJob[jobID] = set
	}
	set[s] = struct{}{}
	return s, h.current(jobID)
}

// Subscribers counts the open draft subscriptions.
func (h *DraftHub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.byJob {
		n += len(set)
	}
	return n
}

// fanout drops d into the mailbox of each of the job's subscribers. h.mu
// must be held.
func (h *DraftHub) fanout(d Draft) {
	for s := range h.byJob[d.JobID] {
		s.put(d, h)
	}
}

// DraftSub is one subscriber's mailbox of one job's drafts. It holds at most
// one message per document: unread deltas merge into one, and anything that
// cannot merge becomes the whole draft from offset 0. A slow reader delays
// no one.
type DraftSub struct {
	h   *DraftHub
	job string

	mu     sync.Mutex
	box    map[string]*Draft
	order  []string
	closed bool
	ready  chan struct{}
}

// Ready receives a signal when drafts are waiting; then call Take. A
// subscription of a disabled hub is never ready.
func (s *DraftSub) Ready() <-chan struct{} { return s.ready }

// Poke makes the subscription ready even without news: a reader that held
// back part of what it took (to send it together with more) calls it from
// a timer to send it after all.
func (s *DraftSub) Poke() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Take empties the mailbox, in the order documents first changed.
func (s *DraftSub) Take() []Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Draft, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.box[k])
	}
	clear(s.box)
	s.order = s.order[:0]
	return out
}

// Close unsubscribes; it is safe to call more than once.
func (s *DraftSub) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.byJob[s.job]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.byJob, s.job)
		}
	}
}

// put merges d into the mailbox and signals the reader. h.mu is held by
// the caller, so the hub's text is current.
func (s *DraftSub) put(d Draft, h *DraftHub) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	prev, ok := s.box[d.Type]
	switch {
	case !ok:
		s.order = append(s.order, d.Type)
		s.box[d.Type] = &d
	case d.Op == DraftDelta && prev.Op == DraftDelta && d.Offset == prev.Offset+len(prev.Delta) && d.Epoch == prev.Epoch:
		prev.Delta += d.Delta
	case d.Op == DraftDelta:
		// Cannot merge: send the whole draft as it is now.
		if t := h.docs[d.JobID][d.Type]; t != nil {
			d.Offset, d.Delta, d.Epoch = 0, string(t.text), t.epoch
		}
		s.box[d.Type] = &d
	default:
		s.box[d.Type] = &d
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
