package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"dossier/models"
)

// completer is the process's group commit: every run hands its writes
// (finished documents, started ones, outcomes) to it, and it stores
// whatever has gathered in one transaction, while the previous one commits
// or after at most a few milliseconds. Commits are the scarce resource: a
// batch of sixty documents costs one.
type completer struct {
	db  *models.DB
	log *slog.Logger
	// maxBatch bounds the writes of one transaction.
	maxBatch int
	// linger is how long a lone write waits for company when the database
	// is idle; 0 commits at once.
	linger time.Duration
	// onCommit runs after each committed batch, with the results (to
	// announce them).
	onCommit func([]models.Committed)
	// claims, when set, claims jobs in the batches' transactions for the
	// slots they free.
	claims claimer

	mu      sync.Mutex
	queue   []*submission
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// claimer is the processor, as the completer sees it: it reserves the
// claim a batch makes (the slots the batch's ending runs free, and any
// other free slot), and starts the runs it claimed.
type claimer interface {
	// reserve returns the claim to make with a batch that ends `ending`
	// runs, or false (nothing to claim, or a claim already under way). A
	// true answer must be followed by exactly one call of claimed.
	reserve(ending int) (models.ClaimParams, bool)
	// claimed hands over the slots of the runs whose end was committed
	// and starts the claimed runs.
	claimed(ended []string, jobs []models.ClaimedJob)
}

type submission struct {
	w    models.Write
	ctx  context.Context
	done chan struct{}
	res  models.Committed
	err  error
}

func newCompleter(db *models.DB, log *slog.Logger, onCommit func([]models.Committed)) *completer {
	return &completer{db: db, log: log, maxBatch: 256, onCommit: onCommit,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
}

func (c *completer) start() { go c.loop() }

// close stops the loop once the queue is empty.
func (c *completer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.stopped
}

// submit queues w and waits until it is committed (or refused). Errors of
// the infrastructure (connection lost, database unavailable) are retried
// by the completer until ctx ends: they are nobody's fault, and cost the
// job nothing. Any other error is the write's own.
func (c *completer) submit(ctx context.Context, w models.Write) (models.Committed, error) {
	return c.enqueue(ctx, w).wait()
}

// enqueue queues w and returns at once; wait for its outcome. A run's
// writes are committed in the order it enqueues them.
func (c *completer) enqueue(ctx context.Context, w models.Write) *submission {
	s := &submission{w: w, ctx: ctx, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, s)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return s
}

// wait returns the submission's outcome once the completer has it.
func (s *submission) wait() (models.Committed, error) {
	<-s.done
	return s.res, s.err
}

// take returns the next batch: queued writes in order, at most one per job
// (a job's row is updated once per statement; its later writes wait for
// the next batch, in their order).
func (c *completer) take() []*submission {
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch, rest []*submission
	seen := make(map[string]bool, len(c.queue))
	for _, s := range c.queue {
		id := s.w.Lease.JobID
		if seen[id] || len(batch) == c.maxBatch {
			rest = append(rest, s)
			seen[id] = true
			continue
		}
		seen[id] = true
		batch = append(batch, s)
	}
	c.queue = rest
	return batch
}

func (c *completer) loop() {
	defer close(c.stopped)
	for {
		batch := c.take()
		if len(batch) == 0 {
			select {
			case <-c.wake:
				if c.linger > 0 {
					time.Sleep(c.linger)
				}
				continue
			case <-c.stop:
				if batch = c.take(); len(batch) == 0 {
					return
				}
			}
		}
		c.commit(batch)
	}
}

// commit stores a batch; on an error that is not the infrastructure's, it
// commits the writes one by one so that one bad write fails alone.
func (c *completer) commit(batch []*submission) {
	backoff := 50 * time.Millisecond
	for {
		live := batch[:0:0]
		for _, s := range batch {
			if err := s.ctx.Err(); err != nil {
				s.err = err
				close(s.done)
				continue
			}
			live = append(live, s)
		}
		if len(live) == 0 {
			return
		}
		batch = live
		writes := make([]models.Write, len(batch))
		for i, s := range batch {
			writes[i] = s.w
		}
		var claim *models.ClaimParams
		if c.claims != nil {
			ending := 0
			for _, w := range writes {
				if w.End != nil {
					ending++
				}
			}
			if cp, ok := c.claims.reserve(ending); ok {
				claim = &cp
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, claimed, err := c.db.CommitAndClaim(ctx, writes, claim)
		cancel()
		if err != nil && claim != nil {
			c.claims.claimed(nil, nil) // nothing was claimed
		}
		var ended []string
		if err == nil {
			for i, w := range writes {
				if w.End != nil && res[i].Err == nil {
					ended = append(ended, w.Lease.JobID)
				}
			}
		}
		switch {
		case err == nil:
			for i, s := range batch {
				s.res = res[i]
				s.err = res[i].Err
			}
			if c.onCommit != nil {
				c.onCommit(res)
			}
			if claim != nil {
				c.claims.claimed(ended, claimed)
			}
			for _, s := range batch {
				close(s.done)
			}
			return
		case models.IsInfrastructure(err):
			c.log.Warn("commit: database unavailable; retrying", "err", err, "writes", len(batch), "retry_in", backoff)
			time.Sleep(backoff)
			backoff = min(backoff*2, 5*time.Second)
		case len(batch) > 1:
			for _, s := range batch {
				c.commit([]*submission{s})
			}
			return
		default:
			batch[0].err = err
			close(batch[0].done)
			return
		}
	}
}
