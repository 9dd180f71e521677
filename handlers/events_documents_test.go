package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// A document's page and its editor are told of a version stored after the
// one they show: an edit saved elsewhere (here, and through NOTIFY on
// another instance) or a run's version. Nothing is said while the latest
// is the page's own version.
func TestDocumentStreamTellsOfANewerVersion(t *testing.T) {
	tell := func(t *testing.T, saver, viewer *liveEnv, withRun bool) {
		u, token, p, v1, pos := saver.seedRiskRegister(uniqueEmail("doc-live"), "Newer versions")
		ctx := context.Background()
		view := func(version string) string {
			return fmt.Sprintf("/events?since=%d&view=document:%s:risk_register:%s", pos, p.ID, version)
		}
		event := "newer-" + p.ID + "-risk_register"
		banner := func(evs []sseEvent) (text, href, target string) {
			t.Helper()
			i := slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == event })
			require.GreaterOrEqual(t, i, 0, "no %s in %v", event, eventNames(evs))
			b := evs[i].doc(t).Find("[data-testid=newer-version-banner]")
			require.Equal(t, 1, b.Length(), "the event is the region's content: %s", evs[i].Data)
			link := b.Find("[data-testid=newer-version-link]")
			return strings.Join(strings.Fields(b.Text()), " "), link.AttrOr("href", ""), link.AttrOr("target", "")
		}

		reader := dialSSE(t, viewer.addr, view("1"), token)
		editor := dialSSE(t, viewer.addr, view("1:edit"), token)
		for _, c := range []*sseClient{reader, editor} {
			evs, _ := c.batch(streamWait)
			assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "nothing newer than the page's version")
		}

		v2 := saver.saveRiskRegister(token, p.ID, v1.ID)
		saved, err := saver.db.ArtifactForUser(ctx, u.ID, v2)
		require.NoError(t, err)
		at := saved.CreatedAt.UTC().Format("15:04 UTC")

		evs, _ := reader.batch(streamWait)
		assert.Equal(t, []string{event, "sync"}, eventNames(evs), "the banner, not the library: the page is no project page")
		text, href, target := banner(evs)
		// The viewer saved it (another tab): "you", not their own name.
		assert.Contains(t, text, "Version 2 was saved by you at "+at+".")
		assert.NotContains(t, text, u.Name)
		assert.Contains(t, text, "This page shows version 1.")
		assert.NotContains(t, text, "refused")
		assert.Equal(t, 0, evs[slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == event })].doc(t).Find("[data-testid=edit-save-label]").Length(),
			"a reading page has no save button")
		assert.Equal(t, "/artifacts/"+v2, href)
		assert.Empty(t, target, "reading, the link opens in place")

		evs, _ = editor.batch(streamWait)
		text, href, target = banner(evs)
		assert.Contains(t, text, "Version 2 was saved by you")
		assert.Contains(t, text, "saving now will be refused as stale, and your text stays here")
		assert.Equal(t, "/artifacts/"+v2, href)
		assert.Equal(t, "_blank", target, "editing, the link leaves the editor open")
		// The save button stops promising version 2: it says the save
		// will be refused, swapped out of band with the banner.
		label := evs[slices.IndexFunc(evs, func(ev sseEvent) bool { return ev.Name == event })].doc(t).Find("[data-testid=edit-save-label]")
		require.Equal(t, 1, label.Length(), "the editor's event carries the button's label")
		assert.Equal(t, "outerHTML", label.AttrOr("hx-swap-oob", ""))
		assert.Equal(t, "edit-save-label", label.AttrOr("id", ""))
		assert.Equal(t, "Review version 2, then save", strings.Join(strings.Fields(label.Text()), " "))
		editor.close()

		// A page rendered before the save catches up on connecting; one
		// showing version 2 hears nothing, though its project changed.
		c := dialSSE(t, viewer.addr, view("1"), token)
		evs, _ = c.batch(streamWait)
		text, _, _ = banner(evs)
		assert.Contains(t, text, "Version 2 was saved")
		c.close()
		c = dialSSE(t, viewer.addr, view("2"), token)
		evs, _ = c.batch(streamWait)
		assert.Equal(t, []string{"badge", "bell", "sync"}, eventNames(evs), "the page shows the latest")
		c.close()

		if !withRun {
			return
		}
		// A run writes version 3: the reader, told of version 2, is told
		// of it; the run's other changes say nothing again.
		j, _, err := saver.db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"risk_register"}, MaxRetries: 1})
		require.NoError(t, err)
		dr := saver.drive(j)
		dr.claim()
		evs, _ = reader.batch(streamWait)
		assert.NotContains(t, eventNames(evs), event, "version 2 again")
		dr.commit("risk_register", "")
		evs, _ = reader.batch(streamWait)
		text, _, _ = banner(evs)
		assert.Contains(t, text, "Version 3 was written by Run #1 at ")
		assert.Contains(t, text, "This page shows version 1.")
		dr.finish(models.StatusCompleted)
		evs, _ = reader.batch(streamWait)
		assert.NotContains(t, eventNames(evs), event, "version 3 again")
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
		tell(t, e, e, true)
	})
	t.Run("postgres, saved on another instance", func(t *testing.T) {
		modelstest.PostgresURL(t)
		db := modelstest.Open(t, models.Postgres)
		a := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "a", bridge: true})
		b := newLiveEnv(t, db, liveOptions{heartbeat: time.Second, instance: "b", bridge: true})
		tell(t, a, b, false)
	})
}

