// Package jobs runs document generation as durable background jobs: claim,
// run, heartbeat, rescue, cancel, retry and cleanup, driven by an on-create
// trigger and a robfig/cron sweep. It knows nothing of HTTP.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// Config tunes a Processor. Zero values take the defaults.
type Config struct {
	// Worker names this process in leases (locked_by). Unique per process.
	Worker string
	// Concurrency is the number of jobs run at once (WORKER_CONCURRENCY).
	Concurrency int
	// DocConcurrency is the number of documents of one job generated in
	// parallel (LLM_CONCURRENCY); the generator's limiter caps the process.
	DocConcurrency int
	// MaxPerUser caps one user's running jobs while others wait; 0: no cap.
	MaxPerUser int
	// SweepInterval is the period of the cron sweep that claims due jobs
	// and rescues expired leases, honoured exactly (every).
	SweepInterval time.Duration
	// LeaseDuration is a running job's lease; heartbeats renew it.
	LeaseDuration time.Duration
	// HeartbeatInterval defaults to a third of the lease, at most 3 s, so
	// that a cancel seen only by heartbeat still lands within 5 s.
	HeartbeatInterval time.Duration
	// Retention: terminal jobs older than this are deleted daily.
	Retention time.Duration
	// CleanupSpec is the cron spec of the cleanup (default "@daily").
	CleanupSpec string
	// ShutdownTimeout bounds the drain of in-flight documents at Stop.
	ShutdownTimeout time.Duration
	// Retry is the per-document retry policy.
	Retry documents.RetryPolicy
	// JobRetryBase is the first delay of an automatic job retry; it doubles
	// with each retry, with jitter, up to JobRetryMax.
	JobRetryBase, JobRetryMax time.Duration
	// PriorDuration is the expected duration of a document type that has no
	// history yet, for estimated completion.
	PriorDuration time.Duration
	Logger        *slog.Logger
	// Drafts receives the documents' text as it is written (live drafts);
	// nil or disabled: none.
	Drafts *events.DraftHub
}

func (c *Config) defaults() error {
	host, _ := os.Hostname()
	c.Worker = cmp.Or(c.Worker, fmt.Sprintf("%s-%d-%s", host, os.Getpid(), models.RandomToken(4)))
	c.Concurrency = cmp.Or(c.Concurrency, 2)
	c.DocConcurrency = cmp.Or(c.DocConcurrency, 2)
	c.SweepInterval = cmp.Or(c.SweepInterval, 5*time.Second)
	c.LeaseDuration = cmp.Or(c.LeaseDuration, 30*time.Second)
	c.HeartbeatInterval = cmp.Or(c.HeartbeatInterval, min(c.LeaseDuration/3, 3*time.Second))
	c.Retention = cmp.Or(c.Retention, 720*time.Hour)
	c.CleanupSpec = cmp.Or(c.CleanupSpec, "@daily")
	// Zero takes the default, as everywhere here; a negative timeout is no
	// drain at all (SHUTDOWN_TIMEOUT=0): Stop aborts the runs at once and
	// releases their leases.
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, 25*time.Second)
	c.JobRetryBase = cmp.Or(c.JobRetryBase, 10*time.Second)
	c.JobRetryMax = cmp.Or(c.JobRetryMax, 10*time.Minute)
	c.PriorDuration = cmp.Or(c.PriorDuration, 20*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.Concurrency < 1:
		return errors.New("jobs: Concurrency must be at least 1")
	case c.DocConcurrency < 1:
		return errors.New("jobs: DocConcurrency must be at least 1")
	case c.HeartbeatInterval >= c.LeaseDuration:
		return errors.New("jobs: HeartbeatInterval must be shorter than LeaseDuration")
	case c.MaxPerUser < 0:
		return errors.New("jobs: MaxPerUser must not be negative")
	case c.SweepInterval < 0:
		return errors.New("jobs: SweepInterval must not be negative")
	}
	return nil
}

// abortGrace is how long Stop waits for aborted runs to return.
const abortGrace = 3 * time.Second

// Causes of a run's cancellation.
var (
	errCancelRequested = errors.New("cancel requested")
	errLeaseLost       = models.ErrLeaseLost
	errShutdown        = errors.New("shutting down")
)

