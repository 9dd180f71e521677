package events

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"dossier/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeStore is an in-memory job table: the loader reads it, tests write it.
type fakeStore struct {
	mu    sync.Mutex
	jobs  map[string]models.Job
	loads atomic.Int64
	// block, when set, holds loads of the job until closed.
	block map[string]chan struct{}
}

func newFakeStore() *fakeStore {
	return &fakeStore{jobs: map[string]models.Job{}, block: map[string]chan struct{}{}}
}

func (f *fakeStore) set(id, user string, version int64, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[id] = models.Job{ID: id, UserID: user, Version: version, Status: status}
}

func (f *fakeStore) load(ctx context.Context, id string) (*models.JobSnapshot, error) {
	f.loads.Add(1)
	f.mu.Lock()
	gate := f.block[id]
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, models.ErrNotFound
	}
	return &models.JobSnapshot{Job: j}, nil
}

func startBroker(t *testing.T, cfg Config) *Broker {
	t.Helper()
	b := NewBroker(cfg)
	require.NoError(t, b.Start(context.Background()))
	t.Cleanup(b.Stop)
	return b
}

// waitFor takes updates from sub until ok says so, or fails at the deadline.
func waitFor(t *testing.T, sub *Subscription, within time.Duration, ok func(Update) bool) Update {
	t.Helper()
	deadline := time.After(within)
	for {
		for _, u := range sub.Take() {
			if ok(u) {
				return u
			}
		}
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatalf("no matching update within %v", within)
		}
	}
}

// peek reads the version waiting in sub's mailbox for a job, without taking it.
func peek(sub *Subscription, jobID string) int64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if b, ok := sub.box[jobID]; ok {
		return b.u.Snapshot.Job.Version
	}
	return 0
}

func version(v int64) func(Update) bool {
	return func(u Update) bool { return u.Snapshot.Job.Version >= v }
}

func TestFanOutByUserAndJob(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load, Instance: "a"})
	userA := b.SubscribeUser("ua")
	userB := b.SubscribeUser("ub")
	job1 := b.SubscribeJob("j1")
	job2 := b.SubscribeJob("j2")
	t.Cleanup(func() { userA.Close(); userB.Close(); job1.Close(); job2.Close() })

	store.set("j1", "ua", 1, models.StatusQueued)
	store.set("j2", "ub", 1, models.StatusQueued)
	b.Publish(Event{Kind: JobChanged, JobID: "j1", UserID: "ua", Version: 1})
	b.Publish(Event{Kind: JobChanged, JobID: "j2", UserID: "ub", Version: 1})

	u := waitFor(t, userA, 2*time.Second, version(1))
	assert.Equal(t, "j1", u.Event.JobID)
	assert.Equal(t, "a", u.Event.Origin)
	assert.Equal(t, "j1", waitFor(t, job1, 2*time.Second, version(1)).Snapshot.Job.ID)
	assert.Equal(t, "j2", waitFor(t, userB, 2*time.Second, version(1)).Event.JobID)
	assert.Equal(t, "j2", waitFor(t, job2, 2*time.Second, version(1)).Event.JobID)

	// Nobody else got the other's job.
	for _, s := range []*Subscription{userA, userB, job1, job2} {
		assert.Empty(t, s.Take())
	}
	assert.Equal(t, 4, b.Subscribers())
}

func TestCoalescesForASubscriberThatDoesNotRead(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	sub := b.SubscribeUser("u")
	defer sub.Close()
	watcher := b.SubscribeJob("j")
	defer watcher.Close()

	for v := int64(1); v <= 100; v++ {
		store.set("j", "u", v, models.StatusProcessing)
		b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: v})
	}
	// The watcher reads until the last version has been delivered; the
	// mailbox of the one that does not read is only peeked at.
	waitFor(t, watcher, 5*time.Second, version(100))
	require.Eventually(t, func() bool { return peek(sub, "j") == 100 }, 2*time.Second, time.Millisecond)

	ups := sub.Take()
	require.Len(t, ups, 1)
	assert.Equal(t, int64(100), ups[0].Snapshot.Job.Version)
	assert.Less(t, store.loads.Load(), int64(100), "bursts are coalesced before loading")
}

func TestTakeKeepsTheLatestPerJobInArrivalOrder(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load, Workers: 1})
	sub := b.SubscribeUser("u")
	defer sub.Close()
	probe := b.SubscribeUser("u")
	defer probe.Close()

	step := func(job string, v int64) {
		store.set(job, "u", v, models.StatusProcessing)
		b.Publish(Event{Kind: JobChanged, JobID: job, UserID: "u", Version: v})
		waitFor(t, probe, 2*time.Second, func(u Update) bool { return u.Event.JobID == job && u.Snapshot.Job.Version == v })
		require.Eventually(t, func() bool { return peek(sub, job) == v }, 2*time.Second, time.Millisecond)
	}
	step("a", 1)
	step("b", 1)
	step("a", 2)

	ups := sub.Take()
	require.Len(t, ups, 2)
	assert.Equal(t, "b", ups[0].Event.JobID)
	assert.Equal(t, "a", ups[1].Event.JobID)
	assert.Equal(t, int64(2), ups[1].Snapshot.Job.Version)
	assert.Empty(t, sub.Take())
}

