package jobs

import "dossier/jobs/documents"

// Scheduler decides, purely, which documents of a job run next: a document
// starts as soon as the documents it depends on (within the job) are done,
// up to Limit at once, in the job's order. Runs of background jobs and the
// foreground mode both drive one. It does no I/O and is not safe for
// concurrent use.
type Scheduler struct {
	order   []string
	deps    map[string][]string
	done    map[string]bool
	running map[string]bool
	blocked map[string]bool // failed, or depends on a failure
	limit   int
	stopped bool
}

// NewScheduler plans order (the job's documents, in dependency order) with
// the catalog's dependencies; done are already completed.
func NewScheduler(order []string, done map[string]bool, limit int) *Scheduler {
	in := make(map[string]bool, len(order))
	for _, t := range order {
		in[t] = true
	}
	s := &Scheduler{order: order, deps: map[string][]string{}, done: map[string]bool{},
		running: map[string]bool{}, blocked: map[string]bool{}, limit: max(limit, 1)}
	for _, t := range order {
		dt, _ := documents.Lookup(t)
		for _, d := range dt.DependsOn {
			if in[d] {
				s.deps[t] = append(s.deps[t], d)
			}
		}
		if done[t] {
			s.done[t] = true
		}
	}
	return s
}

// Deps are the job's documents that t depends on.
func (s *Scheduler) Deps(t string) []string { return s.deps[t] }

// Running marks t as started elsewhere (by the claim).
func (s *Scheduler) Running(t string) { s.running[t] = true }

// Next returns the documents to start now and marks them running.
func (s *Scheduler) Next() []string {
	if s.stopped {
		return nil
	}
	var out []string
	for _, t := range s.order {
		if len(s.running) >= s.limit {
			break
		}
		if s.done[t] || s.running[t] || s.blocked[t] {
			continue
		}
		ready := true
		for _, d := range s.deps[t] {
			if s.blocked[d] {
				s.blocked[t] = true
			}
			if !s.done[d] {
				ready = false
			}
		}
		if ready && !s.blocked[t] {
			s.running[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Done records a finished document: its slot is free and its dependents
// may start. Its commit follows; a crash loses at most the documents
// finished and not yet committed (those of one write, and those that
// returned while it was being committed, at most Limit more).
func (s *Scheduler) Done(t string) {
	delete(s.running, t)
	s.done[t] = true
}

// Failed records a failed document: its dependents never start.
func (s *Scheduler) Failed(t string) {
	delete(s.running, t)
	s.blocked[t] = true
}

// Abandoned records a document whose call was aborted (cancel, shutdown).
func (s *Scheduler) Abandoned(t string) { delete(s.running, t) }

// Stop starts nothing more (drain, cancel, lost lease).
func (s *Scheduler) Stop() { s.stopped = true }

// InFlight is the number of documents running.
func (s *Scheduler) InFlight() int { return len(s.running) }

// Finished reports that nothing runs and nothing more can start: after the
// document just recorded, the run ends.
func (s *Scheduler) Finished() bool {
	if len(s.running) > 0 {
		return false
	}
	if s.stopped {
		return true
	}
	for _, t := range s.order {
		if s.done[t] || s.blocked[t] {
			continue
		}
		ready := true
		for _, d := range s.deps[t] {
			if s.blocked[d] {
				s.blocked[t] = true
			}
			if !s.done[d] {
				ready = false
			}
		}
		if ready && !s.blocked[t] {
			return false
		}
	}
	return true
}

// IsDone reports whether t is completed.
func (s *Scheduler) IsDone(t string) bool { return s.done[t] }

// DoneSet is the completed documents.
func (s *Scheduler) DoneSet() map[string]bool { return s.done }

// Remaining are the documents neither done nor blocked, in order.
func (s *Scheduler) Remaining() []string {
	var out []string
	for _, t := range s.order {
		if !s.done[t] && !s.blocked[t] {
			out = append(out, t)
		}
	}
	return out
}