// Processor claims and runs jobs. Start returns at once; Stop drains.
type Processor struct {
	db     *models.DB
	gen    documents.Generator
	broker *events.Broker
	cfg    Config
	log    *slog.Logger

	trigger chan struct{}
	cron    *cron.Cron
	sweepID cron.EntryID

	// claimMu makes claims one at a time (the claim loop's, or a group
	// commit's), so that two never count the same free slot.
	claimMu  sync.Mutex
	reserved int // the limit of the group commit's claim; under claimMu
	mu       sync.Mutex
	running  map[string]*run
	draining bool
	// lookAgain is the delay before the claim looks again for due jobs
	// it passed over (passedOver).
	lookAgain time.Duration
	started   bool
	stopped   bool

	loopCtx    context.Context
	loopCancel context.CancelFunc
	// runCtx is the parent of every run; cancelled when the drain times out.
	runCtx    context.Context
	runCancel context.CancelCauseFunc
	loopWG    sync.WaitGroup
	runWG     sync.WaitGroup

	estimates *estimator
	drafts    *drafter
	completer *completer
	// storeCtx bounds storage calls, which outlive cancelled runs; it ends
	// when Stop gives up on the runs.
	storeCtx    context.Context
	storeCancel context.CancelFunc
}

// NewProcessor validates cfg and returns a Processor.
func NewProcessor(db *models.DB, gen documents.Generator, broker *events.Broker, cfg Config) (*Processor, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	p := &Processor{
		db: db, gen: gen, broker: broker, cfg: cfg, log: cfg.Logger.With("worker", cfg.Worker),
		trigger: make(chan struct{}, 1), running: map[string]*run{},
		estimates: newEstimator(db, cfg.PriorDuration),
		drafts:    newDrafter(cfg.Drafts, draftInterval),
	}
	p.completer = newCompleter(db, p.log, p.committed)
	if db.Dialect == models.Postgres {
		p.completer.claims = p
	}
	p.storeCtx, p.storeCancel = context.WithCancel(context.Background())
	return p, nil
}

// Worker is the name this processor holds leases under.
func (p *Processor) Worker() string { return p.cfg.Worker }

// Start runs the claim loop, the heartbeat and the cron entries in the
// background, and returns at once.
func (p *Processor) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("jobs: processor already started")
	}
	p.started = true
	p.loopCtx, p.loopCancel = context.WithCancel(context.WithoutCancel(ctx))
	p.runCtx, p.runCancel = context.WithCancelCause(context.WithoutCancel(ctx))

	logger := cronLogger{p.log}
	p.cron = cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	p.sweepID = p.cron.Schedule(every(p.cfg.SweepInterval), cron.FuncJob(p.sweep))
	if _, err := p.cron.AddFunc(p.cfg.CleanupSpec, p.cleanup); err != nil {
		return fmt.Errorf("jobs: cleanup schedule: %w", err)
	}
	if p.broker != nil {
		p.broker.OnCancel(p.cancelRun)
		p.broker.OnQueued(func(string) { p.Trigger() })
	}
	p.drafts.start()
	p.completer.start()
	p.loopWG.Add(2)
	go p.claimLoop()
	go p.heartbeatLoop()
	p.cron.Start()
	p.Trigger()
	return nil
}

// Trigger asks for a claim now, without waiting for the sweep.
func (p *Processor) Trigger() {
	select {
	case p.trigger <- struct{}{}:
	default:
	}
}

// Stop stops claiming, lets in-flight documents finish until
// ShutdownTimeout, then aborts what is left and releases every lease, so
// that another instance resumes at once. Safe to call twice or before Start.
func (p *Processor) Stop() {
	p.mu.Lock()
	if !p.started || p.stopped {
		p.stopped = true
		p.mu.Unlock()
		p.drafts.close()
		return
	}
	p.stopped = true
	p.draining = true
	for _, r := range p.running {
		r.drain()
	}
	p.mu.Unlock()

	// Cancel first: a running cron entry (a long cleanup) must not hold
	// the shutdown up.
	p.loopCancel()
	<-p.cron.Stop().Done()

	done := make(chan struct{})
	go func() { p.runWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.cfg.ShutdownTimeout):
		p.log.Warn("shutdown timeout: aborting in-flight documents")
		p.runCancel(errShutdown)
		select {
		case <-done:
		case <-time.After(abortGrace):
			// A generator that ignores its context must not hold the
			// process: its late writes are fenced off by the release.
			p.log.Error("in-flight calls ignored cancellation; releasing their leases anyway")
		}
	}
	p.runCancel(errShutdown)
	p.loopWG.Wait()
	select {
	case <-done:
	default:
		p.storeCancel() // runs that are still stuck give up their writes
	}
	p.completer.close()
	p.storeCancel()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	released, err := p.db.ReleaseWorker(ctx, p.cfg.Worker, time.Now())
	if err != nil {
		p.log.Error("release leases", "err", err)
	}
	for _, e := range released {
		p.announce(e.ID, e.UserID, e.Status, e.Version)
	}
	if len(released) > 0 {
		p.log.Info("released jobs for another instance", "count", len(released))
	}
	p.drafts.close()
}

