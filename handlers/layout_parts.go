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

// notificationToast announces, on the next page, a job that ended while the
// user had no tab open.
func notificationToast(n models.Notification) templ.Component {
	if n.JobID == nil {
		return templ.NopComponent
	}
	return partials.Toast(partials.ToastVM{
		JobID: *n.JobID, Status: strings.TrimPrefix(n.Kind, "job_"), Title: n.Title, Body: n.Body, URL: n.Link,
	})
}
