package models_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"dossier/models"
	"dossier/models/modelstest"
)

// The sync positions of migration 00002, on both databases: every visible
// change bumps the owner's position and stamps the row, in the changing
// statement (batches included); a lease renewal does not; a catch-up reads
// exactly what changed.
func TestSyncPositions(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := models.Open(ctx, modelstest.URL(t, d))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })

			newUser := func(name string) (*models.User, *models.Project) {
				u, err := db.CreateUser(ctx, name+"@example.com", name, "x")
				require.NoError(t, err)
				p := &models.Project{ID: uuid.NewString(), UserID: u.ID, Name: name + "'s project"}
				require.NoError(t, db.CreateProject(ctx, p))
				return u, p
			}
			pos := func(userID string) int64 {
				p, err := db.SyncPosition(ctx, userID)
				require.NoError(t, err)
				return p
			}
			jobPos := func(id string) int64 {
				j, err := db.JobByID(ctx, id)
				require.NoError(t, err)
				return j.SyncPosition
			}
			ua, pa := newUser("ann")
			ub, pb := newUser("bob")
			require.Equal(t, int64(1), pos(ua.ID), "a new project is a change")

			create := func(u *models.User, p *models.Project) *models.Job {
				j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter", "business_case"}, MaxRetries: 3})
				require.NoError(t, err)
				return j
			}
			ja := create(ua, pa)
			jb := create(ub, pb)
			assert.Equal(t, int64(2), pos(ua.ID), "a created job is a change")
			assert.Equal(t, int64(2), jobPos(ja.ID), "and carries its position")
			assert.Equal(t, int64(2), pos(ub.ID), "positions are per user")

			// One statement claims both users' jobs: each row bumps its
			// owner's position.
			now := time.Now()
			claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 10, Lease: time.Minute, Now: now})
			require.NoError(t, err)
			require.Len(t, claimed, 2)
			assert.Equal(t, int64(3), pos(ua.ID))
			assert.Equal(t, int64(3), pos(ub.ID))
			assert.Equal(t, int64(3), jobPos(ja.ID))

			// A heartbeat renews the lease: nothing visible changed.
			_, err = db.Heartbeat(ctx, "w1", []string{ja.ID, jb.ID}, time.Minute, now.Add(time.Second))
			require.NoError(t, err)
			assert.Equal(t, int64(3), pos(ua.ID), "a lease renewal is not a change")

			var lease models.Lease
			for _, c := range claimed {
				if c.ID == ja.ID {
					lease = c.Lease()
				}
			}
			_, _, err = db.CommitDocument(ctx, lease, models.DocumentResult{Type: "project_charter", Title: "Charter", Markdown: "# C",
				Attempts: 1, StartedAt: now, FinishedAt: now.Add(time.Second), CurrentDocument: "business_case"})
			require.NoError(t, err)
			assert.Equal(t, int64(4), pos(ua.ID))

			// A catch-up from 3 reads the job at its current state.
			st, err := db.SyncSince(ctx, ua.ID, 3)
			require.NoError(t, err)
			assert.False(t, st.Reset)
			assert.Equal(t, int64(4), st.To)
			require.Len(t, st.Jobs, 1)
			assert.Equal(t, 1, st.Jobs[0].Job.CompletedDocuments)
			assert.Len(t, st.Jobs[0].Documents, 2)
			assert.Equal(t, "ann's project", st.Jobs[0].ProjectName)
			assert.Equal(t, 1, st.ActiveJobs)

			// The finish and its notification: two changes in one
			// transaction. PostgreSQL bumps the user once per transaction
			// (migration 00008): both rows carry the one new position.
			// SQLite bumps once per changed row.
			_, err = db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: now.Add(2 * time.Second),
				Notify: models.NotifyCompleted})
			require.NoError(t, err)
			finished := int64(6)
			if d == models.Postgres {
				finished = 5
			}
			assert.Equal(t, finished, pos(ua.ID))
			st, err = db.SyncSince(ctx, ua.ID, 4)
			require.NoError(t, err)
			require.Len(t, st.Jobs, 1)
			assert.Equal(t, models.StatusCompleted, st.Jobs[0].Job.Status)
			require.Len(t, st.Notifications, 1)
			n := st.Notifications[0]
			assert.Equal(t, finished, max(st.Jobs[0].Job.SyncPosition, n.SyncPosition), "the transaction's last stamp is the position")
			if d == models.Postgres {
				assert.Equal(t, st.Jobs[0].Job.SyncPosition, n.SyncPosition, "one position per transaction")
			}
			assert.Nil(t, n.ShownAt)
			assert.Equal(t, 0, st.ActiveJobs)
			assert.Equal(t, 1, st.Unread)

			// Shown (a tab acknowledged it), then read: each a change.
			ok, err := db.AckShown(ctx, ua.ID, n.ID, now)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, finished+1, pos(ua.ID))
			ok, err = db.AckShown(ctx, ua.ID, n.ID, now)
			require.NoError(t, err)
			assert.False(t, ok, "a second acknowledgement changes nothing")
			assert.Equal(t, finished+1, pos(ua.ID))
			ok, err = db.AckShown(ctx, ub.ID, n.ID, now)
			require.NoError(t, err)
			assert.False(t, ok, "another user cannot acknowledge it")
			require.NoError(t, db.MarkAllRead(ctx, ua.ID, now))
			assert.Equal(t, finished+2, pos(ua.ID))
			st, err = db.SyncSince(ctx, ua.ID, finished+1)
			require.NoError(t, err)
			require.Len(t, st.Notifications, 1)
			assert.NotNil(t, st.Notifications[0].ReadAt)
			assert.Empty(t, st.Jobs)
			assert.Zero(t, st.Unread)

			// A change of the user's own row in the transaction is not a
			// bump: the job changed after it still moves the position.
			before := pos(ua.ID)
			require.NoError(t, db.ForTests().Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec(`UPDATE users SET name = 'Ann' WHERE id = ?`, ua.ID).Error; err != nil {
					return err
				}
				return tx.Exec(`UPDATE document_generation_jobs SET error_message = 'seen' WHERE id = ?`, ja.ID).Error
			}))
			assert.Equal(t, before+1, pos(ua.ID))
			assert.Equal(t, before+1, jobPos(ja.ID))

			// Unknown, ahead and too old positions resync in full.
			for _, since := range []int64{0, 99} {
				st, err = db.SyncSince(ctx, ua.ID, since)
				require.NoError(t, err)
				assert.True(t, st.Reset, "since %d", since)
				assert.Empty(t, st.Jobs, "no active job")
				assert.Empty(t, st.Notifications, "nothing unshown")
			}
			for i := range models.SyncReplayLimit + 1 {
				require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET progress_percentage = ? WHERE id = ?`, i%100+1, jb.ID).Error)
			}
			st, err = db.SyncSince(ctx, ub.ID, 2)
			require.NoError(t, err)
			assert.False(t, st.Reset, "one row changed many times is one row")
			for range models.SyncReplayLimit + 1 {
				_, _, err := db.CreateJob(ctx, models.NewJob{UserID: ub.ID, ProjectID: newProject(t, db, ub.ID).ID, Documents: []string{"project_charter"}})
				require.NoError(t, err)
			}
			st, err = db.SyncSince(ctx, ub.ID, 2)
			require.NoError(t, err)
			assert.True(t, st.Reset, "more than the replay limit resyncs")
			assert.Len(t, st.Jobs, 100, "a resync carries the active jobs")

			board, err := db.JobBoard(ctx, ua.ID)
			require.NoError(t, err)
			assert.Empty(t, board.Active)
			require.Len(t, board.Ended, 1)
			assert.Equal(t, ja.ID, board.Ended[0].Job.ID)
		})
	}
}

// projectSeq numbers the projects of parallel tests (atomically: the
// dialects' subtests run at once).
var projectSeq atomic.Int64

func newProject(t *testing.T, db *models.DB, userID string) *models.Project {
	p := &models.Project{ID: uuid.NewString(), UserID: userID, Name: fmt.Sprintf("p%d", projectSeq.Add(1))}
	require.NoError(t, db.CreateProject(context.Background(), p))
	return p
}

// A version a user saves is a change of its own (migration 00009): the
// save moves the user's position in its transaction and stamps the
// version, and a catch-up from before it names the project whose library
// changed. A version a job writes moves nothing itself (its job's change
// carries it), and a refused save moves nothing.
func TestSyncPositionsOfDocumentEdits(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			db := modelstest.Open(t, d)
			ctx := context.Background()
			pos := func(userID string) int64 {
				p, err := db.SyncPosition(ctx, userID)
				require.NoError(t, err)
				return p
			}
			u, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Ada", "x")
			require.NoError(t, err)
			other, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Bob", "x")
			require.NoError(t, err)
			p := &models.Project{UserID: u.ID, Name: "Edited"}
			require.NoError(t, db.CreateProject(ctx, p))
			quiet := &models.Project{UserID: u.ID, Name: "Quiet"}
			require.NoError(t, db.CreateProject(ctx, quiet))
			// The job writes another document: a run yet to write the
			// edited one refuses the edit (SaveEdit).
			j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"scope_statement"}})
			require.NoError(t, err)
			require.Equal(t, int64(3), pos(u.ID))

			// Written by the job: no bump of its own.
			v1 := &models.Artifact{ID: uuid.NewString(), JobID: &j.ID, ProjectID: p.ID, UserID: u.ID, DocumentType: "risk_register",
				Title: "Risks", Markdown: "# Risks\n", Version: 1, CreatedAt: time.Now().UTC()}
			require.NoError(t, db.ForTests().Create(v1).Error)
			assert.Equal(t, int64(3), pos(u.ID), "a job's version comes with its job's change")

			v2, err := db.SaveEdit(ctx, models.NewEdit{UserID: u.ID, ProjectID: p.ID, DocumentType: "risk_register",
				Markdown: "# Risks\n\nedited\n", BaseArtifactID: v1.ID})
			require.NoError(t, err)
			assert.Equal(t, int64(4), pos(u.ID), "the save moves the position")
			assert.Zero(t, pos(other.ID), "only the owner's")
			versions, err := db.DocumentVersions(ctx, u.ID, p.ID, "risk_register")
			require.NoError(t, err)
			require.Len(t, versions, 2)
			assert.Equal(t, v2.ID, versions[0].ID)
			assert.Equal(t, int64(4), versions[0].SyncPosition, "the saved version carries the position")
			assert.Zero(t, versions[1].SyncPosition)

			st, err := db.SyncSince(ctx, u.ID, 3)
			require.NoError(t, err)
			assert.False(t, st.Reset)
			assert.Equal(t, int64(4), st.To)
			assert.Empty(t, st.Jobs)
			assert.Empty(t, st.Notifications)
			assert.Equal(t, []string{p.ID}, st.Libraries, "the catch-up names the project whose library changed")
			assert.True(t, st.ChangesProject(p.ID))
			assert.False(t, st.ChangesProject(quiet.ID))
			st, err = db.SyncSince(ctx, u.ID, 4)
			require.NoError(t, err)
			assert.Empty(t, st.Libraries, "nothing after the save")
			assert.False(t, st.ChangesProject(p.ID))

			// A stale save is refused in its transaction: no position moves.
			_, err = db.SaveEdit(ctx, models.NewEdit{UserID: u.ID, ProjectID: p.ID, DocumentType: "risk_register",
				Markdown: "# Risks\n\nlate\n", BaseArtifactID: v1.ID})
			var stale *models.StaleBaseError
			require.ErrorAs(t, err, &stale)
			assert.Equal(t, int64(4), pos(u.ID))

			// Two saves, one per project: both named, in position order.
			_, err = db.SaveEdit(ctx, models.NewEdit{UserID: u.ID, ProjectID: p.ID, DocumentType: "risk_register",
				Markdown: "# Risks\n\nagain\n", BaseArtifactID: v2.ID})
			require.NoError(t, err)
			q1 := &models.Artifact{ID: uuid.NewString(), ProjectID: quiet.ID, UserID: u.ID, DocumentType: "scope_statement",
				Title: "Scope", Markdown: "# Scope\n", Version: 1, Source: models.SourceEdited, CreatedAt: time.Now().UTC()}
			require.NoError(t, db.ForTests().Create(q1).Error)
			st, err = db.SyncSince(ctx, u.ID, 4)
			require.NoError(t, err)
			assert.Equal(t, int64(6), st.To)
			assert.Equal(t, []string{p.ID, quiet.ID}, st.Libraries)
		})
	}
}

// The group commit and the claim stamp their own rows on PostgreSQL
// (migration 00010: the row triggers skip them): one transaction that ends
// a run, notifies its user and claims the user's next job moves the user's
// position once, and every row it changed carries that position, as the
// triggers would have stamped them. SQLite's triggers stamp each row. A
// catch-up from before the transaction reads all of it.
func TestCommitAndClaimStampTheirRows(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, d)
			u, err := db.CreateUser(ctx, "stamp@example.com", "Stamp", "x")
			require.NoError(t, err)
			// Both jobs are created first: the user's position has moved
			// since the first job's stamp, so a claim that stamped it with
			// the position before its own bump would differ from the old
			// stamp, and the trigger would not correct it.
			first, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
			require.NoError(t, err)
			second, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
			require.NoError(t, err)
			now := time.Now().UTC()
			claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 1, Lease: time.Minute, Now: now})
			require.NoError(t, err)
			require.Len(t, claimed, 1)
			require.Equal(t, first.ID, claimed[0].ID, "the oldest job first")
			before, err := db.SyncPosition(ctx, u.ID)
			require.NoError(t, err)
			j, err := db.JobByID(ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, before, j.SyncPosition, "the claim stamps the job it claims with the position it moved to")

			w := models.Write{Lease: claimed[0].Lease(), Now: now,
				Documents: []models.DocumentResult{{Type: "project_charter", Title: "Charter", Markdown: "# Charter",
					Attempts: 1, StartedAt: now, FinishedAt: now}},
				End: &models.Outcome{Status: models.StatusCompleted, Now: now, Notify: models.NotifyCompleted}}
			res, more, err := db.CommitAndClaim(ctx, []models.Write{w}, &models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 1, Lease: time.Minute, Now: time.Now().UTC()})
			require.NoError(t, err)
			require.Len(t, res, 1)
			require.NoError(t, res[0].Err)
			after, err := db.SyncPosition(ctx, u.ID)
			require.NoError(t, err)
			if d == models.Postgres {
				require.Len(t, more, 1, "the commit claims in its transaction on PostgreSQL")
				assert.Equal(t, second.ID, more[0].ID)
				assert.Equal(t, before+1, after, "one transaction, one bump")
			} else {
				assert.Greater(t, after, before)
			}

			st, err := db.SyncSince(ctx, u.ID, before)
			require.NoError(t, err)
			require.False(t, st.Reset)
			assert.Equal(t, after, st.To)
			got := map[string]int64{}
			for _, sj := range st.Jobs {
				got[sj.Job.ID] = sj.Job.SyncPosition
			}
			require.Contains(t, got, first.ID, "the ended job is read from the position before")
			require.Len(t, st.Notifications, 1, "so is its notification")
			note := st.Notifications[0].SyncPosition
			if d == models.Postgres {
				assert.Equal(t, map[string]int64{first.ID: after, second.ID: after}, got, "the ended job and the claimed one carry the transaction's position")
				assert.Equal(t, after, note, "the notification too")
			} else {
				assert.Greater(t, got[first.ID], before)
				assert.Greater(t, note, before)
			}

			// A write outside these statements is still stamped by the
			// trigger.
			require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET error_message = 'seen' WHERE id = ?`, first.ID).Error)
			last, err := db.SyncPosition(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, after+1, last)
			j, err = db.JobByID(ctx, first.ID)
			require.NoError(t, err)
			assert.Equal(t, last, j.SyncPosition)
		})
	}
}

