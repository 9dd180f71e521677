package events

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// The end of a sign-in runs the OnAccessEnded callbacks here at once, and
// reaches nothing else: it moves no state, so it loads nothing.
func TestEndAccessRunsTheCallbacksHere(t *testing.T) {
	s := newFakeStore()
	b := NewBroker(Config{Loader: s.load})
	require.NoError(t, b.Start(context.Background()))
	defer b.Stop()
	var got []string
	b.OnAccessEnded(func(a string) { got = append(got, a) })
	b.EndAccess("s:abc")
	b.EndAccess("t:def")
	assert.Equal(t, []string{"s:abc", "t:def"}, got)
}

// On PostgreSQL the end of a sign-in crosses to the other instances on the
// control channel, carrying its id only; two ends sent together are two
// ends (never coalesced, as two changes of one user are).
func TestBridgeCarriesEndsOfSignIns(t *testing.T) {
	modelstest.PostgresURL(t)
	db := modelstest.Open(t, models.Postgres)
	ctx := context.Background()
	spy, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer spy.Close(ctx)
	_, err = spy.Exec(ctx, "LISTEN "+ControlChannel)
	require.NoError(t, err)

	a := startInstance(t, db, "a", 100*time.Millisecond)
	b := startInstance(t, db, "b", 100*time.Millisecond)
	ended := make(chan string, 4)
	b.b.OnAccessEnded(func(access string) { ended <- access })
	here := make(chan string, 4)
	a.b.OnAccessEnded(func(access string) { here <- access })

	a.b.EndAccess("s:0f1e")
	a.b.EndAccess("t:3f7e0c2a-0000-4000-8000-000000000001")
	var heard []string
	for len(heard) < 2 {
		select {
		case access := <-ended:
			heard = append(heard, access)
		case <-time.After(10 * time.Second):
			t.Fatalf("B heard %v of the two ends", heard)
		}
	}
	assert.ElementsMatch(t, []string{"s:0f1e", "t:3f7e0c2a-0000-4000-8000-000000000001"}, heard)

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := spy.WaitForNotification(wctx)
	require.NoError(t, err)
	var ev Event
	require.NoError(t, json.Unmarshal([]byte(n.Payload), &ev), n.Payload)
	assert.Equal(t, AccessEnded, ev.Kind)
	assert.Contains(t, []string{"s:0f1e", "t:3f7e0c2a-0000-4000-8000-000000000001"}, ev.Access)
	assert.Empty(t, ev.UserID)
	assert.Empty(t, ev.JobID)

	// A ran its callbacks once each, at EndAccess (its bridge ignores its
	// own notifications).
	assert.Len(t, here, 2)
}
