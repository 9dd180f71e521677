package jobs

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// collect reads a draft subscription into the text a client would show and
// the messages it received.
type collect struct {
	text string
	msgs []events.Draft
}

func (c *collect) add(t *testing.T, ds []events.Draft) {
	t.Helper()
	for _, d := range ds {
		c.msgs = append(c.msgs, d)
		switch {
		case d.Op == events.DraftDrop:
			c.text = ""
		case d.Offset == 0:
			c.text = d.Delta
		default:
			require.Equal(t, len(c.text), d.Offset)
			c.text += d.Delta
		}
	}
}

func TestDraftWriterCoalescesToTheTickAndEndsWithTheStoredText(t *testing.T) {
	t.Parallel()
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
	d := newDrafter(hub, 50*time.Millisecond)
	d.start()
	defer d.close()
	sub, _ := hub.Subscribe("j1")
	defer sub.Close()

	w := d.open("j1", "u1", "project_charter")
	w.attempt(1)
	text := "# Charter\n\n" + strings.Repeat("Words, and more words. ", 60)
	final := strings.TrimSpace(text) + "\n"

	// The client reads as the model writes.
	var c collect
	read := make(chan struct{})
	go func() {
		defer close(read)
		deadline := time.After(10 * time.Second)
		for c.text != final {
			select {
			case <-sub.Ready():
				c.add(t, sub.Take())
			case <-deadline:
				t.Errorf("draft never reached the stored text; have %q", c.text)
				return
			}
		}
	}()
	start := time.Now()
	for piece := range strings.SplitAfterSeq("  \n"+text+"\n\n  ", " ") {
		w.write(piece)
		time.Sleep(2 * time.Millisecond) // the model's pace, not a wait for state
	}
	took := time.Since(start)
	w.finish(final)
	<-read
	ticks := int(took/(50*time.Millisecond)) + 2
	assert.LessOrEqual(t, len(c.msgs), ticks+1, "at most one update per tick, plus the final one")
	assert.GreaterOrEqual(t, len(c.msgs), 2)
	assert.Equal(t, 0, c.msgs[0].Offset)
	assert.False(t, strings.HasPrefix(c.msgs[0].Delta, " "), "leading white space is not shown")

	// The stored text was trimmed at the end: the last message is the
	// whole text from offset 0, so the concatenation is exact.
	last := c.msgs[len(c.msgs)-1]
	assert.Equal(t, 0, last.Offset)

	d.committed("j1", "u1", "project_charter")
	<-sub.Ready()
	got := sub.Take()
	require.Len(t, got, 1)
	assert.Equal(t, events.DraftDrop, got[0].Op)
	_, ok := hub.Text("j1", "project_charter")
	assert.False(t, ok)
}

func TestDraftWriterRetryStartsAgainAtOffsetZeroAndFailureDrops(t *testing.T) {
	t.Parallel()
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
	d := newDrafter(hub, time.Hour) // ticks by hand
	d.minBytes = 0                  // every tick publishes
	w := d.open("j1", "u1", "risk_register")
	w.attempt(1)
	w.write("first try")
	d.flush()
	first, _ := hub.Text("j1", "risk_register")
	assert.Equal(t, "first try", first)

	w.attempt(2)
	d.flush()
	cleared, ok := hub.Text("j1", "risk_register")
	assert.True(t, ok)
	assert.Empty(t, cleared, "a retry clears the draft at the next tick")
	w.write("second")
	d.flush()
	second, _ := hub.Text("j1", "risk_register")
	assert.Equal(t, "second", second)

	w.drop()
	_, ok = hub.Text("j1", "risk_register")
	assert.False(t, ok)
	w.write("late")
	d.flush()
	_, ok = hub.Text("j1", "risk_register")
	assert.False(t, ok, "nothing after the end")
}

func TestDraftsOffWriteNothing(t *testing.T) {
	t.Parallel()
	d := newDrafter(events.NewDraftHub(events.DraftConfig{Disabled: true}), time.Millisecond)
	d.start()
	defer d.close()
	w := d.open("j1", "u1", "charter")
	assert.Nil(t, w)
	assert.Nil(t, w.onDelta(), "the generator gets no hook")
	w.finish("x")
	w.drop()
	nilHub := newDrafter(nil, time.Millisecond)
	nilHub.start()
	nilHub.close()
	assert.Nil(t, nilHub.open("j1", "u1", "charter"))
}

