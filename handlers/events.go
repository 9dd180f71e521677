package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/views/layouts"
	"dossier/views/pages"
	"dossier/views/partials"
)

// The live streams. Both send the current state first (a reconnect is always
// consistent, and Last-Event-ID is never relied on), then what changed, from
// broker updates only: no database connection is held while streaming.

// eventHub serves the streams of one app. It renders each job's fragments
// at most once per job version, however many streams send them.
type eventHub struct {
	s *Server

	mu    sync.Mutex
	frags map[string]*jobFragments // job → fragments of its latest version
}

// EventRoutes registers the SSE streams. They must stay out of compression,
// ETag and logging middleware (see isStream).
func (s *Server) EventRoutes(r fiber.Router) {
	h := &eventHub{s: s, frags: map[string]*jobFragments{}}
	r.Get("/api/generation/jobs/stream/:id", h.JobStream)
	r.Get("/events", h.UserEvents)
}

// JobStream is GET /api/generation/jobs/stream/:id: one job's progress,
// document, status and a final done event, as HTML fragments, or with
// ?format=json as JSON. Another user's job is a 404 before any streaming.
//
// It follows the job's sync position (README, "Live sync"): the last event
// of each batch carries id: the position of the state it brings the client
// to. A client that resumes (Last-Event-ID, or ?since=) at the job's
// current position gets nothing again; one behind it gets the current
// state, which is the whole of what it missed.
func (h *eventHub) JobStream(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return ErrUnauthorized
	}
	userID, jobID := strings.Clone(u.ID), strings.Clone(c.Params("id"))
	format, err := queryOnce(c, "format")
	if err != nil {
		return err
	}
	if format != "" && format != "json" {
		return ValidationError(map[string]string{"format": "must be json, or absent for HTML fragments"})
	}
	asJSON := format == "json"
	since, err := resumeFrom(c)
	if err != nil {
		return err
	}

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
	sub.OwnedBy(userID)

	var last *models.JobSnapshot
	var drafts *draftStream
	if asJSON && !snap.Job.Terminal() {
		drafts = subscribeDrafts(h.s.cfg.Drafts, jobID, writeDraftJSON)
	}
	return h.s.runStream(c, stream{
		sub:    sub,
		drafts: drafts,
		start: func(e *sse) (bool, error) {
			last = snap
			data := h.fragments(snap).jobData(asJSON)
			var batch []namedEvent
			switch {
			case since > 0 && since == snap.Job.SyncPosition && snap.Job.Terminal():
				batch = []namedEvent{{"done", data}} // it saw the end; end again
			case since > 0 && since == snap.Job.SyncPosition:
				// It has this state: nothing to replay.
			default:
				batch = []namedEvent{{"status", data}, {"progress", data}}
				if snap.Job.Terminal() {
					batch = append(batch, namedEvent{"done", data})
				}
			}
			if err := writeBatch(e, batch, snap.Job.SyncPosition); err != nil || snap.Job.Terminal() {
				return true, err
			}
			return false, drafts.start(e, snap)
		},
		apply: func(e *sse, ups []events.Update) (bool, error) {
			for _, up := range ups {
				next := up.Snapshot
				if next.Job.ID != jobID || next.Job.Version <= last.Job.Version {
					continue
				}
				batch := h.jobDeltas(last, next, asJSON)
				if next.Job.Terminal() {
					batch = append(batch, namedEvent{"done", h.fragments(next).jobData(asJSON)})
				}
				if err := writeBatch(e, batch, next.Job.SyncPosition); err != nil {
					return false, err
				}
				last = next
				drafts.seen(next)
				if next.Job.Terminal() {
					return true, nil
				}
			}
			return false, nil
		},
	})
}

