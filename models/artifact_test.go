package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// docFixture is a user with a project on a fresh database.
type docFixture struct {
	db      *models.DB
	user    *models.User
	project *models.Project
}

func newDocFixture(t *testing.T, d models.Dialect) *docFixture {
	t.Helper()
	db := modelstest.Open(t, d)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Ada Lovelace", "x")
	require.NoError(t, err)
	p := &models.Project{UserID: u.ID, Name: "Versions"}
	require.NoError(t, db.CreateProject(ctx, p))
	return &docFixture{db: db, user: u, project: p}
}

// generated stores a generated version as a job would (without the job).
func (f *docFixture) generated(t *testing.T, typ string, version int, md string) *models.Artifact {
	t.Helper()
	a := &models.Artifact{ID: uuid.NewString(), ProjectID: f.project.ID, UserID: f.user.ID, DocumentType: typ,
		Title: typ, Markdown: md, Version: version, Source: models.SourceGenerated, CreatedAt: time.Now().UTC()}
	require.NoError(t, f.db.ForTests().Create(a).Error)
	return a
}

func TestDocumentVersionsAndEdits(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			f := newDocFixture(t, d)
			ctx := context.Background()
			v1 := f.generated(t, "risk_register", 1, "# Risks\n\nfirst\n")
			f.generated(t, "scope_statement", 1, "# Scope\n")

			// An edit based on the latest version becomes version 2.
			v2, err := f.db.SaveEdit(ctx, models.NewEdit{UserID: f.user.ID, ProjectID: f.project.ID,
				DocumentType: "risk_register", Markdown: "# Risks\n\nsecond\n", BaseArtifactID: v1.ID})
			require.NoError(t, err)
			assert.Equal(t, 2, v2.Version)
			assert.Equal(t, models.SourceEdited, v2.Source)
			assert.Equal(t, f.user.ID, *v2.AuthorID)
			assert.Nil(t, v2.JobID)
			assert.Equal(t, "risk_register", v2.Title, "an edit without a title keeps the previous one")

			// A second edit of version 1 is stale: 409, not an overwrite.
			_, err = f.db.SaveEdit(ctx, models.NewEdit{UserID: f.user.ID, ProjectID: f.project.ID,
				DocumentType: "risk_register", Markdown: "# Risks\n\nlost?\n", BaseArtifactID: v1.ID})
			var stale *models.StaleBaseError
			require.ErrorAs(t, err, &stale)
			assert.Equal(t, v2.ID, stale.LatestID)
			assert.Equal(t, 2, stale.LatestVersion)

			// Another user cannot edit it; a type with no version is not found.
			_, err = f.db.SaveEdit(ctx, models.NewEdit{UserID: uuid.NewString(), ProjectID: f.project.ID,
				DocumentType: "risk_register", Markdown: "x", BaseArtifactID: v2.ID})
			require.ErrorIs(t, err, models.ErrNotFound)
			_, err = f.db.SaveEdit(ctx, models.NewEdit{UserID: f.user.ID, ProjectID: f.project.ID,
				DocumentType: "schedule", Markdown: "x", BaseArtifactID: v2.ID})
			require.ErrorIs(t, err, models.ErrNotFound)

			versions, err := f.db.DocumentVersions(ctx, f.user.ID, f.project.ID, "risk_register")
			require.NoError(t, err)
			require.Len(t, versions, 2)
			assert.Equal(t, []int{2, 1}, []int{versions[0].Version, versions[1].Version}, "newest first")
			require.NotNil(t, versions[0].AuthorName)
			assert.Equal(t, "Ada Lovelace", *versions[0].AuthorName)
			assert.Contains(t, versions[1].Markdown, "first", "older versions stay readable")

			latest, err := f.db.LatestDocuments(ctx, f.user.ID, f.project.ID)
			require.NoError(t, err)
			byType := map[string]models.DocumentVersion{}
			for _, v := range latest {
				byType[v.DocumentType] = v
			}
			require.Len(t, byType, 2)
			assert.Equal(t, v2.ID, byType["risk_register"].ID)
			assert.Equal(t, 1, byType["scope_statement"].Version)

			other, err := f.db.LatestDocuments(ctx, uuid.NewString(), f.project.ID)
			require.NoError(t, err)
			assert.Empty(t, other, "another user's library is empty")
		})
	}
}

// Concurrent saves on the same base: exactly one wins, every other gets a
// conflict, and no version number is used twice.
func TestConcurrentEditsConflict(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			f := newDocFixture(t, d)
			base := f.generated(t, "quality_plan", 1, "# Quality\n")
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.db.SaveEdit(context.Background(), models.NewEdit{UserID: f.user.ID, ProjectID: f.project.ID,
						DocumentType: "quality_plan", Markdown: fmt.Sprintf("# Quality\n\nedit %d\n", i), BaseArtifactID: base.ID})
				}()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				var stale *models.StaleBaseError
				switch {
				case err == nil:
					wins++
				case errors.As(err, &stale):
				default:
					t.Fatalf("unexpected error: %v", err)
				}
			}
			assert.Equal(t, 1, wins)
			versions, err := f.db.DocumentVersions(context.Background(), f.user.ID, f.project.ID, "quality_plan")
			require.NoError(t, err)
			assert.Len(t, versions, 2)
		})
	}
}

func TestRunNumbersPerProject(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			f := newDocFixture(t, d)
			ctx := context.Background()
			other := &models.Project{UserID: f.user.ID, Name: "Other"}
			require.NoError(t, f.db.CreateProject(ctx, other))
			create := func(p *models.Project, in models.NewJob) *models.Job {
				in.UserID, in.ProjectID, in.Documents = f.user.ID, p.ID, []string{"risk_register"}
				j, _, err := f.db.CreateJob(ctx, in)
				require.NoError(t, err)
				require.NoError(t, f.db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed' WHERE id = ?`, j.ID).Error)
				return j
			}
			j1 := create(f.project, models.NewJob{})
			j2 := create(f.project, models.NewJob{Instruction: "shorter", IncludeDependents: true, Requested: []string{"risk_register"}})
			o1 := create(other, models.NewJob{})
			assert.Equal(t, 1, j1.RunNumber)
			assert.Equal(t, 2, j2.RunNumber)
			assert.Equal(t, 1, o1.RunNumber, "numbered per project")
			got, err := f.db.JobByID(ctx, j2.ID)
			require.NoError(t, err)
			assert.Equal(t, 2, got.RunNumber)
			assert.Equal(t, "shorter", got.Instruction)
			assert.True(t, got.IncludeDependents)
			assert.Equal(t, models.StringList{"risk_register"}, got.RequestedDocuments)

			// The cleanup removes finished jobs; the numbers go on.
			require.NoError(t, f.db.ForTests().Exec(`UPDATE document_generation_jobs SET completed_at = ?`, time.Now().Add(-time.Hour)).Error)
			removed, _, err := f.db.DeleteFinishedJobs(ctx, time.Now(), 100)
			require.NoError(t, err)
			require.EqualValues(t, 3, removed)
			assert.Equal(t, 3, create(f.project, models.NewJob{}).RunNumber, "not Run #1 again")
			assert.Equal(t, 2, create(other, models.NewJob{}).RunNumber)
		})
	}
}
