package events

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// fakeSync is a user's rows with stamps: the loader reads what was stamped
// after a position.
type fakeSync struct {
	mu     sync.Mutex
	pos    int64
	jobs   map[string]models.Job
	edits  map[string]int64 // project → position of a version a user saved
	since  []int64          // the positions loads started from
	boards int
}

func (f *fakeSync) change(id, status string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pos++
	f.jobs[id] = models.Job{ID: id, UserID: "u", Status: status, SyncPosition: f.pos}
	return f.pos
}

func (f *fakeSync) load(ctx context.Context, userID string, since int64) (*models.SyncState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.since = append(f.since, since)
	st := &models.SyncState{UserID: userID, From: since, To: f.pos}
	for _, j := range f.jobs {
		if j.SyncPosition > since {
			st.Jobs = append(st.Jobs, models.JobSnapshot{Job: j})
		}
	}
	for p, pos := range f.edits {
		if pos > since {
			st.Libraries = append(st.Libraries, p)
		}
	}
	return st, nil
}

func (f *fakeSync) board(ctx context.Context, userID string) (*models.JobBoard, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.boards++
	return &models.JobBoard{UserID: userID}, nil
}

func takeSync(t *testing.T, sub *Subscription) *SyncUpdate {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatal("no sync update")
		}
		if up := sub.TakeSync(); up != nil {
			return up
		}
	}
}

func TestUserSubscriptionsFollowPositions(t *testing.T) {
	f := &fakeSync{jobs: map[string]models.Job{}}
	b := startBroker(t, Config{Loader: newFakeStore().load, Sync: f.load, Board: f.board})
	sub := b.SubscribeUser("u")
	defer sub.Close()

	// A change before the stream has told its position waits for it, then
	// loads from that position: nothing between is lost.
	f.change("a", models.StatusQueued)
	b.Publish(Event{Kind: JobChanged, JobID: "a", UserID: "u"})
	f.change("a", models.StatusProcessing)
	b.mu.Lock()
	_, queued := b.pending["u:u"]
	dirty := b.users["u"].dirty
	b.mu.Unlock()
	assert.False(t, queued, "no load before the stream's position is known")
	assert.True(t, dirty, "but the change is remembered")
	sub.Synced(1)
	up := takeSync(t, sub)
	assert.Equal(t, int64(1), up.State.From)
	assert.Equal(t, int64(2), up.State.To)
	require.Len(t, up.State.Jobs, 1)
	assert.Equal(t, models.StatusProcessing, up.State.Jobs[0].Job.Status)
	assert.NotNil(t, up.Board, "a job new here: the lists may have changed")

	// The next load starts where the last ended; progress alone loads no
	// board.
	f.mu.Lock()
	j := f.jobs["a"]
	f.pos++
	j.SyncPosition, j.CompletedDocuments = f.pos, 1
	f.jobs["a"] = j
	f.mu.Unlock()
	b.Publish(Event{Kind: JobChanged, JobID: "a", UserID: "u"})
	up = takeSync(t, sub)
	assert.Equal(t, int64(2), up.State.From)
	assert.Nil(t, up.Board, "no status changed")
	assert.Equal(t, 1, f.boards)

	// Updates a stream has not taken merge: the range spans both, each row
	// keeps its latest stamp.
	f.change("b", models.StatusQueued)
	b.Publish(Event{Kind: JobChanged, JobID: "b", UserID: "u"})
	require.Eventually(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.since) == 3 }, 2*time.Second, time.Millisecond)
	f.change("b", models.StatusCompleted)
	b.Publish(Event{Kind: UserChanged, UserID: "u"})
	require.Eventually(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.since) == 4 }, 2*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		sub.mu.Lock()
		defer sub.mu.Unlock()
		return sub.sync != nil && sub.sync.State.To == 5
	}, 2*time.Second, time.Millisecond, "the second update reaches the mailbox")
	up = sub.TakeSync()
	require.NotNil(t, up)
	assert.Equal(t, int64(3), up.State.From)
	assert.Equal(t, int64(5), up.State.To)
	require.Len(t, up.State.Jobs, 1)
	assert.Equal(t, models.StatusCompleted, up.State.Jobs[0].Job.Status)

	// Another user's change loads nothing here: Publish queues no load
	// for a user nobody here follows.
	before := len(f.since)
	b.Publish(Event{Kind: JobChanged, JobID: "x", UserID: "someone-else"})
	b.mu.Lock()
	_, queued = b.pending["u:someone-else"]
	b.mu.Unlock()
	assert.False(t, queued)
	f.mu.Lock()
	assert.Len(t, f.since, before)
	f.mu.Unlock()

	// After the bridge lost notifications, a resync reads from the cursor.
	f.change("a", models.StatusCompleted)
	require.NoError(t, b.Resync(context.Background()))
	up = takeSync(t, sub)
	assert.Equal(t, int64(5), up.State.From)
	assert.Equal(t, int64(6), up.State.To)
}