func TestSlowSubscriberDoesNotDelayAnother(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	slow := b.SubscribeUser("u") // never reads until the end
	defer slow.Close()
	fast := b.SubscribeUser("u")
	defer fast.Close()

	const jobs, rounds = 50, 20
	for r := int64(1); r <= rounds; r++ {
		for j := range jobs {
			id := fmt.Sprintf("j%d", j)
			store.set(id, "u", r, models.StatusProcessing)
			b.Publish(Event{Kind: JobChanged, JobID: id, UserID: "u", Version: r})
		}
	}
	got := map[string]int64{}
	deadline := time.After(5 * time.Second)
	for len(got) < jobs || !allAt(got, rounds) {
		for _, u := range fast.Take() {
			got[u.Event.JobID] = u.Snapshot.Job.Version
		}
		if len(got) == jobs && allAt(got, rounds) {
			break
		}
		select {
		case <-fast.Ready():
		case <-deadline:
			t.Fatalf("fast subscriber saw %d of %d jobs, at versions %v; want all at %d", len(got), jobs, got, rounds)
		}
	}
	// The slow one holds one entry per job, the latest: bounded memory.
	require.Eventually(t, func() bool {
		for j := range jobs {
			if peek(slow, fmt.Sprintf("j%d", j)) != rounds {
				return false
			}
		}
		return true
	}, 2*time.Second, time.Millisecond)
	ups := slow.Take()
	assert.Len(t, ups, jobs)
	for _, u := range ups {
		assert.Equal(t, int64(rounds), u.Snapshot.Job.Version)
	}
}

// A job's next change waits for its previous update to reach every mailbox:
// with two workers, a newer version loaded while the older one was still on
// its way could reach a reader first, and the older one would then replace
// it for good (the failure TestSlowSubscriberDoesNotDelayAnother met in CI).
func TestUpdatesOfAJobReachReadersInOrder(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load, Workers: 2})
	sub := b.SubscribeUser("u")
	defer sub.Close()
	entered, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.Observe(func(u Update) {
		if u.Event.JobID == "j" && u.Snapshot.Job.Version == 1 {
			once.Do(func() { close(entered) })
			<-gate // the first worker stops between loading v1 and delivering it
		}
	})

	store.set("j", "u", 1, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 1})
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("v1 was never loaded")
	}
	store.set("j", "u", 2, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 2})
	// k is queued after j's v2, and only the second worker is free: once k
	// is delivered, that worker has passed j's v2, had it been queued.
	store.set("k", "u", 1, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "k", UserID: "u", Version: 1})
	var seen []int64 // j's versions, in the order the reader got them
	// drain reads sub until done says so, failing at the deadline.
	drain := func(what string, done func(k bool) bool) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		k := false
		for {
			for _, u := range sub.Take() {
				switch u.Event.JobID {
				case "j":
					seen = append(seen, u.Snapshot.Job.Version)
				case "k":
					k = true
				}
			}
			if done(k) {
				return
			}
			select {
			case <-sub.Ready():
			case <-deadline:
				t.Fatalf("%s: j's versions seen so far: %v", what, seen)
			}
		}
	}
	drain("k", func(k bool) bool { return k })
	assert.Empty(t, seen, "j's v2 was delivered while v1 was still on its way")

	close(gate)
	drain("j at v2", func(bool) bool { return len(seen) > 0 && seen[len(seen)-1] >= 2 })
	assert.True(t, slices.IsSorted(seen), "versions of j reached the reader out of order: %v", seen)
}

func allAt(m map[string]int64, v int64) bool {
	for _, x := range m {
		if x != v {
			return false
		}
	}
	return true
}

func TestPublishNeverBlocks(t *testing.T) {
	store := newFakeStore()
	gate := make(chan struct{})
	store.block["j"] = gate
	store.set("j", "u", 1, models.StatusProcessing)
	b := startBroker(t, Config{Loader: store.load, Workers: 1})
	sub := b.SubscribeJob("j")
	defer sub.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := int64(1); v <= 10000; v++ {
			b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: v})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a stuck loader")
	}
	store.set("j", "u", 10000, models.StatusProcessing)
	close(gate)
	waitFor(t, sub, 5*time.Second, version(10000))
	assert.LessOrEqual(t, store.loads.Load(), int64(3), "a stuck load coalesces everything behind it")
}

