package jobs

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"dossier/jobs/documents"
	"dossier/models"
)

// run is one claim of one job by this process.
type run struct {
	p      *Processor
	job    *models.ClaimedJob
	lease  models.Lease
	ctx    context.Context
	cancel context.CancelCauseFunc
	log    *slog.Logger

	mu       sync.Mutex
	draining bool
}

// drain stops the run from starting new documents; in-flight ones finish.
func (r *run) drain() {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
}

func (r *run) isDraining() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.draining
}

// result is one document's outcome.
type result struct {
	typ      string
	doc      documents.Document
	attempts int
	started  time.Time
	finished time.Time
	err      error
	// draft is the document's live draft (nil when drafts are off), ended
	// with the document's text; dropped if the document is not stored.
	draft *draftWriter
}

// execute is a loop over the scheduler: start what is ready, and for the
// documents that have returned, start their dependents at once (their
// inputs are in memory), then commit them (through the group commit) with
// the documents just started, in one write. The commit of the last
// documents also ends the run, so a job never ends before its documents
// are durable.
func (r *run) execute() {
	p, job := r.p, r.job
	// Storage calls outlive a cancelled run (its outcome still has to be
	// written); they stop only when the process gives up entirely.
	store := p.storeCtx
	if err := job.Load(); err != nil {
		// Stored by this app, so never expected; the lease expires and the
		// sweep requeues the job (a retry counted).
		r.log.Error("decode the claimed job", "err", err)
		return
	}

	order := make([]string, len(job.Documents))
	done := map[string]bool{}
	for i, d := range job.Documents {
		order[i] = d.Type
		if d.Status == models.DocCompleted {
			done[d.Type] = true
		}
	}
	inputs := map[string]documents.Document{}
	if len(done) > 0 {
		// A resumed job: its finished documents are inputs of the rest.
		var arts []models.Artifact
		err := retryInfra(store, func() (err error) {
			arts, err = p.db.JobArtifacts(store, job.ID)
			return err
		})
		if err != nil {
			r.log.Error("load finished documents", "err", err)
			return // the lease expires and the sweep requeues the job
		}
		for _, a := range arts {
			inputs[a.DocumentType] = documents.Document{Type: a.DocumentType, Title: a.Title, Markdown: a.Markdown}
		}
	}
	// Dependencies the job does not regenerate come from their latest
	// versions (generated or edited).
	if outside := outsideDeps(order); len(outside) > 0 {
		var versions []models.DocumentVersion
		err := retryInfra(store, func() (err error) {
			versions, err = p.db.LatestDocuments(store, job.UserID, job.ProjectID)
			return err
		})
		if err != nil {
			r.log.Error("load latest documents", "err", err)
			return
		}
		for _, v := range versions {
			if outside[v.DocumentType] {
				inputs[v.DocumentType] = documents.Document{Type: v.DocumentType, Title: v.Title, Markdown: v.Markdown}
			}
		}
	}
	sched := NewScheduler(order, done, p.cfg.DocConcurrency)
	// Buffered: a finished document never waits for the loop to take it.
	results := make(chan result, len(order))
	launch := func(types []string) {
		for _, t := range types {
			req := documents.Request{Type: t, ProjectName: job.ProjectName, Description: job.ProjectDescription,
				Project: job.ProjectData, Company: companyOf(&job.Job)}
			dt, _ := documents.Lookup(t)
			for _, d := range dt.DependsOn {
				if in, ok := inputs[d]; ok {
					req.Dependencies = append(req.Dependencies, in)
				}
			}
			req.Instruction = instructionFor(&job.Job, t)
			go r.generate(t, req, results)
		}
	}
	next := func() []string {
		if r.ctx.Err() != nil || r.isDraining() {
			sched.Stop()
		}
		return sched.Next()
	}

	started := job.Started()
	for _, t := range started {
		sched.Running(t)
	}
	launch(started)
	if more := next(); len(more) > 0 {
		launch(more)
		cur := more[0]
		if len(started) > 0 {
			cur = started[0]
		}
		if !r.write(models.Write{Lease: r.lease, Started: more, CurrentDocument: &cur, Now: time.Now()}, nil, sched) {
			r.waitOut(results, sched)
			return
		}
	}

	var failures []models.DocumentFailure
	ended := false
	// Writes of documents are sent without waiting: the loop keeps taking
	// results (and starting dependents) while they commit. Only the end
	// waits, for every earlier write first: a job ends only once its
	// documents are durable.
	acks := make(chan ack, len(order)+2)
	pending := 0
	committed := func(a ack) bool {
		pending--
		return r.settled(a.w, a.stored, a.res, a.err, sched)
	}
	// stop waits out the calls in flight and the writes sent, after a
	// refused or failed write: the drafts of the documents they do not
	// store are dropped (see waitOut and drafted).
	stop := func() {
		r.waitOut(results, sched)
		for ; pending > 0; pending-- {
			a := <-acks
			r.drafted(a.w, a.stored, a.res, a.err)
		}
	}
	for sched.InFlight() > 0 || pending > 0 {
		var batch []result
		select {
		case a := <-acks:
			if !committed(a) {
				stop()
				return
			}
			if sched.InFlight() > 0 || !sched.Finished() || ended {
				continue
			}
			// The last write settled and nothing runs: decide the end
			// below, with nothing more to store.
		case res := <-results:
			batch = append(batch, res)
		}
		// Every document that has returned by now goes into one write:
		// the documents of a wave finish together.
		for more := len(batch) > 0; more; {
			select {
			case res := <-results:
				batch = append(batch, res)
			default:
				more = false
			}
		}
		now := time.Now()
		w := models.Write{Lease: r.lease, Now: now}
		var stored []result
		for _, res := range batch {
			switch {
			case res.err != nil && r.ctx.Err() != nil:
				// Cancelled, lease lost or aborted at shutdown: not a
				// document failure.
				sched.Abandoned(res.typ)
			case res.err != nil:
				metricDocFailures.Inc()
				f := models.DocumentFailure{Type: res.typ, Error: res.err.Error(), Summary: documents.Explain(res.err).Summary,
					Attempts: res.attempts, Permanent: !documents.IsRetryable(res.err), RetryAfter: documents.RetryAfter(res.err)}
				failures = append(failures, f)
				sched.Failed(res.typ)
				if f.RetryAfter > 0 {
					// The provider asked for a longer wait than a run holds
					// a slot for: start nothing more; the job-level retry
					// waits.
					sched.Stop()
				}
				attrs := []any{"type", res.typ, "attempts", res.attempts, "err", res.err}
				if hint := documents.Explain(res.err).Hint; hint != "" {
					attrs = append(attrs, "hint", hint) // what the operator can do (OPENAI_API_KEY…)
				}
				r.log.Warn("document failed", attrs...)
				w.Failed = append(w.Failed, f)
			default:
				// Model output is stored as text: no NUL bytes, valid UTF-8.
				res.doc.Markdown = storable(res.doc.Markdown)
				res.doc.Title = storable(res.doc.Title)
				if res.doc.Title == "" {
					dt, _ := documents.Lookup(res.typ)
					res.doc.Title = dt.Title
				}
				// Its dependents take its text from memory: they start
				// now, and its commit follows.
				inputs[res.typ] = res.doc
				sched.Done(res.typ)
				p.estimates.observe(res.typ, res.finished.Sub(res.started))
				if r.cause() != models.CauseCancelRequested {
					w.Documents = append(w.Documents, models.DocumentResult{
						Type: res.typ, Title: res.doc.Title, Markdown: res.doc.Markdown, Attempts: res.attempts,
						StartedAt: res.started, FinishedAt: res.finished,
						PromptTokens: res.doc.Usage.PromptTokens, CompletionTokens: res.doc.Usage.CompletionTokens,
						Instruction: instructionFor(&job.Job, res.typ),
					})
					stored = append(stored, res)
				} else {
					res.draft.drop() // not stored: the job ends cancelled
				}
			}
		}
		more := next()
		launch(more)
		w.Started = more
		if len(more) > 0 {
			w.CurrentDocument = &more[0]
		}
		if sched.Finished() && !ended {
			// The end rides on the commit of the last documents, after
			// every earlier write has settled.
			for pending > 0 {
				if !committed(<-acks) {
					dropDrafts(stored) // never written
					stop()
					return
				}
			}
			o, ok := models.Decide(job.RetryCount, job.MaxRetries, r.plan(sched, failures), r.cause())
			if !ok {
				r.log.Info("lease lost; abandoning the run")
				dropDrafts(stored) // never written
				return             // the new holder carries on
			}
			if o.Status == models.StatusCancelled {
				dropDrafts(stored)
				w, stored = models.Write{Lease: r.lease, Now: now}, nil // nothing more is stored
			}
			w.End, ended = &o, true
		} else if len(w.Documents) > 0 {
			w.EstimatedCompletion = p.estimates.completion(store, sched.Remaining(), p.cfg.DocConcurrency, now)
		}
		if len(w.Documents) == 0 && len(w.Started) == 0 && len(w.Failed) == 0 && w.End == nil {
			continue
		}
		if w.End == nil {
			pending++
			r.writeAsync(w, stored, acks)
			continue
		}
		if !r.write(w, stored, sched) {
			stop()
			return
		}
		break
	}
	if !ended {
		// Nothing was in flight (a resumed job with everything done, or a
		// run stopped before it started anything).
		o, ok := models.Decide(job.RetryCount, job.MaxRetries, r.plan(sched, failures), r.cause())
		if !ok {
			r.log.Info("lease lost; abandoning the run")
			return
		}
		r.write(models.Write{Lease: r.lease, End: &o, Now: o.Now}, nil, sched)
	}
}

