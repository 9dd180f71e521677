package handlers

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"dossier/models"
)

// A job's card is rendered once per version and shared by every stream.
// A project renamed while the job stood still (same version) kept the card
// under the old name until the job next changed: the name is part of what
// the card shows, so a snapshot with another name renders afresh.
func TestJobCardCacheFollowsTheProjectsName(t *testing.T) {
	h := &eventHub{frags: map[string]*jobFragments{}}
	job := models.Job{ID: "00000000-0000-4000-8000-0000000000aa", ProjectID: "00000000-0000-4000-8000-0000000000bb",
		Status: models.StatusProcessing, Version: 3, SyncPosition: 7, RunNumber: 2, TotalDocuments: 2}
	before := &models.JobSnapshot{Job: job, ProjectName: "Portal relaunch"}
	assert.Contains(t, string(h.fragments(before).cardHTML()), "Portal relaunch")
	assert.Same(t, h.fragments(before), h.fragments(&models.JobSnapshot{Job: job, ProjectName: "Portal relaunch"}), "the same version and name share one rendering")

	after := &models.JobSnapshot{Job: job, ProjectName: "Claims portal"}
	card := string(h.fragments(after).cardHTML())
	assert.Contains(t, card, "Claims portal")
	assert.NotContains(t, card, "Portal relaunch")
}
