package events

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"dossier/models"
)

// Loader reads a job's current state. The broker calls it once per change
// per instance, never per subscriber, and keeps no connection afterwards.
type Loader func(ctx context.Context, jobID string) (*models.JobSnapshot, error)

// UserJobs lists a user's active and recent job ids: what a resync reloads
// for a user's subscriptions after the bridge lost notifications.
type UserJobs func(ctx context.Context, userID string) ([]string, error)

// Update is a change with the state it led to, loaded once per instance.
// Snapshot is shared by every subscriber: treat it as read-only.
type Update struct {
	Event    Event
	Snapshot *models.JobSnapshot
}

// SyncLoader reads what changed for a user after a position
// (models.DB.SyncSince).
type SyncLoader func(ctx context.Context, userID string, since int64) (*models.SyncState, error)

// BoardLoader reads a user's live job lists (models.DB.JobBoard).
type BoardLoader func(ctx context.Context, userID string) (*models.JobBoard, error)

// ProjectLoader reads what a project page shows live
// (models.DB.ProjectActivity).
type ProjectLoader func(ctx context.Context, userID, projectID string) (*models.ProjectActivity, error)

// Config configures a Broker.
type Config struct {
	// Loader reads a job's state; required.
	Loader Loader
	// UserJobs lets Resync reload the jobs of subscribed users; optional
	// (without it, a resync reloads only jobs with job subscriptions). Not
	// used with Sync.
	UserJobs UserJobs
	// Sync, when set, makes user subscriptions follow the user's sync
	// positions (sync.go) instead of receiving job updates: each change of
	// a user is loaded once per instance as a SyncUpdate.
	Sync SyncLoader
	// Board loads the user's live lists for a SyncUpdate whose jobs changed
	// status or are new; optional.
	Board BoardLoader
	// Project loads, for a SyncUpdate that changes a job of a project some
	// subscription watches (Subscription.WatchProject), that project's
	// runs and documents; optional.
	Project ProjectLoader
	// Instance names this process, unique per process; the bridge ignores
	// notifications that came from it. Default: host-pid-random.
	Instance string
	// Workers is the number of snapshots loaded at once. Changes of one job
	// are always loaded one at a time, in order. Default 4.
	Workers int
	// LoadTimeout bounds one Loader call. Default 10s.
	LoadTimeout time.Duration
	// Logger receives load failures. Default slog.Default().
	Logger *slog.Logger
}

// Broker fans out job changes in process, by user and by job. Publishers
// never block: changes are coalesced per job (latest version wins), loaded
// once, and dropped into each subscriber's mailbox, which itself keeps only
// the latest state per job. A slow subscriber therefore delays no one.
type Broker struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	pending   map[string]Event // job → latest change not yet loaded
	queue     []string         // jobs in pending and not in flight, FIFO
	inflight  map[string]bool
	retries   map[string]time.Duration // key → delay of the next retry of its failed load
	delivered map[string]delivery
	byUser    map[string]map[*Subscription]struct{}
	byJob     map[string]map[*Subscription]struct{}
	users     map[string]*userCursor // users with subscriptions, with Sync
	nsubs     int
	observers []func(Update)
	onCancel  []func(jobID string)
	onQueued  []func(jobID string)
	onEnded   []func(access string)
	onResync  []func()
	outbound  func(Event) // the bridge's sender, if attached

	wake chan struct{}

	startOnce sync.Once
	stopOnce  sync.Once
	started   bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

type delivery struct {
	version  int64
	terminal bool
	at       time.Time
}

// NewBroker builds a broker; call Start to run its dispatcher.
func NewBroker(cfg Config) *Broker {
	if cfg.Loader == nil {
		panic("events: Config.Loader is required")
	}
	if cfg.Workers < 0 || cfg.LoadTimeout < 0 {
		panic("events: Workers and LoadTimeout must not be negative")
	}
	cfg.Instance = cmp.Or(cfg.Instance, defaultInstance())
	cfg.Workers = cmp.Or(cfg.Workers, 4)
	cfg.LoadTimeout = cmp.Or(cfg.LoadTimeout, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Broker{
		cfg:       cfg,
		log:       cfg.Logger,
		pending:   map[string]Event{},
		inflight:  map[string]bool{},
		retries:   map[string]time.Duration{},
		delivered: map[string]delivery{},
		byUser:    map[string]map[*Subscription]struct{}{},
		byJob:     map[string]map[*Subscription]struct{}{},
		users:     map[string]*userCursor{},
		wake:      make(chan struct{}, 1),
	}
}

func defaultInstance() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", cmp.Or(h, "host"), os.Getpid(), uuid.NewString()[:8])
}

