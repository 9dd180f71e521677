package models_test

import (
	"context"
	"database/sql"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"dossier/migrations"
	"dossier/models"
	"dossier/models/modelstest"
)

// columns lists table → sorted column names, on either dialect.
func columns(t *testing.T, db *models.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var tables []string
	if db.Dialect == models.Postgres {
		require.NoError(t, db.ForTests().Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&tables).Error)
	} else {
		require.NoError(t, db.ForTests().Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`).Scan(&tables).Error)
	}
	for _, table := range tables {
		cols, err := db.ForTests().Migrator().ColumnTypes(table)
		require.NoError(t, err)
		for _, c := range cols {
			out[table] = append(out[table], c.Name())
		}
		sort.Strings(out[table])
	}
	return out
}

func TestMigrationsBringBothDatabasesToOneSchema(t *testing.T) {
	schemas := map[models.Dialect]map[string][]string{}
	for _, d := range modelstest.Dialects(t) {
		url := modelstest.URL(t, d)
		db, err := models.Connect(context.Background(), url)
		require.NoError(t, err)
		defer db.Close()
		n, err := db.MigrateReport(context.Background())
		require.NoError(t, err)
		assert.Positive(t, n, "an empty %s database gets every migration", d)
		again, err := db.MigrateReport(context.Background())
		require.NoError(t, err)
		assert.Zero(t, again, "migrate twice is a no-op on %s", d)
		schemas[d] = columns(t, db)

		s := schemas[d]
		for _, table := range []string{"users", "sessions", "api_tokens", "projects", "document_generation_jobs", "job_documents", "artifacts", "notifications"} {
			assert.Contains(t, s, table, d)
		}
		for _, col := range []string{"project_data", "company_intelligence_pack", "documents_to_generate", "total_documents",
			"completed_documents", "current_document", "progress_percentage", "generated_artifacts", "error_message",
			"error_details", "queued_at", "started_at", "completed_at", "estimated_completion", "retry_count", "max_retries",
			"cancel_requested_at", "locked_by", "lease_expires_at", "fencing_token", "run_at", "idempotency_key", "priority"} {
			assert.Contains(t, s["document_generation_jobs"], col, "%s: document_generation_jobs.%s", d, col)
		}
	}
	if pg, ok := schemas[models.Postgres]; ok {
		// job_snapshots keeps the jobs' snapshots as JSON text for
		// PostgreSQL's claim (migration 00014); SQLite's JSON is text.
		assert.Equal(t, []string{"company_text", "job_id", "project_text"}, pg["job_snapshots"])
		delete(pg, "job_snapshots")
		assert.Equal(t, pg, schemas[models.SQLite], "SQLite mirrors the PostgreSQL schema")
	}
}

func TestSchemaConstraints(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			db := modelstest.Open(t, d)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, "c@example.com", "C", "x")
			require.NoError(t, err)
			_, err = db.CreateUser(ctx, "C@Example.com", "C2", "x")
			assert.ErrorIs(t, err, models.ErrEmailTaken, "emails are unique, case-insensitively")
			p := &models.Project{UserID: u.ID, Name: "P"}
			require.NoError(t, db.CreateProject(ctx, p))
			j, _, err := db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}})
			require.NoError(t, err)

			// CHECK on statuses.
			err = db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'exploded' WHERE id = ?`, j.ID).Error
			assert.Error(t, err, "job status CHECK")
			err = db.ForTests().Exec(`UPDATE job_documents SET status = 'exploded' WHERE job_id = ?`, j.ID).Error
			assert.Error(t, err, "document status CHECK")
			// One active job per project, by the partial unique index.
			_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}})
			var active *models.ActiveJobError
			require.ErrorAs(t, err, &active)
			assert.Equal(t, j.ID, active.JobID)
			// A finished job frees the project.
			require.NoError(t, db.ForTests().Exec(`UPDATE document_generation_jobs SET status = 'completed' WHERE id = ?`, j.ID).Error)
			_, _, err = db.CreateJob(ctx, models.NewJob{UserID: u.ID, ProjectID: p.ID, Documents: []string{"project_charter"}})
			assert.NoError(t, err)
			// Unique (job_id, document_type) on artifacts.
			insert := `INSERT INTO artifacts (id, job_id, project_id, user_id, document_type, title, markdown, created_at) VALUES (?, ?, ?, ?, 'project_charter', 't', 'm', CURRENT_TIMESTAMP)`
			require.NoError(t, db.ForTests().Exec(insert, "00000000-0000-4000-8000-00000000000a", j.ID, p.ID, u.ID).Error)
			err = db.ForTests().Exec(insert, "00000000-0000-4000-8000-00000000000b", j.ID, p.ID, u.ID).Error
			assert.True(t, models.IsUniqueViolation(err), "artifact exactly once: %v", err)
		})
	}
}

