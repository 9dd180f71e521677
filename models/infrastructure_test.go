package models_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
	"dossier/models/modelstest"
)

// A connection the server refuses with an error of its own (here: the
// database does not allow connections for a while, SQLSTATE 55000) is the
// database's trouble, not the write's: a run waits and writes again, and
// spends no retry of its job.
func TestARefusedConnectionIsInfrastructure(t *testing.T) {
	base := modelstest.PostgresURL(t)
	dbURL := modelstest.NewPostgresDB(t, base)
	ctx := context.Background()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	name := u.Path[1:]

	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS false`, name))
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS true`, name))
	})

	_, err = pgx.Connect(ctx, dbURL)
	require.Error(t, err)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "the server answered with an error of its own")
	assert.Equal(t, "55000", pgErr.Code)
	assert.True(t, models.IsInfrastructure(err), "%v", err)
	assert.True(t, models.IsInfrastructure(fmt.Errorf("commit: %w", err)), "wrapped too")
}
