package events

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"

	"dossier/models"
)

// With Config.Sync, a user subscription follows the user's sync positions
// (models/sync.go). The broker keeps, per user subscribed here, the position
// it has loaded up to (the cursor). A change of the user is loaded once per
// instance, as what changed after the cursor, and dropped into every one of
// the user's subscriptions, where it merges with what is waiting. A stream
// reads its own starting state after it subscribed, and tells the broker
// its position (Synced), so the broker's loads start no later than any
// stream's state: a stream's coverage has no gap.

// userLoad is the internal kind of a queued user load.
const userLoad Kind = "user-load"

// SyncUpdate is what changed for a user between two positions, with the
// user's live lists when a job was new or changed status. It is shared by
// the user's subscriptions: treat it as read-only. Cache is for renderings
// made once per update and shared by every stream.
type SyncUpdate struct {
	State *models.SyncState
	// Board is set when the lists may have changed; nil otherwise.
	Board *models.JobBoard
	// Projects holds, for each project a subscription here watches and
	// the update changes (a job of it, or a version a user saved in it;
	// every watched one on a reset), the project's activity, read after
	// State.
	Projects map[string]*models.ProjectActivity
	Cache    *sync.Map
}

// WatchProject makes the user's loads include the project's activity
// (Config.Project) when one of its jobs changes or a user saves a version
// of one of its documents. Call it before reading the stream's starting
// state: a load whose state is read after that includes the project.
func (s *Subscription) WatchProject(projectID string) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.project = projectID
}

// WatchJob makes the user's loads include the job when they are a reset: a
// reset carries only the user's active jobs, and the job page or generate
// page showing this one would otherwise keep the state it had before the
// job ended. Call it before reading the stream's starting state.
func (s *Subscription) WatchJob(jobID string) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.job = jobID
}

type userCursor struct {
	pos    int64
	synced bool // some subscription has told its position
	dirty  bool // a change came before any subscription was synced
	// statuses are the job statuses delivered here, to tell when the
	// lists change.
	statuses map[string]string
}

func isUserIndex(b *Broker, index map[string]map[*Subscription]struct{}) bool {
	return reflect.ValueOf(index).Pointer() == reflect.ValueOf(b.byUser).Pointer()
}

// Synced tells the broker the position this user subscription's stream
// has read its state at. Loads for the user then start at or before it.
func (s *Subscription) Synced(pos int64) {
	b := s.b
	b.mu.Lock()
	c := b.users[s.key]
	if c == nil || !s.user {
		b.mu.Unlock()
		return
	}
	// A stream that read its state before the cursor's position (it
	// subscribed while another stream of the user was starting) lowers
	// the cursor, and a load from there covers what it has not seen. A
	// load already under way from the higher position does not raise the
	// cursor past it (processUser).
	lowered := c.synced && pos < c.pos
	if !c.synced || lowered {
		c.pos = pos
	}
	c.synced = true
	dirty := c.dirty
	c.dirty = false
	b.mu.Unlock()
	if dirty || lowered {
		b.enqueueUser(s.key)
	}
}

// TakeSync empties the subscription's merged SyncUpdate, or returns nil.
func (s *Subscription) TakeSync() *SyncUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.sync
	s.sync = nil
	return u
}

func (s *Subscription) putSync(u *SyncUpdate) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.sync = mergeSync(s.sync, u)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// latestByID concatenates lists of rows, keeping each row (by id) once, at
// the place it first appears, in its latest stamp (the later list's on a
// tie).
func latestByID[T any](key func(T) (id string, pos int64), lists ...[]T) []T {
	var out []T
	at := map[string]int{}
	for _, list := range lists {
		for _, x := range list {
			id, pos := key(x)
			if i, ok := at[id]; ok {
				if _, was := key(out[i]); pos >= was {
					out[i] = x
				}
				continue
			}
			at[id] = len(out)
			out = append(out, x)
		}
	}
	return out
}

