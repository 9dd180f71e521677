package events

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func delta(job, typ string, epoch int64, offset int, text string) Draft {
	return Draft{Op: DraftDelta, JobID: job, UserID: "u1", Type: typ, Epoch: epoch, Offset: offset, Delta: text}
}

// replay concatenates what a client received, by the contract: offset 0
// replaces, any other offset must continue the text.
func replay(t *testing.T, texts map[string]string, ds []Draft) {
	t.Helper()
	for _, d := range ds {
		switch d.Op {
		case DraftDelta:
			if d.Offset == 0 {
				texts[d.Type] = d.Delta
				continue
			}
			require.Equal(t, len(texts[d.Type]), d.Offset, "a delta continues the text")
			texts[d.Type] += d.Delta
		case DraftDrop:
			delete(texts, d.Type)
		}
	}
}

func TestDraftSubscriberMidDocumentGetsTheTextSoFarThenDeltas(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Instance: "a"})
	h.Publish(delta("j1", "charter", 7, 0, "# Char"))
	h.Publish(delta("j1", "charter", 7, 6, "ter\n"))

	sub, now := h.Subscribe("j1")
	defer sub.Close()
	require.Len(t, now, 1)
	assert.Equal(t, 0, now[0].Offset)
	assert.Equal(t, "# Charter\n", now[0].Delta)

	h.Publish(delta("j1", "charter", 7, 10, "Body"))
	h.Publish(delta("j1", "charter", 7, 14, " more"))
	h.Publish(delta("j2", "charter", 1, 0, "other job"))
	<-sub.Ready()
	got := sub.Take()
	require.Len(t, got, 1, "unread deltas merge into one")
	assert.Equal(t, 10, got[0].Offset)
	assert.Equal(t, "Body more", got[0].Delta)

	texts := map[string]string{}
	replay(t, texts, append(now, got...))
	assert.Equal(t, "# Charter\nBody more", texts["charter"])
}

func TestDraftNewEpochRestartsAtOffsetZeroAndDropRemoves(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Instance: "a"})
	sub, _ := h.Subscribe("j1")
	defer sub.Close()
	h.Publish(delta("j1", "risk", 1, 0, "first attempt"))
	h.Publish(delta("j1", "risk", 2, 0, "")) // a retry
	h.Publish(delta("j1", "risk", 2, 0, "second"))
	<-sub.Ready()
	got := sub.Take()
	require.Len(t, got, 1)
	assert.Equal(t, Draft{Op: DraftDelta, JobID: "j1", UserID: "u1", Type: "risk", Epoch: 2, Offset: 0, Delta: "second", Origin: "a"}, got[0])

	h.Publish(Draft{Op: DraftDrop, JobID: "j1", Type: "risk", Epoch: 1})
	_, ok := h.Text("j1", "risk")
	assert.True(t, ok, "a drop of an older attempt leaves the new one")
	h.Publish(Draft{Op: DraftDrop, JobID: "j1", Type: "risk", Epoch: 2})
	_, ok = h.Text("j1", "risk")
	assert.False(t, ok)
	<-sub.Ready()
	got = sub.Take()
	require.Len(t, got, 1)
	assert.Equal(t, DraftDrop, got[0].Op)
	assert.Empty(t, h.Current("j1"))
}

func TestDraftGapKeepsTheTextAndAsksForAResend(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Instance: "b"})
	var mu sync.Mutex
	var out []Draft
	h.attach(func(d Draft) { mu.Lock(); out = append(out, d); mu.Unlock() })
	sub, _ := h.Subscribe("j1")
	defer sub.Close()

	h.receive(delta("j1", "scope", 5, 0, "abc"))
	h.receive(delta("j1", "scope", 5, 3, "def"))
	h.receive(delta("j1", "scope", 5, 3, "def"))     // a duplicate: ignored
	h.receive(delta("j1", "scope", 5, 4, "efgh"))    // overlaps: only "gh" is new
	h.receive(delta("j1", "scope", 5, 20, "lost…"))  // a gap
	h.receive(delta("j1", "scope", 5, 25, "more…"))  // still a gap
	h.receive(delta("j1", "other", 9, 4, "unknown")) // the start was missed

	text, _ := h.Text("j1", "scope")
	assert.Equal(t, "abcdefgh", text, "the text so far stays")
	mu.Lock()
	require.Len(t, out, 2, "one resend request per document per second")
	assert.Equal(t, Draft{Op: DraftResend, JobID: "j1", Type: "scope", Origin: "b"}, out[0])
	assert.Equal(t, "other", out[1].Type)
	mu.Unlock()

	// The owner's answer: the whole draft from offset 0.
	h.receive(delta("j1", "scope", 5, 0, "abcdefghijklmnopqrstuvwxyz"))
	<-sub.Ready()
	texts := map[string]string{}
	replay(t, texts, sub.Take())
	assert.Equal(t, "abcdefghijklmnopqrstuvwxyz", texts["scope"])
}