// The group commit bumps its users before it stamps their rows: a tab that
// has read the user's position after the job's claim (another job of the
// user was created since) still reads the job's end and its notification
// from that position. A commit that stamped without bumping would stamp
// the position the tab has, and the trigger would skip the row.
func TestGroupCommitStampsPastWhatATabHasSeen(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	u, err := db.CreateUser(ctx, "seen@example.com", "Seen", "x")
	require.NoError(t, err)
	_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
	require.NoError(t, err)
	now := time.Now().UTC()
	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 1, Lease: time.Minute, Now: now})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
	require.NoError(t, err)
	seen, err := db.SyncPosition(ctx, u.ID)
	require.NoError(t, err)
	res, err := db.Commit(ctx, []models.Write{{Lease: claimed[0].Lease(), Now: now,
		Documents: []models.DocumentResult{{Type: "project_charter", Title: "C", Markdown: "# C", Attempts: 1, StartedAt: now, FinishedAt: now}},
		End:       &models.Outcome{Status: models.StatusCompleted, Now: now, Notify: models.NotifyCompleted}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	st, err := db.SyncSince(ctx, u.ID, seen)
	require.NoError(t, err)
	require.Len(t, st.Jobs, 1, "a tab at %d reads the ended job", seen)
	assert.Equal(t, claimed[0].ID, st.Jobs[0].Job.ID)
	require.Len(t, st.Notifications, 1, "and its notification")
}

// A resync carries the notifications no tab has shown: the newest
// SyncReplayLimit of them, in position order, and the count of the older
// ones, so that a user with more unshown than the limit still gets the
// latest toasted and the tab knows the rest exist.
func TestAResyncListsTheNewestUnshownNotificationsAndCountsTheRest(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := models.Open(ctx, modelstest.URL(t, d))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			u, err := db.CreateUser(ctx, "unshown@example.com", "Una", "x")
			require.NoError(t, err)
			notify := func() string {
				id := uuid.NewString()
				require.NoError(t, db.ForTests().Exec(`INSERT INTO notifications (id, user_id, kind, title, created_at) VALUES (?, ?, ?, '', ?)`,
					id, u.ID, models.NotifyCompleted, time.Now().UTC()).Error)
				return id
			}
			first, second := notify(), notify()
			ok, err := db.AckShown(ctx, u.ID, first, time.Now())
			require.NoError(t, err)
			require.True(t, ok)

			st, err := db.SyncSince(ctx, u.ID, 0)
			require.NoError(t, err)
			require.True(t, st.Reset)
			assert.Zero(t, st.UnshownOlder)
			require.Len(t, st.Notifications, 1)
			assert.Equal(t, second, st.Notifications[0].ID, "the shown one is not listed")

			var later []string
			for range models.SyncReplayLimit + 2 {
				later = append(later, notify())
			}
			// 203 unshown: second, then later's 202.
			st, err = db.SyncSince(ctx, u.ID, 0)
			require.NoError(t, err)
			var got []string
			for i, n := range st.Notifications {
				got = append(got, n.ID)
				if i > 0 {
					assert.Greater(t, n.SyncPosition, st.Notifications[i-1].SyncPosition, "in position order")
				}
			}
			assert.Equal(t, later[2:], got, "the newest, oldest of them first")
			assert.Equal(t, 3, st.UnshownOlder, "the older ones counted")

			st, err = db.SyncSince(ctx, u.ID, 1)
			require.NoError(t, err)
			require.True(t, st.Reset, "too far behind")
			assert.Len(t, st.Notifications, models.SyncReplayLimit)
			assert.Equal(t, 3, st.UnshownOlder)
		})
	}
}

