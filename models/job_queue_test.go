package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// The claim never waits for a user's sync-position row: while another
// transaction holds it (a group commit of the user's jobs holds it until
// it commits), the claim takes other users' jobs and leaves the user's for
// the next claim. A claim that waited there, holding the rows of the users
// it had claimed for, could deadlock with the commits.
func TestClaimSkipsUsersWhoseRowIsHeld(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	job := func(name string) (*models.User, *models.Job) {
		u, err := db.CreateUser(ctx, name+"@example.com", name, "x")
		require.NoError(t, err)
		j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID, Documents: []string{"project_charter"}})
		require.NoError(t, err)
		return u, j
	}
	ann, annJob := job("ann")
	_, bobJob := job("bob")

	tx := db.ForTests().Begin()
	require.NoError(t, tx.Error)
	defer tx.Rollback()
	require.NoError(t, tx.Exec(`SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE`, ann.ID).Error)

	waitless, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	claimed, err := db.Claim(waitless, models.ClaimParams{Worker: "w1", Limit: 10, Lease: time.Minute})
	require.NoError(t, err, "the claim does not wait for ann's row")
	require.Len(t, claimed, 1)
	assert.Equal(t, bobJob.ID, claimed[0].ID)

	require.NoError(t, tx.Rollback().Error)
	claimed, err = db.Claim(waitless, models.ClaimParams{Worker: "w1", Limit: 10, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	assert.Equal(t, annJob.ID, claimed[0].ID, "ann's job is claimed once her row is free")
}

// A connection whose prepared statements no longer fit the schema (another
// instance's migration changed a column they return) is dropped: the commit
// fails once as the infrastructure's fault, and the retry prepares afresh
// on another connection.
func TestStalePreparedStatementsAreDropped(t *testing.T) {
	ctx := context.Background()
	db, err := models.Open(ctx, modelstest.URL(t, models.Postgres), models.Options{MaxConns: 1})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	f := newFixture(t, db)
	c := f.claim(t, "w1", time.Now())
	_, err = db.Commit(ctx, []models.Write{{Lease: c.Lease(), Documents: []models.DocumentResult{doc("a")}, Now: time.Now()}})
	require.NoError(t, err)

	require.NoError(t, db.ForTests().Exec(`ALTER TABLE document_generation_jobs ALTER COLUMN total_documents TYPE bigint`).Error)
	w := []models.Write{{Lease: c.Lease(), Documents: []models.DocumentResult{doc("b")}, Now: time.Now()}}
	res, err := db.Commit(ctx, w)
	t.Logf("first commit after the migration: %v", err)
	if err != nil {
		assert.True(t, models.IsInfrastructure(err), "a stale prepared statement is retried, not the write's fault: %v", err)
		res, err = db.Commit(ctx, w)
	}
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, 2, res[0].Job.CompletedDocuments)
}

// A COMMIT whose answer is lost is read back, not guessed: a committed
// batch is reported committed (retrying it would store its documents
// again, which the database refuses, and end the run on a storage error),
// and one that did not commit is reported as the infrastructure's failure,
// to be written again.
func TestLostCommitAnswerIsReadBack(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	f := newFixture(t, db)
	c := f.claim(t, "w1", time.Now())

	models.LoseNextCommitAck(false)
	res, err := db.Commit(ctx, []models.Write{{Lease: c.Lease(), Documents: []models.DocumentResult{doc("a")}, Now: time.Now()}})
	require.NoError(t, err, "the batch committed")
	require.NoError(t, res[0].Err)
	assert.Equal(t, 1, res[0].Job.CompletedDocuments)

	models.LoseNextCommitAck(true)
	w := []models.Write{{Lease: c.Lease(), Documents: []models.DocumentResult{doc("b")}, Now: time.Now()}}
	_, err = db.Commit(ctx, w)
	require.Error(t, err, "the batch rolled back")
	assert.True(t, models.IsInfrastructure(err), "and is written again: %v", err)
	res, err = db.Commit(ctx, w)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, 2, res[0].Job.CompletedDocuments, "each document once")

	arts, err := db.LatestDocuments(ctx, f.job.UserID, f.job.ProjectID)
	require.NoError(t, err)
	assert.Len(t, arts, 2)
}