// writeBatch writes the events that bring a client to position pos; the
// last carries the position as its id, so that a client cut off mid-batch
// resumes from before it.
func writeBatch(e *sse, batch []namedEvent, pos int64) error {
	for i, ev := range batch {
		var err error
		if i == len(batch)-1 {
			err = e.eventWithID(ev.name, strconv.FormatInt(pos, 10), ev.data)
		} else {
			err = e.event(ev.name, ev.data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jobDeltas returns the events that lead a client from prev to next:
// documents first, then progress, then status.
func (h *eventHub) jobDeltas(prev, next *models.JobSnapshot, asJSON bool) []namedEvent {
	var out []namedEvent
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
		out = append(out, namedEvent{"document", data})
	}
	f := h.fragments(next)
	p, n := &prev.Job, &next.Job
	if p.ProgressPercentage != n.ProgressPercentage || p.CompletedDocuments != n.CompletedDocuments ||
		orZero(p.CurrentDocument) != orZero(n.CurrentDocument) || !sameTime(p.EstimatedCompletion, n.EstimatedCompletion) {
		out = append(out, namedEvent{"progress", f.jobData(asJSON)})
	}
	if p.Status != n.Status || (p.CancelRequestedAt == nil) != (n.CancelRequestedAt == nil) {
		out = append(out, namedEvent{"status", f.jobData(asJSON)})
	}
	return out
}

// UserEvents is GET /events: the one stream per tab for the signed-in user,
// following the user's sync positions (README, "Live sync"). It resumes
// from ?since= or Last-Event-ID, whichever is later: it first sends what
// changed after that position (or, when the position cannot be resumed,
// everything live), then each change as the broker loads it. Each batch
// ends with a sync event whose id is the position it brings the tab to.
func (h *eventHub) UserEvents(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return ErrUnauthorized
	}
	userID := strings.Clone(u.ID)
	since, err := resumeFrom(c)
	if err != nil {
		return err
	}
	view := parseView(strings.Clone(c.Query("view")))

	drafts, err := h.viewDrafts(c.UserContext(), userID, view) // events_drafts.go
	if err != nil {
		return err
	}
	// Subscribe before reading, so that no change falls in between; then
	// tell the broker where this stream's state stands.
	sub := h.s.broker.SubscribeUser(userID)
	if p := view.project(); p != "" {
		sub.WatchProject(p)
	}
	if view.Kind == "job" || view.Kind == "generate" {
		sub.WatchJob(view.Arg)
	}
	first, err := h.s.syncUpdate(c.UserContext(), userID, since, view)
	if err != nil {
		sub.Close()
		drafts.close()
		return err
	}
	sub.Synced(first.State.To)
	ls := &liveStream{h: h, view: view, seen: map[string]int64{}, active: -1, unread: -1, projectAt: -1}
	var admin <-chan []byte
	leaveAdmin := func() {}
	if u.IsAdmin { // as the request read the user: a reconnect checks again
		admin, leaveAdmin = h.s.admin.subscribe(userID)
	}
	// apply sends an update and its drafts; an update the stream is ahead
	// of sends nothing, nor its drafts' reset.
	apply := func(e *sse, up *events.SyncUpdate) (bool, error) {
		if sent, err := ls.send(e, up); err != nil || !sent {
			return false, err
		}
		return false, drafts.synced(e, up)
	}
	return h.s.runStream(c, stream{
		sub:       sub,
		admin:     admin,
		drafts:    drafts,
		start:     func(e *sse) (bool, error) { return apply(e, first) },
		applySync: apply,
		closed:    leaveAdmin,
	})
}

// syncUpdate reads a stream's starting state: what changed after since,
// with the lists when the view shows them and they may have changed, and
// the viewed job when a resync would not carry it.
func (s *Server) syncUpdate(ctx context.Context, userID string, since int64, view liveView) (*events.SyncUpdate, error) {
	st, err := s.db.SyncSince(ctx, userID, since)
	if err != nil {
		return nil, err
	}
	up := &events.SyncUpdate{State: st, Cache: &sync.Map{}}
	if view.lists() && (st.Reset || len(st.Jobs) > 0) {
		if up.Board, err = s.db.JobBoard(ctx, userID); err != nil {
			return nil, err
		}
	}
	if p := view.project(); p != "" && st.ChangesProject(p) {
		a, err := s.db.ProjectActivity(ctx, userID, p)
		if err != nil {
			return nil, err
		}
		up.Projects = map[string]*models.ProjectActivity{p: a}
	}
	if st.Reset && (view.Kind == "job" || view.Kind == "generate") {
		snap, err := s.db.Snapshot(ctx, view.Arg)
		switch {
		case err == nil && snap.Job.UserID == userID:
			st.Jobs = append(st.Jobs, *snap)
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return nil, err
		}
	}
	return up, nil
}

// liveStream is one /events stream's memory of what it has sent.
type liveStream struct {
	h    *eventHub
	view liveView
	// seen is the position of each job ("j"+id) and notification ("n"+id)
	// as last sent: a row is sent again only with a later stamp.
	seen           map[string]int64
	active, unread int
	pos            int64
	// projectAt is the position of the project activity last sent (the
	// project view), -1 before the first.
	projectAt int64
	// ended is, per job whose follow-up this stream sent, whether it had
	// ended: the follow-up is replaced only when that flips, not on every
	// document (a block replaced under the pointer loses the click).
	ended map[string]bool
	// newerSent is the newest version the document view was told of (0:
	// none): it is told again only of a later one.
	newerSent int
	// sent is whether a state was sent: pos is the tab's position from then.
	sent bool
	// goneSent is whether the page was told that what it shows was
	// deleted (sendGone).
	goneSent bool
	// projectSent is the content of the project (fingerprint and time of
	// its last change) whose data the project view last sent, "" before
	// the first (sendProjectParts).
	projectSent string
}

// behind reports whether up was read at a position before the state this
// stream sent: a load the broker began before the tab opened, delivered to
// it because it subscribed meanwhile. Every row of up is stamped at or
// before its position, so the tab's state already covers them, and up's
// counts and lists are older than the tab's: sending them would turn the
// badge, the bell or the lists back until the next change.
func (ls *liveStream) behind(up *events.SyncUpdate) bool {
	return ls.sent && up.State.To < ls.pos
}

// send writes the events that bring the tab to up's position: the badge
// and the bell, the lists of the view (when they may have changed), each
// changed job's fragments, the announcements (on a resync, with the list
// of those still unshown and the count of older ones), and last a sync event carrying the
// position. Every fragment is a whole state, so sending one twice is
// harmless. It sends nothing, and reports so, for an update the stream is
// ahead of (behind).
func (ls *liveStream) send(e *sse, up *events.SyncUpdate) (sent bool, err error) {
	st := up.State
	if ls.behind(up) {
		return false, nil
	}
	ls.sent = true
	if st.Reset {
		clear(ls.seen)
	}
	if st.ActiveJobs != ls.active {
		ls.active = st.ActiveJobs
		if err := e.event("badge", badgeBytes(ls.active)); err != nil {
			return true, err
		}
	}
	if st.Unread != ls.unread {
		ls.unread = st.Unread
		if err := e.event("bell", renderBytes(layouts.BellCount(ls.unread))); err != nil {
			return true, err
		}
	}
	if up.Board != nil && ls.view.lists() {
		for _, ev := range ls.h.listEvents(up, ls.view) {
			if err := e.event(ev.name, ev.data); err != nil {
				return true, err
			}
		}
	}
	for i := range st.Jobs {
		snap := &st.Jobs[i]
		key := "j" + snap.Job.ID
		if p, ok := ls.seen[key]; ok && p >= snap.Job.SyncPosition {
			continue
		}
		ls.seen[key] = snap.Job.SyncPosition
		if err := ls.sendJob(e, snap); err != nil {
			return true, err
		}
	}
	if a := up.Projects[ls.view.Arg]; a != nil && ls.view.Kind == "project" && (st.To > ls.projectAt || st.Reset) {
		// An activity read for an earlier position than the one sent
		// would turn the lists back: only a later one is sent.
		ls.projectAt = st.To
		for _, ev := range ls.h.projectEvents(up, a) {
			if err := e.event(ev.name, ev.data); err != nil {
				return true, err
			}
		}
		if err := ls.sendProjectParts(e, up, a); err != nil { // events_project_parts.go
			return true, err
		}
		if a.Fingerprint != "" {
			// The project's content as of now: an edit form filled from
			// another says it was saved elsewhere (app.js).
			if err := e.event(ProjectFingerprintEvent(a.ProjectID), []byte(a.Fingerprint)); err != nil {
				return true, err
			}
		}
	}
	if err := ls.sendViewedProjectName(e, up); err != nil { // events_project_name.go
		return true, err
	}
	if ls.view.listsProjects() && (st.Reset || len(st.Projects) > 0) {
		// A project created, renamed or deleted (a removal: a reset) in
		// another tab: the list is sent whole, as a reload shows it.
		for _, ev := range ls.h.projectListEvents(up, ls.view) {
			if err := e.event(ev.name, ev.data); err != nil {
				return true, err
			}
		}
	}
	for _, p := range st.Projects {
		if st.Reset && !ls.view.listsProjects() {
			break // a resync's names are for the pages that list projects
		}
		// A saved project's name, wherever the page names it (the
		// project page's heading, lists, ...): a rename in another tab.
		key := "p" + p.ID
		if at, ok := ls.seen[key]; ok && at >= p.SyncPosition {
			continue
		}
		ls.seen[key] = p.SyncPosition
		if err := e.event(partials.ProjectNameEvent(p.ID), []byte(html.EscapeString(p.Name))); err != nil {
			return true, err
		}
	}
	if err := ls.sendGone(e, up); err != nil {
		return true, err
	}
	if ls.view.Kind == "document" {
		if err := ls.sendNewerVersion(e, up); err != nil {
			return true, err
		}
	}
	for _, n := range st.Notifications {
		key := "n" + n.ID
		if p, ok := ls.seen[key]; ok && p >= n.SyncPosition {
			continue
		}
		ls.seen[key] = n.SyncPosition
		var err error
		if n.ShownAt == nil && n.ReadAt == nil {
			err = e.event("announce", renderBytes(notificationToast(n)))
		} else {
			err = e.event("shown", []byte(n.ID))
		}
		if err != nil {
			return true, err
		}
	}
	if st.Reset {
		if err := e.event("unshown", unshownIDs(st.Notifications)); err != nil {
			return true, err
		}
		if st.UnshownOlder > 0 {
			// More than a resync lists: the tab knows they exist (the
			// notifications page has them all).
			if err := e.event("unshown-older", []byte(strconv.Itoa(st.UnshownOlder))); err != nil {
				return true, err
			}
		}
	}
	ls.pos = max(ls.pos, st.To)
	if st.Reset {
		ls.pos = st.To
	}
	pos := strconv.FormatInt(ls.pos, 10)
	return true, e.eventWithID("sync", pos, []byte(pos))
}

// unshownIDs is the data of the unshown event: the JSON array of the ids
// of the notifications no tab has shown (the newest SyncReplayLimit; the
// unshown-older event that follows counts the others, if any). A resync
// carries no shown event for what another tab acknowledged while this one
// was away; the tab drops every announcement it holds that is not in this
// list. (Never empty data: an event without data is not dispatched.)
func unshownIDs(ns []models.Notification) []byte {
	ids := []string{}
	for _, n := range ns {
		if n.ShownAt == nil && n.ReadAt == nil {
			ids = append(ids, n.ID)
		}
	}
	b, _ := json.Marshal(ids)
	return b
}

// sendGone tells a page, once, that what it shows was deleted while it
// was open: the project of a project or document page (its activity reads
// no project), the run of a job or generate page (a resync, which carries
// the run the page watches while it exists, does not carry it).
func (ls *liveStream) sendGone(e *sse, up *events.SyncUpdate) error {
	if ls.goneSent {
		return nil
	}
	what := ""
	if p := ls.view.project(); p != "" {
		if a := up.Projects[p]; a != nil && a.Gone {
			what = "project"
		}
	}
	if (ls.view.Kind == "job" || ls.view.Kind == "generate") && ls.view.Arg != "" && up.State.Reset &&
		!slices.ContainsFunc(up.State.Jobs, func(j models.JobSnapshot) bool { return j.Job.ID == ls.view.Arg }) && ls.jobGone() {
		what = "run"
	}
	if what == "" {
		return nil
	}
	ls.goneSent = true
	return e.event("gone", renderBytes(partials.Gone(what)))
}

// jobGone reports whether the job the view shows no longer exists. A
// resync without it is only a hint: the broker gathers the watched jobs of
// a resync once, and a stream that subscribed meanwhile may get one that
// does not carry its job. Resyncs are rare; the read settles it.
func (ls *liveStream) jobGone() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := ls.h.s.db.JobByID(ctx, ls.view.Arg)
	return errors.Is(err, models.ErrNotFound)
}

// sendJob writes a changed job's fragments: its card wherever it shows,
// and what the view shows of it.
func (ls *liveStream) sendJob(e *sse, snap *models.JobSnapshot) error {
	f := ls.h.fragments(snap)
	if err := e.event("job-"+snap.Job.ID, f.cardHTML()); err != nil {
		return err
	}
	switch {
	case ls.view.Kind == "dashboard":
		active := ""
		if snap.Job.Active() {
			active = snap.Job.ID
		}
		return e.event("project-"+snap.Job.ProjectID, renderBytes(pages.ProjectButton(snap.Job.ProjectID, active)))
	case ls.view.Kind == "job" && ls.view.Arg == snap.Job.ID:
		vm := jobVM(snap, time.Now())
		if err := e.event("jobhead-"+snap.Job.ID, renderBytes(pages.JobHead(vm))); err != nil {
			return err
		}
		return e.event("timeline-"+snap.Job.ID, renderBytes(pages.JobTimeline(vm.Timeline)))
	case ls.view.Kind == "project" && ls.view.Arg == snap.Job.ProjectID:
		// The project's generate page, showing the form, learns of a run
		// started in another tab: its card takes the form's place (the
		// form would only be refused). Then, as the generate view does,
		// its follow-up when it ends.
		ended, known := ls.ended[snap.Job.ID]
		switch {
		case !known && snap.Job.Active():
			if ls.ended == nil {
				ls.ended = map[string]bool{}
			}
			ls.ended[snap.Job.ID] = false
			return e.event(pages.GenerateStartedEvent(snap.Job.ProjectID),
				renderBytes(pages.CurrentJob(snap.Job.ProjectID, jobCardVM(snap, time.Now()))))
		case known && ended != snap.Job.Terminal():
			ls.ended[snap.Job.ID] = snap.Job.Terminal()
			return e.event("followup-"+snap.Job.ID, renderBytes(pages.JobFollowUp(snap.Job.ProjectID, jobCardVM(snap, time.Now()))))
		}
		return nil
	case ls.view.Kind == "generate" && ls.view.Arg == snap.Job.ID:
		ended, known := ls.ended[snap.Job.ID]
		if ls.ended == nil {
			ls.ended = map[string]bool{}
		}
		ls.ended[snap.Job.ID] = snap.Job.Terminal()
		if (known && ended == snap.Job.Terminal()) || (!known && snap.Job.Active()) {
			return nil // the page already shows this follow-up
		}
		return e.event("followup-"+snap.Job.ID, renderBytes(pages.JobFollowUp(snap.Job.ProjectID, jobCardVM(snap, time.Now()))))
	}
	return nil
}

type namedEvent struct {
	name string
	data []byte
}

// listEvents renders the view's lists from the update's board, once per
// update and view however many streams show them.
func (h *eventHub) listEvents(up *events.SyncUpdate, view liveView) []namedEvent {
	key := "lists:" + view.String()
	if v, ok := up.Cache.Load(key); ok {
		return v.([]namedEvent)
	}
	now := time.Now()
	var out []namedEvent
	switch view.Kind {
	case "dashboard":
		vm := dashboardLists(up.Board, now)
		out = append(out, namedEvent{"dash-active", renderBytes(pages.DashActive(vm.Active))},
			namedEvent{"dash-recent", renderBytes(pages.DashRecent(vm.Recent))})
		for _, snap := range up.Board.Active {
			out = append(out, namedEvent{"project-" + snap.Job.ProjectID, renderBytes(pages.ProjectButton(snap.Job.ProjectID, snap.Job.ID))})
		}
		if up.State.Reset {
			for _, snap := range up.Board.Ended {
				if !slices.ContainsFunc(up.Board.Active, func(a models.JobSnapshot) bool { return a.Job.ProjectID == snap.Job.ProjectID }) {
					out = append(out, namedEvent{"project-" + snap.Job.ProjectID, renderBytes(pages.ProjectButton(snap.Job.ProjectID, ""))})
				}
			}
		}
	case "jobs":
		vm := pages.JobsVM{Filter: view.Arg}
		jobsLists(&vm, up.Board, now)
		out = append(out, namedEvent{"jobs-list", renderBytes(pages.JobsList(vm))})
	}
	up.Cache.Store(key, out)
	return out
}

// projectListEvents renders the list of the user's projects that the view
// shows (the Projects page's, the dashboard's), once per update and view
// however many streams show it. A list it cannot read is not sent (and
// logged): the names still follow, and the next change sends it.
func (h *eventHub) projectListEvents(up *events.SyncUpdate, view liveView) []namedEvent {
	key := "projects:" + view.Kind
	once, _ := up.Cache.LoadOrStore(key, &onceEvents{})
	o := once.(*onceEvents)
	o.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		userID := up.State.UserID
		ps, err := h.s.db.Projects(ctx, userID)
		if err != nil {
			slog.Warn("live project list", "user", userID, "err", err)
			return
		}
		// Said to screen readers (a polite status beside the list).
		status := namedEvent{"projects-status", []byte(fmt.Sprintf("The project list changed in another tab: %s.", pages.Plural(len(ps), "project", "projects")))}
		switch view.Kind {
		case "projects":
			o.out = []namedEvent{{"projects-list", renderBytes(pages.ProjectsList(projectsVM(ps)))}, status}
		case "dashboard":
			board := up.Board
			if board == nil {
				if board, err = h.s.db.JobBoard(ctx, userID); err != nil {
					slog.Warn("live project list", "user", userID, "err", err)
					return
				}
			}
			o.out = []namedEvent{{"dash-projects", renderBytes(pages.DashProjects(dashProjects(ps, board)))}, status}
		}
	})
	return o.out
}

