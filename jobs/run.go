package jobs

import (
	"context"
	"errors"
	"fmt"
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
	job    *models.Job
	lease  models.Lease
	ctx    context.Context
	cancel context.CancelCauseFunc

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
}

// execute generates the job's missing documents in dependency order,
// independent ones in parallel, committing each as it finishes, then ends
// the run with one fenced write.
func (r *run) execute() {
	p, job := r.p, r.job
	log := p.log.With("job", job.ID)
	// Storage calls must outlive a cancelled run: the outcome still has to
	// be written. They stop only when the process gives up entirely.
	store := context.WithoutCancel(r.ctx)

	docs, err := p.db.JobDocuments(store, job.ID)
	if err != nil {
		log.Error("load checkpoints", "err", err)
		return // the lease expires and the sweep requeues the job
	}
	artifacts, err := p.db.JobArtifacts(store, job.ID)
	if err != nil {
		log.Error("load artifacts", "err", err)
		return
	}
	projectName, description := p.projectText(store, job.ProjectID)
	// Dependencies the job does not regenerate come from their latest
	// versions (generated or edited).
	latest := map[string]documents.Document{}
	versions, err := p.db.LatestDocuments(store, job.UserID, job.ProjectID)
	if err != nil {
		log.Error("load latest documents", "err", err)
		return
	}
	for _, v := range versions {
		latest[v.DocumentType] = documents.Document{Type: v.DocumentType, Title: v.Title, Markdown: v.Markdown}
	}

	done := map[string]documents.Document{}
	for _, a := range artifacts {
		done[a.DocumentType] = documents.Document{Type: a.DocumentType, Title: a.Title, Markdown: a.Markdown}
	}
	var order []string // the job's documents, in dependency order
	inJob := map[string]bool{}
	for _, d := range docs {
		order = append(order, d.DocumentType)
		inJob[d.DocumentType] = true
	}
	deps := func(t string) []string {
		dt, _ := documents.Lookup(t)
		var out []string
		for _, d := range dt.DependsOn {
			if inJob[d] {
				out = append(out, d)
			}
		}
		return out
	}

	launched := map[string]bool{}
	blocked := map[string]bool{} // a dependency failed
	var failures []models.DocumentFailure
	results := make(chan result)
	inFlight := 0

	// next picks the documents to start now: pending, dependencies done,
	// within the per-job parallelism.
	next := func() []string {
		if r.ctx.Err() != nil || r.isDraining() {
			return nil
		}
		var out []string
		for _, t := range order {
			if inFlight+len(out) >= p.cfg.DocConcurrency {
				break
			}
			if _, ok := done[t]; ok || launched[t] || blocked[t] {
				continue
			}
			ready := true
			for _, d := range deps(t) {
				if _, ok := done[d]; !ok {
					ready = false
					if blocked[d] {
						blocked[t] = true
					}
					break
				}
			}
			if ready {
				out = append(out, t)
			}
		}
		return out
	}
	launch := func(types []string) {
		for _, t := range types {
			launched[t] = true
			inFlight++
			req := documents.Request{
				Type: t, ProjectName: projectName, Description: description,
				Project: job.ProjectData, Company: companyOf(job),
			}
			dt, _ := documents.Lookup(t)
			for _, d := range dt.DependsOn {
				if inJob[d] {
					req.Dependencies = append(req.Dependencies, done[d])
				} else if v, ok := latest[d]; ok {
					req.Dependencies = append(req.Dependencies, v)
				}
			}
			req.Instruction = instructionFor(job, t)
			go func(t string, req documents.Request) {
				started := time.Now()
				res := result{typ: t, started: started, attempts: 1}
				draft := p.drafts.open(job.ID, job.UserID, t)
				req.OnDelta = draft.onDelta()
				defer func() {
					// A generator that panics fails its document, for good;
					// it does not take the process down.
					if v := recover(); v != nil {
						p.log.Error("generator panicked", "job", job.ID, "type", t, "panic", v, "stack", string(debug.Stack()))
						res.err = documents.Permanentf("the generator crashed: %v", v)
					}
					endDraft(draft, res)
					res.finished = time.Now()
					results <- res
				}()
				res.doc, res.attempts, res.err = generate(r.ctx, p.cfg.Retry, p.gen, req, draft.onAttempt())
			}(t, req)
		}
	}

	first := next()
	if len(first) > 0 {
		if _, err := p.db.StartDocuments(store, r.lease, models.DocumentsStarted{Started: first, CurrentDocument: first[0], Now: time.Now()}); err != nil {
			r.abandon(log, err)
			return
		}
		p.publish(job)
		launch(first)
	}

	for inFlight > 0 {
		res := <-results
		inFlight--
		if res.err != nil {
			if r.ctx.Err() != nil {
				continue // cancelled, lease lost or shutdown: not a document failure
			}
			metricDocFailures.Inc()
			f := models.DocumentFailure{Type: res.typ, Error: res.err.Error(), Summary: documents.Explain(res.err).Summary,
				Attempts: res.attempts, Permanent: !documents.IsRetryable(res.err)}
			failures = append(failures, f)
			blocked[res.typ] = true
			log.Warn("document failed", "type", res.typ, "attempts", res.attempts, "err", res.err)
			started := next()
			updated, err := p.db.StartDocuments(store, r.lease, models.DocumentsStarted{Started: started, Failed: &f, CurrentDocument: first1(started), Now: time.Now()})
			if err != nil {
				r.abandon(log, err)
				r.waitOut(results, inFlight)
				return
			}
			p.publish(updated)
			launch(started)
			continue
		}
		// Model output is stored as text: no NUL bytes, valid UTF-8
		// (PostgreSQL refuses both, and the job would never finish).
		res.doc.Markdown = storable(res.doc.Markdown)
		res.doc.Title = storable(res.doc.Title)
		done[res.typ] = res.doc
		title := res.doc.Title
		if title == "" {
			dt, _ := documents.Lookup(res.typ)
			title = dt.Title
		}
		started := next()
		remaining := []string{}
		for _, t := range order {
			if _, ok := done[t]; !ok && !blocked[t] {
				remaining = append(remaining, t)
			}
		}
		eta := p.estimates.completion(store, remaining, p.cfg.DocConcurrency, time.Now())
		updated, _, err := p.db.CommitDocument(store, r.lease, models.DocumentResult{
			Type: res.typ, Title: title, Markdown: res.doc.Markdown, Attempts: res.attempts,
			StartedAt: res.started, FinishedAt: res.finished,
			PromptTokens: res.doc.Usage.PromptTokens, CompletionTokens: res.doc.Usage.CompletionTokens,
			Instruction: instructionFor(job, res.typ), Started: started, CurrentDocument: first1(started), EstimatedCompletion: eta,
		})
		if err != nil {
			r.abandon(log, err)
			r.waitOut(results, inFlight)
			return
		}
		p.drafts.committed(job.ID, job.UserID, res.typ)
		p.estimates.observe(res.typ, res.finished.Sub(res.started))
		observeDocument(res.typ, res.finished.Sub(res.started))
		p.publish(updated)
		launch(started)
	}
	r.finish(store, log, projectName, order, done, blocked, failures)
}