// A slow model's text is gathered until an update holds draftMinBytes, or
// draftMaxWait has passed: each update costs its framing on the wire.
func TestDraftWriterGathersASlowModelsText(t *testing.T) {
	t.Parallel()
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
	d := newDrafter(hub, time.Hour) // ticks by hand
	w := d.open("j1", "u1", "risk_register")
	w.attempt(1)
	w.write("# Risks\n")
	now := time.Now()
	m, ok := w.take(now, draftMinBytes, draftMaxWait)
	require.True(t, ok, "the first update goes at once")
	assert.Equal(t, "# Risks\n", m.Delta)

	w.write("a few words")
	_, ok = w.take(now.Add(draftInterval), draftMinBytes, draftMaxWait)
	assert.False(t, ok, "a few bytes wait")
	w.write(strings.Repeat("x", draftMinBytes))
	m, ok = w.take(now.Add(2*draftInterval), draftMinBytes, draftMaxWait)
	require.True(t, ok, "enough bytes go")
	assert.Equal(t, "a few words"+strings.Repeat("x", draftMinBytes), m.Delta)

	w.write("then little")
	_, ok = w.take(now.Add(3*draftInterval), draftMinBytes, draftMaxWait)
	assert.False(t, ok)
	m, ok = w.take(now.Add(2*draftInterval+draftMaxWait), draftMinBytes, draftMaxWait)
	require.True(t, ok, "a second after the last update, what came goes")
	assert.Equal(t, "then little", m.Delta)
	assert.Equal(t, len("# Risks\n")+len("a few words")+draftMinBytes, m.Offset)
}

// A writer's end (finish or drop) runs while a flush is between taking its
// delta and publishing it; it must not publish first. The final text
// published first is a gap to the hub, then the flush's delta lands: the
// draft lacks its end. A drop published before an offset-0 delta finds no
// draft, then the delta brings the draft back, to linger until it expires.
func TestDraftWriterEndDoesNotOvertakeAFlush(t *testing.T) {
	t.Parallel()
	// overtake runs end while the next flush is about to publish: at once
	// if nothing holds it back, else as soon as it can.
	overtake := func(t *testing.T, d *drafter, w *draftWriter, end func()) {
		t.Helper()
		ended := make(chan struct{})
		var flushing atomic.Bool
		flushing.Store(true)
		publish := d.publish
		d.publish = func(m events.Draft) {
			if flushing.CompareAndSwap(true, false) {
				run := func() { end(); close(ended) }
				if w.pub.TryLock() {
					w.pub.Unlock()
					run()
				} else {
					go run()
				}
			}
			publish(m)
		}
		d.flush()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("the draft never ended")
		}
	}

	t.Run("finish", func(t *testing.T) {
		t.Parallel()
		hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
		d := newDrafter(hub, time.Hour) // ticks by hand
		d.minBytes = 0
		w := d.open("j1", "u1", "charter")
		w.attempt(1)
		w.write("# Charter\n")
		d.flush()
		w.write("Body")
		overtake(t, d, w, func() { w.finish("# Charter\nBody\n") })
		text, _ := hub.Text("j1", "charter")
		assert.Equal(t, "# Charter\nBody\n", text, "the draft ends with the stored text")
	})
	t.Run("drop", func(t *testing.T) {
		t.Parallel()
		hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
		d := newDrafter(hub, time.Hour)
		w := d.open("j1", "u1", "charter")
		w.attempt(1)
		w.write("# Charter\n")
		overtake(t, d, w, w.drop) // the flush's delta is the epoch's offset 0
		_, ok := hub.Text("j1", "charter")
		assert.False(t, ok, "a dropped draft does not come back")
	})
}

// The stored text may differ from the draft before the draft's end, not
// only after it: the OpenAI generator inserts a chart under its heading
// (withFigure). With everything published at the last tick, the draft used
// to end with the stored text's tail appended to the old draft (its end
// repeated, the chart missing); it ends as the stored text, sent whole.
func TestDraftWriterFinishSendsTheWholeTextWhenItDiffersBeforeTheDraftsEnd(t *testing.T) {
	t.Parallel()
	draft := "# Schedule\n\n## Timeline\n\nPhase one starts in May.\n\n## Milestones\n\nGo live in June.\n"
	stored := "# Schedule\n\n## Timeline\n\n```chart\nGANTT\n```\n\nPhase one starts in May.\n\n## Milestones\n\nGo live in June.\n"
	for _, tc := range []struct {
		name      string
		published int // bytes of the draft published before finish
	}{
		{"all published", len(draft)},
		{"published up to the chart", strings.Index(draft, "Phase")},
		{"published past the chart", strings.Index(draft, "## Milestones")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
			sub, _ := hub.Subscribe("j1")
			defer sub.Close()
			d := newDrafter(hub, time.Hour) // ticks by hand
			d.minBytes = 0
			w := d.open("j1", "u1", "schedule")
			w.attempt(1)
			w.write(draft[:tc.published])
			d.flush()
			w.write(draft[tc.published:])
			w.finish(stored)
			got, ok := hub.Text("j1", "schedule")
			require.True(t, ok)
			assert.Equal(t, stored, got, "the draft ends as the stored document")
			var c collect
			c.add(t, sub.Take())
			assert.Equal(t, stored, c.text, "a client's draft ends as the stored document")
		})
	}
}

