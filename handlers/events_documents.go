package handlers

import (
	"fmt"
	"time"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/views/partials"
)

// A document's page and its editor show one version; the stream (view
// document:<project>:<type>:<version>[:edit]) tells them of a newer one,
// from the project's activity that its loads read anyway: a saved edit
// moves the user's position, and a run's version comes with its job's
// change. The page fills its live region (partials.NewerVersionRegion)
// and keeps the text it shows: whoever reads or edits it decides.

// sendNewerVersion writes the region's content when the update's activity
// holds a version of the document later than both the page's and the last
// one this stream told of; nothing otherwise.
func (ls *liveStream) sendNewerVersion(e *sse, up *events.SyncUpdate) error {
	d, ok := parseDocumentView(ls.view.Arg)
	a := up.Projects[d.ProjectID]
	if !ok || a == nil {
		return nil
	}
	for _, v := range a.Documents {
		if v.DocumentType != d.DocType || v.Version <= max(d.Version, ls.newerSent) {
			continue
		}
		ls.newerSent = v.Version
		vm := newerVersionVM(d, v, up.State.UserID, time.Now())
		data := renderBytes(partials.NewerVersion(vm))
		if d.Editing {
			// The save button's label follows, swapped out of band.
			data = append(data, renderBytes(partials.EditSaveLabel(vm, true))...)
		}
		return e.event(partials.NewerVersionEvent(d.ProjectID, d.DocType), data)
	}
	return nil
}

// newerVersionVM says which version arrived, from whom and when, for a
// page showing d to the user viewerID. A version the viewer saved (in
// another tab, or through the API) was saved "by you", as the editor's
// conflict says it, not by the viewer's own name.
func newerVersionVM(d documentView, v models.DocumentVersion, viewerID string, now time.Time) partials.NewerVersionVM {
	vm := partials.NewerVersionVM{ProjectID: d.ProjectID, DocType: d.DocType, Version: v.Version, ArtifactID: v.ID,
		Shown: d.Version, Editing: d.Editing}
	switch {
	case v.Source == models.SourceEdited && v.AuthorID != nil && viewerID != "" && *v.AuthorID == viewerID:
		vm.By = "saved by you"
	case v.Source == models.SourceEdited && v.AuthorName != nil:
		vm.By = "saved by " + *v.AuthorName
	case v.Source == models.SourceEdited:
		vm.By = "saved"
	case v.RunNumber != nil:
		vm.By = fmt.Sprintf("written by Run #%d", *v.RunNumber)
	default:
		vm.By = "written by a run" // a version older than the run counter (migration 00013)
	}
	at := v.CreatedAt.UTC()
	vm.At, vm.AtISO = at.Format("15:04 UTC"), at.Format(time.RFC3339)
	if y, m, day := at.Date(); y != now.UTC().Year() || m != now.UTC().Month() || day != now.UTC().Day() {
		vm.At = at.Format("15:04 UTC on 2 Jan 2006")
	}
	return vm
}