func TestStaleVersionsAreDropped(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	sub := b.SubscribeJob("j")
	defer sub.Close()
	probe := b.SubscribeJob("j")
	defer probe.Close()
	var observed []int64
	var mu sync.Mutex
	b.Observe(func(u Update) {
		mu.Lock()
		observed = append(observed, u.Snapshot.Job.Version)
		mu.Unlock()
	})

	store.set("j", "u", 5, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 5})
	waitFor(t, probe, 2*time.Second, version(5))
	require.Eventually(t, func() bool { return peek(sub, "j") == 5 }, 2*time.Second, time.Millisecond)
	require.Len(t, sub.Take(), 1)

	// A lagging read (say, from a replica) returns an older version.
	store.set("j", "u", 3, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u"}) // version unknown: load
	// A publish of an already delivered version is not even loaded.
	loads := store.loads.Load()
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 4})
	store.set("j", "u", 6, models.StatusCompleted)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 6})
	waitFor(t, probe, 2*time.Second, version(6))
	require.Eventually(t, func() bool { return peek(sub, "j") == 6 }, 2*time.Second, time.Millisecond)

	ups := sub.Take()
	require.Len(t, ups, 1)
	assert.Equal(t, int64(6), ups[0].Snapshot.Job.Version)
	assert.LessOrEqual(t, store.loads.Load()-loads, int64(2))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int64{5, 6}, observed, "each version is observed once, never a stale one")
}

func TestObserveRunsOncePerUpdateWhateverTheSubscribers(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	var calls atomic.Int64
	b.Observe(func(Update) { calls.Add(1) })
	subs := make([]*Subscription, 50)
	for i := range subs {
		subs[i] = b.SubscribeUser("u")
		defer subs[i].Close()
	}
	store.set("j", "u", 1, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 1})
	for _, s := range subs {
		waitFor(t, s, 2*time.Second, version(1))
	}
	assert.Equal(t, int64(1), calls.Load())
	assert.Equal(t, int64(1), store.loads.Load())
}

func TestUnwatchedJobsAreNotLoaded(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	other := b.SubscribeUser("someone-else")
	defer other.Close()
	store.set("j", "u", 1, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 1})

	// A watched job published afterwards is delivered; the unwatched one
	// before it was never loaded.
	store.set("k", "someone-else", 1, models.StatusProcessing)
	b.Publish(Event{Kind: JobChanged, JobID: "k", UserID: "someone-else", Version: 1})
	waitFor(t, other, 2*time.Second, version(1))
	assert.Equal(t, int64(1), store.loads.Load())
}

func TestCancelRunsTheCallbacks(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{Loader: store.load})
	got := make(chan string, 1)
	b.OnCancel(func(id string) { got <- id })
	b.Publish(Event{Kind: CancelRequested, JobID: "j", UserID: "u"})
	select {
	case id := <-got:
		assert.Equal(t, "j", id)
	case <-time.After(2 * time.Second):
		t.Fatal("OnCancel not called")
	}
}

func TestResyncReloadsWatchedJobsAndUsers(t *testing.T) {
	store := newFakeStore()
	b := startBroker(t, Config{
		Loader: store.load,
		UserJobs: func(ctx context.Context, userID string) ([]string, error) {
			if userID == "u" {
				return []string{"a", "b"}, nil
			}
			return nil, nil
		},
	})
	user := b.SubscribeUser("u")
	defer user.Close()
	job := b.SubscribeJob("c")
	defer job.Close()
	// Changes happened, but their events were lost.
	store.set("a", "u", 2, models.StatusCompleted)
	store.set("b", "u", 1, models.StatusProcessing)
	store.set("c", "v", 7, models.StatusProcessing)

	require.NoError(t, b.Resync(context.Background()))
	seen := map[string]int64{}
	waitFor(t, user, 2*time.Second, func(u Update) bool {
		seen[u.Event.JobID] = u.Snapshot.Job.Version
		return len(seen) == 2
	})
	assert.Equal(t, map[string]int64{"a": 2, "b": 1}, seen)
	assert.Equal(t, int64(7), waitFor(t, job, 2*time.Second, version(7)).Snapshot.Job.Version)
}