// ProjectFingerprintEvent is the project view's event carrying the
// project's current fingerprint.
func ProjectFingerprintEvent(projectID string) string { return "fingerprint-" + projectID }

// onceEvents are events rendered once per update for every stream.
type onceEvents struct {
	once sync.Once
	out  []namedEvent
}

// projectEvents renders a project's runs and library from the update's
// activity, once per update however many streams show them.
func (h *eventHub) projectEvents(up *events.SyncUpdate, a *models.ProjectActivity) []namedEvent {
	key := "project:" + a.ProjectID
	if v, ok := up.Cache.Load(key); ok {
		return v.([]namedEvent)
	}
	out := []namedEvent{
		{"runs-" + a.ProjectID, renderBytes(partials.Runs(runsOf(a.ProjectID, a.Runs, time.Now())))},
		{"library-" + a.ProjectID, renderBytes(partials.Library(libraryOf(a.ProjectID, a.Documents, a.Fingerprint)))},
	}
	up.Cache.Store(key, out)
	return out
}

// jobFragments are the renderings of one job version, each made at most
// once however many streams send it.
type jobFragments struct {
	snap *models.JobSnapshot

	cardOnce, htmlJSONOnce sync.Once
	card, json             []byte
}

const maxCachedJobs = 2048

// fragments returns the renderings of snap's version, shared through the
// cache while snap is the job's latest version known here, under its
// project's name as snap has it (a rename changes the card, not the job).
func (h *eventHub) fragments(snap *models.JobSnapshot) *jobFragments {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.frags[snap.Job.ID]
	switch {
	case f != nil && f.snap.Job.Version == snap.Job.Version && f.snap.Job.SyncPosition == snap.Job.SyncPosition &&
		f.snap.ProjectName == snap.ProjectName:
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
		Title: runTitle(cmpOr(snap.ProjectName, "Untitled project"), j.RunNumber), Asked: runAsked(j), Instruction: j.Instruction,
	}
	vm.ErrorSummary, vm.NoRetry = failureSummary(snap)
	if vm.ErrorSummary != "" {
		// Every failed document's provider answer, named, rather than the
		// job's message, which quotes the server's error for the first
		// one: "" when the provider answered nothing (a refused
		// connection), and the card then shows the sentence alone.
		vm.Error = failureDetail(snap)
	}
	if at, ok := waitingToRetry(j, now); ok {
		vm.ResumesAt, vm.ResumesAtISO = resumesAt(at)
		vm.RetryReason = retryReason(j)
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
	if d.Status == models.DocCompleted && d.ArtifactID != nil {
		vm.ArtifactURL = "/artifacts/" + *d.ArtifactID
	}
	if d.StartedAt != nil {
		vm.StartedMS = strconv.FormatInt(d.StartedAt.UnixMilli(), 10)
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
