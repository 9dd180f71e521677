package jobs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/jobs/documents/providertest"
	"dossier/models"
)

// recordingGen wraps a generator and keeps every request it was given.
type recordingGen struct {
	documents.Generator
	mu   sync.Mutex
	reqs map[string][]documents.Request
}

func (g *recordingGen) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	g.mu.Lock()
	g.reqs[req.Type] = append(g.reqs[req.Type], req)
	g.mu.Unlock()
	return g.Generator.Generate(ctx, req)
}

func (g *recordingGen) last(typ string) documents.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	rs := g.reqs[typ]
	if len(rs) == 0 {
		return documents.Request{}
	}
	return rs[len(rs)-1]
}

// regenerate queues a regeneration as the API does: the plan, the chosen
// documents and the instruction.
func (e *env) regenerate(u *models.User, p *models.Project, chosen []string, instruction string, dependents bool) *models.Job {
	e.t.Helper()
	latest, err := e.db.LatestDocuments(context.Background(), u.ID, p.ID)
	require.NoError(e.t, err)
	have := map[string]bool{}
	for _, v := range latest {
		have[v.DocumentType] = true
	}
	plan, err := documents.Plan(chosen, dependents, func(t string) bool { return have[t] })
	require.NoError(e.t, err)
	return e.job(u, p, nil, func(in *models.NewJob) {
		in.Documents, in.Requested, in.Instruction, in.IncludeDependents = plan, chosen, instruction, dependents
	})
}

func latestByType(t *testing.T, db *models.DB, u *models.User, p *models.Project) map[string]models.DocumentVersion {
	t.Helper()
	vs, err := db.LatestDocuments(context.Background(), u.ID, p.ID)
	require.NoError(t, err)
	out := map[string]models.DocumentVersion{}
	for _, v := range vs {
		out[v.DocumentType] = v
	}
	return out
}

// Regenerating one document with an instruction: the model receives the
// instruction, the new version keeps it, and every other document keeps
// its version.
func TestRegenerateOneDocumentWithInstruction(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		provider := providertest.New()
		defer provider.Close()
		gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "test", Model: "test"})
		require.NoError(t, err)
		e := newEnv(t, d)
		u := e.user("grace")
		p := e.project(u, "Regenerate")
		e.processor(gen, nil)

		first := e.job(u, p, nil, nil)
		e.waitStatus(first.ID, models.StatusCompleted, 30*time.Second)
		before := latestByType(t, e.db, u, p)
		require.Len(t, before, len(documents.Keys()))

		const instruction = "Shorter, and add a section on data migration."
		job := e.regenerate(u, p, []string{"risk_register"}, instruction, false)
		assert.Equal(t, models.StringList{"risk_register"}, job.DocumentsToGenerate, "its dependency has a version, so it is read, not rewritten")
		assert.Equal(t, 2, job.RunNumber)
		e.waitStatus(job.ID, models.StatusCompleted, 30*time.Second)

		assert.Equal(t, []string{"", instruction}, provider.Instructions("risk_register"), "the provider receives the instruction")
		assert.Equal(t, 1, provider.Calls("scope_statement"))
		after := latestByType(t, e.db, u, p)
		for typ, v := range before {
			if typ == "risk_register" {
				continue
			}
			assert.Equal(t, v.ID, after[typ].ID, "%s keeps its version", typ)
		}
		rr := after["risk_register"]
		assert.Equal(t, 2, rr.Version)
		assert.Equal(t, instruction, rr.Instruction)
		assert.Equal(t, models.SourceGenerated, rr.Source)
		require.NotNil(t, rr.RunNumber)
		assert.Equal(t, 2, *rr.RunNumber)
		assert.Contains(t, rr.Markdown, "Instruction followed: "+instruction)
	})
}

// Regenerating with dependents rewrites the documents that depend on the
// chosen one, with the instruction on the chosen one only; dependencies
// that are not regenerated come from their latest version, edits included.
func TestRegenerateWithDependents(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		ctx := context.Background()
		e := newEnv(t, d)
		gen := &recordingGen{Generator: newFakeGen(), reqs: map[string][]documents.Request{}}
		u := e.user("hopper")
		p := e.project(u, "Dependents")
		e.processor(gen, nil)

		first := e.job(u, p, nil, nil)
		e.waitStatus(first.ID, models.StatusCompleted, 30*time.Second)
		before := latestByType(t, e.db, u, p)
		scope, err := e.db.SaveEdit(ctx, models.NewEdit{UserID: u.ID, ProjectID: p.ID, DocumentType: "scope_statement",
			Markdown: "# Scope\n\nEDITED SCOPE: the data migration is in scope.\n", BaseArtifactID: before["scope_statement"].ID})
		require.NoError(t, err)

		job := e.regenerate(u, p, []string{"work_breakdown_structure"}, "Split design into two packages.", true)
		assert.Equal(t, models.StringList{"work_breakdown_structure", "schedule", "budget_estimate", "raci_matrix", "executive_summary"},
			job.DocumentsToGenerate)
		e.waitStatus(job.ID, models.StatusCompleted, 30*time.Second)

		wbs := gen.last("work_breakdown_structure")
		assert.Equal(t, "Split design into two packages.", wbs.Instruction)
		require.Len(t, wbs.Dependencies, 1)
		assert.Contains(t, wbs.Dependencies[0].Markdown, "EDITED SCOPE", "the latest (edited) version is read")
		schedule := gen.last("schedule")
		assert.Empty(t, schedule.Instruction, "dependents are rewritten for consistency, without the instruction")
		require.Len(t, schedule.Dependencies, 1)
		assert.Contains(t, schedule.Dependencies[0].Markdown, "Depends on: scope_statement", "the new WBS from this job")

		after := latestByType(t, e.db, u, p)
		for _, typ := range job.DocumentsToGenerate {
			assert.Equal(t, 2, after[typ].Version, typ)
			assert.Equal(t, job.ID, *after[typ].JobID, typ)
		}
		assert.Equal(t, scope.ID, after["scope_statement"].ID)
		for _, typ := range []string{"project_charter", "risk_register", "quality_plan", "communication_plan"} {
			assert.Equal(t, before[typ].ID, after[typ].ID, "%s keeps its version", typ)
		}
		exec := gen.last("executive_summary")
		var deps []string
		for _, dep := range exec.Dependencies {
			deps = append(deps, dep.Type)
			if dep.Type == "scope_statement" {
				assert.True(t, strings.Contains(dep.Markdown, "EDITED SCOPE"))
			}
		}
		assert.Len(t, deps, 11, "the summary reads all of its dependencies, regenerated or not")
	})
}
