package jobs

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
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