func TestDraftResendRequestIsAnsweredWithLocalDraftsOnly(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Instance: "w"})
	var out []Draft
	h.Publish(delta("j1", "mine", 3, 0, "written here"))
	h.receive(delta("j1", "theirs", 4, 0, "written elsewhere"))
	h.attach(func(d Draft) { out = append(out, d) })
	h.receive(Draft{Op: DraftResend, JobID: "j1", Origin: "x"})
	require.Len(t, out, 1)
	assert.Equal(t, "mine", out[0].Type)
	assert.Equal(t, 0, out[0].Offset)
	assert.Equal(t, "written here", out[0].Delta)
	assert.Equal(t, "w", out[0].Origin)
}

func TestDraftExpireDropsQuietDrafts(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Instance: "a", Idle: time.Minute})
	h.receive(delta("j1", "charter", 1, 0, "from a worker that died"))
	h.Expire(time.Now())
	_, ok := h.Text("j1", "charter")
	assert.True(t, ok)
	h.Expire(time.Now().Add(2 * time.Minute))
	_, ok = h.Text("j1", "charter")
	assert.False(t, ok)
}

func TestDraftsDisabled(t *testing.T) {
	t.Parallel()
	h := NewDraftHub(DraftConfig{Disabled: true})
	h.Publish(delta("j1", "charter", 1, 0, "x"))
	sub, now := h.Subscribe("j1")
	assert.Empty(t, now)
	select {
	case <-sub.Ready():
		t.Fatal("a disabled hub delivers nothing")
	default:
	}
	var nilHub *DraftHub
	assert.False(t, nilHub.Enabled())
}

func TestDraftPayloadsStayUnderTheNotifyLimit(t *testing.T) {
	t.Parallel()
	// Control characters expand sixfold in JSON; runes must not be cut.
	big := strings.Repeat("é\x01<script>\"", 3000)
	d := delta("j1", "charter", 1, 100, big)
	ps := appendPayloads(nil, d)
	require.Greater(t, len(ps), 1)
	h := NewDraftHub(DraftConfig{Instance: "b"})
	h.receive(delta("j1", "charter", 1, 0, strings.Repeat("x", 100)))
	for _, p := range ps {
		assert.Less(t, len(p), 8000)
		var got Draft
		require.NoError(t, jsonUnmarshal(p, &got))
		h.receive(got)
	}
	text, _ := h.Text("j1", "charter")
	assert.Equal(t, strings.Repeat("x", 100)+big, text)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// A resend answer is a copy of the draft from offset 0: it must reach the
// bridge before any delta applied after the copy was made. Handed over after
// the hub's lock was released, it could follow a delta that continues it
// (the flusher publishing meanwhile), and the other instances, applying it
// last, cut the draft back to the copy.
func TestDraftResendAnswerReachesTheBridgeBeforeALaterDelta(t *testing.T) {
	t.Parallel()
	a := NewDraftHub(DraftConfig{Instance: "a"})
	var mu sync.Mutex
	var queue []Draft // what a's bridge sends, in order
	var answering atomic.Bool
	flushed := make(chan struct{})
	a.attach(func(d Draft) {
		if answering.CompareAndSwap(true, false) {
			// a's flusher publishes the next delta while the answer is on
			// its way to the bridge: at once if nothing holds it back,
			// else as soon as it can.
			flush := func() { a.Publish(delta("j1", "charter", 1, 10, "abc")); close(flushed) }
			if a.mu.TryLock() {
				a.mu.Unlock()
				flush()
			} else {
				go flush()
			}
		}
		mu.Lock()
		queue = append(queue, d)
		mu.Unlock()
	})
	a.Publish(delta("j1", "charter", 1, 0, "0123456789"))
	answering.Store(true)
	a.receive(Draft{Op: DraftResend, JobID: "j1", Origin: "b"})
	select {
	case <-flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("the delta was never published")
	}

	// b applies what a's bridge sent, in order.
	b := NewDraftHub(DraftConfig{Instance: "b"})
	sub, _ := b.Subscribe("j1")
	defer sub.Close()
	mu.Lock()
	require.Len(t, queue, 3)
	for _, d := range queue {
		b.receive(d)
	}
	mu.Unlock()
	want, _ := a.Text("j1", "charter")
	require.Equal(t, "0123456789abc", want)
	got, _ := b.Text("j1", "charter")
	assert.Equal(t, want, got, "the resend answer overtook nothing")
	<-sub.Ready()
	texts := map[string]string{}
	replay(t, texts, sub.Take())
	assert.Equal(t, want, texts["charter"], "b's readers see a's draft")
}
