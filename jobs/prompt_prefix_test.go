package jobs

import (
	"context"
	"encoding/json"
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

// Within a job, every document's prompt starts with the same bytes (the
// system text, the project data, the company pack and the computed
// figures), so that a provider's prefix cache can serve them; each
// document's own part comes after. The cached prompt tokens the provider
// reports are read.
func TestPromptsShareAPrefixWithinAJob(t *testing.T) {
	// The prompts do not depend on the database: SQLite suffices.
	for _, d := range []models.Dialect{models.SQLite} {
		provider := providertest.New()
		defer provider.Close()
		gen, err := documents.NewOpenAIGenerator(documents.OpenAIConfig{BaseURL: provider.BaseURL(), APIKey: "test", Model: "test"})
		require.NoError(t, err)
		usage := &usageGen{Generator: gen, cached: map[string]int{}}
		e := newEnv(t, d)
		u := e.user("ada")
		p := e.project(u, "Prefix")
		cachedBefore := sample(t, "dossier_model_tokens_total", map[string]string{"kind": "cached_prompt"})
		e.processor(InstrumentGenerator(usage), nil)
		job := e.job(u, p, nil, nil)
		e.waitStatus(job.ID, models.StatusCompleted, 30*time.Second)

		prompts := provider.Prompts()
		require.Len(t, prompts, len(documents.Keys()))
		first := prompts[0].Text()
		shared := len(first)
		for _, pr := range prompts[1:] {
			shared = min(shared, commonPrefix(first, pr.Text()))
		}
		dataJSON, err := json.MarshalIndent(p.Data, "", "  ")
		require.NoError(t, err)
		packJSON, err := json.MarshalIndent(p.CompanyIntelligencePack, "", "  ")
		require.NoError(t, err)
		n := len(dataJSON) + len(packJSON)
		assert.GreaterOrEqual(t, shared, n, "the shared prefix (%d bytes) holds at least the project data and pack (%d bytes)", shared, n)
		// The shared prefix ends where the per-document part begins.
		prefix := first[:shared]
		assert.Contains(t, prefix, string(packJSON))
		assert.Contains(t, prefix, `"startDate": "2027-01-04"`)
		assert.Contains(t, prefix, "Critical path: Discovery and UX research → Portal front end")
		// Every message but the last is the same in every prompt; the last
		// one, which names the document, starts within the shared bytes.
		for _, pr := range prompts {
			dt, ok := documents.Lookup(pr.Type)
			require.True(t, ok, pr.Type)
			common := providertest.Prompt{Messages: pr.Messages[:len(pr.Messages)-1]}.Text()
			assert.Equal(t, first[:len(common)], common, "%s: the shared messages differ", pr.Type)
			assert.LessOrEqual(t, len(common), shared)
			assert.GreaterOrEqual(t, len(common), n)
			assert.True(t, strings.HasPrefix(pr.Messages[len(pr.Messages)-1].Content, "Write the "+dt.Title+" for the project above."), pr.Type)
			assert.NotContains(t, common, dt.Title+" for the project")
		}

		// The provider reports cached tokens for every prompt after the
		// first; the generator reads them.
		usage.mu.Lock()
		defer usage.mu.Unlock()
		positive := 0
		for _, c := range usage.cached {
			if c > 0 {
				positive++
			}
		}
		assert.Equal(t, len(documents.Keys())-1, positive, "cached prompt tokens: %v", usage.cached)
		total := 0
		for _, c := range usage.cached {
			total += c
		}
		// Recorded in the model-token metric too (other tests may add more).
		assert.GreaterOrEqual(t, sample(t, "dossier_model_tokens_total", map[string]string{"kind": "cached_prompt"})-cachedBefore, float64(total))
	}
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// usageGen keeps the cached prompt tokens of each document.
type usageGen struct {
	documents.Generator
	mu     sync.Mutex
	cached map[string]int
}

func (g *usageGen) Generate(ctx context.Context, req documents.Request) (documents.Document, error) {
	doc, err := g.Generator.Generate(ctx, req)
	g.mu.Lock()
	g.cached[req.Type] = doc.Usage.CachedPromptTokens
	g.mu.Unlock()
	return doc, err
}