func TestNowIsTheDatabaseClock(t *testing.T) {
	for _, d := range modelstest.Dialects(t) {
		db := modelstest.Open(t, d)
		got := db.Now(context.Background())
		assert.WithinDuration(t, time.Now(), got, 5*time.Second, d)
		assert.Equal(t, time.UTC, got.Location())
	}
}

// A database an older build migrated can lack migrations numbered below its
// version: 00004 and 00005 were committed before 00002 and 00003. The
// current build applies the missing ones instead of refusing to start, and
// ends with the schema of a fresh database.
func TestMigrateAppliesMigrationsAnOlderBuildLacked(t *testing.T) {
	ctx := context.Background()
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			for _, older := range [][]string{{"00001", "00004"}, {"00001", "00004", "00005"}, {"00001", "00002", "00004", "00005"}} {
				db, err := models.Connect(ctx, modelstest.URL(t, d))
				require.NoError(t, err)
				defer db.Close()
				sqlDB, err := db.ForTests().DB()
				require.NoError(t, err)
				dir := map[models.Dialect]string{models.Postgres: "postgres", models.SQLite: "sqlite"}[d]
				subset := fstest.MapFS{}
				entries, err := fs.ReadDir(migrations.FS, dir)
				require.NoError(t, err)
				for _, e := range entries {
					for _, v := range older {
						if strings.HasPrefix(e.Name(), v+"_") {
							b, err := fs.ReadFile(migrations.FS, dir+"/"+e.Name())
							require.NoError(t, err)
							subset[e.Name()] = &fstest.MapFile{Data: b}
						}
					}
				}
				require.Len(t, subset, len(older))
				dialect := map[models.Dialect]goose.Dialect{models.Postgres: goose.DialectPostgres, models.SQLite: goose.DialectSQLite3}[d]
				p, err := goose.NewProvider(dialect, sqlDB, subset)
				require.NoError(t, err)
				_, err = p.Up(ctx)
				require.NoError(t, err, "the older build's migrations")

				require.NoError(t, db.Migrate(ctx), "after %v", older)
				fresh := modelstest.Open(t, d)
				assert.Equal(t, columns(t, fresh), columns(t, db), "after %v, the schema of a fresh database", older)
			}
		})
	}
}

// Migrations run without the app's statement timeout (a migration that
// rewrites or indexes a large table takes longer than 30 s, and the
// instance could not start), with its lock timeout, and with whatever the
// URL sets itself.
func TestMigrationsRunWithoutTheStatementTimeout(t *testing.T) {
	base := modelstest.PostgresURL(t)
	ctx := context.Background()
	show := func(url, setting string) string {
		t.Helper()
		db, err := sql.Open("pgx", url)
		require.NoError(t, err)
		defer db.Close()
		var v string
		require.NoError(t, db.QueryRowContext(ctx, "SHOW "+setting).Scan(&v))
		return v
	}
	m := models.MigrationDSN(base)
	assert.Equal(t, "0", show(m, "statement_timeout"))
	assert.Equal(t, "10s", show(m, "lock_timeout"))
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	assert.Equal(t, "5s", show(models.MigrationDSN(base+sep+"statement_timeout=5000"), "statement_timeout"), "the URL's own setting wins")
}

// The app's connections never JIT-compile a statement: PostgreSQL decides
// by the planner's cost estimate, and the claim's estimate grows with the
// queue (with 12,000 jobs queued every claim was compiled, 60 to 80 ms
// each). A cost over any threshold must still plan and run without JIT.
func TestAppConnectionsDoNotCompileStatements(t *testing.T) {
	db := modelstest.Open(t, models.Postgres)
	g := db.ForTests()
	var jit string
	require.NoError(t, g.Raw(`SHOW jit`).Scan(&jit).Error)
	assert.Equal(t, "off", jit)
	// Whether a statement would be compiled is asked on a connection with
	// the server's own settings (pg_jit_available() is false where jit is
	// off); a server built without LLVM compiles nothing either way.
	plain, err := sql.Open("pgx", modelstest.PostgresURL(t))
	require.NoError(t, err)
	defer plain.Close()
	var available bool
	require.NoError(t, plain.QueryRow(`SELECT pg_jit_available()`).Scan(&available))
	if !available {
		t.Log("this PostgreSQL server has no JIT (built without LLVM): only the setting is checked")
		return
	}
	err = g.Transaction(func(tx *gorm.DB) error {
		require.NoError(t, tx.Exec(`SET LOCAL jit_above_cost = 0`).Error)
		var plan string
		require.NoError(t, tx.Raw(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(g) FROM generate_series(1, 1000) g`).Row().Scan(&plan))
		assert.NotContains(t, plan, `"JIT"`, "the statement was JIT-compiled")
		return nil
	})
	require.NoError(t, err)
}
