package jobs

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
	"dossier/models/modelstest"
)

// sample reads one series from the default registry: a histogram's sample
// count, or a counter's or gauge's value; 0 when the series does not exist.
func sample(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// The histograms and counters move when jobs run: queue wait per claim,
// document duration per committed document, model-call latency and tokens
// per call, retries by cause. Other tests run in parallel and move them too,
// so the checks are lower bounds on the deltas.
func TestMetricsMoveWhenJobsRun(t *testing.T) {
	e := newEnv(t, models.SQLite)
	gen := newFakeGen()
	rateLimited := &openai.Error{StatusCode: http.StatusTooManyRequests}
	gen.failFor["scope_statement"] = []error{documents.Retryable(rateLimited, 0)}

	type series struct {
		name   string
		labels map[string]string
	}
	watch := []series{
		{"dossier_queue_wait_seconds", nil},
		{"dossier_document_duration_seconds", map[string]string{"type": "scope_statement"}},
		{"dossier_document_duration_seconds", map[string]string{"type": "risk_register"}},
		{"dossier_model_call_seconds", map[string]string{"outcome": "ok"}},
		{"dossier_model_call_seconds", map[string]string{"outcome": "error"}},
		{"dossier_model_tokens_total", map[string]string{"kind": "prompt"}},
		{"dossier_model_tokens_total", map[string]string{"kind": "completion"}},
		{"dossier_retries_total", map[string]string{"cause": "rate_limited"}},
		{"dossier_jobs_claimed_total", nil},
	}
	before := make([]float64, len(watch))
	for i, s := range watch {
		before[i] = sample(t, s.name, s.labels)
	}

	u := e.user("metrics")
	job := e.job(u, e.project(u, "Metrics"), []string{"risk_register"}, nil)
	e.processor(InstrumentGenerator(gen), nil)
	e.waitStatus(job.ID, models.StatusCompleted, 20*time.Second)

	delta := func(i int) float64 { return sample(t, watch[i].name, watch[i].labels) - before[i] }
	assert.GreaterOrEqual(t, delta(0), 1.0, "queue wait observed at the claim")
	assert.GreaterOrEqual(t, delta(1), 1.0, "scope_statement duration")
	assert.GreaterOrEqual(t, delta(2), 1.0, "risk_register duration")
	assert.GreaterOrEqual(t, delta(3), 2.0, "two successful model calls")
	assert.GreaterOrEqual(t, delta(4), 1.0, "one failed model call (the 429)")
	assert.GreaterOrEqual(t, delta(5), 20.0, "prompt tokens: 10 per call")
	assert.GreaterOrEqual(t, delta(6), 40.0, "completion tokens: 20 per call")
	assert.GreaterOrEqual(t, delta(7), 1.0, "one retry caused by the 429")
	assert.GreaterOrEqual(t, delta(8), 1.0, "claims")
}

func TestRetryCauses(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{documents.Retryable(&openai.Error{StatusCode: 429}, time.Second), "rate_limited"},
		{documents.Retryable(&openai.Error{StatusCode: 503}, 0), "server_error"},
		{documents.Retryable(&openai.Error{StatusCode: 408}, 0), "timeout"},
		{documents.Retryable(context.DeadlineExceeded, 0), "timeout"},
		{documents.Retryable(documents.ErrTruncatedStream, 0), "stream"},
		{documents.Retryable(documents.ErrEmptyOutput, 0), "stream"},
		{documents.Retryable(errRetryable, 0), "other"},
	} {
		assert.Equal(t, tc.want, retryCause(tc.err), "%v", tc.err)
	}
}