func TestNewerVersionSaysWhoAndWhen(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	ada, adaID, run := "Ada Lovelace", "u-ada", 4
	viewer, viewerID := "Grace Hopper", "u-grace"
	shown := documentView{ProjectID: "p", DocType: "risk_register", Version: 2}
	for _, tc := range []struct {
		name   string
		v      models.DocumentVersion
		by, at string
	}{
		{"an edit today", models.DocumentVersion{Artifact: models.Artifact{Source: models.SourceEdited, CreatedAt: now.Add(-58 * time.Minute)}, AuthorName: &ada},
			"saved by Ada Lovelace", "14:02 UTC"},
		{"another's edit", models.DocumentVersion{Artifact: models.Artifact{Source: models.SourceEdited, AuthorID: &adaID, CreatedAt: now.Add(-58 * time.Minute)}, AuthorName: &ada},
			"saved by Ada Lovelace", "14:02 UTC"},
		{"a run's version", models.DocumentVersion{Artifact: models.Artifact{Source: models.SourceGenerated, CreatedAt: now}, RunNumber: &run},
			"written by Run #4", "15:00 UTC"},
		{"a run retention removed, yesterday", models.DocumentVersion{Artifact: models.Artifact{Source: models.SourceGenerated, CreatedAt: now.Add(-20 * time.Hour)}},
			"written by a run", "19:00 UTC on 29 Nov 2026"},
		// The viewer's own save, in another tab: not "saved by <their name>".
		{"the viewer's own edit", models.DocumentVersion{Artifact: models.Artifact{Source: models.SourceEdited, AuthorID: &viewerID, CreatedAt: now.Add(-58 * time.Minute)}, AuthorName: &viewer},
			"saved by you", "14:02 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.v.Version, tc.v.ID = 3, "a3"
			vm := newerVersionVM(shown, tc.v, viewerID, now)
			assert.Equal(t, tc.by, vm.By)
			assert.Equal(t, tc.at, vm.At)
			assert.Equal(t, 3, vm.Version)
			assert.Equal(t, 2, vm.Shown)
		})
	}
}

func TestDocumentViewsParse(t *testing.T) {
	t.Parallel()
	const p1 = "0b6c1f55-6b0a-4a39-9d7a-0d1c4d7b2a11"
	for s, want := range map[string]liveView{
		"document:" + p1 + ":risk_register:3":      {Kind: "document", Arg: p1 + ":risk_register:3"},
		"document:" + p1 + ":risk_register:3:edit": {Kind: "document", Arg: p1 + ":risk_register:3:edit"},
		"document:" + p1 + ":risk_register":        {},
		"document:" + p1 + ":risk_register:0":      {},
		"document:" + p1 + ":risk_register:x":      {},
		"document:" + p1 + ":risk_register:3:more": {},
		"document::risk_register:3":                {},
		"document:p1:risk_register:3":              {}, // not an id
	} {
		assert.Equal(t, want, parseView(s), s)
	}
	d := documentView{ProjectID: p1, DocType: "risk_register", Version: 3, Editing: true}
	assert.Equal(t, p1, d.view().project())
	back, ok := parseDocumentView(d.view().Arg)
	assert.True(t, ok)
	assert.Equal(t, d, back)
}

// seedRiskRegister signs a user in and gives them a project with version 1
// of its risk register (as a run would store it), and the user's sync
// position after it.
func (e *liveEnv) seedRiskRegister(email, project string) (*models.User, string, *models.Project, *models.Artifact, int64) {
	e.t.Helper()
	u, token := e.signIn(email)
	ctx := context.Background()
	p := &models.Project{UserID: u.ID, Name: project}
	require.NoError(e.t, e.db.CreateProject(ctx, p))
	v1 := &models.Artifact{ID: uuid.NewString(), ProjectID: p.ID, UserID: u.ID, DocumentType: "risk_register",
		Title: "Risk Register", Markdown: "# Risk Register\n", Version: 1, Source: models.SourceGenerated, CreatedAt: time.Now().UTC()}
	require.NoError(e.t, e.db.ForTests().Create(v1).Error)
	pos, err := e.db.SyncPosition(ctx, u.ID)
	require.NoError(e.t, err)
	return u, token, p, v1, pos
}

// saveRiskRegister saves an edit of the project's risk register over the
// API, based on base, and returns the new version's artifact id.
func (e *liveEnv) saveRiskRegister(token, projectID, base string) string {
	e.t.Helper()
	body, err := json.Marshal(map[string]string{"markdown": "# Risk Register\n\nEdited.\n", "baseArtifactId": base})
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, "http://"+e.addr+"/api/projects/"+projectID+"/documents/risk_register/versions", bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var v2 struct{ ArtifactID string }
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&v2))
	require.Equal(e.t, http.StatusCreated, resp.StatusCode)
	return v2.ArtifactID
}
