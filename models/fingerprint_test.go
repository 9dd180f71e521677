package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// generate runs a job of the project's current data the way a worker does
// (claim, commit each document through the group commit, finish) and
// returns its versions.
func (f *docFixture) generate(t *testing.T, types ...string) []models.Artifact {
	t.Helper()
	ctx := context.Background()
	p, err := f.db.ProjectForUser(ctx, f.user.ID, f.project.ID)
	require.NoError(t, err)
	j, _, err := f.db.CreateJob(ctx, models.NewJob{UserID: f.user.ID, ProjectID: p.ID, ProjectData: p.Data,
		Company: &p.CompanyIntelligencePack, Documents: types, MaxRetries: 1, SourceHash: p.Fingerprint()})
	require.NoError(t, err)
	claimed, err := f.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, j.ID, claimed[0].ID)
	lease := claimed[0].Lease()
	for _, typ := range types {
		now := time.Now()
		_, _, err := f.db.CommitDocument(ctx, lease, models.DocumentResult{Type: typ, Title: typ, Markdown: "# " + typ,
			Attempts: 1, StartedAt: now, FinishedAt: now})
		require.NoError(t, err)
	}
	_, err = f.db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
	require.NoError(t, err)
	arts, err := f.db.JobArtifacts(ctx, j.ID)
	require.NoError(t, err)
	require.Len(t, arts, len(types))
	return arts
}

// changed is the latest versions the project changed since, by type.
func (f *docFixture) changed(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	a, err := f.db.ProjectActivity(ctx, f.user.ID, f.project.ID)
	require.NoError(t, err)
	p, err := f.db.ProjectForUser(ctx, f.user.ID, f.project.ID)
	require.NoError(t, err)
	require.Equal(t, p.Fingerprint(), a.Fingerprint, "the live library compares with the project's current fingerprint")
	out := map[string]bool{}
	for _, v := range a.Documents {
		out[v.DocumentType] = v.ProjectChanged(a.Fingerprint)
	}
	return out
}

// A version records the fingerprint of the data its job was written from;
// the project's current one matches it until the data changes, however
// often the project is saved unchanged; a new run matches again; an edit
// keeps its base's; a version from before fingerprints is not flagged.
func TestVersionsKnowWhenTheProjectChangedSince(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			f := newDocFixture(t, d)
			ctx := context.Background()
			_, _, data, pack := models.ExampleProject()
			f.project.Data, f.project.CompanyIntelligencePack = data, pack
			require.NoError(t, f.db.UpdateProject(ctx, f.project))

			// The stored project has the fingerprint of the data as given:
			// the serialisation is canonical, not the database's JSON.
			stored, err := f.db.ProjectForUser(ctx, f.user.ID, f.project.ID)
			require.NoError(t, err)
			fp := models.Fingerprint(f.project.Name, f.project.Description, data, &pack)
			require.Len(t, fp, 64)
			assert.Equal(t, fp, stored.Fingerprint())

			arts := f.generate(t, "scope_statement", "risk_register")
			for _, a := range arts {
				require.NotNil(t, a.SourceHash, a.DocumentType)
				assert.Equal(t, fp, *a.SourceHash, "the version copies its job's fingerprint")
			}
			assert.Equal(t, map[string]bool{"scope_statement": false, "risk_register": false}, f.changed(t))

			// Saved again unchanged: still current.
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": false, "risk_register": false}, f.changed(t))

			// The data changes: both are out of date.
			stored.Data.Risks[0].Probability = stored.Data.Risks[0].Probability%5 + 1
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": true, "risk_register": true}, f.changed(t))

			// An edit of the out-of-date register keeps its base's
			// fingerprint: still out of date.
			edit, err := f.db.SaveEdit(ctx, models.NewEdit{UserID: f.user.ID, ProjectID: f.project.ID, DocumentType: "risk_register",
				Markdown: "# Risks\n\nfixed a typo\n", BaseArtifactID: arts[1].ID})
			require.NoError(t, err)
			require.NotNil(t, edit.SourceHash)
			assert.Equal(t, fp, *edit.SourceHash)
			assert.True(t, f.changed(t)["risk_register"])

			// The company pack counts too: regenerate the scope, then
			// change the pack.
			f.generate(t, "scope_statement")
			assert.Equal(t, map[string]bool{"scope_statement": false, "risk_register": true}, f.changed(t))
			stored.CompanyIntelligencePack.ToneOfVoice += " Plain."
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": true, "risk_register": true}, f.changed(t))

			// Regenerated: current again.
			f.generate(t, "scope_statement", "risk_register")
			assert.Equal(t, map[string]bool{"scope_statement": false, "risk_register": false}, f.changed(t))

			// The name is in every title, the description in the prompt:
			// renaming the project makes them out of date too.
			stored.Name += " (renamed)"
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": true, "risk_register": true}, f.changed(t))
			f.generate(t, "scope_statement", "risk_register")
			stored.Description += " More."
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": true, "risk_register": true}, f.changed(t))
			f.generate(t, "scope_statement", "risk_register")

			// Line endings do not count: a browser sends a textarea's as
			// CRLF.
			stored.CompanyIntelligencePack.Mission = "Help members.\nFairly and fast."
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			f.generate(t, "scope_statement", "risk_register")
			stored.CompanyIntelligencePack.Mission = "Help members.\r\nFairly and fast."
			require.NoError(t, f.db.UpdateProject(ctx, stored))
			assert.Equal(t, map[string]bool{"scope_statement": false, "risk_register": false}, f.changed(t))

			// A version written before fingerprints existed has none: not
			// known to be out of date, so not flagged.
			old := f.generated(t, "project_charter", 1, "# Charter\n")
			require.Nil(t, old.SourceHash)
			var hash *string
			require.NoError(t, f.db.ForTests().Raw(`SELECT source_hash FROM artifacts WHERE id = ?`, old.ID).Scan(&hash).Error)
			require.Nil(t, hash, "stored as NULL")
			assert.False(t, f.changed(t)["project_charter"])
		})
	}
}