// finish writes the run's outcome in one fenced transaction.
func (r *run) finish(ctx context.Context, log interface {
	Info(string, ...any)
	Error(string, ...any)
}, projectName string, order []string, done map[string]documents.Document, blocked map[string]bool, failures []models.DocumentFailure) {
	p, job := r.p, r.job
	now := time.Now()
	var missing, skipped []string
	failed := map[string]bool{}
	for _, f := range failures {
		failed[f.Type] = true
	}
	for _, t := range order {
		if _, ok := done[t]; ok {
			continue
		}
		missing = append(missing, t)
		if !failed[t] {
			skipped = append(skipped, t)
		}
	}
	cause := context.Cause(r.ctx)
	o := models.Outcome{Now: now, Failures: failures, Skipped: skipped}
	switch {
	case errors.Is(cause, errLeaseLost):
		log.Info("lease lost; abandoning the run")
		return
	case errors.Is(cause, errCancelRequested):
		o.Status = models.StatusCancelled
		o.Failures = nil
		o.Skipped = missing
	case len(missing) == 0:
		o.Status = models.StatusCompleted
		o.Notify = &models.Notification{
			Kind: "job_completed", Title: "Documents ready: " + projectName,
			Body: fmt.Sprintf("%d documents generated.", len(order)), Link: "/jobs/" + job.ID,
		}
	case len(failures) == 0:
		// Drained at shutdown (or aborted by it): hand the job back.
		o.Status = models.StatusQueued
		o.Skipped = missing
	default:
		permanent := false
		for _, f := range failures {
			permanent = permanent || f.Permanent
		}
		if !permanent && job.RetryCount < job.MaxRetries {
			o.Status = models.StatusQueued
			at := now.Add(p.jobRetryDelay(job.RetryCount))
			o.RetryAt = &at
			log.Info("job will be retried", "retry", job.RetryCount+1, "at", at)
		} else {
			o.Status = models.StatusFailed
			o.Notify = &models.Notification{
				Kind: "job_failed", Title: "Generation failed: " + projectName,
				Body: fmt.Sprintf("%d of %d documents generated; %s", len(done), len(order), failures[0].Error), Link: "/jobs/" + job.ID,
			}
		}
	}
	updated, err := p.db.FinishJob(ctx, r.lease, o)
	if err != nil {
		r.abandon(log, err)
		return
	}
	observeFinished(updated.Status, o.RetryAt != nil)
	p.publishQueued(updated)
}

// abandon gives up the run after a failed write. With a lost lease the new
// owner carries on. Otherwise the job is handed back at once (a fenced
// release); if even that fails, the heartbeat stops renewing it, so its
// lease expires and the sweep requeues it. Completed documents are kept.
func (r *run) abandon(log interface{ Error(string, ...any) }, err error) {
	if errors.Is(err, models.ErrLeaseLost) {
		r.cancel(errLeaseLost)
		return
	}
	r.cancel(err)
	log.Error("job write failed; handing the job back", "err", err)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 5*time.Second)
	defer cancel()
	// It counts as a job-level retry, so that a write that always fails
	// ends the job as failed instead of looping.
	now := time.Now()
	o := models.Outcome{Status: models.StatusFailed, Now: now,
		Failures: []models.DocumentFailure{{Type: "storage", Error: err.Error(), Attempts: r.job.RetryCount + 1}}}
	if r.job.RetryCount < r.job.MaxRetries {
		at := now.Add(r.p.jobRetryDelay(r.job.RetryCount))
		o = models.Outcome{Status: models.StatusQueued, RetryAt: &at, Now: now}
	}
	if job, rerr := r.p.db.FinishJob(ctx, r.lease, o); rerr == nil {
		r.p.publishQueued(job)
	}
}

// waitOut lets in-flight generator calls return after an abandon.
func (r *run) waitOut(results <-chan result, inFlight int) {
	for ; inFlight > 0; inFlight-- {
		<-results
	}
}

// projectText returns the project's name and description, which the job's
// data snapshot does not carry.
func (p *Processor) projectText(ctx context.Context, projectID string) (name, description string) {
	var row struct{ Name, Description string }
	p.db.WithContext(ctx).Raw(`SELECT name, description FROM projects WHERE id = ?`, projectID).Scan(&row)
	return row.Name, row.Description
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

func first1(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
