package handlers

import (
	"time"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/views/pages"
)

// sendProjectParts sends a project page the parts that show the project's
// data (the company under the heading, the description and key facts, and
// the details below the library), rendered again, when the project's
// content differs from what this stream last sent: a save in another tab,
// on another instance or by the API reaches the page with no reload. The
// stream does not know the content the page was rendered with, so its
// first activity sends them once; a job's progress, which reads the same
// activity, sends nothing more. The edit page listens to the same view but
// has none of these parts: a form being typed in is never replaced (it
// says the project was saved elsewhere instead).
func (ls *liveStream) sendProjectParts(e *sse, up *events.SyncUpdate, a *models.ProjectActivity) error {
	if a.Project == nil {
		return nil
	}
	content := a.Fingerprint + "@" + a.Project.UpdatedAt.UTC().Format(time.RFC3339Nano)
	if content == ls.projectSent && !up.State.Reset {
		return nil
	}
	ls.projectSent = content
	for _, ev := range ls.h.projectParts(up, a.Project) {
		if err := e.event(ev.name, ev.data); err != nil {
			return err
		}
	}
	return nil
}

// projectParts renders the project page's data parts, once per update
// however many streams show them.
func (h *eventHub) projectParts(up *events.SyncUpdate, p *models.Project) []namedEvent {
	key := "projectparts:" + p.ID
	if v, ok := up.Cache.Load(key); ok {
		return v.([]namedEvent)
	}
	vm := projectView(p)
	out := []namedEvent{
		{pages.ProjectPartEvent("company", p.ID), renderBytes(pages.ProjectCompanyLine(vm))},
		{pages.ProjectPartEvent("summary", p.ID), renderBytes(pages.ProjectSummary(vm))},
		{pages.ProjectPartEvent("details", p.ID), renderBytes(pages.ProjectDetails(vm))},
	}
	up.Cache.Store(key, out)
	return out
}