// The queue-depth gauge reads the database once per MaxAge, however often
// it is scraped, and counts every status (zeros included).
func TestQueueDepthCollector(t *testing.T) {
	e := newEnv(t, models.SQLite)
	u := e.user("depth")
	e.job(u, e.project(u, "A"), []string{"scope_statement"}, nil)
	c := NewQueueDepthCollector(e.db, time.Hour)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	read := func() map[string]float64 {
		families, err := reg.Gather()
		require.NoError(t, err)
		out := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				out[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	assert.Equal(t, map[string]float64{"queued": 1, "processing": 0, "completed": 0, "failed": 0, "cancelled": 0}, read())
	e.job(u, e.project(u, "B"), []string{"scope_statement"}, nil)
	assert.Equal(t, 1.0, read()["queued"], "cached: no second query within MaxAge")
	c.maxAge = 0
	assert.Equal(t, 2.0, read()["queued"])
}

// cancelOnReturn requests its job's cancel in the database (as a user's
// cancel does, without its event) just before it returns the document of
// type typ: the cancel lands between the document and the write that
// stores it, so the commit refuses the write.
type cancelOnReturn struct {
	next  documents.Generator
	db    *models.DB
	typ   string
	jobID string // set before the processor starts
}

func (g *cancelOnReturn) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	doc, err := g.next.Generate(ctx, req)
	if err == nil && req.Type == g.typ {
		if uerr := g.db.ForTests().Exec(`UPDATE document_generation_jobs SET cancel_requested_at = ? WHERE id = ?`, time.Now(), g.jobID).Error; uerr != nil {
			return documents.Document{}, uerr
		}
	}
	return doc, err
}

// A document whose write the commit refused, because the job's cancel was
// requested just before it committed, is not counted as generated, and its
// live draft is dropped (not left as if its link followed); the run whose
// last write was refused is counted by the status the commit gave the job
// (cancelled), not the one the run wrote (completed). With one document,
// the refused write is the run's last (its end); with two, the first
// document's write is refused and the run then ends the job cancelled.
//
// Not parallel: the counters are the process's, and the deltas are exact.
func TestMetricsCountWhatACancelledJobStored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		docs   []string
		cancel string // the document after which the cancel is requested
	}{
		{"last write", []string{"project_charter"}, "project_charter"},
		{"earlier write", []string{"scope_statement", "risk_register"}, "scope_statement"},
	} {
		for _, d := range modelstest.Dialects(t) {
			t.Run(tc.name+"/"+modelstest.Name(d), func(t *testing.T) {
				e := newEnv(t, d)
				u := e.user("cancelled-metrics")
				job := e.job(u, e.project(u, "Cancelled metrics"), tc.docs, nil)
				gen := &cancelOnReturn{next: newFakeGen(), db: e.db, typ: tc.cancel, jobID: job.ID}
				hub := events.NewDraftHub(events.DraftConfig{Instance: "w"})
				sub, _ := hub.Subscribe(job.ID)
				defer sub.Close()

				finished := func(status string) float64 {
					return sample(t, "dossier_jobs_finished_total", map[string]string{"status": status})
				}
				generated := func(typ string) float64 {
					return sample(t, "dossier_documents_generated_total", map[string]string{"type": typ})
				}
				duration := func(typ string) float64 {
					return sample(t, "dossier_document_duration_seconds", map[string]string{"type": typ})
				}
				completedBefore, cancelledBefore := finished(models.StatusCompleted), finished(models.StatusCancelled)
				generatedBefore, durationBefore := map[string]float64{}, map[string]float64{}
				for _, typ := range tc.docs {
					generatedBefore[typ], durationBefore[typ] = generated(typ), duration(typ)
				}

				// No heartbeat within the test: the run learns of the
				// cancel from the commit alone.
				p := e.processor(gen, func(c *Config) {
					c.LeaseDuration, c.HeartbeatInterval = time.Minute, 30*time.Second
					c.Drafts = hub
				})
				e.waitStatus(job.ID, models.StatusCancelled, 20*time.Second)
				p.Stop() // the run has returned: its metrics and drafts are final

				assert.Empty(t, artifactCounts(t, e.db), "nothing was stored")
				assert.Equal(t, 0.0, finished(models.StatusCompleted)-completedBefore, "finished{completed}")
				assert.Equal(t, 1.0, finished(models.StatusCancelled)-cancelledBefore, "finished{cancelled}")
				for _, typ := range tc.docs {
					assert.Equal(t, 0.0, generated(typ)-generatedBefore[typ], "documents_generated{%s}", typ)
					assert.Equal(t, 0.0, duration(typ)-durationBefore[typ], "document_duration{%s}", typ)
				}

				// The refused document's draft was dropped as not stored:
				// viewers empty it (a committed drop would leave it shown
				// until a link that never comes).
				assert.Empty(t, hub.Current(job.ID), "no draft is left")
				last := map[string]events.Draft{}
				for _, m := range sub.Take() {
					last[m.Type] = m
				}
				require.Contains(t, last, tc.cancel, "the refused document had a draft")
				for typ, m := range last {
					assert.Equal(t, events.DraftDrop, m.Op, "%s: the draft's last message", typ)
					assert.False(t, m.Committed, "%s: dropped as not stored", typ)
				}
			})
		}
	}
}
