package handlers

import (
	"dossier/models"
	"dossier/views/pages"
)

// editedLatest is a document's latest version (vs, newest first) when a
// user saved it by hand, for the regenerate form's warning: regenerating
// writes a new version from the project data over it as the latest, and
// the edit stays in the version history. nil when a run wrote it.
func editedLatest(vs []models.DocumentVersion, userID string) *pages.EditedVersion {
	if len(vs) == 0 || vs[0].Source != models.SourceEdited {
		return nil
	}
	v := vs[0]
	return &pages.EditedVersion{Version: v.Version, By: orZero(v.AuthorName),
		ByYou: v.AuthorID != nil && *v.AuthorID == userID, When: v.CreatedAt.UTC().Format(pages.MinuteLayout)}
}
