package handlers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/events"
	"dossier/models"
)

// The page side of the sync protocol (README, "Live sync"). A page reads
// the user's sync position before it reads its data, and renders it into
// its stream's URL (/events?since=P&view=V): whatever changes after the read
// reaches the page over the stream, even if it happens before the stream
// connects. The view names what the page shows beyond the header, so that
// the stream pushes those regions too.

const (
	localPosition = "syncPosition"
	localView     = "liveView"
)

// pagePosition reads the user's position for a page, before its handler
// reads anything else.
func (s *Server) pagePosition(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet && !isStream(c) && !isAPIPath(c.Path()) {
		if u := currentUser(c); u != nil {
			if pos, err := s.db.SyncPosition(c.UserContext(), u.ID); err == nil {
				c.Locals(localPosition, pos)
			}
		}
	}
	return c.Next()
}

// publishUser tells the user's streams, here and on every instance, that
// something of the user changed (their position moved).
func (s *Server) publishUser(userID string) {
	if s.broker != nil {
		s.broker.Publish(events.Event{Kind: events.UserChanged, UserID: userID})
	}
}

// liveView is what a page shows that its stream keeps current, beyond the
// header (badge, bell, toasts) and the job cards, which every page gets.
type liveView struct {
	// Kind is dashboard, jobs (Arg: the status filter), job (Arg: the job
	// id), generate (Arg: the id of the job shown), project (Arg: the
	// project id: its runs and library), document (Arg:
	// <project>:<type>:<version>[:edit], a document's page or editor
	// showing that version: told of newer ones, see documentView), or "".
	Kind, Arg string
}

// parseView reads a stream's ?view=, which anyone can write: only a view a
// page could have named passes, and anything else is no view (the header
// and job cards only). Its ids end up in event names, where a line break
// would start fields of the caller's choosing.
func parseView(s string) liveView {
	kind, arg, _ := strings.Cut(s, ":")
	ok := false
	switch kind {
	case "dashboard", "projects":
		ok = arg == ""
	case "jobs":
		ok = knownJobsFilter(arg)
	case "job", "generate", "project":
		ok = models.IsID(arg)
	case "document":
		_, ok = parseDocumentView(arg)
	}
	if !ok {
		return liveView{}
	}
	return liveView{Kind: kind, Arg: arg}
}

// documentView is what a document view's page shows: which version of
// which of the project's documents, and whether in the editor.
type documentView struct {
	ProjectID, DocType string
	Version            int
	Editing            bool
}

func (d documentView) view() liveView {
	arg := d.ProjectID + ":" + d.DocType + ":" + strconv.Itoa(d.Version)
	if d.Editing {
		arg += ":edit"
	}
	return liveView{Kind: "document", Arg: arg}
}

func parseDocumentView(arg string) (documentView, bool) {
	parts := strings.Split(arg, ":")
	if len(parts) < 3 || len(parts) > 4 || !models.IsID(parts[0]) || parts[1] == "" || (len(parts) == 4 && parts[3] != "edit") {
		return documentView{}, false
	}
	v, err := strconv.Atoi(parts[2])
	if err != nil || v < 1 {
		return documentView{}, false
	}
	return documentView{ProjectID: parts[0], DocType: parts[1], Version: v, Editing: len(parts) == 4}, true
}

// project is the project whose activity the view shows or reads (its
// runs and library, or one of its documents), or "".
func (v liveView) project() string {
	switch v.Kind {
	case "project":
		return v.Arg
	case "document":
		d, _ := parseDocumentView(v.Arg)
		return d.ProjectID
	}
	return ""
}

func (v liveView) String() string {
	if v.Arg == "" {
		return v.Kind
	}
	return v.Kind + ":" + v.Arg
}

// lists reports whether the view shows lists of jobs, which change when a
// job is created or changes status.
func (v liveView) lists() bool { return v.Kind == "dashboard" || v.Kind == "jobs" }

// listsProjects says the view lists the user's projects by name (the
// dashboard's Projects, the Projects page): a resync sends their names.
func (v liveView) listsProjects() bool { return v.Kind == "dashboard" || v.Kind == "projects" }

// setView names the page's live view for its stream.
func setView(c *fiber.Ctx, v liveView) { c.Locals(localView, v) }

// streamURL is the page's /events URL: from the position read before the
// page's data, for the page's view.
func streamURL(c *fiber.Ctx) string {
	var q []string
	if pos, ok := c.Locals(localPosition).(int64); ok {
		q = append(q, "since="+strconv.FormatInt(pos, 10))
	}
	if v, ok := c.Locals(localView).(liveView); ok && v.Kind != "" {
		view := url.QueryEscape(v.Kind)
		if v.Arg != "" {
			view += ":" + url.QueryEscape(v.Arg)
		}
		q = append(q, "view="+view)
	}
	if len(q) == 0 {
		return "/events"
	}
	return "/events?" + strings.Join(q, "&")
}

// resumeFrom is the position a stream resumes from: the later of the URL's
// (the page's, kept current by the page script across reconnects) and the
// browser's Last-Event-ID (its own reconnects). A ?since that is not a
// position is a 422: a client that sent one would otherwise get every
// change from the start without knowing why. So is ?since given twice
// (queryOnce). The header, which browsers send back as they got it, is
// read leniently.
func resumeFrom(c *fiber.Ctx) (int64, error) {
	var since int64
	q, err := queryOnce(c, "since")
	if err != nil {
		return 0, err
	}
	if q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 0 {
			return 0, ValidationError(map[string]string{"since": "must be a position: a whole number, 0 or more"})
		}
		since = n
	}
	if last, err := strconv.ParseInt(strings.TrimSpace(c.Get("Last-Event-ID")), 10, 64); err == nil && last > since {
		since = last
	}
	return since, nil
}