// generate runs one document's calls with the retry policy.
func (r *run) generate(t string, req documents.Request, out chan<- result) {
	res := result{typ: t, started: time.Now(), attempts: 1}
	// The text streams out as it is written (live drafts).
	draft := r.p.drafts.open(r.job.ID, r.job.UserID, t)
	req.OnDelta = draft.onDelta()
	defer func() {
		// A generator that panics fails its document, for good; it does
		// not take the process down.
		if v := recover(); v != nil {
			r.log.Error("generator panicked", "type", t, "panic", v, "stack", string(debug.Stack()))
			res.err = documents.Permanentf("the generator crashed: %v", v)
		}
		endDraft(draft, res)
		res.draft = draft
		res.finished = time.Now()
		out <- res
	}()
	res.doc, res.attempts, res.err = generate(r.ctx, r.p.cfg.Retry, r.p.gen, req, draft.onAttempt())
}

// cause is why the run is ending, from its context.
func (r *run) cause() models.Cause {
	c := context.Cause(r.ctx)
	switch {
	case errors.Is(c, errLeaseLost):
		return models.CauseLeaseLost
	case errors.Is(c, errCancelRequested):
		return models.CauseCancelRequested
	case errors.Is(c, errShutdown), r.isDraining():
		return models.CauseShutdown
	}
	return models.CauseFinished
}