// Every writer locks a user's sync-position row before the user's project:
// a save of an edit waiting for a group commit of the same user's job on
// the same project must not hold the project meanwhile (the commit locks
// the user, then the project; the other order deadlocked).
func TestSaveAndCommitLockInOneOrder(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	u, err := db.CreateUser(ctx, "ada@example.com", "Ada", "x")
	require.NoError(t, err)
	p := newProject(t, db, u.ID)
	// The job writes another document: a run yet to write the edited one
	// refuses the edit (SaveEdit).
	j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"scope_statement"}})
	require.NoError(t, err)
	v1 := &models.Artifact{ID: uuid.NewString(), JobID: &j.ID, ProjectID: p.ID, UserID: u.ID, DocumentType: "risk_register",
		Title: "Risks", Markdown: "# Risks\n", Version: 1, CreatedAt: time.Now().UTC()}
	require.NoError(t, db.ForTests().Create(v1).Error)

	// A commit of the user's job holds the user's row, as lockJobsUsers
	// leaves it.
	commit := db.ForTests().Begin()
	require.NoError(t, commit.Error)
	defer commit.Rollback()
	require.NoError(t, commit.Exec(`SET LOCAL lock_timeout = '5s'`).Error)
	require.NoError(t, commit.Exec(`SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE`, u.ID).Error)

	saved := make(chan error, 1)
	go func() {
		_, err := db.SaveEdit(ctx, models.NewEdit{UserID: u.ID, ProjectID: p.ID, DocumentType: "risk_register",
			Markdown: "# Risks\n\nedited\n", BaseArtifactID: v1.ID})
		saved <- err
	}()
	// Once the save waits for a lock, the commit goes on to the project.
	waitForLockWait(t, db)
	require.NoError(t, commit.Exec(`SELECT id FROM projects WHERE id = ? FOR NO KEY UPDATE`, p.ID).Error,
		"the save does not hold the project while it waits for the user")
	require.NoError(t, commit.Commit().Error)
	select {
	case err := <-saved:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the save did not finish after the commit")
	}
}

// The fair claim (a per-user cap) runs in the group commit's transaction on
// PostgreSQL, as the uncapped one does: the commit that frees a slot
// claims for it at once, and the claim passes over a user at the cap while
// another user's job waits, though the capped user's rank higher; with
// room to spare and nobody else waiting, it claims the capped user's jobs
// too (work-conserving).
func TestFairClaimInTheGroupCommit(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	ctx := context.Background()
	newUser := func(name string) *models.User {
		u, err := db.CreateUser(ctx, name+"@example.com", name, "x")
		require.NoError(t, err)
		return u
	}
	newJob := func(u *models.User, priority int) *models.Job {
		p := &models.Project{UserID: u.ID, Name: fmt.Sprintf("%s %d", u.Name, priority)}
		p.Name += " " + time.Now().Format(time.RFC3339Nano)
		require.NoError(t, db.CreateProject(ctx, p))
		j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, Priority: priority})
		require.NoError(t, err)
		return j
	}
	busy, other := newUser("busy"), newUser("other")
	first := newJob(busy, models.PriorityHigh)
	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, first.ID, claimed[0].ID)
	busyNext := newJob(busy, models.PriorityHigh)
	otherJob := newJob(other, models.PriorityLow)

	// The busy user's running job reports progress (it does not end): the
	// cap still holds, and the one slot goes to the other user.
	now := time.Now().UTC()
	cur := "project_charter"
	w := models.Write{Lease: claimed[0].Lease(), Now: now, CurrentDocument: &cur}
	fair := models.ClaimParams{Worker: "w1", Limit: 1, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: now}
	res, more, err := db.CommitAndClaim(ctx, []models.Write{w}, &fair)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.Len(t, more, 1)
	assert.Equal(t, otherJob.ID, more[0].ID, "the capped user is passed over while another waits")

	// The busy user's job ends: its slot is free, and the same transaction
	// claims its next job.
	w = models.Write{Lease: claimed[0].Lease(), Now: now, Documents: []models.DocumentResult{{Type: "project_charter",
		Title: "Charter", Markdown: "# Charter", Attempts: 1, StartedAt: now, FinishedAt: now}},
		End: &models.Outcome{Status: models.StatusCompleted, Now: now}}
	res, more, err = db.CommitAndClaim(ctx, []models.Write{w}, &fair)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.Len(t, more, 1)
	assert.Equal(t, busyNext.ID, more[0].ID, "the freed slot is claimed in the commit")

	// Nobody else waits: a capped user's jobs fill spare capacity.
	third := newJob(busy, models.PriorityNormal)
	more, err = db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 3, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, more, 1)
	assert.Equal(t, third.ID, more[0].ID)
}

// The cap holds however many jobs a capped user has queued ahead of the
// others: with a cap of one and two free slots, a user with eight
// high-priority jobs gets one slot and a user with one low-priority job
// the other. (The claim used to look for fair picks among the first
// 4 × Limit due jobs only, all of them the first user's here, and gave
// the second slot to the first user while the other waited.)
func TestFairClaimPassesOverACappedUserWhileOthersWait(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, d)
			busy, err := db.CreateUser(ctx, "busy@example.com", "Busy", "x")
			require.NoError(t, err)
			other, err := db.CreateUser(ctx, "other@example.com", "Other", "x")
			require.NoError(t, err)
			newJob := func(u *models.User, priority int) *models.Job {
				p := &models.Project{UserID: u.ID, Name: uuid.NewString()}
				require.NoError(t, db.CreateProject(ctx, p))
				j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}, Priority: priority})
				require.NoError(t, err)
				return j
			}
			for range 8 {
				newJob(busy, models.PriorityHigh)
			}
			waiting := newJob(other, models.PriorityLow)
			got, err := db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 2, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
			require.NoError(t, err)
			require.Len(t, got, 2)
			owners := map[string]int{}
			for _, c := range got {
				owners[c.UserID]++
			}
			assert.Equal(t, map[string]int{busy.ID: 1, other.ID: 1}, owners)
			assert.Contains(t, []string{got[0].ID, got[1].ID}, waiting.ID)

			// Nobody else waits now: the busy user's jobs fill the slots.
			more, err := db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 3, PerJob: 1, Lease: time.Minute, MaxPerUser: 1, Now: time.Now()})
			require.NoError(t, err)
			assert.Len(t, more, 3)
		})
	}
}

