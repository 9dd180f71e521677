package jobs

import (
	"context"
	"sync"
	"time"

	"dossier/models"
)

// estimator predicts a job's completion from the average past duration of
// each document type, the remaining documents and the parallelism. History
// is loaded from the database at most once a minute and then kept current
// in memory as documents finish.
type estimator struct {
	db    *models.DB
	prior time.Duration

	mu     sync.Mutex
	avg    map[string]time.Duration
	n      map[string]int
	loaded time.Time
}

func newEstimator(db *models.DB, prior time.Duration) *estimator {
	return &estimator{db: db, prior: prior, avg: map[string]time.Duration{}, n: map[string]int{}}
}

func (e *estimator) refresh(ctx context.Context, now time.Time) {
	e.mu.Lock()
	stale := now.Sub(e.loaded) > time.Minute
	e.mu.Unlock()
	if !stale {
		return
	}
	avg, err := e.db.AverageDurations(ctx)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for t, d := range avg {
		e.avg[t] = d
		if e.n[t] == 0 {
			e.n[t] = 1
		}
	}
	e.loaded = now
}

// observe folds a finished document's duration into the running average.
func (e *estimator) observe(docType string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := min(e.n[docType], 49) // a moving average over about 50 runs
	e.avg[docType] = (e.avg[docType]*time.Duration(n) + d) / time.Duration(n+1)
	e.n[docType] = n + 1
}

// expected is the expected duration of one document of the type.
func (e *estimator) expected(docType string) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.avg[docType]; ok && e.n[docType] > 0 {
		return d
	}
	return e.prior
}

// completion estimates when the remaining documents will be done.
func (e *estimator) completion(ctx context.Context, remaining []string, parallelism int, now time.Time) *time.Time {
	if len(remaining) == 0 {
		return nil
	}
	e.refresh(ctx, now)
	var total time.Duration
	for _, t := range remaining {
		total += e.expected(t)
	}
	lanes := min(max(parallelism, 1), len(remaining))
	at := now.Add(total / time.Duration(lanes)).UTC()
	return &at
}