// A project page's subscription watches its project: a load that changes
// one of the project's jobs reads the project's activity once, for every
// subscription; a change elsewhere reads none; a waiting update merges with
// a later one without losing it.
func TestWatchedProjectsLoadWithTheirJobs(t *testing.T) {
	f := &fakeSync{jobs: map[string]models.Job{}}
	var mu sync.Mutex
	loads := map[string]int{}
	project := func(ctx context.Context, userID, projectID string) (*models.ProjectActivity, error) {
		mu.Lock()
		defer mu.Unlock()
		loads[projectID]++
		return &models.ProjectActivity{ProjectID: projectID}, nil
	}
	b := startBroker(t, Config{Loader: newFakeStore().load, Sync: f.load, Project: project})
	page := b.SubscribeUser("u")
	defer page.Close()
	page.WatchProject("p1")
	other := b.SubscribeUser("u") // another page of the user's
	defer other.Close()
	page.Synced(0)
	other.Synced(0)

	change := func(id, projectID string) {
		f.mu.Lock()
		f.pos++
		f.jobs[id] = models.Job{ID: id, UserID: "u", ProjectID: projectID, Status: models.StatusQueued, SyncPosition: f.pos}
		f.mu.Unlock()
		b.Publish(Event{Kind: JobChanged, JobID: id, UserID: "u"})
	}
	change("a", "p1")
	up := takeSync(t, page)
	require.Contains(t, up.Projects, "p1")
	assert.Equal(t, "p1", up.Projects["p1"].ProjectID)
	assert.Same(t, up, takeSync(t, other), "one load for every subscription")
	mu.Lock()
	assert.Equal(t, map[string]int{"p1": 1}, loads)
	mu.Unlock()

	change("b", "p2") // a project nobody here shows
	up = takeSync(t, page)
	assert.Empty(t, up.Projects)
	takeSync(t, other)
	mu.Lock()
	assert.Equal(t, map[string]int{"p1": 1}, loads)
	mu.Unlock()

	// Not taken, then merged with a later update of another project: the
	// watched project's activity stays.
	change("a", "p1")
	require.Eventually(t, func() bool { page.mu.Lock(); defer page.mu.Unlock(); return page.sync != nil }, 2*time.Second, time.Millisecond)
	change("b", "p2")
	require.Eventually(t, func() bool {
		page.mu.Lock()
		defer page.mu.Unlock()
		return page.sync != nil && page.sync.State.To == 4
	}, 2*time.Second, time.Millisecond)
	up = page.TakeSync()
	require.Contains(t, up.Projects, "p1")

	// A version the user saved in p1 changes no job, and still loads p1:
	// its library changed. One saved in p2 loads nothing.
	edit := func(projectID string) {
		f.mu.Lock()
		f.pos++
		f.edits = map[string]int64{projectID: f.pos}
		f.mu.Unlock()
		b.Publish(Event{Kind: UserChanged, UserID: "u"})
	}
	mu.Lock()
	before := loads["p1"]
	mu.Unlock()
	edit("p1")
	up = takeSync(t, page)
	assert.Empty(t, up.State.Jobs)
	assert.Equal(t, []string{"p1"}, up.State.Libraries)
	require.Contains(t, up.Projects, "p1")
	edit("p2")
	up = takeSync(t, page)
	assert.Equal(t, []string{"p2"}, up.State.Libraries, "the update still moves the tab's position")
	assert.Empty(t, up.Projects)
	mu.Lock()
	assert.Equal(t, before+1, loads["p1"])
	assert.Zero(t, loads["p2"])
	mu.Unlock()
}

// Two streams of a user that start together read their states at different
// positions. The one that tells the lower position after a load from the
// higher one began must still get what lies between: the cursor goes back
// for it, and the load under way does not move it forward again (a change
// missed there would be missed for good: a job shown running after it
// ended).
func TestAStreamBehindTheCursorGetsWhatItMissed(t *testing.T) {
	f := &fakeSync{jobs: map[string]models.Job{}}
	gate := make(chan struct{})
	began := make(chan int64, 8)
	var first sync.Once
	load := func(ctx context.Context, userID string, since int64) (*models.SyncState, error) {
		began <- since
		first.Do(func() { <-gate }) // the first load stops until the test lets it go
		return f.load(ctx, userID, since)
	}
	b := startBroker(t, Config{Loader: newFakeStore().load, Sync: load})
	early := b.SubscribeUser("u") // read its state at 0
	defer early.Close()
	late := b.SubscribeUser("u") // reads its state after x changed
	defer late.Close()

	x := f.change("x", models.StatusCompleted) // position 1
	late.Synced(x)
	f.change("y", models.StatusProcessing) // position 2
	b.Publish(Event{Kind: JobChanged, JobID: "y", UserID: "u"})
	select {
	case since := <-began:
		require.Equal(t, x, since, "the load starts at the only stream's position")
	case <-time.After(5 * time.Second):
		t.Fatal("no load began")
	}
	early.Synced(0) // told while the load from 1 is under way
	close(gate)

	// early must get x, from a load that starts at its position.
	deadline := time.After(5 * time.Second)
	got := map[string]bool{}
	for !got["x"] {
		select {
		case <-early.Ready():
		case <-deadline:
			t.Fatalf("the stream behind never got x; it got %v", got)
		}
		if up := early.TakeSync(); up != nil {
			for _, j := range up.State.Jobs {
				got[j.Job.ID] = true
			}
		}
	}
	// And later loads go on from the top.
	f.change("z", models.StatusQueued)
	b.Publish(Event{Kind: JobChanged, JobID: "z", UserID: "u"})
	waitJob := func(sub *Subscription, id string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			if up := sub.TakeSync(); up != nil && slices.ContainsFunc(up.State.Jobs, func(j models.JobSnapshot) bool { return j.Job.ID == id }) {
				return
			}
			select {
			case <-sub.Ready():
			case <-deadline:
				t.Fatalf("%s never arrived", id)
			}
		}
	}
	waitJob(early, "z")
	waitJob(late, "z")
}

