package handlers

import (
	"fmt"
	"strings"

	"github.com/a-h/templ"

	"dossier/models"
	"dossier/views/partials"
)

// badgeComponent is the header's live job badge.
func badgeComponent(active int) templ.Component {
	return partials.Badge(partials.BadgeVM{Active: active})
}

// notificationToast announces a job that ended and that no tab has shown
// yet: on the next page, or live over the stream.
func notificationToast(n models.Notification) templ.Component {
	if n.JobID == nil {
		return templ.NopComponent
	}
	title, body, link := notificationWords(n)
	return partials.Toast(partials.ToastVM{
		NotificationID: n.ID, JobID: *n.JobID, Status: strings.TrimPrefix(n.Kind, "job_"), Title: title, Body: body, URL: link,
		Created: n.CreatedAt,
	})
}

// notificationWords renders a notification from the facts the engine
// stored (kind, job, counts); rows from before kept their own words.
func notificationWords(n models.Notification) (title, body, link string) {
	if n.Title != "" {
		return n.Title, n.Body, n.Link
	}
	if n.JobID != nil {
		link = "/jobs/" + *n.JobID
	}
	// The run's number tells a project's runs apart: "Documents ready:
	// Relaunch · Run #3", as the job page and the jobs list title it.
	name := runTitle(n.ProjectName, n.RunNumber)
	switch n.Kind {
	case models.NotifyCompleted:
		if n.DocumentsDone == 1 {
			return "Documents ready: " + name, "1 document generated.", link
		}
		return "Documents ready: " + name, fmt.Sprintf("%d documents generated.", n.DocumentsDone), link
	case models.NotifyFailed:
		body = partials.DocumentsOf(n.DocumentsDone, n.DocumentsTotal) + " generated."
		// Why, first (a browser notification may show one line): the
		// plain sentences the job page shows, never the provider's text.
		if why := failureReason(n.JobErrorDetails); why != "" {
			body = why + " " + body
		}
		return "Generation failed: " + name, body, link
	}
	return n.Kind, "", link
}
