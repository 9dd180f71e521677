package handlers

import (
	"html"

	"dossier/jobs/events"
	"dossier/views/partials"
)

// sendViewedProjectName sends, on a resync, the name of the project the
// view is about: a project's page, one of its documents, or one of its jobs
// (its page, or its generate page). A resync carries no saved projects
// (their names go to the pages that list projects), and the page shows its
// project's name in its headings, breadcrumbs and title, which would keep
// a name from before a rename the tab missed while away. It is sent after
// the jobs' fragments: a card rendered earlier for the same job version
// may carry the old name.
func (ls *liveStream) sendViewedProjectName(e *sse, up *events.SyncUpdate) error {
	if !up.State.Reset {
		return nil // an update's renames are in its saved projects
	}
	id, name := ls.viewedProject(up)
	if id == "" || name == "" {
		return nil
	}
	return e.event(partials.ProjectNameEvent(id), []byte(html.EscapeString(name)))
}

// viewedProject is the id and the name, as up read them, of the project
// the view is about, or "" when up did not read it.
func (ls *liveStream) viewedProject(up *events.SyncUpdate) (id, name string) {
	switch ls.view.Kind {
	case "project", "document":
		if a := up.Projects[ls.view.project()]; a != nil {
			return a.ProjectID, a.Name
		}
	case "job", "generate":
		for i := range up.State.Jobs {
			if snap := &up.State.Jobs[i]; snap.Job.ID == ls.view.Arg {
				return snap.Job.ProjectID, snap.ProjectName
			}
		}
	}
	return "", ""
}