// Without a bridge (SQLite) nothing else expires the hub: the drafter does,
// so that a draft no run ends does not stay in memory for good.
func TestDrafterExpiresTheHubsIdleDrafts(t *testing.T) {
	t.Parallel()
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w", Idle: time.Nanosecond})
	hub.Publish(events.Draft{Op: events.DraftDelta, JobID: "j1", UserID: "u1", Type: "charter", Epoch: 1, Delta: "# Charter\n"})
	sub, now := hub.Subscribe("j1")
	defer sub.Close()
	require.Len(t, now, 1)
	d := newDrafter(hub, time.Hour)
	d.expireEvery = time.Millisecond
	d.start()
	defer d.close()
	select {
	case <-sub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the idle draft was never expired")
	}
	got := sub.Take()
	require.Len(t, got, 1)
	assert.Equal(t, events.DraftDrop, got[0].Op)
	_, ok := hub.Text("j1", "charter")
	assert.False(t, ok)
}

// The hub's expiry spares a draft that a writer here still writes: a model
// that stalls past the idle time and then goes on must not have its draft
// dropped under it (its next delta would fall past a draft the hub no
// longer holds, and on one instance nothing sends it whole again). Once the
// writer has ended, the draft expires as any other.
func TestDrafterKeepsTheDraftsItStillWrites(t *testing.T) {
	t.Parallel()
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w", Idle: time.Minute})
	d := newDrafter(hub, time.Hour) // ticks by hand
	d.minBytes = 0
	d.start()
	defer d.close()
	w := d.open("j1", "u1", "charter")
	w.attempt(1)
	w.write("# Charter\n\nThe model writes, ")
	d.flush()
	later := time.Now().Add(10 * time.Minute)
	hub.Expire(later) // the model stalled for ten minutes
	text, ok := hub.Text("j1", "charter")
	require.True(t, ok, "the draft being written is kept")
	assert.Equal(t, "# Charter\n\nThe model writes, ", text)

	w.write("then goes on.")
	d.flush()
	w.finish("# Charter\n\nThe model writes, then goes on.\n")
	text, ok = hub.Text("j1", "charter")
	require.True(t, ok)
	assert.Equal(t, "# Charter\n\nThe model writes, then goes on.\n", text, "the draft is whole")

	hub.Expire(later.Add(10 * time.Minute))
	_, ok = hub.Text("j1", "charter")
	assert.False(t, ok, "an ended writer's draft expires")
}

// draftGatedGen writes a draft, says so, then waits for its type's gate; a
// type in stubborn ignores cancellation (a stream that had already ended).
type draftGatedGen struct {
	gates    map[string]chan struct{}
	stubborn map[string]bool
	started  chan string
}

func (g *draftGatedGen) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	md := "# " + req.Type + "\n\nSome text of the document that is long enough to be a draft.\n"
	if req.OnDelta != nil {
		req.OnDelta(md)
	}
	g.started <- req.Type
	if g.stubborn[req.Type] {
		<-g.gates[req.Type]
	} else {
		select {
		case <-g.gates[req.Type]:
		case <-ctx.Done():
			return documents.Document{}, ctx.Err()
		}
	}
	return documents.Document{Type: req.Type, Title: req.Type, Markdown: md}, nil
}

// draftDrops reads a draft subscription for the drops of drafts as not
// stored.
type draftDrops struct {
	sub     *events.DraftSub
	dropped map[string]bool
}

// wait reads until the draft of typ has been dropped as not stored.
func (dd *draftDrops) wait(t *testing.T, typ string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !dd.dropped[typ] {
		select {
		case <-dd.sub.Ready():
			for _, m := range dd.sub.Take() {
				if m.Op == events.DraftDrop && !m.Committed {
					dd.dropped[m.Type] = true
				}
			}
		case <-deadline:
			t.Fatalf("the draft of %s was never dropped", typ)
		}
	}
}