// A job records the fingerprint it is given (the project's, when it is
// made from the project's inputs), and none without one (data of its own):
// its versions are then never compared with the project's.
func TestJobRecordsTheFingerprintItIsGiven(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			f := newDocFixture(t, d)
			ctx := context.Background()
			data := models.ProjectData{Sponsor: "Grace " + uuid.NewString()}
			j, _, err := f.db.CreateJob(ctx, models.NewJob{UserID: f.user.ID, ProjectID: f.project.ID, ProjectData: data,
				Documents: []string{"scope_statement"}})
			require.NoError(t, err)
			got, err := f.db.JobByID(ctx, j.ID)
			require.NoError(t, err)
			assert.Nil(t, got.SourceHash, "data of its own: no fingerprint")
			require.NoError(t, f.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed' WHERE id = ?`, j.ID).Error)

			j, _, err = f.db.CreateJob(ctx, models.NewJob{UserID: f.user.ID, ProjectID: f.project.ID, ProjectData: f.project.Data,
				Documents: []string{"scope_statement"}, SourceHash: f.project.Fingerprint()})
			require.NoError(t, err)
			got, err = f.db.JobByID(ctx, j.ID)
			require.NoError(t, err)
			require.NotNil(t, got.SourceHash)
			assert.Equal(t, f.project.Fingerprint(), *got.SourceHash)
		})
	}
}

// The fingerprint's serialisation is pinned: a change to it (a new field
// of ProjectData without omitempty, a renamed JSON tag, another encoding)
// would mark every document of every project out of date at the upgrade.
// If this fails, make the change leave the example's serialisation as it
// was (omitempty), or version the fingerprints (and treat older versions
// as unknown), then update the hash.
//
// The hash is of the example without its deliverables' owners, as a
// project stored before deliverables had owners is: with none, a project
// keeps its fingerprint; one that names an owner has another, as its RACI
// matrix and WBS read it. A change to the example's figures changes the
// hash too (it was f08daeb4… before the example's effort, team and budget
// were scaled to its scope); that alone marks no stored project out of
// date, as stored projects keep their own data.
func TestFingerprintIsStable(t *testing.T) {
	name, description, data, pack := models.ExampleProject()
	owned := models.Fingerprint(name, description, data, &pack)
	data.Deliverables = slices.Clone(data.Deliverables)
	for i := range data.Deliverables {
		data.Deliverables[i].Owner = ""
	}
	got := models.Fingerprint(name, description, data, &pack)
	assert.Equal(t, "675dc7aa81fd7b0a42ede381c9f5b053a56238c15a9d515643e9bd672a67a725", got)
	assert.NotEqual(t, got, owned, "an owner is an input")
	assert.Equal(t, got, models.Fingerprint(name, description, data, &pack), "deterministic")
	assert.Equal(t, models.Fingerprint("", "", models.ProjectData{}, nil), models.Fingerprint("", "", models.ProjectData{}, &models.CompanyPack{}),
		"no pack is an empty pack")
}