func (r *run) plan(sched *Scheduler, failures []models.DocumentFailure) models.Plan {
	order := make([]string, len(r.job.Documents))
	for i, d := range r.job.Documents {
		order[i] = d.Type
	}
	return models.Plan{Order: order, Done: sched.DoneSet(), Failures: failures,
		Backoff: r.p.jobRetryDelay(r.job.RetryCount), Now: time.Now()}
}

// write hands w, which carries the documents of stored, to the group commit
// and waits for it. It reports whether the run may go on. A refused write
// stops the run: a lost lease ends it with nothing more written (the new
// holder carries on); a requested cancel lets in-flight calls return, then
// ends the job cancelled. Any other error ends the run by the storage rule
// (a retry counted).
func (r *run) write(w models.Write, stored []result, sched *Scheduler) bool {
	c, err := r.p.completer.submit(r.p.storeCtx, w)
	return r.settled(w, stored, c, err, sched)
}

// settled applies the outcome of w (see settle), then that of its
// documents, the results in stored. Only documents that were stored are
// counted, and their drafts give way to their links; the drafts of the
// others are dropped (epoch by epoch: a later attempt's draft stays). The
// commit's result says what was stored, not the write: a write may be
// refused (the job's cancel was requested, the lease lost), and a run's
// last write, refused for a requested cancel, is written again by the
// group commit as the job's cancel, without its documents, and reports no
// error.
func (r *run) settled(w models.Write, stored []result, c models.Committed, err error, sched *Scheduler) bool {
	ok := r.settle(w, c, err, sched)
	r.drafted(w, stored, c, err)
	return ok
}