// A run whose write was refused (its lease was lost: the job was rescued
// and another worker holds it) waits out its calls in flight. One that then
// returns its text had its draft ended with it, and the document is never
// stored: its draft is dropped, not left in the hub (for good on SQLite,
// where no bridge expires drafts) as the current draft of the job that a
// stream connecting later would get.
func TestDraftOfADocumentReturningAfterTheRunStoppedIsDropped(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		e := newEnv(t, d)
		u := e.user("late")
		job := e.job(u, e.project(u, "Late"), []string{"project_charter", "business_case"}, nil)
		hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
		sub, _ := hub.Subscribe(job.ID)
		defer sub.Close()
		drops := &draftDrops{sub: sub, dropped: map[string]bool{}}
		gen := &draftGatedGen{gates: map[string]chan struct{}{"project_charter": make(chan struct{}), "business_case": make(chan struct{})},
			stubborn: map[string]bool{"business_case": true}, started: make(chan string, 8)}
		// No heartbeat or sweep within the test: the run learns of the
		// lost lease from its write alone.
		p := e.processor(gen, func(c *Config) {
			c.LeaseDuration, c.HeartbeatInterval, c.SweepInterval = 2*time.Hour, time.Hour, time.Hour
			c.Drafts = hub
		})
		recv(t, gen.started, 10*time.Second, "the first document")
		recv(t, gen.started, 10*time.Second, "the second document")
		require.NoError(t, e.db.ForTests().Exec(`UPDATE document_generation_jobs SET locked_by = 'other' WHERE id = ?`, job.ID).Error)
		close(gen.gates["project_charter"])
		// Its write is refused, its draft dropped: the run has stopped and
		// waits out business_case, which ignores the cancellation.
		drops.wait(t, "project_charter")
		close(gen.gates["business_case"])
		drops.wait(t, "business_case")
		p.Stop()
		assert.Empty(t, hub.Current(job.ID), "no draft of a document never stored is left")
		assert.Empty(t, artifactCounts(t, e.db), "nothing was stored")
	})
}

// The last document returns while the write of an earlier one is still
// committing, and that write is refused (the lease was lost): the last
// document, taken into the run's end, is never written. Its draft is
// dropped, not left in the hub.
//
// PostgreSQL only: the test holds the job's row locked so that the earlier
// write waits until the last document has been taken. It polls the
// processor's estimator (with a deadline) to know that the run took a
// document.
func TestDraftOfADocumentAfterARefusedEarlierWriteIsDropped(t *testing.T) {
	e := newEnv(t, models.Postgres)
	u := e.user("refused")
	job := e.job(u, e.project(u, "Refused"), []string{"project_charter", "business_case"}, nil)
	hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
	sub, _ := hub.Subscribe(job.ID)
	defer sub.Close()
	drops := &draftDrops{sub: sub, dropped: map[string]bool{}}
	gen := &draftGatedGen{gates: map[string]chan struct{}{"project_charter": make(chan struct{}), "business_case": make(chan struct{})},
		started: make(chan string, 8)}
	p := e.processor(gen, func(c *Config) {
		c.LeaseDuration, c.HeartbeatInterval, c.SweepInterval = 2*time.Hour, time.Hour, time.Hour
		c.Drafts = hub
	})
	recv(t, gen.started, 10*time.Second, "the first document")
	recv(t, gen.started, 10*time.Second, "the second document")

	// The job's row, locked: the first document's write waits for it,
	// and is refused once it is released (another worker holds the
	// job).
	tx := e.db.ForTests().Begin()
	require.NoError(t, tx.Error)
	defer tx.Rollback()
	require.NoError(t, tx.Exec(`UPDATE document_generation_jobs SET locked_by = 'other' WHERE id = ?`, job.ID).Error)
	observed := func(typ string) int {
		p.estimates.mu.Lock()
		defer p.estimates.mu.Unlock()
		return p.estimates.n[typ]
	}
	// taken waits until the run has taken the document of typ (it
	// observes its duration as it does).
	taken := func(typ string) {
		t.Helper()
		before := observed(typ)
		close(gen.gates[typ])
		deadline := time.Now().Add(20 * time.Second)
		for observed(typ) == before {
			require.True(t, time.Now().Before(deadline), "the run never took %s", typ)
			time.Sleep(time.Millisecond)
		}
	}
	// project_charter's write waits for the row; business_case is then
	// the last document, and the run waits for that write before its
	// end.
	taken("project_charter")
	taken("business_case")
	require.NoError(t, tx.Commit().Error)
	drops.wait(t, "project_charter")
	drops.wait(t, "business_case")
	p.Stop()
	assert.Empty(t, hub.Current(job.ID), "no draft of a document never stored is left")
	assert.Empty(t, artifactCounts(t, e.db), "nothing was stored")
}
