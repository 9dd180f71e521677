package jobs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"dossier/jobs/documents"
	"dossier/models"
)

// The Prometheus metrics of the background work. Every one is documented in
// the README ("Metrics"); the run path only calls the observe functions
// below, one line per hook, so that the logic lives here.

var (
	metricClaimed = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_jobs_claimed_total", Help: "Jobs claimed by this process.",
	})
	metricRescued = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_jobs_rescued_total", Help: "Jobs requeued after their lease expired.",
	})
	metricRunning = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "dossier_jobs_running", Help: "Jobs this process is running.",
	})
	metricFinished = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_jobs_finished_total", Help: "Job runs ended, by resulting status.",
	}, []string{"status"})
	metricDocuments = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_documents_generated_total", Help: "Documents generated and committed, by type.",
	}, []string{"type"})
	metricDocFailures = promauto.NewCounter(prometheus.CounterOpts{
		Name: "dossier_document_failures_total", Help: "Documents that failed after their retries.",
	})

	metricQueueWait = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "dossier_queue_wait_seconds",
		Help:    "Time from a job being due (queued, or its retry time) to a worker claiming it.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
	})
	metricDocDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dossier_document_duration_seconds",
		Help:    "Time to generate one committed document, retries and rate-limit waits included, by document type.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600},
	}, []string{"type"})
	metricModelCall = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dossier_model_call_seconds",
		Help:    "Latency of one model call (one attempt, after the rate limiter let it through), by outcome: ok or error.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 180},
	}, []string{"outcome"})
	metricTokens = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_model_tokens_total", Help: "Model tokens used by successful calls, by kind: prompt, completion, or cached_prompt (the part of the prompt the provider served from its prefix cache, when it reports it).",
	}, []string{"kind"})
	metricRetries = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_retries_total",
		Help: "Retries, by cause: a model call retried after rate_limited, server_error, timeout, stream or other; a whole job after a failed run (job) or an expired lease (lease_expired).",
	}, []string{"cause"})
)

func init() {
	// Series exist from the start, so that rate() and alerts see zeros
	// instead of nothing.
	metricModelCall.WithLabelValues("ok")
	metricModelCall.WithLabelValues("error")
	for _, k := range []string{"prompt", "completion", "cached_prompt"} {
		metricTokens.WithLabelValues(k)
	}
	for _, c := range []string{"rate_limited", "server_error", "timeout", "stream", "other", "job", "lease_expired"} {
		metricRetries.WithLabelValues(c)
	}
}

// observeClaimed records a batch of claims: the count, and each job's wait
// since it was due.
func observeClaimed(claimed []models.ClaimedJob) {
	metricClaimed.Add(float64(len(claimed)))
	now := time.Now()
	for i := range claimed {
		due := claimed[i].RunAt
		if due.IsZero() || claimed[i].QueuedAt.After(due) {
			due = claimed[i].QueuedAt
		}
		metricQueueWait.Observe(max(now.Sub(due).Seconds(), 0))
	}
}

// observeDocument records a committed document.
func observeDocument(docType string, took time.Duration) {
	metricDocuments.WithLabelValues(docType).Inc()
	metricDocDuration.WithLabelValues(docType).Observe(took.Seconds())
}

// observeRescued records jobs whose lease expired: requeued (a retry) or,
// when a cancel was pending, cancelled.
func observeRescued(rescued []models.Ended) {
	metricRescued.Add(float64(len(rescued)))
	for i := range rescued {
		if rescued[i].Status == models.StatusQueued {
			metricRetries.WithLabelValues("lease_expired").Inc()
		}
	}
}

// observeFinished records the end of a run; retrying when it was scheduled
// for an automatic job-level retry.
func observeFinished(status string, retrying bool) {
	metricFinished.WithLabelValues(status).Inc()
	if retrying {
		metricRetries.WithLabelValues("job").Inc()
	}
}

// generate runs one document's generation under the retry policy, counting
// each retry by the cause of the failure before it; onAttempt (may be nil)
// still runs before each attempt.
func generate(ctx context.Context, policy documents.RetryPolicy, g documents.Generator, req documents.Request, onAttempt func(int)) (documents.Document, int, error) {
	rec := &retryRecorder{next: g}
	return policy.Generate(ctx, rec, req, func(attempt int) {
		rec.onAttempt(attempt)
		if onAttempt != nil {
			onAttempt(attempt)
		}
	})
}

// retryRecorder remembers the last failure of one document's attempts.
type retryRecorder struct {
	next documents.Generator
	mu   sync.Mutex
	last error
}

func (r *retryRecorder) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	doc, err := r.next.Generate(ctx, req)
	r.mu.Lock()
	r.last = err
	r.mu.Unlock()
	return doc, err
}

func (r *retryRecorder) onAttempt(attempt int) {
	if attempt < 2 {
		return
	}
	r.mu.Lock()
	err := r.last
	r.mu.Unlock()
	metricRetries.WithLabelValues(retryCause(err)).Inc()
}

// retryCause names why a model call failed, for the retries counter.
func retryCause(err error) string {
	var apiErr *openai.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, documents.ErrTruncatedStream), errors.Is(err, documents.ErrEmptyOutput):
		return "stream"
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
		return "rate_limited"
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusRequestTimeout:
		return "timeout"
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 500:
		return "server_error"
	}
	return "other"
}

// InstrumentGenerator times every model call and counts the tokens of the
// successful ones. Put it under the rate limiter, so that the latency is the
// model's, not the wait for a slot.
func InstrumentGenerator(g documents.Generator) documents.Generator { return instrumented{g} }

type instrumented struct{ next documents.Generator }

func (i instrumented) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	start := time.Now()
	doc, err := i.next.Generate(ctx, req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	metricModelCall.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	if err == nil {
		metricTokens.WithLabelValues("prompt").Add(float64(doc.Usage.PromptTokens))
		metricTokens.WithLabelValues("completion").Add(float64(doc.Usage.CompletionTokens))
		metricTokens.WithLabelValues("cached_prompt").Add(float64(doc.Usage.CachedPromptTokens))
	}
	return doc, err
}

// QueueDepthCollector is the dossier_queue_depth gauge: jobs by status, read
// with one grouped query per scrape at most every MaxAge (cached), so that
// frequent scrapes from several Prometheus servers cost one query.
type QueueDepthCollector struct {
	db     *models.DB
	maxAge time.Duration
	desc   *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	counts map[string]float64
}

// NewQueueDepthCollector returns the collector; register it once per
// process (prometheus.MustRegister).
func NewQueueDepthCollector(db *models.DB, maxAge time.Duration) *QueueDepthCollector {
	return &QueueDepthCollector{
		db: db, maxAge: maxAge,
		desc: prometheus.NewDesc("dossier_queue_depth", "Jobs in the database by status (all instances; cached for a few seconds).", []string{"status"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueDepthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *QueueDepthCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || time.Since(c.at) >= c.maxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		depths, err := c.db.QueueDepths(ctx)
		cancel()
		c.at = time.Now()
		if err != nil {
			slog.Warn("metrics: queue depth", "err", err)
		} else {
			c.counts = map[string]float64{}
			for _, s := range []string{models.StatusQueued, models.StatusProcessing, models.StatusCompleted, models.StatusFailed, models.StatusCancelled} {
				c.counts[s] = 0
			}
			for _, d := range depths {
				c.counts[d.Status] += float64(d.N)
			}
		}
	}
	// A failed read keeps the last counts (or none): /metrics itself must
	// keep answering while the database is away.
	for status, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n, status)
	}
}