// A project save that changes its name, description, data or company pack
// is a change of its own (migration 00018): it moves the owner's position
// and stamps the project, and a catch-up from before it names the project
// (with its name) and changes its activity. A save that changes none of
// them, and a new run's number, move nothing.
func TestSyncPositionsOfProjectSaves(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			db := modelstest.Open(t, d)
			ctx := context.Background()
			pos := func(userID string) int64 {
				p, err := db.SyncPosition(ctx, userID)
				require.NoError(t, err)
				return p
			}
			u, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Ada", "x")
			require.NoError(t, err)
			other, err := db.CreateUser(ctx, uuid.NewString()+"@example.com", "Bob", "x")
			require.NoError(t, err)
			_, desc, data, pack := models.ExampleProject()
			p := &models.Project{UserID: u.ID, Name: "Saved", Description: desc, Data: data, CompanyIntelligencePack: pack}
			require.NoError(t, db.CreateProject(ctx, p))
			quiet := newProject(t, db, u.ID)
			require.Equal(t, int64(2), pos(u.ID), "each new project is a change (migration 00019)")
			st, err := db.SyncSince(ctx, u.ID, 1)
			require.NoError(t, err)
			assert.Equal(t, []models.ProjectChange{{ID: quiet.ID, Name: quiet.Name, SyncPosition: 2}}, st.Projects, "a catch-up carries a new project")

			require.NoError(t, db.UpdateProject(ctx, p))
			assert.Equal(t, int64(2), pos(u.ID), "saved unchanged")
			_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"risk_register"}})
			require.NoError(t, err)
			require.Equal(t, int64(3), pos(u.ID), "the job, not its run number")

			for i, change := range []func(*models.Project){
				func(p *models.Project) { p.Name = "Renamed" },
				func(p *models.Project) { p.Description += " More." },
				func(p *models.Project) { p.Data.Risks[0].Description += " again" },
				func(p *models.Project) { p.CompanyIntelligencePack.Industry += " and more" },
			} {
				change(p)
				require.NoError(t, db.UpdateProject(ctx, p))
				at := int64(4 + i)
				assert.Equal(t, at, pos(u.ID), "change %d moves the position", i)
				st, err := db.SyncSince(ctx, u.ID, at-1)
				require.NoError(t, err)
				assert.False(t, st.Reset)
				assert.Equal(t, []models.ProjectChange{{ID: p.ID, Name: p.Name, SyncPosition: at}}, st.Projects)
				assert.True(t, st.ChangesProject(p.ID))
				assert.False(t, st.ChangesProject(quiet.ID))
			}
			assert.Zero(t, pos(other.ID), "only the owner's")
			st, err = db.SyncSince(ctx, u.ID, pos(u.ID))
			require.NoError(t, err)
			assert.Empty(t, st.Projects, "nothing after the saves")
			a, err := db.ProjectActivity(ctx, u.ID, p.ID)
			require.NoError(t, err)
			assert.Equal(t, "Renamed", a.Name, "the project page's heading comes with its activity")
		})
	}
}
