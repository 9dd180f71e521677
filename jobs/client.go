package jobs

import (
	"context"
	"time"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// Client creates, cancels and retries jobs, and tells every instance about
// it. The web role uses it without running a Processor.
type Client struct {
	db     *models.DB
	broker *events.Broker
	// local, when set, is this process's processor: woken at once.
	local *Processor
}

// NewClient returns a Client. processor may be nil (web role).
func NewClient(db *models.DB, broker *events.Broker, processor *Processor) *Client {
	return &Client{db: db, broker: broker, local: processor}
}

// Create stores a queued job and triggers a claim: in process, and through
// the broker (NOTIFY) on the other instances. replay reports an earlier job
// returned for the same idempotency key.
func (c *Client) Create(ctx context.Context, in models.NewJob) (*models.Job, bool, error) {
	if in.Waves == nil {
		in.Waves = Waves(in.Documents)
	}
	job, replay, err := c.db.CreateJob(ctx, in)
	if err != nil || replay {
		return job, replay, err
	}
	c.publishQueued(job)
	return job, false, nil
}

// Cancel ends a queued job at once; a running one is aborted by whichever
// instance runs it, through its context.
func (c *Client) Cancel(ctx context.Context, userID, jobID string) (*models.Job, error) {
	job, err := c.db.RequestCancel(ctx, userID, jobID, time.Now())
	if err != nil {
		return nil, err
	}
	if job.Status == models.StatusProcessing {
		deliver(c.db, c.broker, events.Event{Kind: events.CancelRequested, JobID: job.ID, UserID: job.UserID, Version: job.Version})
	}
	c.publish(job)
	return job, nil
}

// Retry requeues a failed or cancelled job; only its missing documents will
// be generated.
func (c *Client) Retry(ctx context.Context, userID, jobID string) (*models.Job, error) {
	job, err := c.db.RetryJob(ctx, userID, jobID, time.Now())
	if err != nil {
		return nil, err
	}
	c.publishQueued(job)
	return job, nil
}

// publishQueued tells every instance's processor to claim now (through the
// broker's bridge on PostgreSQL), and this one's directly.
func (c *Client) publishQueued(job *models.Job) {
	if c.local != nil {
		c.local.Trigger()
	}
	deliver(c.db, c.broker, events.Event{Kind: events.JobQueued, JobID: job.ID, UserID: job.UserID, Version: job.Version})
	deliver(c.db, c.broker, events.Event{Kind: events.JobChanged, JobID: job.ID, UserID: job.UserID, Version: job.Version})
}

func (c *Client) publish(job *models.Job) {
	deliver(c.db, c.broker, events.Event{Kind: events.JobChanged, JobID: job.ID, UserID: job.UserID, Version: job.Version})
}

// Waves are the documents' dependency depths within the job: 0 for a
// document that needs none of the others, else one more than its deepest
// dependency. docs are in dependency order.
func Waves(docs []string) []int {
	wave := make(map[string]int, len(docs))
	out := make([]int, len(docs))
	for i, t := range docs {
		dt, _ := documents.Lookup(t)
		w := 0
		for _, d := range dt.DependsOn {
			if dw, ok := wave[d]; ok {
				w = max(w, dw+1)
			}
		}
		wave[t], out[i] = w, w
	}
	return out
}