// mergeSync folds a later update into an earlier one that was not taken:
// the range spans both, each row keeps its latest stamp, and the counts and
// lists are the later ones (the earlier lists when the later has none).
// A later reset carries the notifications still unshown (the newest, with
// a count of the older ones): the earlier update's unshown ones that it
// does not carry were shown since (or are among the older ones it counts),
// and are dropped, so that the merged update neither announces them again
// nor lists them among the unshown.
func mergeSync(old, u *SyncUpdate) *SyncUpdate {
	if old == nil {
		return u
	}
	a, n := old.State, u.State
	st := &models.SyncState{
		UserID: n.UserID, From: min(a.From, n.From), To: max(a.To, n.To), Reset: a.Reset || n.Reset,
		ActiveJobs: n.ActiveJobs, Unread: n.Unread,
	}
	switch {
	case n.Reset:
		st.UnshownOlder = n.UnshownOlder
	case a.Reset:
		st.UnshownOlder = a.UnshownOlder
	}
	st.Jobs = latestByID(func(j models.JobSnapshot) (string, int64) { return j.Job.ID, j.Job.SyncPosition }, a.Jobs, n.Jobs)
	earlier := a.Notifications
	if n.Reset {
		earlier = slices.DeleteFunc(slices.Clone(earlier), func(x models.Notification) bool {
			return x.ShownAt == nil && x.ReadAt == nil
		})
	}
	st.Notifications = latestByID(func(x models.Notification) (string, int64) { return x.ID, x.SyncPosition }, earlier, n.Notifications)
	for _, id := range slices.Concat(a.Libraries, n.Libraries) {
		if !slices.Contains(st.Libraries, id) {
			st.Libraries = append(st.Libraries, id)
		}
	}
	st.Projects = latestByID(func(p models.ProjectChange) (string, int64) { return p.ID, p.SyncPosition }, a.Projects, n.Projects)
	board := u.Board
	if board == nil {
		board = old.Board
	}
	projects := old.Projects
	if len(u.Projects) > 0 {
		projects = make(map[string]*models.ProjectActivity, len(old.Projects)+len(u.Projects))
		for _, m := range []map[string]*models.ProjectActivity{old.Projects, u.Projects} {
			for id, a := range m {
				projects[id] = a
			}
		}
	}
	return &SyncUpdate{State: st, Board: board, Projects: projects, Cache: &sync.Map{}}
}

// enqueueUser queues a load of the user's changes, if the user has a
// subscription here; loads of one user are coalesced and run one at a time.
func (b *Broker) enqueueUser(userID string) {
	if b.cfg.Sync == nil || userID == "" {
		return
	}
	key := "u:" + userID
	b.mu.Lock()
	c := b.users[userID]
	if c == nil {
		delete(b.retries, key) // a retry's delay goes with the user's last stream
		b.mu.Unlock()
		return
	}
	if !c.synced {
		c.dirty = true
		b.mu.Unlock()
		return
	}
	if _, ok := b.pending[key]; ok {
		b.mu.Unlock()
		return
	}
	b.pending[key] = Event{Kind: userLoad, UserID: userID}
	if !b.inflight[key] {
		b.queue = append(b.queue, key)
	}
	b.mu.Unlock()
	b.signal()
}