// A load that fails is made again, later: nothing else may come to carry
// the change (a job's last one). A board that failed to load is loaded by
// the retry: the failed attempt does not count its statuses as shown.
func TestAFailedLoadIsMadeAgain(t *testing.T) {
	f := &fakeSync{jobs: map[string]models.Job{}}
	var boardCalls atomic.Int64
	board := func(ctx context.Context, userID string) (*models.JobBoard, error) {
		if boardCalls.Add(1) == 1 {
			return nil, errors.New("connection reset")
		}
		return f.board(ctx, userID)
	}
	b := startBroker(t, Config{Loader: newFakeStore().load, Sync: f.load, Board: board})
	sub := b.SubscribeUser("u")
	defer sub.Close()
	sub.Synced(0)

	f.change("a", models.StatusCompleted)
	b.Publish(Event{Kind: JobChanged, JobID: "a", UserID: "u"})
	up := takeSyncWithin(t, sub, 5*time.Second)
	require.Len(t, up.State.Jobs, 1)
	assert.Equal(t, models.StatusCompleted, up.State.Jobs[0].Job.Status)
	assert.NotNil(t, up.Board, "the retry loads the lists the failed attempt did not")
	assert.GreaterOrEqual(t, boardCalls.Load(), int64(2))
}

// A job's load that fails is made again too, for job subscriptions.
func TestAFailedJobLoadIsMadeAgain(t *testing.T) {
	store := newFakeStore()
	var calls atomic.Int64
	load := func(ctx context.Context, id string) (*models.JobSnapshot, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("connection reset")
		}
		return store.load(ctx, id)
	}
	b := startBroker(t, Config{Loader: load})
	sub := b.SubscribeJob("j")
	defer sub.Close()
	store.set("j", "u", 1, models.StatusCompleted)
	b.Publish(Event{Kind: JobChanged, JobID: "j", UserID: "u", Version: 1})
	u := waitFor(t, sub, 5*time.Second, version(1))
	assert.Equal(t, models.StatusCompleted, u.Snapshot.Job.Status)
}

func takeSyncWithin(t *testing.T, sub *Subscription, within time.Duration) *SyncUpdate {
	t.Helper()
	deadline := time.After(within)
	for {
		if up := sub.TakeSync(); up != nil {
			return up
		}
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatal("no sync update")
		}
	}
}

// A reset carries only the user's active jobs: a job page whose job ended
// within it would keep showing the job running. The job a subscription
// watches is added to the reset (and only to a reset, and only the user's).
func TestAResetCarriesTheWatchedJob(t *testing.T) {
	store := newFakeStore()
	store.set("x", "u", 7, models.StatusCompleted)
	store.set("theirs", "someone-else", 3, models.StatusCompleted)
	var pos atomic.Int64
	load := func(ctx context.Context, userID string, since int64) (*models.SyncState, error) {
		to := pos.Add(1)
		return &models.SyncState{UserID: userID, From: since, To: to, Reset: to == 1}, nil
	}
	b := startBroker(t, Config{Loader: store.load, Sync: load})
	page := b.SubscribeUser("u")
	defer page.Close()
	page.WatchJob("x")
	stranger := b.SubscribeUser("u") // a page showing another user's job id
	defer stranger.Close()
	stranger.WatchJob("theirs")
	page.Synced(0)
	stranger.Synced(0)

	b.Publish(Event{Kind: UserChanged, UserID: "u"})
	up := takeSyncWithin(t, page, 5*time.Second)
	require.True(t, up.State.Reset)
	require.Len(t, up.State.Jobs, 1, "the watched job, not another user's")
	assert.Equal(t, "x", up.State.Jobs[0].Job.ID)
	assert.Equal(t, models.StatusCompleted, up.State.Jobs[0].Job.Status)

	loads := store.loads.Load()
	b.Publish(Event{Kind: UserChanged, UserID: "u"})
	require.Eventually(t, func() bool { return pos.Load() == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, loads, store.loads.Load(), "a load that is not a reset reads no job")
}