// Instance is the name this broker stamps on the events it publishes.
func (b *Broker) Instance() string { return b.cfg.Instance }

// Start runs the dispatcher in the background and returns at once.
func (b *Broker) Start(ctx context.Context) error {
	err := errors.New("events: broker already started")
	b.startOnce.Do(func() {
		err = nil
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		b.mu.Lock()
		b.started = true
		b.cancel = cancel
		b.mu.Unlock()
		for range b.cfg.Workers {
			b.wg.Add(1)
			go b.work(ctx)
		}
		b.wg.Add(1)
		go b.prune(ctx)
		b.signal()
	})
	return err
}

// Stop ends the dispatcher and waits for it. It is safe to call twice, or
// before Start. Subscriptions stay open but receive nothing more.
func (b *Broker) Stop() {
	b.stopOnce.Do(func() {
		b.startOnce.Do(func() {}) // a later Start is refused
		b.mu.Lock()
		cancel := b.cancel
		b.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		b.wg.Wait()
	})
}

// Publish announces a change. It never blocks: the change is queued,
// coalesced with pending changes of the same job, and, with a bridge
// attached, sent to the other instances. A CancelRequested event also runs
// the OnCancel callbacks, here and on every other instance.
func (b *Broker) Publish(ev Event) {
	if ev.Origin == "" {
		ev.Origin = b.cfg.Instance
	}
	b.mu.Lock()
	out := b.outbound
	b.mu.Unlock()
	if out != nil && ev.Origin == b.cfg.Instance {
		out(ev)
	}
	b.accept(ev)
}

// Deliver announces a change in this process only: its transaction has
// already told the other instances (NOTIFY inside the commit).
func (b *Broker) Deliver(ev Event) {
	if ev.Origin == "" {
		ev.Origin = b.cfg.Instance
	}
	b.accept(ev)
}

// receive takes an event from another instance: like Publish, without
// sending it back out.
func (b *Broker) receive(ev Event) { b.accept(ev) }

func (b *Broker) accept(ev Event) {
	if ev.Kind == AccessEnded {
		b.mu.Lock()
		hooks := b.onEnded
		b.mu.Unlock()
		for _, h := range hooks {
			h(ev.Access)
		}
		return
	}
	if b.cfg.Sync != nil && ev.UserID != "" {
		b.enqueueUser(ev.UserID)
	}
	if ev.JobID == "" {
		return
	}
	if ev.Kind == CancelRequested || ev.Kind == JobQueued {
		b.mu.Lock()
		hooks := append([]func(string){}, b.onCancel...)
		if ev.Kind == JobQueued {
			hooks = append(hooks[:0], b.onQueued...)
		}
		b.mu.Unlock()
		for _, h := range hooks {
			h(ev.JobID)
		}
	}
	b.enqueue(ev)
}

// enqueue coalesces ev into the pending changes and wakes a worker.
func (b *Broker) enqueue(ev Event) {
	b.mu.Lock()
	if prev, ok := b.pending[ev.JobID]; ok {
		// Coalesce: one load will read the latest state anyway.
		ev.Version = max(ev.Version, prev.Version)
		ev.UserID = cmp.Or(ev.UserID, prev.UserID)
		b.pending[ev.JobID] = ev
		b.mu.Unlock()
		return
	}
	if d, ok := b.delivered[ev.JobID]; ok && ev.Version > 0 && ev.Version <= d.version {
		b.mu.Unlock() // already delivered this version or a later one
		return
	}
	if !b.watched(ev) {
		// Nobody here watches the job: loading it would be wasted. A
		// subscriber that comes later reads the current state itself.
		// A retry's delay (its loads failed while a subscriber was
		// there) goes with the last subscriber.
		delete(b.retries, ev.JobID)
		b.mu.Unlock()
		return
	}
	b.pending[ev.JobID] = ev
	if !b.inflight[ev.JobID] {
		b.queue = append(b.queue, ev.JobID)
	}
	b.mu.Unlock()
	b.signal()
}

// watched reports whether a subscriber here wants the job's changes; b.mu
// must be held.
func (b *Broker) watched(ev Event) bool {
	if len(b.byJob[ev.JobID]) > 0 {
		return true
	}
	if b.cfg.Sync != nil {
		// User subscriptions follow positions; a job load is needed only
		// to learn the owner of an event that does not name it.
		return ev.UserID == "" && len(b.byUser) > 0
	}
	if ev.UserID == "" {
		return len(b.byUser) > 0
	}
	return len(b.byUser[ev.UserID]) > 0
}

