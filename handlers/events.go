package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/views/layouts"
	"dossier/views/partials"
)

// The live streams. Both send the current state first (a reconnect is always
// consistent, and Last-Event-ID is never relied on), then what changed, from
// broker updates only: no database connection is held while streaming.

// eventHub serves the streams of one app. It renders each fragment at most
// once per job version, and counts the live user streams, so that a job
// completion seen live is marked shown once per instance, not per client.
type eventHub struct {
	s *Server

	mu    sync.Mutex
	live  map[string]int           // user → open /events streams here
	frags map[string]*jobFragments // job → fragments of its latest version
}

// EventRoutes registers the SSE streams. They must stay out of compression,
// ETag and logging middleware (see isStream).
func (s *Server) EventRoutes(r fiber.Router) {
	h := &eventHub{s: s, live: map[string]int{}, frags: map[string]*jobFragments{}}
	s.broker.Observe(h.observe)
	r.Get("/api/generation/jobs/stream/:id", h.JobStream)
	r.Get("/events", h.UserEvents)
}

// observe runs once per update in this instance: it keeps the update for
// rendering, and when a job ends while its owner has a live tab here, marks
// the completion as shown so that the next page load does not toast it again.
func (h *eventHub) observe(u events.Update) {
	h.fragments(u.Snapshot)
	if !u.Snapshot.Job.Terminal() {
		return
	}
	h.mu.Lock()
	live := h.live[u.Snapshot.Job.UserID]
	h.mu.Unlock()
	if live == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.s.db.MarkShown(ctx, u.Snapshot.Job.UserID, u.Snapshot.Job.ID, time.Now()); err != nil {
		slog.Warn("mark notification shown", "job", u.Snapshot.Job.ID, "err", err)
	}
}

// JobStream is GET /api/generation/jobs/stream/:id: one job's progress,
// document, status and a final done event, as HTML fragments, or with
// ?format=json as JSON. Another user's job is a 404 before any streaming.
func (h *eventHub) JobStream(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return ErrUnauthorized
	}
	userID, jobID := strings.Clone(u.ID), strings.Clone(c.Params("id"))
	asJSON := c.Query("format") == "json"

	// Subscribe before reading, so that no change falls in between.
	sub := h.s.broker.SubscribeJob(jobID)
	snap, err := h.s.db.Snapshot(c.UserContext(), jobID)
	if err == nil && snap.Job.UserID != userID {
		err = ErrNotFound
	}
	if err != nil {
		sub.Close()
		return err
	}

	var last *models.JobSnapshot
	return h.s.runStream(c, stream{
		sub: sub,
		start: func(e *sse) (bool, error) {
			last = snap
			f := h.fragments(snap)
			data := f.jobData(asJSON)
			if err := e.event("status", data); err != nil {
				return false, err
			}
			if err := e.event("progress", data); err != nil {
				return false, err
			}
			if snap.Job.Terminal() {
				return true, e.event("done", data)
			}
			return false, nil
		},
		apply: func(e *sse, ups []events.Update) (bool, error) {
			for _, up := range ups {
				next := up.Snapshot
				if next.Job.ID != jobID || next.Job.Version <= last.Job.Version {
					continue
				}
				if err := h.jobDeltas(e, last, next, asJSON); err != nil {
					return false, err
				}
				last = next
				if next.Job.Terminal() {
					return true, e.event("done", h.fragments(next).jobData(asJSON))
				}
			}
			return false, nil
		},
	})
}

// jobDeltas writes the events that lead a client from prev to next:
// documents first, then progress, then status.
func (h *eventHub) jobDeltas(e *sse, prev, next *models.JobSnapshot, asJSON bool) error {
	before := make(map[string]models.JobDocument, len(prev.Documents))
	for _, d := range prev.Documents {
		before[d.DocumentType] = d
	}
	for _, d := range next.Documents {
		if b, ok := before[d.DocumentType]; ok && b.Status == d.Status && b.Attempts == d.Attempts {
			continue
		}
		var data []byte
		if asJSON {
			data, _ = json.Marshal(newSSEDocJSON(next.Job.ID, d))
		} else {
			row := docRowVM(next.Job.ID, d)
			row.OOB = true
			data = renderBytes(partials.DocRow(row))
		}
		if err := e.event("document", data); err != nil {
			return err
		}
	}
	f := h.fragments(next)
	p, n := &prev.Job, &next.Job
	if p.ProgressPercentage != n.ProgressPercentage || p.CompletedDocuments != n.CompletedDocuments ||
		orZero(p.CurrentDocument) != orZero(n.CurrentDocument) || !sameTime(p.EstimatedCompletion, n.EstimatedCompletion) {
		if err := e.event("progress", f.jobData(asJSON)); err != nil {
			return err
		}
	}
	if p.Status != n.Status || (p.CancelRequestedAt == nil) != (n.CancelRequestedAt == nil) {
		if err := e.event("status", f.jobData(asJSON)); err != nil {
			return err
		}
	}
	return nil
}