// Running is the number of jobs this process runs now.
func (p *Processor) Running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.running)
}

func (p *Processor) claimLoop() {
	defer p.loopWG.Done()
	for {
		select {
		case <-p.loopCtx.Done():
			return
		case <-p.trigger:
		}
		p.claim()
	}
}

// claim fills the free slots with due jobs, in one batched claim.
func (p *Processor) claim() {
	p.claimMu.Lock()
	defer p.claimMu.Unlock()
	p.mu.Lock()
	free := p.cfg.Concurrency - len(p.running)
	draining := p.draining
	p.mu.Unlock()
	if free <= 0 || draining {
		return
	}
	ctx, cancel := context.WithTimeout(p.loopCtx, 10*time.Second)
	defer cancel()
	claimed, err := p.db.Claim(ctx, p.claimParams(free))
	p.startClaimed(claimed, free, err)
	if err == nil && len(claimed) < free {
		p.passedOver(ctx)
	}
}

// passedOver looks again, shortly, when a claim left slots free while due
// jobs remain: on PostgreSQL the claim skips the jobs whose owner's row
// another transaction holds (a commit of another instance, a tab's
// acknowledgement, a save) rather than wait for it, and nothing else would
// wake the loop for them before the sweep. The delay doubles while it
// keeps happening, up to the sweep's interval.
func (p *Processor) passedOver(ctx context.Context) {
	if p.db.Dialect != models.Postgres {
		return // SQLite's claim skips nothing
	}
	due, err := p.db.HasDueJobs(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || !due {
		p.lookAgain = 0
		return
	}
	p.lookAgain = min(max(2*p.lookAgain, 10*time.Millisecond), p.cfg.SweepInterval)
	time.AfterFunc(p.lookAgain, p.Trigger)
}

// claimParams is a claim of up to limit jobs, the loop's or a group
// commit's: the same cap and documents per job for both.
func (p *Processor) claimParams(limit int) models.ClaimParams {
	return models.ClaimParams{
		Worker: p.cfg.Worker, Limit: limit, Lease: p.cfg.LeaseDuration,
		MaxPerUser: p.cfg.MaxPerUser, PerJob: p.cfg.DocConcurrency, // Now: the database's clock, read by the claim itself
	}
}

// startClaimed starts the runs of a claim of up to limit jobs.
func (p *Processor) startClaimed(claimed []models.ClaimedJob, limit int, err error) {
	if err != nil {
		if p.loopCtx.Err() == nil {
			p.log.Error("claim", "err", err)
		}
		return
	}
	observeClaimed(claimed)
	for i := range claimed {
		p.startRun(&claimed[i])
	}
	if len(claimed) == limit {
		p.Trigger() // there may be more
	}
}

// reserve is the claim a group commit makes for the slots its batch frees
// (runs whose end it commits) and any other free one. It skips when a claim
// is under way: that one fills the slots.
func (p *Processor) reserve(ending int) (models.ClaimParams, bool) {
	if !p.claimMu.TryLock() {
		return models.ClaimParams{}, false
	}
	p.mu.Lock()
	free := p.cfg.Concurrency - len(p.running) + ending
	draining := p.draining
	p.mu.Unlock()
	if free <= 0 || draining {
		p.claimMu.Unlock()
		return models.ClaimParams{}, false
	}
	p.reserved = free
	return p.claimParams(free), true
}

// claimed takes over the slots of the runs whose end the group commit
// stored (their goroutines are returning) and starts the jobs it claimed.
func (p *Processor) claimed(ended []string, jobs []models.ClaimedJob) {
	defer p.claimMu.Unlock()
	p.mu.Lock()
	for _, id := range ended {
		delete(p.running, id)
	}
	p.mu.Unlock()
	p.startClaimed(jobs, p.reserved, nil)
	if len(jobs) < p.reserved && len(ended) > 0 {
		// The batch freed slots it did not fill: its claim found fewer
		// jobs, or was not made (a write of the batch lost its fence).
		// Nothing else would wake the claim loop for them.
		p.Trigger()
	}
}

func (p *Processor) startRun(job *models.ClaimedJob) {
	ctx, cancel := context.WithCancelCause(p.runCtx)
	r := &run{p: p, job: job, lease: job.Lease(), ctx: ctx, cancel: cancel, log: p.log.With("job", job.ID)}
	p.mu.Lock()
	if p.draining {
		// Claimed while Stop began: don't start it; ReleaseWorker hands
		// it back.
		p.mu.Unlock()
		cancel(errShutdown)
		return
	}
	p.running[job.ID] = r
	p.runWG.Add(1)
	p.mu.Unlock()
	metricRunning.Inc()
	go func() {
		defer p.runWG.Done()
		defer func() {
			if v := recover(); v != nil {
				// The lease expires and the sweep requeues the job,
				// counting a retry; this process carries on.
				p.log.Error("job run panicked", "job", job.ID, "panic", v, "stack", string(debug.Stack()))
			}
		}()
		defer func() {
			p.mu.Lock()
			mine := p.running[job.ID] == r
			if mine {
				delete(p.running, job.ID)
			}
			p.mu.Unlock()
			metricRunning.Dec()
			cancel(nil)
			if mine {
				p.Trigger() // a slot is free
			} // else the group commit that stored its end took the slot over
		}()
		r.execute()
	}()
	p.deliver(events.Event{Kind: events.JobChanged, JobID: job.ID, UserID: job.UserID, Version: job.Version})
}

// cancelRun aborts the job's in-flight calls, if this process runs it.
func (p *Processor) cancelRun(jobID string) {
	p.mu.Lock()
	r := p.running[jobID]
	p.mu.Unlock()
	if r != nil {
		r.cancel(errCancelRequested)
	}
}

// heartbeatLoop renews every lease of this process in one statement, and
// stops the runs whose lease was lost or whose cancel was requested.
func (p *Processor) heartbeatLoop() {
	defer p.loopWG.Done()
	t := time.NewTicker(p.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-p.runCtx.Done():
			return
		case <-t.C:
		}
		p.heartbeat()
	}
}

