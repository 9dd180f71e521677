package handlers

import (
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
	return partials.Toast(partials.ToastVM{
		NotificationID: n.ID, JobID: *n.JobID, Status: strings.TrimPrefix(n.Kind, "job_"), Title: n.Title, Body: n.Body, URL: n.Link,
	})
}