// The events a resync makes up for watched jobs carry the owner that the
// job's subscription was told (Event: a user's streams follow the user, and
// an event without its user costs a load to learn it); a job whose
// subscriber told nothing goes by the load, as before. Both are delivered.
func TestResyncNamesTheOwnersOfWatchedJobs(t *testing.T) {
	store := newFakeStore()
	b := NewBroker(Config{Loader: store.load, Sync: (&fakeSync{jobs: map[string]models.Job{}}).load})
	told := b.SubscribeJob("c")
	defer told.Close()
	told.OwnedBy("u")
	untold := b.SubscribeJob("d")
	defer untold.Close()
	store.set("c", "u", 3, models.StatusProcessing)
	store.set("d", "v", 4, models.StatusProcessing)

	// Not started: the made-up events wait in the queue.
	require.NoError(t, b.Resync(context.Background()))
	b.mu.Lock()
	c, d := b.pending["c"], b.pending["d"]
	b.mu.Unlock()
	assert.Equal(t, Event{Kind: JobChanged, JobID: "c", UserID: "u"}, c)
	assert.Equal(t, Event{Kind: JobChanged, JobID: "d"}, d)

	require.NoError(t, b.Start(context.Background()))
	defer b.Stop()
	assert.Equal(t, "u", waitFor(t, told, 2*time.Second, version(3)).Event.UserID)
	assert.Equal(t, "v", waitFor(t, untold, 2*time.Second, version(4)).Event.UserID)
}

func TestSubscriptionsCloseOnce(t *testing.T) {
	b := NewBroker(Config{Loader: newFakeStore().load})
	s1, s2 := b.SubscribeUser("u"), b.SubscribeJob("j")
	assert.Equal(t, 2, b.Subscribers())
	s1.Close()
	s1.Close()
	assert.Equal(t, 1, b.Subscribers())
	s2.Close()
	assert.Equal(t, 0, b.Subscribers())
}

func TestStartStopContract(t *testing.T) {
	store := newFakeStore()
	t.Run("stop before start", func(t *testing.T) {
		b := NewBroker(Config{Loader: store.load})
		b.Stop()
		b.Stop()
		assert.Error(t, b.Start(context.Background()), "a stopped broker does not start")
	})
	t.Run("stop twice", func(t *testing.T) {
		b := NewBroker(Config{Loader: store.load})
		require.NoError(t, b.Start(context.Background()))
		assert.Error(t, b.Start(context.Background()))
		b.Stop()
		b.Stop()
	})
	t.Run("publish before start is delivered after", func(t *testing.T) {
		b := NewBroker(Config{Loader: store.load})
		sub := b.SubscribeJob("p")
		defer sub.Close()
		store.set("p", "u", 1, models.StatusQueued)
		b.Publish(Event{Kind: JobChanged, JobID: "p", UserID: "u", Version: 1})
		require.NoError(t, b.Start(context.Background()))
		defer b.Stop()
		waitFor(t, sub, 2*time.Second, version(1))
	})
	t.Run("start returns at once and ctx cancel does not stop it", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		b := NewBroker(Config{Loader: store.load})
		require.NoError(t, b.Start(ctx))
		cancel()
		sub := b.SubscribeJob("q")
		defer sub.Close()
		store.set("q", "u", 1, models.StatusQueued)
		b.Publish(Event{Kind: JobChanged, JobID: "q", UserID: "u", Version: 1})
		waitFor(t, sub, 2*time.Second, version(1))
		b.Stop()
	})
}

// A job or user whose loads failed while someone watched keeps a retry
// delay; once nobody watches it, the delay goes (a long-lived process
// would otherwise keep one entry per job and user that met an outage).
func TestRetryDelaysGoWithTheirSubscribers(t *testing.T) {
	failed := make(chan string, 16)
	down := func(key string) error {
		select {
		case failed <- key:
		default:
		}
		return fmt.Errorf("database down")
	}
	b := startBroker(t, Config{
		Logger: slog.New(slog.DiscardHandler),
		Loader: func(_ context.Context, id string) (*models.JobSnapshot, error) { return nil, down(id) },
		Sync: func(_ context.Context, userID string, _ int64) (*models.SyncState, error) {
			return nil, down("u:" + userID)
		},
	})
	retries := func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.retries)
	}
	waitFailed := func(key string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case k := <-failed:
				if k == key {
					return
				}
			case <-deadline:
				t.Fatalf("no failed load of %s", key)
			}
		}
	}

	job := b.SubscribeJob("j")
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "v", Version: 1})
	waitFailed("j")
	require.Eventually(t, func() bool { return retries() == 1 }, 5*time.Second, time.Millisecond, "the failed load waits to be made again")
	job.Close()
	require.Eventually(t, func() bool { return retries() == 0 }, 5*time.Second, 5*time.Millisecond, "the job's delay outlived its subscriber")

	user := b.SubscribeUser("u")
	user.Synced(0)
	b.Publish(Event{Kind: JobChanged, JobID: "k", UserID: "u", Version: 1})
	waitFailed("u:u")
	require.Eventually(t, func() bool { return retries() >= 1 }, 5*time.Second, time.Millisecond)
	user.Close()
	require.Eventually(t, func() bool { return retries() == 0 }, 5*time.Second, 5*time.Millisecond, "the user's delay outlived their streams")
}