func (p *Processor) heartbeat() {
	p.mu.Lock()
	ids := make([]string, 0, len(p.running))
	for id := range p.running {
		ids = append(ids, id)
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(p.runCtx, p.cfg.HeartbeatInterval)
	defer cancel()
	held, err := p.db.Heartbeat(ctx, p.cfg.Worker, ids, p.cfg.LeaseDuration, p.db.Now(ctx))
	if err != nil {
		p.log.Warn("heartbeat", "err", err)
		return
	}
	live := make(map[string]models.LeaseState, len(held))
	for _, h := range held {
		live[h.ID] = h
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		r := p.running[id]
		if r == nil {
			continue // ended meanwhile
		}
		h, ok := live[id]
		switch {
		case !ok || h.FencingToken != r.lease.Token:
			r.cancel(errLeaseLost)
		case h.CancelRequestedAt != nil:
			r.cancel(errCancelRequested)
		}
	}
}

// every is the sweep's schedule: exactly d after each pass began. cron's
// "@every" (ConstantDelaySchedule) rounds d down to whole seconds, at
// least one, and fires on whole seconds: SWEEP_INTERVAL=100ms swept once a
// second, and 2500ms every 2 s.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// minSweepTimeout is the least time a sweep pass gets for its statements,
// whatever the interval: the claim's 10 s. (The interval itself gave a
// 100ms sweep a 100 ms deadline; SkipIfStillRunning keeps passes from
// overlapping.)
const minSweepTimeout = 10 * time.Second

// sweep is the cron entry: rescue expired leases, then claim.
func (p *Processor) sweep() {
	ctx, cancel := context.WithTimeout(p.loopCtx, max(p.cfg.SweepInterval, minSweepTimeout))
	defer cancel()
	rescued, err := p.db.Rescue(ctx, p.db.Now(ctx))
	if err != nil {
		if p.loopCtx.Err() == nil {
			p.log.Error("rescue", "err", err)
		}
	}
	for _, e := range rescued {
		p.log.Info("rescued job with an expired lease", "job", e.ID, "status", e.Status)
		p.announce(e.ID, e.UserID, e.Status, e.Version)
	}
	observeRescued(rescued)
	p.Trigger()
}

// cleanupLockKey makes one instance run the cleanup on PostgreSQL.
const cleanupLockKey = 7311003

// cleanup is the daily cron entry: delete old terminal jobs (keeping their
// artifacts), expired sessions, old notifications and completed jobs'
// snapshot text.
func (p *Processor) cleanup() {
	if _, err := p.Cleanup(p.loopCtx); err != nil && p.loopCtx.Err() == nil {
		p.log.Error("cleanup", "err", err)
	}
}

// Cleanup deletes terminal jobs older than the retention, expired sessions,
// notifications older than the retention that are read or whose job is
// gone, and the claim's snapshot text of completed jobs, in batches, on one
// instance at a time. The owners of removed jobs and notifications are
// told (their open tabs resync: the badge, the bell and the lists stop
// showing what is gone). It returns the number of jobs deleted.
func (p *Processor) Cleanup(ctx context.Context) (int64, error) {
	var n int64
	var owners []string
	_, err := p.db.WithAdvisoryLock(ctx, cleanupLockKey, func(ctx context.Context) error {
		var err error
		cutoff := time.Now().Add(-p.cfg.Retention)
		n, owners, err = p.db.DeleteFinishedJobs(ctx, cutoff, 500)
		if _, serr := p.db.DeleteExpiredSessions(ctx); serr != nil && err == nil {
			err = serr
		}
		_, more, nerr := p.db.DeleteOldNotifications(ctx, cutoff, 500)
		if nerr != nil && err == nil {
			err = nerr
		}
		for _, u := range more {
			if !slices.Contains(owners, u) {
				owners = append(owners, u)
			}
		}
		if _, serr := p.db.DeleteCompletedSnapshots(ctx, 500); serr != nil && err == nil {
			err = serr
		}
		return err
	})
	for _, u := range owners {
		p.deliver(events.Event{Kind: events.UserChanged, UserID: u})
	}
	if n > 0 {
		p.log.Info("cleanup removed finished jobs", "count", n)
	}
	return n, err
}

// committed announces the changes of a group commit in this process; the
// other instances heard of them from the commit's own NOTIFY.
func (p *Processor) committed(res []models.Committed) {
	for _, c := range res {
		if c.Err == nil {
			p.announce(c.Job.ID, c.Job.UserID, c.Job.Status, c.Job.Version)
		}
	}
}

// announce tells this process's subscribers of a job's change, and its
// processor (and, through the broker, every instance's) of a job to claim.
func (p *Processor) announce(jobID, userID, status string, version int64) {
	p.deliver(events.Event{Kind: events.JobChanged, JobID: jobID, UserID: userID, Version: version})
	if status == models.StatusQueued {
		p.Trigger()
		p.deliver(events.Event{Kind: events.JobQueued, JobID: jobID, UserID: userID, Version: version})
	}
}

// deliver publishes ev: in process only when the database sent it to the
// other instances inside the change's transaction, else through the broker
// (and its bridge, if any).
func (p *Processor) deliver(ev events.Event) {
	deliver(p.db, p.broker, ev)
}

func deliver(db *models.DB, b *events.Broker, ev events.Event) {
	switch {
	case b == nil:
	case db.Notifies():
		b.Deliver(ev)
	default:
		b.Publish(ev)
	}
}

// jobRetryDelay is the backoff of the n-th automatic job retry (n from 0).
func (p *Processor) jobRetryDelay(n int) time.Duration {
	d := p.cfg.JobRetryBase << min(n, 16)
	if d > p.cfg.JobRetryMax || d <= 0 {
		d = p.cfg.JobRetryMax
	}
	// Full jitter in [d/2, d).
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {}
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