// UserEvents is GET /events: the one stream per tab for the signed-in user.
// Events: badge (the header badge), job-<id> (that job's card), toast (a job
// of the user ended) and notify (JSON for a browser Notification).
func (h *eventHub) UserEvents(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return ErrUnauthorized
	}
	userID := strings.Clone(u.ID)
	connected := time.Now()

	sub := h.s.broker.SubscribeUser(userID)
	ctx := c.UserContext()
	jobs, err := h.s.db.Jobs(ctx, userID, models.JobFilter{Statuses: []string{models.StatusQueued, models.StatusProcessing}, Limit: 100})
	if err != nil {
		sub.Close()
		return err
	}
	snaps := make([]*models.JobSnapshot, 0, len(jobs))
	for _, j := range jobs {
		snap, err := h.s.db.Snapshot(ctx, j.ID)
		if err != nil {
			if errors.Is(err, models.ErrNotFound) {
				continue
			}
			sub.Close()
			return err
		}
		snaps = append(snaps, snap)
	}
	h.mu.Lock()
	h.live[userID]++
	h.mu.Unlock()

	seen := map[string]*models.JobSnapshot{}
	active := len(snaps)
	return h.s.runStream(c, stream{
		sub: sub,
		start: func(e *sse) (bool, error) {
			if err := e.event("badge", badgeBytes(active)); err != nil {
				return false, err
			}
			for _, snap := range snaps {
				seen[snap.Job.ID] = snap
				if err := e.event("job-"+snap.Job.ID, h.fragments(snap).cardHTML()); err != nil {
					return false, err
				}
			}
			snaps = nil
			return false, nil
		},
		apply: func(e *sse, ups []events.Update) (bool, error) {
			badge := active
			for _, up := range ups {
				next := up.Snapshot
				if next.Job.UserID != userID {
					continue
				}
				prev := seen[next.Job.ID]
				if prev != nil && next.Job.Version <= prev.Job.Version {
					continue
				}
				seen[next.Job.ID] = next
				badge = next.ActiveJobs
				f := h.fragments(next)
				if err := e.event("job-"+next.Job.ID, f.cardHTML()); err != nil {
					return false, err
				}
				// Toast an ending seen here, or one that happened since
				// this stream connected; not an old one that a resync
				// brought back.
				ended := next.Job.Terminal() && next.Job.CompletedAt != nil
				if ended && ((prev != nil && prev.Job.Active()) || (prev == nil && !next.Job.CompletedAt.Before(connected))) {
					if err := e.event("toast", f.toastHTML()); err != nil {
						return false, err
					}
					if n := f.notifyJSON(); n != nil {
						if err := e.event("notify", n); err != nil {
							return false, err
						}
						if err := e.event("bell", f.bellHTML()); err != nil {
							return false, err
						}
					}
				}
			}
			if badge != active {
				active = badge
				return false, e.event("badge", badgeBytes(active))
			}
			return false, nil
		},
		closed: func() {
			h.mu.Lock()
			if h.live[userID]--; h.live[userID] <= 0 {
				delete(h.live, userID)
			}
			h.mu.Unlock()
		},
	})
}

// jobFragments are the renderings of one job version, each made at most
// once however many streams send it.
type jobFragments struct {
	snap *models.JobSnapshot

	cardOnce, htmlJSONOnce, toastOnce, notifyOnce, bellOnce sync.Once
	card, json, toast, notify, bell                         []byte
}

const maxCachedJobs = 2048

// fragments returns the renderings of snap's version, shared through the
// cache while snap is the job's latest version known here.
func (h *eventHub) fragments(snap *models.JobSnapshot) *jobFragments {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.frags[snap.Job.ID]
	switch {
	case f != nil && f.snap.Job.Version == snap.Job.Version:
		return f
	case f != nil && f.snap.Job.Version > snap.Job.Version:
		return &jobFragments{snap: snap} // an old version: render it apart
	}
	if len(h.frags) >= maxCachedJobs {
		for id, old := range h.frags {
			if old.snap.Job.Terminal() || len(h.frags) >= maxCachedJobs {
				delete(h.frags, id)
			}
		}
	}
	f = &jobFragments{snap: snap}
	h.frags[snap.Job.ID] = f
	return f
}

func (f *jobFragments) cardHTML() []byte {
	f.cardOnce.Do(func() { f.card = renderBytes(partials.JobProgress(jobCardVM(f.snap, time.Now()))) })
	return f.card
}

func (f *jobFragments) jobJSON() []byte {
	f.htmlJSONOnce.Do(func() { f.json, _ = json.Marshal(NewJobJSON(f.snap)) })
	return f.json
}

// jobData is the data of the per-job stream's progress, status and done
// events.
func (f *jobFragments) jobData(asJSON bool) []byte {
	if asJSON {
		return f.jobJSON()
	}
	return f.cardHTML()
}

func (f *jobFragments) toastHTML() []byte {
	f.toastOnce.Do(func() { f.toast = renderBytes(partials.Toast(toastVM(f.snap))) })
	return f.toast
}

