package handlers

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/documents"
	"dossier/models"
)

func TestCatalogAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.apiClient(t)

		resp := c.get(t, "/api/document-types")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var raw []map[string]json.RawMessage
		decodeBody(t, resp, &raw)
		require.Len(t, raw, 12)

		byKey := map[string][]string{}
		for _, item := range raw {
			require.ElementsMatch(t, []string{"key", "title", "description", "dependsOn"}, keysOf(item))
			var key, title, desc string
			require.NoError(t, json.Unmarshal(item["key"], &key))
			require.NoError(t, json.Unmarshal(item["title"], &title))
			require.NoError(t, json.Unmarshal(item["description"], &desc))
			assert.NotEmpty(t, title, key)
			assert.NotEmpty(t, desc, key)
			require.Equal(t, byte('['), item["dependsOn"][0], "%s: dependsOn must be an array, got %s", key, item["dependsOn"])
			var deps []string
			require.NoError(t, json.Unmarshal(item["dependsOn"], &deps))
			// Every dependency is a known type listed earlier: the order is a
			// valid generation order.
			for _, dep := range deps {
				_, seen := byKey[dep]
				assert.True(t, seen, "%s depends on %s, which must come first", key, dep)
			}
			byKey[key] = deps
		}

		assert.Equal(t, []string{"scope_statement"}, byKey["risk_register"])
		var others []string
		for _, k := range documents.Keys() {
			if k != "executive_summary" {
				others = append(others, k)
			}
		}
		assert.ElementsMatch(t, others, byKey["executive_summary"], "the executive summary depends on every other document")
		assert.Empty(t, byKey["project_charter"])
	})
}

func TestCatalogNeedsSignIn(t *testing.T) {
	b := setup(t, models.SQLite)
	resp := b.anon().get(t, "/api/document-types")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "unauthorized", errorOf(t, resp).Error.Code)
}

func keysOf(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