func (b *Broker) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// work loads and fans out queued changes until ctx ends.
func (b *Broker) work(ctx context.Context) {
	defer b.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		for {
			ev, ok := b.next()
			if !ok {
				break
			}
			b.process(ctx, ev)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// next pops the oldest queued job, marking it in flight.
func (b *Broker) next() (Event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started || len(b.queue) == 0 {
		return Event{}, false
	}
	id := b.queue[0]
	b.queue[0] = ""
	b.queue = b.queue[1:]
	ev := b.pending[id]
	delete(b.pending, id)
	b.inflight[id] = true
	if len(b.queue) > 0 {
		b.signal() // let another worker take the rest
	}
	return ev, true
}

func (b *Broker) process(ctx context.Context, ev Event) {
	if ev.Kind == userLoad {
		b.processUser(ctx, ev.UserID)
		return
	}
	// The job stays in flight until its update is in every mailbox: a
	// newer change loaded by another worker meanwhile could otherwise reach
	// a reader first and be overwritten by this older one.
	defer b.release(ev.JobID)
	lctx, cancel := context.WithTimeout(ctx, b.cfg.LoadTimeout)
	snap, err := b.cfg.Loader(lctx, ev.JobID)
	cancel()

	b.mu.Lock()
	if err != nil {
		b.mu.Unlock()
		if !errors.Is(err, models.ErrNotFound) && ctx.Err() == nil {
			// The change is still to deliver, and nothing else may come
			// to carry it (a job's last change): it is loaded again, later.
			delay := b.retryLater(ctx, ev.JobID, func() { b.enqueue(ev) })
			b.log.Warn("events: load job snapshot", "job", ev.JobID, "err", err, "retry_in", delay)
		}
		return
	}
	delete(b.retries, ev.JobID)
	v := snap.Job.Version
	if d, ok := b.delivered[ev.JobID]; ok && v <= d.version {
		b.mu.Unlock() // stale or already delivered
		return
	}
	b.delivered[ev.JobID] = delivery{version: v, terminal: snap.Job.Terminal(), at: time.Now()}
	ev.Version = v
	ev.UserID = snap.Job.UserID
	u := Update{Event: ev, Snapshot: snap}
	observers := b.observers
	b.mu.Unlock()

	for _, o := range observers {
		o(u)
	}
	if b.cfg.Sync != nil {
		b.enqueueUser(ev.UserID) // no-op unless the owner is subscribed here
	}

	b.mu.Lock()
	subs := make([]*Subscription, 0, len(b.byJob[ev.JobID])+len(b.byUser[ev.UserID]))
	for s := range b.byJob[ev.JobID] {
		subs = append(subs, s)
	}
	if b.cfg.Sync == nil {
		for s := range b.byUser[ev.UserID] {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.put(u)
	}
}

// release ends the load of key (a job, or a user with Sync) and queues it
// again if a change came in meanwhile.
func (b *Broker) release(key string) {
	b.mu.Lock()
	delete(b.inflight, key)
	_, more := b.pending[key]
	if more {
		b.queue = append(b.queue, key)
	}
	b.mu.Unlock()
	if more {
		b.signal()
	}
}

// retryLater runs again, after a delay that doubles while the loads of key
// keep failing (from 100 ms up to 5 s), a load that failed; it returns the
// delay. A success forgets the delay (delete(b.retries, key)). A load that
// comes meanwhile for another reason does the same work: the retry then
// finds it delivered, or coalesces with it.
func (b *Broker) retryLater(ctx context.Context, key string, again func()) time.Duration {
	b.mu.Lock()
	d := min(max(2*b.retries[key], 100*time.Millisecond), 5*time.Second)
	b.retries[key] = d
	b.mu.Unlock()
	time.AfterFunc(d, func() {
		if ctx.Err() == nil { // the broker is not stopped
			again()
		}
	})
	return d
}

// prune forgets delivered versions of jobs that ended a while ago, so that
// the table does not grow with history.
func (b *Broker) prune(ctx context.Context) {
	defer b.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.mu.Lock()
			for id, d := range b.delivered {
				if (d.terminal && now.Sub(d.at) > 10*time.Minute) || now.Sub(d.at) > 6*time.Hour {
					delete(b.delivered, id)
				}
			}
			b.mu.Unlock()
		}
	}
}

// OnQueued registers fn to run, here and on every other instance, when a
// job is queued (created or retried): the processors' claim trigger. fn must
// not block.
func (b *Broker) OnQueued(fn func(jobID string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onQueued = append(b.onQueued, fn)
}

// EndAccess announces, here and on every other instance, that a sign-in
// ended: access is a session's id or an API token's id (see
// Event.Access), never a secret. The OnAccessEnded callbacks end the streams
// it opened.
func (b *Broker) EndAccess(access string) {
	b.Publish(Event{Kind: AccessEnded, Access: access})
}

// OnAccessEnded registers fn to run, here and on every other instance, when
// a sign-in ends (EndAccess). fn must not block.
func (b *Broker) OnAccessEnded(fn func(access string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onEnded = append(b.onEnded[:len(b.onEnded):len(b.onEnded)], fn)
}

// OnResync registers fn to run at each Resync (after the bridge
// reconnected): the ends of sign-ins announced while it was away are lost,
// so fn checks again the sign-ins its streams depend on. fn must not block.
func (b *Broker) OnResync(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onResync = append(b.onResync[:len(b.onResync):len(b.onResync)], fn)
}

// Observe registers fn to run once per update per instance, before the
// update reaches subscribers: the place to render a fragment once or to
// write something once. Only jobs that a subscriber here watches are loaded,
// so only they make updates. fn runs on a dispatcher goroutine; keep it
// short.
func (b *Broker) Observe(fn func(Update)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.observers = append(b.observers[:len(b.observers):len(b.observers)], fn)
}

// OnCancel registers fn to run when a cancel is requested for a job, on
// whichever instance the request was made. fn must not block.
func (b *Broker) OnCancel(fn func(jobID string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onCancel = append(b.onCancel, fn)
}

// Resync reloads every job that has a subscriber here: after the bridge
// reconnected, the notifications it missed are made good by the current
// state. Jobs whose version did not change deliver nothing.
func (b *Broker) Resync(ctx context.Context) error {
	b.mu.Lock()
	jobs := make(map[string]string, len(b.byJob)) // job → owner, "" if no subscription knows it
	for id, subs := range b.byJob {
		jobs[id] = ""
		for s := range subs {
			if s.owner != "" {
				jobs[id] = s.owner
				break
			}
		}
	}
	users := make([]string, 0, len(b.byUser))
	for id := range b.byUser {
		users = append(users, id)
	}
	resynced := b.onResync
	b.mu.Unlock()
	for _, fn := range resynced {
		fn()
	}
	var errs []error
	if b.cfg.Sync != nil {
		for _, u := range users {
			b.enqueueUser(u)
		}
	} else if b.cfg.UserJobs != nil {
		for _, u := range users {
			ids, err := b.cfg.UserJobs(ctx, u)
			if err != nil {
				errs = append(errs, fmt.Errorf("resync user %s: %w", u, err))
				continue
			}
			for _, id := range ids {
				b.enqueue(Event{Kind: JobChanged, JobID: id, UserID: u})
			}
		}
	}
	for id, owner := range jobs {
		b.enqueue(Event{Kind: JobChanged, JobID: id, UserID: owner})
	}
	return errors.Join(errs...)
}

// Subscribers counts the open subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nsubs
}

// attach makes Publish hand local events to send (the bridge).
func (b *Broker) attach(send func(Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outbound = send
}

// SubscribeUser subscribes to every job of the user.
func (b *Broker) SubscribeUser(userID string) *Subscription {
	return b.subscribe(b.byUser, userID)
}

// SubscribeJob subscribes to one job. Tell the subscription the job's
// owner (OwnedBy) once it is checked.
func (b *Broker) SubscribeJob(jobID string) *Subscription {
	return b.subscribe(b.byJob, jobID)
}

func (b *Broker) subscribe(index map[string]map[*Subscription]struct{}, key string) *Subscription {
	s := &Subscription{b: b, index: index, key: key, box: map[string]boxed{}, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	s.user = isUserIndex(b, index)
	if s.user && b.users[key] == nil {
		b.users[key] = &userCursor{statuses: map[string]string{}}
	}
	set := index[key]
	if set == nil {
		set = map[*Subscription]struct{}{}
		index[key] = set
	}
	set[s] = struct{}{}
	b.nsubs++
	return s
}

func (b *Broker) unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := s.index[s.key]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(s.index, s.key)
		if s.user {
			delete(b.users, s.key)
		}
	}
	b.nsubs--
}