// processUser loads what changed for the user after the cursor and hands it
// to the user's subscriptions.
func (b *Broker) processUser(ctx context.Context, userID string) {
	key := "u:" + userID
	defer b.release(key) // after the fan-out, as in process
	b.mu.Lock()
	c := b.users[userID]
	var since int64
	if c != nil {
		since = c.pos
	}
	b.mu.Unlock()
	var st *models.SyncState
	var board *models.JobBoard
	var projects map[string]*models.ProjectActivity
	err := errors.New("no subscription")
	if c != nil {
		lctx, cancel := context.WithTimeout(ctx, b.cfg.LoadTimeout)
		st, err = b.cfg.Sync(lctx, userID, since)
		if err == nil && st.Reset {
			err = b.addWatchedJobs(lctx, userID, st)
		}
		if err == nil && b.cfg.Board != nil && b.listsChanged(c, st) {
			board, err = b.cfg.Board(lctx, userID)
		}
		if err == nil {
			projects, err = b.loadProjects(lctx, userID, st)
		}
		cancel()
	}

	b.mu.Lock()
	c = b.users[userID]
	if c == nil {
		delete(b.retries, key)
	}
	if err != nil || c == nil {
		b.mu.Unlock()
		if c != nil && ctx.Err() == nil && !errors.Is(err, models.ErrNotFound) {
			// The change is still to deliver: nothing else may come for
			// this user to carry it. The load is made again, later.
			delay := b.retryLater(ctx, key, func() { b.enqueueUser(userID) })
			b.log.Warn("events: load sync state", "user", userID, "err", err, "retry_in", delay)
		}
		return
	}
	delete(b.retries, key)
	if st.To > c.pos && c.pos >= since {
		// Not when a stream lowered the cursor during the load (Synced):
		// the next load starts from there.
		c.pos = st.To
	}
	for _, j := range st.Jobs {
		c.statuses[j.Job.ID] = j.Job.Status
	}
	subs := make([]*Subscription, 0, len(b.byUser[userID]))
	for s := range b.byUser[userID] {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	if len(st.Jobs) == 0 && len(st.Notifications) == 0 && len(st.Libraries) == 0 && len(st.Projects) == 0 && board == nil && !st.Reset {
		return // nothing visible changed (a duplicate or late event)
	}
	u := &SyncUpdate{State: st, Board: board, Projects: projects, Cache: &sync.Map{}}
	for _, s := range subs {
		s.putSync(u)
	}
}

// addWatchedJobs adds to a reset the jobs that subscriptions of the user
// watch (WatchJob) and the reset does not carry.
func (b *Broker) addWatchedJobs(ctx context.Context, userID string, st *models.SyncState) error {
	var ids []string
	b.mu.Lock()
	for s := range b.byUser[userID] {
		if s.job != "" && !slices.Contains(ids, s.job) && !slices.ContainsFunc(st.Jobs, func(j models.JobSnapshot) bool { return j.Job.ID == s.job }) {
			ids = append(ids, s.job)
		}
	}
	b.mu.Unlock()
	for _, id := range ids {
		snap, err := b.cfg.Loader(ctx, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			continue
		case err != nil:
			return err
		}
		if snap.Job.UserID == userID {
			st.Jobs = append(st.Jobs, *snap)
		}
	}
	return nil
}

// loadProjects reads the activity of each project that a subscription of
// the user watches and st changes (models.SyncState.ChangesProject). The
// watches are read after st, so a subscription that watched before its
// stream read its own state is covered by one or the other.
func (b *Broker) loadProjects(ctx context.Context, userID string, st *models.SyncState) (map[string]*models.ProjectActivity, error) {
	if b.cfg.Project == nil {
		return nil, nil
	}
	watched := map[string]struct{}{}
	b.mu.Lock()
	for s := range b.byUser[userID] {
		if s.project != "" {
			watched[s.project] = struct{}{}
		}
	}
	b.mu.Unlock()
	var out map[string]*models.ProjectActivity
	for id := range watched {
		if !st.ChangesProject(id) {
			continue
		}
		a, err := b.cfg.Project(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]*models.ProjectActivity{}
		}
		out[id] = a
	}
	return out, nil
}

// listsChanged reports whether st adds a job or changes a job's status, as
// far as this instance has delivered. processUser records the statuses once
// the update is delivered: a load that fails must not make its retry think
// the lists are already shown.
func (b *Broker) listsChanged(c *userCursor, st *models.SyncState) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st.Reset {
		return true
	}
	for _, j := range st.Jobs {
		if c.statuses[j.Job.ID] != j.Job.Status {
			return true
		}
	}
	return false
}
