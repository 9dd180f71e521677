package events

import (
	"slices"
	"sync"
)

// Subscription is one subscriber's mailbox. It holds at most one update per
// job, the latest: a reader that falls behind skips intermediate states
// instead of queueing them, and never holds up the broker.
type Subscription struct {
	b     *Broker
	index map[string]map[*Subscription]struct{}
	key   string
	user  bool // a user subscription

	// sync is the merged SyncUpdate waiting, with Config.Sync.
	sync *SyncUpdate
	// project is the project whose activity the subscriber shows (set
	// under the broker's lock).
	project string
	// job is the job whose page the subscriber shows, to add to a reset
	// (set under the broker's lock).
	job string
	// owner is the user whose job a job subscription follows, if the
	// subscriber told it (set under the broker's lock).
	owner string

	mu     sync.Mutex
	box    map[string]boxed
	seq    uint64
	closed bool
	ready  chan struct{}
}

type boxed struct {
	u   Update
	seq uint64
}

// Ready receives a signal when updates are waiting; then call Take.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take empties the mailbox: the latest update of each job changed since the
// previous Take, in the order of their arrival.
func (s *Subscription) Take() []Update {
	s.mu.Lock()
	if len(s.box) == 0 {
		s.mu.Unlock()
		return nil
	}
	bs := make([]boxed, 0, len(s.box))
	for _, b := range s.box {
		bs = append(bs, b)
	}
	clear(s.box)
	s.mu.Unlock()
	slices.SortFunc(bs, func(a, b boxed) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]Update, len(bs))
	for i, b := range bs {
		out[i] = b.u
	}
	return out
}

// OwnedBy tells the broker whose job this job subscription follows, as the
// subscriber checked it. A resync, which has no event to go by, then makes
// up the job's event with its user, as every event should carry (Event):
// without it, the job would be loaded just to learn whose it is.
func (s *Subscription) OwnedBy(userID string) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.owner = userID
}

// Close unsubscribes; it is safe to call more than once.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	clear(s.box)
	s.sync = nil
	s.mu.Unlock()
	s.b.unsubscribe(s)
}

// put replaces the job's update in the mailbox, unless it is older than the
// one waiting, and signals the reader without ever blocking.
func (s *Subscription) put(u Update) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if prev, ok := s.box[u.Event.JobID]; ok && prev.u.Snapshot.Job.Version >= u.Snapshot.Job.Version {
		s.mu.Unlock()
		return
	}
	s.seq++
	s.box[u.Event.JobID] = boxed{u: u, seq: s.seq}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