// drafted applies the outcome of w to its documents, the results in
// stored (see settled), without settling the write: stop uses it for the
// writes it waits out after the run stopped.
func (r *run) drafted(w models.Write, stored []result, c models.Committed, err error) {
	kept := err == nil && len(c.Artifacts) == len(w.Documents)
	for _, res := range stored {
		if kept {
			r.p.drafts.committed(r.job.ID, r.job.UserID, res.typ)
			observeDocument(res.typ, res.finished.Sub(res.started))
		} else {
			res.draft.drop()
		}
	}
}

// dropDrafts drops the drafts of documents that will not be stored.
func dropDrafts(rs []result) {
	for _, res := range rs {
		res.draft.drop()
	}
}

// ack is the outcome of a write sent without waiting (writeAsync).
type ack struct {
	w      models.Write
	stored []result
	res    models.Committed
	err    error
}

// writeAsync hands w to the group commit without waiting: the run goes on
// taking results and starting documents while it commits. The write is
// queued before writeAsync returns, so a run's writes commit in the order
// it made them (a document started after another failed, say, or the
// current document moving on). The outcome arrives on acks (buffered so
// that it never blocks).
func (r *run) writeAsync(w models.Write, stored []result, acks chan<- ack) {
	s := r.p.completer.enqueue(r.p.storeCtx, w)
	go func() {
		c, err := s.wait()
		acks <- ack{w: w, stored: stored, res: c, err: err}
	}()
}

// settle applies a write's outcome, c or err; see write.
func (r *run) settle(w models.Write, c models.Committed, err error, sched *Scheduler) bool {
	switch {
	case err == nil:
		if w.End != nil {
			// The job's status as committed: a run ending while its cancel
			// was requested ends it cancelled, whatever it wrote.
			observeFinished(c.Job.Status, c.Job.Status == w.End.Status && w.End.RetryAt != nil)
		}
		return true
	case errors.Is(err, models.ErrLeaseLost):
		r.log.Info("lease lost; abandoning the run")
		r.cancel(errLeaseLost)
		sched.Stop()
		return false
	case errors.Is(err, models.ErrCancelRequested):
		r.cancel(errCancelRequested)
		sched.Stop()
		return true // the loop ends the job cancelled
	case w.End != nil:
		// Even the end could not be written: the lease expires and the
		// sweep requeues the job.
		r.log.Error("job write failed; leaving the job to the sweep", "err", err)
		r.cancel(err)
		return false
	default:
		r.log.Error("job write failed; ending the run", "err", err)
		r.cancel(err)
		sched.Stop()
		plan := r.plan(sched, nil)
		plan.StorageError = err.Error()
		if o, ok := models.Decide(r.job.RetryCount, r.job.MaxRetries, plan, models.CauseStorage); ok {
			r.write(models.Write{Lease: r.lease, End: &o, Now: o.Now}, nil, sched)
		}
		return false
	}
}

// waitOut lets in-flight generator calls return after the run stopped.
// Their documents are not stored: the draft of one that returned its text
// (which ended the draft with it) is dropped; a failed one's already was.
func (r *run) waitOut(results <-chan result, sched *Scheduler) {
	for sched.InFlight() > 0 {
		res := <-results
		if res.err == nil {
			res.draft.drop()
		}
		sched.Abandoned(res.typ)
	}
}

// retryInfra runs fn until it succeeds, fails for a reason other than the
// infrastructure, or ctx ends.
func retryInfra(ctx context.Context, fn func() error) error {
	backoff := 50 * time.Millisecond
	for {
		err := fn()
		if err == nil || !models.IsInfrastructure(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// outsideDeps are the dependencies of the job's documents that the job
// does not write.
func outsideDeps(order []string) map[string]bool {
	in := make(map[string]bool, len(order))
	for _, t := range order {
		in[t] = true
	}
	out := map[string]bool{}
	for _, t := range order {
		dt, _ := documents.Lookup(t)
		for _, d := range dt.DependsOn {
			if !in[d] {
				out[d] = true
			}
		}
	}
	return out
}

// instructionFor is the job's instruction if the user chose document t
// (not for dependents and missing dependencies the job added).
func instructionFor(job *models.Job, t string) string {
	if len(job.RequestedDocuments) == 0 || slices.Contains(job.RequestedDocuments, t) {
		return job.Instruction
	}
	return ""
}

func companyOf(job *models.Job) models.CompanyPack {
	if job.CompanyIntelligencePack == nil {
		return models.CompanyPack{}
	}
	return *job.CompanyIntelligencePack
}

func storable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
