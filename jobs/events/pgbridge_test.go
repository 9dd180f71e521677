package events

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// instance is one process's realtime half: a broker and its bridge.
type instance struct {
	b     *Broker
	br    *Bridge
	loads atomic.Int64
}

func startInstance(t *testing.T, db *models.DB, name string, minBackoff time.Duration) *instance {
	t.Helper()
	in := &instance{}
	in.b = NewBroker(Config{
		Instance: name,
		Loader: func(ctx context.Context, id string) (*models.JobSnapshot, error) {
			in.loads.Add(1)
			return db.Snapshot(ctx, id)
		},
		UserJobs: RecentUserJobs(db),
	})
	in.br = NewPGBridge(db.URL, in.b, nil)
	in.br.MinBackoff = minBackoff
	require.NoError(t, in.b.Start(context.Background()))
	require.NoError(t, in.br.Start(context.Background()))
	t.Cleanup(func() { in.br.Stop(); in.b.Stop() })
	require.Eventually(t, func() bool { return in.br.PID() != 0 }, 10*time.Second, 5*time.Millisecond, "%s never LISTENed", name)
	return in
}

// seedJob creates a user, a project and a queued job of two documents.
func seedJob(t *testing.T, db *models.DB) *models.Job {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "bridge@example.com", "Bridge", "x")
	require.NoError(t, err)
	p := &models.Project{UserID: u.ID, Name: "Bridge project"}
	require.NoError(t, db.CreateProject(ctx, p))
	j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter", "risk_register"}, MaxRetries: 1})
	require.NoError(t, err)
	return j
}

func TestBridgeCarriesEventsAcrossInstancesAndSurvivesAKilledListener(t *testing.T) {
	base := modelstest.PostgresURL(t)
	_ = base
	db := modelstest.Open(t, models.Postgres)
	ctx := context.Background()
	job := seedJob(t, db)

	a := startInstance(t, db, "instance-a", 100*time.Millisecond)
	// B waits long enough before reconnecting that changes made meanwhile
	// are surely missed, and only the resync can bring them.
	b := startInstance(t, db, "instance-b", 400*time.Millisecond)

	sub := b.b.SubscribeUser(job.UserID)
	defer sub.Close()
	local := a.b.SubscribeJob(job.ID)
	defer local.Close()

	claimed, err := db.Claim(ctx, models.ClaimParams{Worker: "w", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	a.b.Publish(Event{Kind: JobChanged, JobID: job.ID, UserID: job.UserID, Version: claimed[0].Version})

	u := waitFor(t, sub, 10*time.Second, version(claimed[0].Version))
	assert.Equal(t, models.StatusProcessing, u.Snapshot.Job.Status)
	assert.Equal(t, "Bridge project", u.Snapshot.ProjectName)
	assert.Equal(t, "instance-a", u.Event.Origin)
	waitFor(t, local, 5*time.Second, version(claimed[0].Version))
	assert.Equal(t, int64(1), a.loads.Load(), "A ignores its own notification")
	assert.Equal(t, int64(1), b.loads.Load(), "B loads once per change")

	// Kill B's LISTEN connection, then change the job while B is away.
	pid := b.br.PID()
	killer, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer killer.Close(ctx)
	var ok bool
	require.NoError(t, killer.QueryRow(ctx, "SELECT pg_terminate_backend($1)", int(pid)).Scan(&ok))
	require.True(t, ok)
	require.Eventually(t, func() bool { return b.br.PID() != pid }, 5*time.Second, time.Millisecond, "B did not notice the kill")

	lease := claimed[0].Lease()
	now := time.Now()
	j1, _, err := db.CommitDocument(ctx, lease, models.DocumentResult{Type: "project_charter", Title: "Charter", Markdown: "# C", Attempts: 1, StartedAt: now, FinishedAt: now, CurrentDocument: "risk_register"})
	require.NoError(t, err)
	a.b.Publish(Event{Kind: JobChanged, JobID: job.ID, UserID: job.UserID, Version: j1.Version})
	j2, _, err := db.CommitDocument(ctx, lease, models.DocumentResult{Type: "risk_register", Title: "Risks", Markdown: "# R", Attempts: 1, StartedAt: now, FinishedAt: now})
	require.NoError(t, err)
	a.b.Publish(Event{Kind: JobChanged, JobID: job.ID, UserID: job.UserID, Version: j2.Version})
	final, err := db.FinishJob(ctx, lease, models.Outcome{Status: models.StatusCompleted, Now: time.Now()})
	require.NoError(t, err)
	a.b.Publish(Event{Kind: JobChanged, JobID: job.ID, UserID: job.UserID, Version: final.Version})

	u = waitFor(t, sub, 15*time.Second, version(final.Version))
	assert.Equal(t, models.StatusCompleted, u.Snapshot.Job.Status)
	assert.Equal(t, 2, u.Snapshot.Job.CompletedDocuments)
	assert.GreaterOrEqual(t, b.br.Listens(), int64(2), "B re-LISTENed")
}

func TestBridgeCarriesCancelRequests(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	a := startInstance(t, db, "a", 100*time.Millisecond)
	b := startInstance(t, db, "b", 100*time.Millisecond)
	got := make(chan string, 1)
	b.b.OnCancel(func(id string) { got <- id })
	a.b.Publish(Event{Kind: CancelRequested, JobID: "3f7e0c2a-0000-4000-8000-000000000001", UserID: "u"})
	select {
	case id := <-got:
		assert.Equal(t, "3f7e0c2a-0000-4000-8000-000000000001", id)
	case <-time.After(10 * time.Second):
		t.Fatal("B never heard of the cancel")
	}
}

func TestBridgeStopBeforeStart(t *testing.T) {
	b := NewBroker(Config{Loader: newFakeStore().load})
	br := NewPGBridge("postgres://127.0.0.1:1/none", b, nil)
	br.Stop()
	br.Stop()
	assert.Error(t, br.Start(context.Background()))
}