// The claim sends each job's snapshot as the JSON text kept beside it
// (job_snapshots, migration 00014), written with the job, instead of
// printing the jsonb in the serial group commit; a job without that text
// (its row lost) is claimed from its jsonb all the same.
func TestClaimSendsTheSnapshotTextKeptWithTheJob(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	u, err := db.CreateUser(ctx, "snap@example.com", "Snap", "x")
	require.NoError(t, err)
	create := func(sponsor string, company *models.CompanyPack) *models.Job {
		j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID,
			ProjectData: models.ProjectData{Sponsor: sponsor, Manager: "Mia"}, Company: company, Documents: []string{"project_charter"}})
		require.NoError(t, err)
		return j
	}
	kept := create("Sam", &models.CompanyPack{CompanyName: "Acme"})
	lost := create("Lou", &models.CompanyPack{CompanyName: "Bolt"})
	none := create("Nia", nil)

	type row struct{ Same bool }
	var rows []row
	require.NoError(t, db.ForTests().Raw(`SELECT s.project_text::jsonb = j.project_data
		AND s.company_text::jsonb IS NOT DISTINCT FROM j.company_intelligence_pack AS same
		FROM document_generation_jobs j JOIN job_snapshots s ON s.job_id = j.id ORDER BY j.queued_at`).Scan(&rows).Error)
	require.Equal(t, []row{{true}, {true}, {true}}, rows, "every job's text is written with it, and says what its jsonb says")

	// Marks that only the kept text carries: the claim must send it as stored.
	require.NoError(t, db.ForTests().Exec(`UPDATE job_snapshots SET project_text = '{"sponsor": "from the text", "manager": "Mia"}',
		company_text = '{"companyName": "Acme (text)"}' WHERE job_id = ?`, kept.ID).Error)
	require.NoError(t, db.ForTests().Exec(`DELETE FROM job_snapshots WHERE job_id = ?`, lost.ID).Error)

	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 10, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	got := map[string]models.ClaimedJob{}
	for _, c := range claimed {
		require.NoError(t, c.Load())
		got[c.ID] = c
	}
	assert.Equal(t, "from the text", got[kept.ID].ProjectData.Sponsor)
	require.NotNil(t, got[kept.ID].CompanyIntelligencePack)
	assert.Equal(t, "Acme (text)", got[kept.ID].CompanyIntelligencePack.CompanyName)
	assert.Equal(t, "Lou", got[lost.ID].ProjectData.Sponsor, "a job without its text is claimed from its jsonb")
	require.NotNil(t, got[lost.ID].CompanyIntelligencePack)
	assert.Equal(t, "Bolt", got[lost.ID].CompanyIntelligencePack.CompanyName)
	assert.Equal(t, "Nia", got[none.ID].ProjectData.Sponsor)
	assert.Nil(t, got[none.ID].CompanyIntelligencePack, "no company pack stays none")
}

// The cleanup removes the snapshot text of completed jobs, which nothing
// claims again, in batches; a failed job keeps its text for a retry, and
// an active one for its claim.
func TestCleanupRemovesTheSnapshotTextOfCompletedJobs(t *testing.T) {
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	u, err := db.CreateUser(ctx, "clean@example.com", "Clean", "x")
	require.NoError(t, err)
	var ids []string
	for range 5 {
		j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: newProject(t, db, u.ID).ID,
			ProjectData: models.ProjectData{Sponsor: "Sam"}, Documents: []string{"project_charter"}})
		require.NoError(t, err)
		ids = append(ids, j.ID)
	}
	// Three completed, one failed, one still queued.
	require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed', completed_at = now() WHERE id IN ?`, ids[:3]).Error)
	require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'failed', completed_at = now() WHERE id = ?`, ids[3]).Error)

	n, err := db.DeleteCompletedSnapshots(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n, "in batches of 2, until a batch is short")
	var kept []string
	require.NoError(t, db.ForTests().Raw(`SELECT job_id FROM job_snapshots ORDER BY job_id`).Scan(&kept).Error)
	assert.ElementsMatch(t, ids[3:], kept)
	n, err = db.DeleteCompletedSnapshots(ctx, 2)
	require.NoError(t, err)
	assert.Zero(t, n)
}
