package handlers

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

// A JSON file saved by a Windows editor starts with a UTF-8 byte order
// mark, and the import refused it as malformed JSON. The mark is no part
// of the JSON: the project is imported, its name without it, whether the
// text is uploaded or pasted.
func TestProjectImportTakesAByteOrderMark(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		post := func(t *testing.T, field, content string) *http.Response {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			require.NoError(t, w.WriteField("_csrf", c.csrf))
			if field == "file" {
				fw, err := w.CreateFormFile("file", "project.json")
				require.NoError(t, err)
				_, err = fw.Write([]byte(content))
				require.NoError(t, err)
			} else {
				require.NoError(t, w.WriteField("json", content))
			}
			require.NoError(t, w.Close())
			return c.do(t, http.MethodPost, "/projects/import", &body, "Content-Type", w.FormDataContentType())
		}
		for _, field := range []string{"file", "json"} {
			resp := post(t, field, "\ufeff"+`{"name": "Saved on Windows `+field+`", "data": {"sponsor": "Ada"}}`)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, field)
			assert.Contains(t, resp.Header.Get("Location"), "?saved=imported", field)
		}
		ps, err := b.db.Projects(context.Background(), c.user.ID)
		require.NoError(t, err)
		require.Len(t, ps, 2)
		for _, p := range ps {
			assert.Contains(t, []string{"Saved on Windows file", "Saved on Windows json"}, p.Name)
		}
	})
}