// bellHTML is the bell's unread count after the job ended.
func (f *jobFragments) bellHTML() []byte {
	f.bellOnce.Do(func() { f.bell = renderBytes(layouts.BellCount(f.snap.Unread)) })
	return f.bell
}

// notifyJSON is the browser Notification for a completed or failed job, or
// nil. Its tag is per job, so that several tabs show it once.
func (f *jobFragments) notifyJSON() []byte {
	f.notifyOnce.Do(func() {
		j := &f.snap.Job
		if j.Status != models.StatusCompleted && j.Status != models.StatusFailed {
			return
		}
		t := toastVM(f.snap)
		f.notify, _ = json.Marshal(map[string]string{"title": t.Title, "body": t.Body, "tag": "job-" + j.ID, "url": t.URL})
	})
	return f.notify
}

var badgeCache sync.Map // active count → rendered badge

func badgeBytes(active int) []byte {
	if b, ok := badgeCache.Load(active); ok {
		return b.([]byte)
	}
	b := renderBytes(partials.Badge(partials.BadgeVM{Active: active}))
	if active < 100 {
		badgeCache.Store(active, b)
	}
	return b
}

func renderBytes(c templ.Component) []byte {
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		slog.Error("render fragment", "err", err)
	}
	return buf.Bytes()
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// jobCardVM shapes a snapshot for the progress card.
func jobCardVM(snap *models.JobSnapshot, now time.Time) partials.JobCardVM {
	j := &snap.Job
	vm := partials.JobCardVM{
		ID: j.ID, ProjectID: j.ProjectID, ProjectName: snap.ProjectName, Status: j.Status,
		Percent: j.ProgressPercentage, Done: j.CompletedDocuments, Total: j.TotalDocuments,
		Current: orZero(j.CurrentDocument), CancelRequested: j.CancelRequestedAt != nil,
		Error: orZero(j.ErrorMessage), DocTitle: docTitle, Version: j.Version,
	}
	if j.Active() && j.EstimatedCompletion != nil {
		vm.ETA = etaText(j.EstimatedCompletion.Sub(now))
	}
	vm.Docs = make([]partials.DocRowVM, len(snap.Documents))
	for i, d := range snap.Documents {
		vm.Docs[i] = docRowVM(j.ID, d)
	}
	return vm
}

func docRowVM(jobID string, d models.JobDocument) partials.DocRowVM {
	vm := partials.DocRowVM{JobID: jobID, Type: d.DocumentType, Status: d.Status, Attempts: d.Attempts, Error: orZero(d.Error), DocTitle: docTitle}
	if d.DurationMS != nil {
		vm.Duration = fmt.Sprintf("%.1f s", float64(*d.DurationMS)/1000)
	}
	return vm
}

// etaText says how long is left, as "about 2 min left".
func etaText(left time.Duration) string {
	switch {
	case left <= 0:
		return "almost done"
	case left < time.Minute:
		return "less than a minute left"
	case left < 90*time.Minute:
		return fmt.Sprintf("about %d min left", int((left+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("about %d h left", int((left+30*time.Minute)/time.Hour))
}

// toastVM announces a job that ended.
func toastVM(snap *models.JobSnapshot) partials.ToastVM {
	j := &snap.Job
	t := partials.ToastVM{JobID: j.ID, Status: j.Status, URL: "/jobs/" + j.ID}
	name := snap.ProjectName
	switch j.Status {
	case models.StatusCompleted:
		t.Title = "Documents ready"
		t.Body = fmt.Sprintf("%s: %d of %d documents generated.", name, j.CompletedDocuments, j.TotalDocuments)
	case models.StatusFailed:
		t.Title = "Generation failed"
		t.Body = fmt.Sprintf("%s: %d of %d documents generated.", name, j.CompletedDocuments, j.TotalDocuments)
		if msg := orZero(j.ErrorMessage); msg != "" {
			t.Body += " " + msg
		}
	case models.StatusCancelled:
		t.Title = "Generation cancelled"
		t.Body = fmt.Sprintf("%s: %d of %d documents kept.", name, j.CompletedDocuments, j.TotalDocuments)
	}
	return t
}

// sseDocJSON is the data of the per-job stream's document event in JSON.
type sseDocJSON struct {
	JobID string `json:"jobId"`
	JobDocumentJSON
}

func newSSEDocJSON(jobID string, d models.JobDocument) sseDocJSON {
	return sseDocJSON{JobID: jobID, JobDocumentJSON: JobDocumentJSON{
		Type: d.DocumentType, Title: docTitle(d.DocumentType), Status: d.Status, Attempts: d.Attempts,
		ArtifactID: d.ArtifactID, Error: d.Error, StartedAt: d.StartedAt, CompletedAt: d.CompletedAt,
		DurationMS: d.DurationMS, PromptTokens: d.PromptTokens, CompletionTokens: d.CompletionTokens,
	}}
}
